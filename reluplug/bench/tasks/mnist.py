"""``mnist``: ``keras.datasets.mnist`` (needs the download once), an MLP.

Input(28, 28) -> Flatten -> [Dense(hidden) -> act] * layers -> Dense(10).
"""

from reluplug.bench.tasks import _keras_cache

TASK = _keras_cache.downloaded_task(
    "mnist",
    _keras_cache.load_mnist,
    "keras.datasets.mnist (downloaded once), MLP",
    model="mlp",
)
