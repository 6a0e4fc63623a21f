"""Speed and size of Dense, HadamardDense and CirculantDense against n.

For each n (default 256 ... 8192) each layer maps a float32 batch (default
256 x n) to n outputs; one forward + backward pass (gradients for the input
and for every weight, with a fixed random upstream gradient) is timed:

* TensorFlow (``KERAS_BACKEND=tensorflow``, the default): inside
  ``tf.function`` without XLA and with ``jit_compile=True``;
* JAX (``KERAS_BACKEND=jax``): ``jax.jit`` (always XLA).

Candidates are interleaved (every repetition runs each once, in an order
that alternates between repetitions) and the table reports medians, so drift
in machine load hits all alike. Then, per layer and mode, the least-squares
slope of log(time) against log(n) (n log n gives about 1.1 over this range,
n^2 gives 2), and the crossover: the smallest n from which on the fast layer
beats Dense at every measured size.

Targets (issue 11): slope of both fast layers <= 1.3; HadamardDense faster
than Dense for every n >= 1024 with XLA. Printed as PASS/FAIL lines.

``--formulations`` also times ``walsh_hadamard`` (Kronecker factors as
small matrix products) alone against the log2(n)-stage add/subtract
butterfly, the other formulation considered; both on ``x * d`` with a
vector argument ``d``, so XLA cannot fold the gradient of the linear map
into a constant.

Run: ``python benchmarks/perf/transform_speed.py [--repeats 7]
[--sizes 256 512 ...] [--formulations]``. A benchmark, not a test: it
asserts nothing.
"""

import argparse
import math
import os
import platform
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from reluplug import layers  # noqa: E402
from reluplug import transforms  # noqa: E402

BACKEND = keras.backend.backend()
LAYERS = {
    "Dense": lambda n: keras.layers.Dense(n),
    "HadamardDense": lambda n: layers.HadamardDense(n, seed=0),
    "CirculantDense": lambda n: layers.CirculantDense(n),
}
FAST = ("HadamardDense", "CirculantDense")


def butterfly(x):
    """The log2(n)-stage add/subtract Walsh-Hadamard butterfly (reference
    formulation, for ``--formulations`` only)."""
    n = x.shape[-1]
    y = ops.reshape(x, (-1, n))
    h = 1
    while h < n:
        z = ops.reshape(y, (-1, n // (2 * h), 2, h))
        a, b = z[:, :, 0, :], z[:, :, 1, :]
        y = ops.reshape(ops.stack([a + b, a - b], axis=2), (-1, n))
        h *= 2
    return y * (1.0 / math.sqrt(n))


def _step_fn(layer, x, g, xla):
    """A zero-argument function running one forward + backward pass."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        weights = [w.value for w in layer.trainable_weights]

        @tf.function(jit_compile=xla)
        def step(x, g):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
            return tape.gradient(y, [x] + weights, output_gradients=g)

        xt, gt = tf.constant(x), tf.constant(g)
        return lambda: step(xt, gt)
    if BACKEND == "jax":
        import jax

        # `g` is an argument, not a constant XLA could fold into the graph.
        def loss(trainable, x, g):
            y, _ = layer.stateless_call(trainable, [], x)
            return ops.sum(y * g)

        grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
        trainable = [ops.convert_to_tensor(w) for w in layer.trainable_weights]
        xj, gj = jax.numpy.asarray(x), jax.numpy.asarray(g)
        return lambda: jax.block_until_ready(grad(trainable, xj, gj))
    raise SystemExit(f"backend {BACKEND!r}: use tensorflow or jax")


def _fn_step(fn, x, g, xla):
    """Forward + backward of a plain function of ``x`` (formulations)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=xla)
        def step(x, d, g):
            with tf.GradientTape() as tape:
                tape.watch([x, d])
                y = fn(x * d)
            return tape.gradient(y, [x, d], output_gradients=g)

        xt, gt = tf.constant(x), tf.constant(g)
        d = tf.ones(x.shape[-1], x.dtype)
        return lambda: step(xt, d, gt)
    import jax

    # The gradient of a linear map does not depend on `x`; scaling `x` by a
    # vector argument `d` (ones) keeps XLA from computing it at compile time.
    grad = jax.jit(
        jax.grad(lambda x, d, g: ops.sum(fn(x * d) * g), argnums=(0, 1))
    )
    xj, gj = jax.numpy.asarray(x), jax.numpy.asarray(g)
    d = jax.numpy.ones(x.shape[-1], x.dtype)
    return lambda: jax.block_until_ready(grad(xj, d, gj))


def _time(candidates, repeats):
    """Interleaved medians (ms) of zero-argument callables."""
    for run in candidates.values():  # compile + warm up
        run()
        run()
    times = {k: [] for k in candidates}
    names = list(candidates)
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def _slope(sizes, times):
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def _crossover(sizes, fast, dense):
    """Smallest n from which on ``fast`` beats ``dense`` at every size."""
    best = None
    for n in reversed(sizes):
        if fast[n] < dense[n]:
            best = n
        else:
            break
    return best


def _load():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[2**k for k in range(8, 14)]
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--formulations", action="store_true")
    args = parser.parse_args()
    modes = {"tensorflow": [False, True], "jax": [True]}[BACKEND]
    rng = np.random.default_rng(0)
    print(
        f"backend={BACKEND} keras={keras.__version__} "
        f"python={platform.python_version()} cpu={platform.processor() or '?'}"
        f" cores={os.cpu_count()} batch={args.batch} float32"
    )
    if hasattr(os, "getloadavg"):
        print("load average at start:", _load())
    results = {}  # (layer, xla) -> {n: ms}
    params = {}
    for n in args.sizes:
        x = rng.normal(size=(args.batch, n)).astype("float32")
        g = rng.normal(size=(args.batch, n)).astype("float32")
        for xla in modes:
            candidates = {}
            for name, make in LAYERS.items():
                layer = make(n)
                layer.build((None, n))
                params[(name, n)] = layer.count_params()
                candidates[name] = _step_fn(layer, x, g, xla)
            if args.formulations:
                candidates["wht kron"] = _fn_step(
                    transforms.walsh_hadamard, x, g, xla
                )
                candidates["wht butterfly"] = _fn_step(butterfly, x, g, xla)
            repeats = args.repeats if n < 4096 else max(3, args.repeats // 2)
            for name, ms in _time(candidates, repeats).items():
                results.setdefault((name, xla), {})[n] = ms
            mode = "XLA" if xla else "no XLA"
            line = ", ".join(
                f"{name} {results[(name, xla)][n]:.2f}" for name in candidates
            )
            print(f"n={n} {mode}: {line} ms", flush=True)

    names = list(LAYERS) + (
        ["wht kron", "wht butterfly"] if args.formulations else []
    )
    print()
    header = "| layer | XLA | params (n=1024) |"
    header += "".join(f" n={n} |" for n in args.sizes)
    header += " slope | crossover |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    verdicts = []
    for xla in modes:
        dense = results[("Dense", xla)]
        for name in names:
            times = results[(name, xla)]
            slope = _slope(args.sizes, [times[n] for n in args.sizes])
            cross = "-"
            if name in FAST:
                c = _crossover(args.sizes, times, dense)
                cross = "never" if c is None else f"n={c}"
            count = params.get((name, 1024), "-")
            row = f"| {name} | {'yes' if xla else 'no'} | {count} |"
            row += "".join(f" {times[n]:.2f} |" for n in args.sizes)
            row += f" {slope:.2f} | {cross} |"
            print(row)
            if name in FAST:
                verdicts.append(
                    (
                        f"{name} slope {slope:.2f} <= 1.3 "
                        f"({'XLA' if xla else 'no XLA'})",
                        slope <= 1.3,
                    )
                )
            if name == "Dense":
                mode = "XLA" if xla else "no XLA"
                verdicts.append((f"(Dense slope {slope:.2f}, {mode})", None))
    had = results[("HadamardDense", True)]
    dense = results[("Dense", True)]
    big = [n for n in args.sizes if n >= 1024]
    verdicts.append(
        (
            "HadamardDense faster than Dense for every n >= 1024 with XLA "
            + str({n: round(dense[n] / had[n], 1) for n in big})
            + " (speedup)",
            all(had[n] < dense[n] for n in big),
        )
    )
    print("\nms per forward+backward pass (median); slope of log t vs log n")
    for text, ok in verdicts:
        tag = "" if ok is None else ("PASS " if ok else "FAIL ")
        print(f"{tag}{text}")
    if hasattr(os, "getloadavg"):
        print("load average at end:", _load())


if __name__ == "__main__":
    main()
