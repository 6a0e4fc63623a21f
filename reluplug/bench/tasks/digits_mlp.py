"""``digits_mlp``: scikit-learn digits (8x8), a small MLP.

Input(64) -> [Dense(hidden) -> act] * layers -> Dense(10, softmax) (linear
scores trained with the multiclass hinge for ``readout = "hinge"``).
"""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``, standardized features."""
    x, y = _data.digits()
    return base.classification_splits(x, y, seed)


TASK = base.mlp_task(
    "digits_mlp",
    "scikit-learn digits (1797 8x8 images), MLP",
    load,
    {
        **base.mlp_params(64, 2),
        "readout": base.READOUT_PARAM,
    },
)
