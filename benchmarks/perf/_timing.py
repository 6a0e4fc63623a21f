"""What the perf scripts share: clocks, interleaved timing, the header line.

Imported by the scripts of this folder as ``import _timing`` (a script's
folder is first on ``sys.path``). Keras is imported only inside
``backend_versions``, after a script has chosen its backend.
"""

import datetime
import os
import platform
import time


def clock(name):
    """``time.process_time`` (the process's CPU seconds, all threads) for
    ``"cpu"``, else ``time.perf_counter`` (wall seconds)."""
    return time.process_time if name == "cpu" else time.perf_counter


def interleaved(calls, repeats, timer, warmup=0):
    """Seconds of each call, measured in turn, the order reversed each repeat.

    Args:
        calls: label -> function of no argument.
        repeats: timed rounds; even rounds go in order, odd ones reversed, so
            a drift of the machine falls on every label alike.
        timer: a clock (``clock(name)``).
        warmup: untimed rounds first.

    Returns:
        label -> list of seconds, one per repeat.
    """
    labels = list(calls)
    times = {label: [] for label in labels}
    for _ in range(warmup):
        for label in labels:
            calls[label]()
    for rep in range(repeats):
        for label in labels if rep % 2 == 0 else labels[::-1]:
            start = timer()
            calls[label]()
            times[label].append(timer() - start)
    return times


def utc_now():
    """Now, as ``YYYY-MM-DD HH:MM`` in UTC (the headers' time stamp)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")


def load_average():
    """The 1, 5 and 15 minute load averages, ``"2.01 1.87 1.50"``; ``"n/a"``
    where the platform has none."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def cpu_name():
    """The CPU's model name from ``/proc/cpuinfo``, else ``platform``'s."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def backend_versions():
    """``{"Keras": version, "JAX" or "TensorFlow": version}`` of the backend
    Keras runs on."""
    import keras

    versions = {"Keras": keras.__version__}
    if keras.backend.backend() == "jax":
        import jax

        versions["JAX"] = jax.__version__
    else:
        import tensorflow as tf

        versions["TensorFlow"] = tf.__version__
    return versions


def versions_text(versions):
    """``"Keras 3.x, TensorFlow 2.y"`` from ``backend_versions()``."""
    return ", ".join(f"{name} {v}" for name, v in versions.items())
