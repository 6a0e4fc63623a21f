"""``cifar10``: ``keras.datasets.cifar10`` (needs the download once), a CNN."""

import functools

from reluplug.bench.tasks import _keras_cache
from reluplug.bench.tasks import base


@functools.cache
def _raw(cache_dir):
    return _keras_cache.load_cifar10(cache_dir or None)


def load(seed, n_train, cache_dir):
    """Keras' test split; ``n_train`` training images (0 = all), 10% of
    them for validation, chosen by ``seed``."""
    train, test = _raw(cache_dir)
    return _keras_cache.keras_splits(train, test, seed, n_train)


def build(splits, act, seed, n_train, cache_dir, filters):
    """input -> conv -> act -> pool -> conv -> act -> pool -> dense."""
    del n_train, cache_dir
    return base.cnn(splits, act, seed, filters=(filters, 2 * filters))


TASK = base.Task(
    name="cifar10",
    description="keras.datasets.cifar10 (downloaded once), 2-conv CNN",
    load=load,
    build=build,
    params={
        "n_train": base.Param(
            10000, "int", low=0, help="training images used (0 = all)"
        ),
        "cache_dir": base.Param(
            "", "str", help="Keras cache folder ('' = $KERAS_HOME or ~/.keras)"
        ),
        "filters": base.Param(
            16, "int", low=1, help="filters of the first conv (2x second)"
        ),
    },
    data_params=("n_train", "cache_dir"),
)
