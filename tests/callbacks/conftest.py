"""Fixtures for the callback tests: small real data, no downloads."""

import pytest


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits: x in [0, 1] (float32, 1797 x 64), y."""
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    return (data.data / 16.0).astype("float32"), data.target.astype("int32")


@pytest.fixture
def probe_x(rng):
    """512 standard-normal samples of 32 features (float32)."""
    return rng.standard_normal((512, 32)).astype("float32")
