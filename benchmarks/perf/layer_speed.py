"""Speed of reluplug's layers against the matching Keras built-ins.

Times one forward + backward pass (gradients for the input and for the
layer's own weights, with a given upstream gradient) on a float32 tensor
(default 4096 x 1024) inside ``tf.function``, without and with XLA
(``jit_compile=True``). Candidates are interleaved: every repetition runs
each candidate once, in an order that alternates between repetitions, and
the table reports medians, so drift in machine load hits all alike.

Targets (issue 2): reluplug ``PReLU`` at least 1.5x faster than Keras'
without XLA and no slower with XLA; fixed-parameter layers within 1.05x of
Keras in both modes; PELU, SReLU and Swish are reported against reluplug's
PReLU. Like for like: on a 2-D input Keras' per-element PReLU and reluplug's
per-channel PReLU both hold a (1024,) slope vector.

Run: ``python benchmarks/perf/layer_speed.py [--repeats 30] [--rows 4096]``.
This is a benchmark, not a test: it asserts nothing.
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from reluplug import layers  # noqa: E402

LOWER, UPPER = 1.0 / 8.0, 1.0 / 3.0

# (row label, reluplug factory, baseline label, baseline factory, target)
# target: ("speedup", 1.5) = baseline/reluplug >= 1.5; ("within", 1.05) =
# reluplug/baseline <= 1.05; ("report", None) = against reluplug PReLU.
PAIRS = [
    (
        "PReLU",
        lambda: layers.PReLU(granularity="channel"),
        "keras PReLU",
        lambda: keras.layers.PReLU(),
        {False: ("speedup", 1.5), True: ("within", 1.0)},
    ),
    (
        "LeakyReLU",
        lambda: layers.LeakyReLU(negative_slope=0.01),
        "keras LeakyReLU",
        lambda: keras.layers.LeakyReLU(negative_slope=0.01),
        ("within", 1.05),
    ),
    (
        "RReLU (inference)",
        lambda: layers.RReLU(lower=LOWER, upper=UPPER, seed=0),
        "keras LeakyReLU",
        lambda: keras.layers.LeakyReLU(negative_slope=(LOWER + UPPER) / 2),
        ("within", 1.05),
    ),
    (
        "ELU",
        lambda: layers.ELU(),
        "keras ELU",
        lambda: keras.layers.ELU(),
        ("within", 1.05),
    ),
    (
        "CELU",
        lambda: layers.CELU(),
        'Activation("celu")',
        lambda: keras.layers.Activation("celu"),
        ("within", 1.05),
    ),
    (
        "SELU",
        lambda: layers.SELU(),
        'Activation("selu")',
        lambda: keras.layers.Activation("selu"),
        ("within", 1.05),
    ),
    ("PELU (channel)", lambda: layers.PELU(granularity="channel")),
    ("SReLU (channel)", lambda: layers.SReLU()),
    ("Swish (shared beta)", lambda: layers.Swish()),
    ("Swish (channel beta)", lambda: layers.Swish(granularity="channel")),
]


def make_step(layer, x, upstream, jit_compile):
    """A compiled forward + backward of ``layer`` (training=False)."""
    layer(x[:2])  # build
    variables = list(layer.trainable_variables)

    @tf.function(jit_compile=jit_compile)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=False)
        return tape.gradient(y, [x] + variables, output_gradients=upstream)

    return step


def measure(candidates, x, repeats, warmup):
    """Median seconds per call of each ``step``, interleaved."""
    times = {name: [] for name in candidates}
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name](x)
    for rep in range(repeats):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            start = time.perf_counter()
            out = candidates[name](x)
            out[0].numpy().flat[0]  # noqa: B018 - make sure it ran
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def verdict(target, ours, base):
    kind, value = target
    if kind == "speedup":
        return f"{base / ours:.2f}x faster (>= {value}x)", base / ours >= value
    ratio = ours / base
    return f"{ratio:.3f} of keras (<= {value})", ratio <= value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--cols", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--modes",
        default="eager-graph,xla",
        help="comma list of 'eager-graph' (tf.function, no XLA) and 'xla'",
    )
    args = parser.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        parser.error("this times tf.function: set KERAS_BACKEND=tensorflow")

    rng = np.random.default_rng(0)
    shape = (args.rows, args.cols)
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    upstream = tf.constant(rng.normal(size=shape).astype("float32"))
    print(
        f"reluplug layer speed: forward+backward on {shape} float32, "
        f"median of {args.repeats} interleaved repeats"
    )
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    modes = [m.strip() for m in args.modes.split(",")]
    all_met = True
    for mode in modes:
        jit = mode == "xla"
        candidates, rows = {}, []
        for row in PAIRS:
            label, factory = row[0], row[1]
            candidates[label] = make_step(factory(), x, upstream, jit)
            if len(row) > 2:
                base_label = f"{row[2]} [{label}]"
                candidates[base_label] = make_step(row[3](), x, upstream, jit)
                target = row[4][jit] if isinstance(row[4], dict) else row[4]
                rows.append((label, base_label, target))
            else:
                rows.append((label, None, None))
        medians = measure(candidates, x, args.repeats, args.warmup)
        prelu = medians["PReLU"]
        title = "XLA (jit_compile=True)" if jit else "tf.function, no XLA"
        print(f"\n== {title}")
        header = (
            f"{'layer':22} {'reluplug ms':>11} {'baseline':>30} "
            f"{'base ms':>8}  result"
        )
        print(header)
        print("-" * (len(header) + 30))
        for label, base_label, target in rows:
            ours = medians[label] * 1e3
            if base_label is None:
                ratio = medians[label] / prelu
                print(
                    f"{label:22} {ours:11.2f} {'reluplug PReLU':>30} "
                    f"{prelu * 1e3:8.2f}  {ratio:.2f}x the time of PReLU"
                )
                continue
            base = medians[base_label] * 1e3
            text, met = verdict(target, ours, base)
            all_met &= met
            name = base_label.split(" [")[0]
            print(
                f"{label:22} {ours:11.2f} {name:>30} {base:8.2f}  {text} "
                f"{'ok' if met else 'MISSED'}"
            )
    print("\nall targets met" if all_met else "\nsome targets MISSED")


if __name__ == "__main__":
    main()
