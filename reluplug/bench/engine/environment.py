"""Where a trial runs: determinism switch, machine, versions, git commit.

Captured once per process (``functools.cache``) and written into every
trial record and the manifest (pytest-benchmark's ``machine_info`` /
``commit_info``).
"""

import functools
import os
import platform
import subprocess
import sys

import keras
import numpy as np

_BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


@functools.cache
def configure_determinism():
    """Switches on deterministic ops for the backend (once per process).

    On TensorFlow: ``tf.config.experimental.enable_op_determinism()``. JAX
    on CPU is deterministic already; PyTorch needs nothing for the CPU ops
    the tasks use.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return True


@functools.cache
def git_commit():
    """The checkout's ``HEAD`` commit, or None outside a git checkout."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _device(backend):
    """``"cpu"``, ``"gpu"`` (TensorFlow) or JAX's default backend."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
        if backend == "jax":
            import jax

            return jax.default_backend()
    except Exception:  # device detection is informative only
        pass
    return "cpu"


@functools.cache
def _capture():
    import reluplug

    backend = keras.backend.backend()
    versions = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        "numpy": np.__version__,
        "reluplug": reluplug.__version__,
    }
    if backend in _BACKEND_MODULES:
        name = _BACKEND_MODULES[backend]
        lib = sys.modules.get(name) or __import__(name)
        versions[backend] = getattr(lib, "__version__", None)
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": _device(backend),
    }
    return machine, versions


def capture():
    """``(machine, versions)`` dicts of this process (fresh copies)."""
    machine, versions = _capture()
    return dict(machine), dict(versions)


def environment():
    """``(machine, versions, git_commit)`` of this process."""
    return (*capture(), git_commit())
