"""Overhead of DeadUnitMonitor on `model.fit` (target: ratio <= 1.02).

An MLP (3 x 256, ReLU) is fit on scikit-learn's digits for 20 epochs, with
and without `DeadUnitMonitor` (probe of 1024 samples, measured at train begin
and after every epoch). Runs alternate in one process (after one warm-up
run of each) so drift in machine load hits both arms alike; each run builds
a fresh model with the same seed. Prints per-run times and the ratio of the
median times, and the time spent inside the monitor's hooks (measured in the
same runs, so less sensitive to machine load) relative to the plain fit.

    python benchmarks/perf/monitor_overhead.py [--repeats 7] [--epochs 20]
        [--every-n-epochs 1]        # KERAS_BACKEND picks the backend
"""

import argparse
import statistics
import time

import keras
from sklearn.datasets import load_digits

from reluplug.callbacks import DeadUnitMonitor


class _TimedMonitor(DeadUnitMonitor):
    """Adds up the wall time spent inside the monitor's hooks."""

    begin = 0.0  # on_train_begin: build, trace/compile, first measurement
    epochs = 0.0  # on_epoch_end: the measurements after each epoch

    def on_train_begin(self, logs=None):
        start = time.perf_counter()
        super().on_train_begin(logs)
        _TimedMonitor.begin += time.perf_counter() - start

    def on_epoch_end(self, epoch, logs=None):
        start = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        _TimedMonitor.epochs += time.perf_counter() - start


def _model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((64,))]
        + [keras.layers.Dense(256, activation="relu") for _ in range(3)]
        + [keras.layers.Dense(10)]
    )
    model.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _run(x, y, epochs, monitored, every=1):
    model = _model(seed=0)
    start = time.perf_counter()
    callbacks = []
    if monitored:
        callbacks.append(_TimedMonitor(x[:1024], every_n_epochs=every))
    model.fit(
        x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks
    )
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--every-n-epochs", type=int, default=1)
    args = parser.parse_args()
    data = load_digits()
    x, y = (data.data / 16.0).astype("float32"), data.target
    _run(x, y, 1, False)  # Warm-up: first-use costs of the backend.
    _run(x, y, 1, True)
    times = {False: [], True: []}
    _TimedMonitor.begin = _TimedMonitor.epochs = 0.0
    for repeat in range(args.repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for monitored in order:
            seconds = _run(x, y, args.epochs, monitored, args.every_n_epochs)
            times[monitored].append(seconds)
    base = statistics.median(times[False])
    with_monitor = statistics.median(times[True])
    print(f"backend: {keras.backend.backend()}, keras {keras.__version__}")
    print(
        f"epochs: {args.epochs}, repeats: {args.repeats}, probe: 1024, "
        f"every_n_epochs: {args.every_n_epochs}"
    )
    print("without monitor [s]:", " ".join(f"{t:.3f}" for t in times[False]))
    print("with monitor    [s]:", " ".join(f"{t:.3f}" for t in times[True]))
    print(f"median without: {base:.3f} s, with: {with_monitor:.3f} s")
    print(f"ratio of medians: {with_monitor / base:.3f} (target <= 1.02)")
    print(f"ratio of minima: {min(times[True]) / min(times[False]):.3f}")
    begin = _TimedMonitor.begin / args.repeats
    per_epoch = _TimedMonitor.epochs / args.repeats / args.epochs
    inside = begin + _TimedMonitor.epochs / args.repeats
    print(
        f"time inside the monitor per fit: {inside:.3f} s; 1 + that / "
        f"median without: {1 + inside / base:.3f} (less noisy estimate)"
    )
    print(
        f"  of which train begin: {begin * 1e3:.1f} ms, per epoch end: "
        f"{per_epoch * 1e3:.2f} ms; plain fit per epoch: "
        f"{base / args.epochs * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
