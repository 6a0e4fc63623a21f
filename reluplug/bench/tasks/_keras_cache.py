"""Loading ``keras.datasets`` files through the Keras cache.

The files and formats are exactly those of ``keras.datasets`` (mnist.npz;
fashion-mnist's four idx gz files; CIFAR-10's python pickle batches), found
with ``keras.utils.get_file`` in the Keras cache (``$KERAS_HOME`` or
``~/.keras``, or a ``cache_dir`` task parameter). A missing file is
downloaded when online; offline, ``DatasetUnavailableError`` says which
file to place where.
"""

import functools
import gzip
import os
import pickle

import keras
import numpy as np

KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR10_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


class DatasetUnavailableError(RuntimeError):
    """A task's data is neither in the Keras cache nor downloadable."""


def _cache_root(cache_dir):
    if cache_dir:
        return os.path.expanduser(cache_dir)
    return os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras"))


def fetch(task, fname, origin, cache_dir, *, subdir="datasets", **kwargs):
    """``keras.utils.get_file`` with a clear error when offline."""
    try:
        return keras.utils.get_file(
            fname,
            origin=origin,
            cache_dir=_cache_root(cache_dir),
            cache_subdir=subdir,
            **kwargs,
        )
    except Exception as error:
        where = os.path.join(_cache_root(cache_dir), subdir, fname)
        raise DatasetUnavailableError(
            f"Task {task!r} needs {origin}, which is not in the Keras cache "
            f"({where}) and could not be downloaded ({error}). Run once "
            "with internet access (or place the file there), or use an "
            "offline task: see `reluplug-bench list`."
        ) from error


def load_mnist(cache_dir=None, *, origin_base=None):
    """``keras.datasets.mnist`` arrays from ``datasets/mnist.npz``."""
    origin_base = origin_base or KERAS_BASE
    path = fetch("mnist", "mnist.npz", origin_base + "mnist.npz", cache_dir)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def load_fashion_mnist(cache_dir=None, *, origin_base=None):
    """``keras.datasets.fashion_mnist`` arrays from the idx gz files."""
    origin_base = origin_base or KERAS_BASE
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [
        fetch(
            "fashion_mnist", name, origin_base + name, cache_dir, subdir=subdir
        )
        for name in FASHION_FILES
    ]
    arrays = []
    for path, offset in zip(paths, (8, 16, 8, 16)):
        with gzip.open(path, "rb") as f:
            arrays.append(np.frombuffer(f.read(), np.uint8, offset=offset))
    y_train, x_train, y_test, x_test = arrays
    x_train = x_train.reshape(len(y_train), 28, 28)
    x_test = x_test.reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


class _NumpyUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing else."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to unpickle {module}.{name} from a CIFAR batch"
            )
        return super().find_class(module, name)


def _cifar_batch(path):
    with open(path, "rb") as f:
        batch = _NumpyUnpickler(f, encoding="bytes").load()
    batch = {
        (k.decode("utf8") if isinstance(k, bytes) else k): v
        for k, v in batch.items()
    }
    data = np.asarray(batch["data"], dtype=np.uint8)
    x = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    return x, np.asarray(batch["labels"], dtype=np.uint8)


def load_cifar10(cache_dir=None, *, origin=None):
    """``keras.datasets.cifar10`` arrays (channels last) from the batches.

    Uses ``datasets/cifar-10-batches-py-target/cifar-10-batches-py/`` when
    Keras extracted it already, else the archive Keras keeps next to it
    (``cifar-10-batches-py-target_archive``), else downloads.
    """
    origin = origin or CIFAR10_ORIGIN
    target = "cifar-10-batches-py-target"
    folder = os.path.join(_cache_root(cache_dir), "datasets", target)
    inner = os.path.join(folder, "cifar-10-batches-py")
    if not os.path.exists(os.path.join(inner, "test_batch")):
        folder = fetch("cifar10", target, origin, cache_dir, extract=True)
        inner = os.path.join(folder, "cifar-10-batches-py")
    parts = [
        _cifar_batch(os.path.join(inner, f"data_batch_{i}"))
        for i in range(1, 6)
    ]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = _cifar_batch(os.path.join(inner, "test_batch"))
    return (x_train, y_train), (x_test, y_test)


def keras_splits(
    train, test, seed, n_train, *, val=0.1, scale=255.0, channels=False
):
    """Keras' train/test split; validation carved from train by ``seed``.

    Args:
        train: ``(x, y)`` training arrays.
        test: ``(x, y)`` test arrays.
        seed: seed of the train/validation split and of the subsample.
        n_train: keep this many training examples (0 = all).
        val: fraction of the kept training examples used for validation.
        scale: divide pixels by this.
        channels: add a trailing channel axis to 2-D images.
    """
    from reluplug.bench.tasks import base

    (x, y), (x_test, y_test) = train, test
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    if n_train:
        order = order[:n_train]
    n_val = max(1, int(round(val * len(order))))
    val_idx, train_idx = order[:n_val], order[n_val:]

    def prep(a):
        a = a.astype("float32") / scale
        return a[..., None] if channels else a

    y = np.asarray(y).reshape(-1)
    y_test = np.asarray(y_test).reshape(-1)
    return base.Splits(
        prep(x[train_idx]),
        y[train_idx].astype("int32"),
        prep(x[val_idx]),
        y[val_idx].astype("int32"),
        prep(x_test),
        y_test.astype("int32"),
        n_outputs=10,
    )


def downloaded_task(name, loader, description, *, model):
    """A ``Task`` over a ``keras.datasets`` loader of this module.

    Args:
        name: task name.
        loader: ``loader(cache_dir) -> ((x, y), (x_test, y_test))``.
        description: one line for ``reluplug-bench list``.
        model: ``"mlp"`` (params ``hidden``, ``layers``) or ``"cnn"``
            (param ``filters``: first conv, twice that in the second).
    """
    from reluplug.bench.tasks import base

    raw = functools.cache(loader)

    def load(seed, n_train, cache_dir):
        """Keras' test split; ``n_train`` training images (0 = all), 10% of
        them for validation, chosen by ``seed``."""
        train, test = raw(cache_dir or None)
        return keras_splits(train, test, seed, n_train)

    data = {
        "n_train": base.Param(
            10000, "int", low=0, help="training images used (0 = all)"
        ),
        "cache_dir": base.Param(
            "", "str", help="Keras cache folder ('' = $KERAS_HOME or ~/.keras)"
        ),
    }
    if model == "cnn":
        return base.two_conv_task(name, description, load, 16, data=data)
    return base.mlp_task(
        name,
        description,
        load,
        {**data, **base.mlp_params(128, 2)},
        data_params=tuple(data),
    )
