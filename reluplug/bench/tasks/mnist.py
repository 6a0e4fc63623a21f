"""``mnist``: ``keras.datasets.mnist`` (needs the download once), an MLP."""

import functools

from reluplug.bench.tasks import _keras_cache
from reluplug.bench.tasks import base


@functools.cache
def _raw(cache_dir):
    return _keras_cache.load_mnist(cache_dir or None)


def load(seed, n_train, cache_dir):
    """Keras' test split; ``n_train`` training images (0 = all), 10% of
    them for validation, chosen by ``seed``."""
    train, test = _raw(cache_dir)
    return _keras_cache.keras_splits(train, test, seed, n_train)


def build(splits, act, seed, n_train, cache_dir, hidden, layers):
    """Input(28, 28) -> Flatten -> [Dense(hidden) -> act] * layers -> 10."""
    del n_train, cache_dir
    return base.mlp(splits, act, seed, [hidden] * layers)


TASK = base.Task(
    name="mnist",
    description="keras.datasets.mnist (downloaded once), MLP",
    load=load,
    build=build,
    params={
        "n_train": base.Param(
            10000, "int", low=0, help="training images used (0 = all)"
        ),
        "cache_dir": base.Param(
            "", "str", help="Keras cache folder ('' = $KERAS_HOME or ~/.keras)"
        ),
        "hidden": base.Param(128, "int", low=1, help="units per layer"),
        "layers": base.Param(2, "int", low=1, help="hidden layers"),
    },
    data_params=("n_train", "cache_dir"),
)
