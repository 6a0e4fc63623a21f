"""Shared fixtures for the whole test suite.

* ``rng``: a seeded ``numpy.random.Generator`` (same numbers every run).
* After every test: ``plt.close("all")`` (when matplotlib is installed),
  ``keras.backend.clear_session(free_memory=False)`` and the global dtype
  policy reset to ``float32``, so no test leaks figures, layer names or a
  mixed-precision policy into the next. (``free_memory=True`` runs the
  garbage collector and drops JAX's compilation caches after every test:
  two thirds of the suite's time on JAX.)

The benchmark tests run last: the runner switches on TensorFlow's
process-wide op determinism (it cannot be switched off again), and with it
Keras trains without XLA, which would hollow out the ``jit_compile=True``
checks of the layer and callback tests.

Test modules import the shared helpers by name (``from layer_testing
import run_layer_test``): ``setup.cfg`` puts ``tests`` and ``tests/bench``
on pytest's ``pythonpath``, however pytest is started.
"""

import os

import keras
import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))

try:  # matplotlib is an optional ([bench]/[test]) dependency.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
except ImportError:  # pragma: no cover - depends on the environment
    plt = None


def pytest_collection_modifyitems(config, items):
    """Runs tests/bench after everything else (see the module docstring)."""
    bench = os.path.join(_HERE, "bench") + os.sep
    items.sort(key=lambda item: str(item.path).startswith(bench))


@pytest.fixture
def rng():
    """A seeded NumPy generator; each test gets a fresh one."""
    return np.random.default_rng(20240601)


@pytest.fixture
def float64_backend():
    """Makes float64 tensors real on JAX (``jax_enable_x64`` for this test).

    TensorFlow always has float64; JAX truncates it to float32 unless x64
    is enabled, which would silently turn a float64 test into a float32 one.
    """
    if keras.backend.backend() != "jax":
        yield
        return
    import jax

    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True)
def _clean_global_state():
    yield
    if plt is not None:
        plt.close("all")
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session(free_memory=False)
