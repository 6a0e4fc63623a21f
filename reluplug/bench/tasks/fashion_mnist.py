"""``fashion_mnist``: ``keras.datasets.fashion_mnist`` (download once), MLP.

Input(28, 28) -> Flatten -> [Dense(hidden) -> act] * layers -> Dense(10).
"""

from reluplug.bench.tasks import _keras_cache

TASK = _keras_cache.downloaded_task(
    "fashion_mnist",
    _keras_cache.load_fashion_mnist,
    "keras.datasets.fashion_mnist (downloaded once), MLP",
    model="mlp",
)
