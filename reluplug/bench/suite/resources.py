"""What one trial may use (CPUs, GPUs) and the thread caps that enforce it.

A suite asks for resources per trial::

    [resources]
    cpus = 1      # CPU cores per trial (> 0; Ray accepts fractions)
    gpus = 0      # GPUs per trial (>= 0; a Ray scheduling request)
    memory = "4GB"  # population engine: memory for the members of one
                    # program (bytes, or "512MB", "4GiB"; default: a
                    # quarter of the free memory)

Ray schedules each trial with ``num_cpus=cpus, num_gpus=gpus``; the
``processes`` executor starts ``cpu_count // cpus`` workers by default. In
both, every trial process caps its backend's thread pools to ``cpus``
threads (at least one), so N concurrent trials do not oversubscribe a node:
the caps are environment variables set before the process starts
(``thread_env``) and, where the backend has a call for it, that call
(``cap_threads``). Resources do not change what a trial trains, so they are
not part of a trial's id.
"""

import dataclasses
import math
import os

_CPU_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


@dataclasses.dataclass(frozen=True)
class Resources:
    """CPUs and GPUs per trial.

    Attributes:
        cpus: CPU cores per trial (> 0). Defaults to ``1``.
        gpus: GPUs per trial (>= 0). Defaults to ``0``.
        memory: bytes the population engine may use for the members of
            one program (a larger cell runs in chunks), or None for a
            quarter of the free memory. Defaults to ``None``.
    """

    cpus: float = 1
    gpus: float = 0
    memory: int | None = None

    @property
    def threads(self):
        """Threads a trial's backend may use: ``max(1, floor(cpus))``."""
        return max(1, int(math.floor(self.cpus)))

    def replace(self, cpus=None, gpus=None):
        """A copy with ``cpus``/``gpus`` replaced where not None (checked)."""
        cpus = self.cpus if cpus is None else check_cpus(cpus, "--cpus")
        gpus = self.gpus if gpus is None else check_gpus(gpus, "--gpus")
        return Resources(cpus=cpus, gpus=gpus, memory=self.memory)


def _number(value):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return ok and math.isfinite(value)


def check_cpus(value, name):
    """``value`` if it is a number > 0, else ``ValueError`` naming ``name``."""
    if not _number(value) or value <= 0:
        raise ValueError(
            f"`{name}` (CPUs per trial) must be a number > 0. "
            f"Received: {name}={value!r}"
        )
    return int(value) if float(value).is_integer() else float(value)


def check_gpus(value, name):
    """``value`` if it is a number >= 0, else ``ValueError`` naming it."""
    if not _number(value) or value < 0:
        raise ValueError(
            f"`{name}` (GPUs per trial) must be a number >= 0. "
            f"Received: {name}={value!r}"
        )
    return int(value) if float(value).is_integer() else float(value)


_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def check_memory(value, name):
    """Bytes from ``value`` (an integer > 0, or a string such as ``"512MB"``
    or ``"4 GiB"``), else ``ValueError`` naming ``name``."""
    number, unit = value, "b"
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(digits) :] or "b"
        try:
            number = float(digits)
        except ValueError:
            number = None
    ok = _number(number) and number > 0 and unit in _UNITS
    if not ok:
        raise ValueError(
            f"`{name}` (memory of one population program) must be a number "
            f"of bytes > 0 or a string with a unit {sorted(_UNITS)}, such "
            f'as "4GB". Received: {name}={value!r}'
        )
    return int(number * _UNITS[unit])


def thread_env(threads, environ=None):
    """Environment variables that cap a new process to ``threads`` threads.

    OpenMP/MKL/OpenBLAS pools, TensorFlow's intra- and inter-op pools
    (``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS``) and, for one
    thread, XLA's CPU pool for JAX (``XLA_FLAGS``: multi-threaded Eigen off;
    XLA has no flag for N > 1 threads, and it reads a first word without
    ``--`` as a file name, so none is added then). Existing ``XLA_FLAGS``
    are kept.

    Args:
        threads: threads per process (>= 1).
        environ: the environment to extend (``os.environ`` by default).

    Returns:
        A dict of variables to set.
    """
    environ = os.environ if environ is None else environ
    env = {name: str(threads) for name in _CPU_ENV}
    flags = [
        f
        for f in environ.get("XLA_FLAGS", "").split()
        if not f.startswith(
            ("--xla_cpu_multi_thread_eigen", "intra_op_parallelism_threads")
        )
    ]
    if threads == 1:
        flags += [
            "--xla_cpu_multi_thread_eigen=false",
            "intra_op_parallelism_threads=1",
        ]
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    return env


def cap_threads(threads):
    """Caps this process's backend to ``threads`` threads where it can.

    Call it in a trial process before the backend runs its first op (the
    variables of ``thread_env`` must already be set for JAX). TensorFlow:
    ``tf.config.threading`` intra/inter-op pools; PyTorch:
    ``torch.set_num_threads``. Returns the threads the backend reports.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        threading = tf.config.threading
        for get, set_ in (
            (
                threading.get_intra_op_parallelism_threads,
                threading.set_intra_op_parallelism_threads,
            ),
            (
                threading.get_inter_op_parallelism_threads,
                threading.set_inter_op_parallelism_threads,
            ),
        ):
            if get() != threads:
                set_(threads)  # raises if TF already ran ops: a bug here
        return threading.get_intra_op_parallelism_threads()
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return torch.get_num_threads()
    return threads
