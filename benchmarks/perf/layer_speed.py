"""Speed of reluplug's layers against Keras built-ins and Keras LeakyReLU.

Times what a training step needs from an activation layer: the forward pass
and the gradients for the input *and* for the layer's own weights, with a
given upstream gradient, all returned (so nothing is pruned), on a float32
tensor (default 4096 x 1024).

* TensorFlow (`--backend tensorflow`, the default): inside `tf.function`
  without XLA ("graph", the mode the benchmark runner trains in, because of
  op determinism) and with XLA (`jit_compile=True`).
* JAX (`--backend jax`): `jax.jit` of the layer's `stateless_call` and its
  `jax.vjp`, on whatever device JAX picks (a GPU when there is one).

Candidates are interleaved: every repetition runs each candidate once, in an
order that alternates between repetitions, so drift in machine load hits all
alike. The table gives the min and the median over the repetitions; ratios
are of minima (the least noisy estimate on a shared machine). Each layer is
compared with its Keras equivalent and with Keras `LeakyReLU` on the same
input: an elementwise activation's forward + backward has to read `x`,
write `y`, read the upstream gradient and `x` again and write `dx`, and
LeakyReLU does exactly that in two fused kernels, so it is the memory floor.
Effective bandwidth counts those 5 tensors (bytes read + written by an ideal
fwd+bwd; parameter gradients are negligible) over the time, beside a
device-to-device copy's (`-x`: one read, one write).

Targets (checked and printed per mode):

* graph (TF, no XLA): PReLU <= 1.6x, PELU and SReLU <= 2.5x LeakyReLU;
  every layer <= 1.05x its Keras equivalent (issue #21: SELU <= 1.1x).
* XLA (TF `jit_compile=True`, JAX): layers with a Keras equivalent <= 1.05x
  of it (within noise, as before the hand-written gradients changed); on a
  CPU PELU and SReLU <= 2.5x LeakyReLU (issue #21); on a GPU (JAX):
  >= 0.95x the speed of Keras built-ins and parametric layers <= 1.3x
  LeakyReLU.

On TensorFlow the "graph" rows of PReLU, PELU, SReLU and SELU run
reluplug's fast path (their passes as small XLA functions inside the
graph, ``reluplug._fast``); ``--no-fast-path`` times the ``keras.ops``
reference instead.

Run: ``python benchmarks/perf/layer_speed.py [--backend jax] [--repeats 30]
[--quick] [--rows 4096] [--threads 1] [--no-fast-path]``. About a minute
per mode on 2 cores (``--quick``: 10 repeats). A benchmark, not a test: it
asserts nothing.
"""

import argparse
import os
import platform
import statistics
import sys

LOWER, UPPER = 1.0 / 8.0, 1.0 / 3.0
FLOOR = "keras LeakyReLU"


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", choices=["tensorflow", "jax"], default="tensorflow"
    )
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--cols", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="10 repeats instead of 30"
    )
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="TensorFlow: time the keras.ops reference path of the "
        "parametric layers and SELU, not reluplug's XLA fast path",
    )
    parser.add_argument(
        "--modes",
        default="graph,xla",
        help="TensorFlow only: comma list of 'graph' (tf.function without "
        "XLA) and 'xla' (jit_compile=True). Defaults to 'graph,xla'.",
    )
    parser.add_argument(
        "--layers",
        default="",
        help="comma list of row labels to time (besides Keras LeakyReLU); "
        "defaults to all",
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="what is timed: wall time, or the process's CPU time (steady "
        "on a loaded machine; use it with --threads 1). Defaults to wall.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (0: TensorFlow's default). One "
        "thread is steadier on a shared machine.",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 10
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in args.modes:
        if mode not in ("graph", "xla"):
            parser.error(f"--modes: {mode!r} is not 'graph' or 'xla'")
    if args.backend == "jax":
        args.modes = ["jit"]
    return args


ARGS = _parse(sys.argv[1:] if __name__ == "__main__" else [])
os.environ["KERAS_BACKEND"] = ARGS.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _timing  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from reluplug import layers  # noqa: E402

# label -> (reluplug factory, Keras equivalent label, its factory, parametric)
ROWS = {
    "PReLU (channel)": (
        lambda: layers.PReLU(granularity="channel"),
        "keras PReLU",
        lambda: keras.layers.PReLU(),  # per element = (1024,) on 2-D input
        True,
    ),
    "PELU (channel)": (
        lambda: layers.PELU(granularity="channel"),
        None,
        None,
        True,
    ),
    "SReLU (channel)": (lambda: layers.SReLU(), None, None, True),
    "LeakyReLU": (
        lambda: layers.LeakyReLU(negative_slope=0.01),
        FLOOR,
        None,
        False,
    ),
    "RReLU (inference)": (
        lambda: layers.RReLU(lower=LOWER, upper=UPPER, seed=0),
        "keras LeakyReLU(mean slope)",
        lambda: keras.layers.LeakyReLU(negative_slope=(LOWER + UPPER) / 2),
        False,
    ),
    "ELU": (lambda: layers.ELU(), "keras ELU", keras.layers.ELU, False),
    "CELU": (
        lambda: layers.CELU(),
        'Activation("celu")',
        lambda: keras.layers.Activation("celu"),
        False,
    ),
    "SELU": (
        lambda: layers.SELU(),
        'Activation("selu")',
        lambda: keras.layers.Activation("selu"),
        False,
    ),
    "Swish (shared beta)": (
        lambda: layers.Swish(),
        'Activation("silu")',
        lambda: keras.layers.Activation("silu"),
        True,
    ),
}

# Graph mode (TF without XLA): time as a multiple of Keras LeakyReLU's.
# CPU XLA: time as a multiple of Keras LeakyReLU's (issue #21).
XLA_CPU_FLOOR_TARGETS = {"PELU (channel)": 2.5, "SReLU (channel)": 2.5}
GRAPH_FLOOR_TARGETS = {
    "PReLU (channel)": 1.6,
    "PELU (channel)": 2.5,
    "SReLU (channel)": 2.5,
}
# Learned beta against Keras' fixed-beta SiLU: shown, not a target.
REFERENCE_ONLY = {"Swish (shared beta)"}
WITHIN = 1.05  # fixed-parameter layers / XLA: time <= 1.05x Keras'
GPU_PARAM_FLOOR = 1.3  # GPU: parametric layers <= 1.3x LeakyReLU
GPU_KERAS_SPEED = 0.95  # GPU: >= 0.95x the speed of Keras built-ins


# Steps --------------------------------------------------------------------


def _tf_step(layer, x, upstream, jit):
    import tensorflow as tf

    layer(x[:2])  # build
    variables = list(layer.trainable_variables)

    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=False)
        grads = tape.gradient(y, [x] + variables, output_gradients=upstream)
        return [y] + grads

    def run():
        out = step(x)
        out[0].numpy().flat[0]  # noqa: B018 - make sure it ran
        return out

    return run


def _jax_step(layer, x, upstream):
    import jax

    layer(x[:2])  # build
    trainable = [v.value for v in layer.trainable_variables]
    fixed = [v.value for v in layer.non_trainable_variables]

    def forward(trainable, x):
        return layer.stateless_call(trainable, fixed, x)[0]  # inference

    @jax.jit
    def step(trainable, x, upstream):  # arguments: nothing folds at compile
        y, vjp = jax.vjp(forward, trainable, x)
        d_trainable, dx = vjp(upstream)
        return y, dx, d_trainable

    def run():
        return jax.block_until_ready(step(trainable, x, upstream))

    return run


def _copy_step(x, jit):
    """A device-to-device copy's traffic: one read and one write of x."""
    if ARGS.backend == "jax":
        import jax

        negate = jax.jit(lambda x: -x)
        return lambda: jax.block_until_ready(negate(x))
    import tensorflow as tf

    negate = tf.function(lambda x: -x, jit_compile=jit)
    return lambda: negate(x).numpy().flat[0]


# Timing -------------------------------------------------------------------


def measure(candidates, repeats, warmup):
    """Seconds per call of each candidate (a list each), interleaved."""
    return _timing.interleaved(
        candidates, repeats, _timing.clock(ARGS.clock), warmup
    )


def _check(ratio, limit):
    return f"{'ok' if ratio <= limit else 'MISSED'} (<= {limit})"


def _targets(mode, label, keras_ratio, floor_ratio, on_gpu):
    """[(text, met)] for one row."""
    parametric = ROWS[label][3]
    if label in REFERENCE_ONLY:
        keras_ratio = None
    out = []
    if mode == "graph":
        if label in GRAPH_FLOOR_TARGETS:
            limit = GRAPH_FLOOR_TARGETS[label]
            out.append((f"floor {_check(floor_ratio, limit)}", None))
        if keras_ratio is not None:
            out.append((f"keras {_check(keras_ratio, WITHIN)}", None))
    else:
        if keras_ratio is not None:
            limit = 1 / GPU_KERAS_SPEED if on_gpu else WITHIN
            out.append((f"keras {_check(keras_ratio, round(limit, 3))}", None))
        if not on_gpu and label in XLA_CPU_FLOOR_TARGETS:
            limit = XLA_CPU_FLOOR_TARGETS[label]
            out.append((f"floor {_check(floor_ratio, limit)}", None))
        if on_gpu and parametric:
            check = _check(floor_ratio, GPU_PARAM_FLOOR)
            out.append((f"floor {check}", None))
    return [(text, "MISSED" not in text) for text, _ in out]


def _device():
    if ARGS.backend == "jax":
        import jax

        device = jax.devices()[0]
        return device, device.platform == "gpu"
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return f"{gpus[0].name} (TensorFlow)", True
    return "CPU (TensorFlow)", False


def _header():
    versions = _timing.versions_text(_timing.backend_versions())
    device, _ = _device()
    threads = ARGS.threads or "default"
    now = _timing.utc_now()
    print(
        f"reluplug layer speed, {now} UTC: forward + all gradients on "
        f"({ARGS.rows}, {ARGS.cols}) float32, min and median of "
        f"{ARGS.repeats} interleaved repeats"
    )
    fast = "off (keras.ops reference)" if ARGS.no_fast_path else "on"
    if ARGS.backend != "tensorflow":
        fast = "n/a"
    print(
        f"reluplug TensorFlow fast path: {fast}; machine: "
        f"{platform.node()}, {platform.platform()}"
    )
    print(
        f"{versions}, Python {platform.python_version()}; device {device}; "
        f"{_timing.cpu_name()}, {os.cpu_count()} CPUs, intra-op threads "
        f"{threads}; load average {_timing.load_average()}; clock "
        f"{ARGS.clock}"
    )


def run_mode(mode, x, upstream, labels):
    """Times every row in one mode, prints the table; returns all met."""
    jit = mode != "graph"
    candidates = {}

    def step(layer):
        if ARGS.backend == "jax":
            return _jax_step(layer, x, upstream)
        return _tf_step(layer, x, upstream, jit)

    candidates[FLOOR] = step(keras.layers.LeakyReLU(negative_slope=0.01))
    candidates["copy"] = _copy_step(x, jit)
    for label in labels:
        factory, base_label, base_factory, _ = ROWS[label]
        candidates[label] = step(factory())
        if base_factory is not None:
            candidates[f"{base_label} [{label}]"] = step(base_factory())
    times = measure(candidates, ARGS.repeats, ARGS.warmup)
    best = {name: min(t) for name, t in times.items()}
    _, on_gpu = _device()
    size = ARGS.rows * ARGS.cols * 4
    copy_bw = 2 * size / best["copy"] / 1e9
    title = {
        "graph": "TensorFlow graph (tf.function, no XLA)",
        "xla": "TensorFlow XLA (jit_compile=True)",
        "jit": "JAX (jax.jit)",
    }[mode]
    print(f"\n== {title}")
    print(
        f"{'layer':22} {'min ms':>7} {'med ms':>7} {'GB/s':>6} "
        f"{'keras equivalent':>28} {'min ms':>7} {'x keras':>7} "
        f"{'x leaky':>7}  targets"
    )
    floor = best[FLOOR]
    all_met = True
    rows = [(FLOOR, None)] + [(label, ROWS[label][1]) for label in labels]
    for label, base_label in rows:
        ours = best[label]
        median = statistics.median(times[label])
        bandwidth = 5 * size / ours / 1e9
        keras_ratio = None
        base_text = f"{'':>28} {'':>7} {'':>7}"
        if base_label == FLOOR:
            keras_ratio = ours / floor
            base_text = (
                f"{base_label:>28} {floor * 1e3:7.2f} {keras_ratio:7.2f}"
            )
        elif base_label is not None:
            base = best[f"{base_label} [{label}]"]
            keras_ratio = ours / base
            base_text = f"{base_label:>28} {base * 1e3:7.2f} {keras_ratio:7.2f}"
        results = []
        if label != FLOOR:
            results = _targets(mode, label, keras_ratio, ours / floor, on_gpu)
        all_met &= all(met for _, met in results)
        print(
            f"{label:22} {ours * 1e3:7.2f} {median * 1e3:7.2f} "
            f"{bandwidth:6.1f} {base_text} {ours / floor:7.2f}  "
            + "; ".join(text for text, _ in results)
        )
    print(
        f"{'copy (-x)':22} {best['copy'] * 1e3:7.2f} "
        f"{statistics.median(times['copy']) * 1e3:7.2f} {copy_bw:6.1f}"
        "  (GB/s: 2 tensors moved; layers: 5 tensors, x, y, upstream, x, dx)"
    )
    return all_met


def main():
    if ARGS.no_fast_path:
        from reluplug import _fast

        _fast._state["enabled"] = False
    if ARGS.backend == "tensorflow" and ARGS.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(ARGS.threads)
        tf.config.threading.set_inter_op_parallelism_threads(ARGS.threads)
    labels = list(ROWS)
    if ARGS.layers:
        labels = [label.strip() for label in ARGS.layers.split(",")]
        unknown = [label for label in labels if label not in ROWS]
        if unknown:
            raise SystemExit(
                f"--layers: unknown {unknown}; choose from {list(ROWS)}"
            )
    rng = np.random.default_rng(0)
    shape = (ARGS.rows, ARGS.cols)
    x = keras.ops.convert_to_tensor(rng.normal(size=shape).astype("float32"))
    upstream = keras.ops.convert_to_tensor(
        rng.normal(size=shape).astype("float32")
    )
    _header()
    all_met = True
    for mode in ARGS.modes:
        all_met &= run_mode(mode, x, upstream, labels)
    print("\nall targets met" if all_met else "\nsome targets MISSED")


if __name__ == "__main__":
    main()
