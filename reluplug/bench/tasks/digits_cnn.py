"""``digits_cnn``: scikit-learn digits as 8x8x1 images, a small CNN."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``; pixels scaled to [0, 1]."""
    x, y = _data.digits()
    splits = base.classification_splits(
        x.reshape(-1, 8, 8, 1), y, seed, scale=16.0
    )
    return splits


TASK = base.two_conv_task(
    "digits_cnn",
    "scikit-learn digits as 8x8 images, 2-conv CNN",
    load,
    filters=16,
)
