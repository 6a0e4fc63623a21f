"""``deep_mlp``: a deep, narrow MLP on digits (where sigmoid stalls)."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """Same data and split as ``digits_mlp``."""
    x, y = _data.digits()
    return base.classification_splits(x, y, seed)


def build(splits, act, seed, depth, width, linear):
    """Input(64) -> [Dense(width) -> act] * depth -> Dense(10, softmax)."""
    return base.mlp(splits, act, seed, [width] * depth, linear=linear)


TASK = base.Task(
    name="deep_mlp",
    description="digits with a deep narrow MLP (default 20 x 32)",
    load=load,
    build=build,
    params={
        "depth": base.Param(20, "int", low=1, help="hidden layers"),
        "width": base.Param(32, "int", low=1, help="units per layer"),
        "linear": base.LINEAR_PARAM,
    },
    resplit=True,
)
