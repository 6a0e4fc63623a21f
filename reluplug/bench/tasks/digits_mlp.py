"""``digits_mlp``: scikit-learn digits (8x8), a small MLP."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``, standardized features."""
    x, y = _data.digits()
    return base.classification_splits(x, y, seed)


def build(splits, act, seed, hidden, layers, linear, readout="softmax"):
    """Input(64) -> [Dense(hidden) -> act] * layers -> Dense(10, softmax)
    (linear scores trained with the multiclass hinge for ``readout =
    "hinge"``)."""
    return base.mlp(
        splits, act, seed, [hidden] * layers, linear=linear, readout=readout
    )


TASK = base.Task(
    name="digits_mlp",
    description="scikit-learn digits (1797 8x8 images), MLP",
    load=load,
    build=build,
    params={
        **base.mlp_params(64, 2),
        "readout": base.READOUT_PARAM,
    },
    resplit=True,
)
