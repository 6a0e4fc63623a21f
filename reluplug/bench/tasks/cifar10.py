"""``cifar10``: ``keras.datasets.cifar10`` (needs the download once), a CNN.

input -> conv -> act -> pool -> conv -> act -> pool -> dense -> softmax.
"""

from reluplug.bench.tasks import _keras_cache

TASK = _keras_cache.downloaded_task(
    "cifar10",
    _keras_cache.load_cifar10,
    "keras.datasets.cifar10 (downloaded once), 2-conv CNN",
    model="cnn",
)
