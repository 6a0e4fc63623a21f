"""How often DeadUnitMonitor traces its compiled probe during one `fit`.

A speed property, not a correctness one (so it lives here, not in tests/):
the monitor measures at train begin and after every epoch through one
compiled probe (`tf.function` / `jax.jit`), which must be traced once per
fit, not once per measurement. Counts the calls of `Probe.call` (Python
runs it only while tracing) over a 3-epoch fit of a 10 x 64 ReLU MLP, for
a probe of 512 samples measured in batches of 1024 (one padded batch) and
of 200 (three batches, the last padded).

    python benchmarks/perf/probe_traces.py   # KERAS_BACKEND picks the backend

Exit status 1 if any fit traced more than once.
"""

import sys

import keras
import numpy as np

from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks._probe import Probe

EPOCHS = 3


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((32,))]
    stack += [keras.layers.Dense(64, "relu") for _ in range(10)]
    stack.append(keras.layers.Dense(3))
    return keras.Sequential(stack)


def count_traces(batch_size, probe_x):
    """Shapes ``Probe.call`` was traced with during one fit."""
    traces = []
    original = Probe.call

    def counting(self, x):
        traces.append(tuple(x.shape))
        return original(self, x)

    Probe.call = counting
    try:
        model = _model()
        model.compile("sgd", "mse")
        monitor = DeadUnitMonitor(probe_x, batch_size=batch_size)
        model.fit(
            probe_x[:64],
            probe_x[:64, :3],
            epochs=EPOCHS,
            verbose=0,
            callbacks=[monitor],
        )
    finally:
        Probe.call = original
    return traces, len(monitor.epochs)


def main():
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        print(f"{backend}: the probe is compiled only on tensorflow and jax")
        return 0
    probe_x = np.random.default_rng(0).standard_normal((512, 32))
    probe_x = probe_x.astype("float32")
    worst = 0
    for batch_size in (1024, 200):
        traces, measurements = count_traces(batch_size, probe_x)
        worst = max(worst, len(traces))
        print(
            f"{backend} batch_size={batch_size}: {measurements} measurements,"
            f" {len(traces)} trace(s), shapes {traces}"
        )
    return 0 if worst == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
