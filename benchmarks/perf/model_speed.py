"""Training-step time of small models per activation layer, against Keras.

What a user feels: the time of one ``train_on_batch`` step (the same
compiled train function as ``model.fit``: forward, loss, every gradient,
Adam update) of

* ``cnn``: Conv2D 32 - MaxPool - Conv2D 64 - MaxPool - Conv2D 64 - Flatten -
  Dense 128 - Dense 10 on 32x32x3 images (the Keras/TensorFlow CIFAR-10
  tutorial model), an activation layer after every Conv2D and the Dense 128;
* ``mlp``: Dense 512 - Dense 512 - Dense 10 on 784 features, an activation
  layer after each hidden Dense (small tensors: per-call overhead shows);

batch 128, random data, one model per activation, on three paths:

* ``tf``: TensorFlow without XLA (``jit_compile=False``; what Keras'
  ``"auto"`` picks on a CPU-only machine);
* ``tf-xla``: TensorFlow with ``jit_compile=True``;
* ``jax``: JAX (``jax.jit``; each path runs in its own process).

Every repeat times ``--steps`` steps of each model, in an order that
alternates between repeats, so load drift hits all alike. Per row: min and
median step time, and the ratio to the Keras LeakyReLU model and to the
model with the Keras equivalent layer, each taken per repeat (same
repeat, neighbouring timings) and summarised as median [min - max] over
repeats. Targets (issue #21): on ``tf`` the CNN with reluplug PReLU
<= 1.10x, PELU and SReLU <= 1.15x the LeakyReLU model; on every path no
layer more than 1.05x the model with its Keras equivalent.

Run (about 5 minutes on an idle 2-core machine, most of it XLA compiling
20 models per XLA path; ``--paths tf --models cnn`` for the headline in
about a minute):
``python3 benchmarks/perf/model_speed.py [--quick] [--paths tf,tf-xla,jax]
[--models cnn,mlp] [--repeats 5] [--steps 2] [--threads 0]
[--clock wall] [--no-fast-path]``.
A benchmark, not a test: it asserts nothing.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import _timing

PATHS = ("tf", "tf-xla", "jax")
MODELS = ("cnn", "mlp")
FLOOR = "keras LeakyReLU"
# label -> (Keras equivalent label or None, parametric)
ROWS = {
    FLOOR: (None, False),
    "LeakyReLU": (FLOOR, False),
    "keras PReLU": (None, True),
    "PReLU": ("keras PReLU", True),
    "PELU": (None, True),
    "SReLU": (None, True),
    "keras SELU": (None, False),
    "SELU": ("keras SELU", False),
    "keras ELU": (None, False),
    "ELU": ("keras ELU", False),
}
FLOOR_TARGETS = {("tf", "cnn"): {"PReLU": 1.10, "PELU": 1.15, "SReLU": 1.15}}
KERAS_WITHIN = 1.05


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument(
        "--rows",
        default="",
        help="comma list of row labels (besides Keras LeakyReLU); "
        f"defaults to all: {list(ROWS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 repeats of 2 steps (the compiles take most of the rest)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (0: its default)",
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time, or the process's CPU time (all threads; steadier "
        "on a loaded machine, best with --threads 1). Defaults to wall.",
    )
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="TensorFlow: run the keras.ops reference path of reluplug's "
        "parametric layers and SELU, not the XLA fast path",
    )
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.steps = 3, 2
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    for path in args.paths:
        if path not in PATHS:
            parser.error(f"--paths: {path!r} is not one of {list(PATHS)}")
    for model in args.models:
        if model not in MODELS:
            parser.error(f"--models: {model!r} is not one of {list(MODELS)}")
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"--rows: unknown {unknown}; choose from {list(ROWS)}")
    args.rows = [FLOOR] + [r for r in (rows or ROWS) if r != FLOOR]
    return args


# Child: one backend, times its paths --------------------------------------


def _activation(label, conv):
    import keras

    from reluplug import layers

    shared = {"shared_axes": [1, 2]} if conv else {}
    return {
        FLOOR: lambda: keras.layers.LeakyReLU(negative_slope=0.01),
        "LeakyReLU": lambda: layers.LeakyReLU(negative_slope=0.01),
        # Keras' PReLU per channel, as reluplug's default granularity.
        "keras PReLU": lambda: keras.layers.PReLU(**shared),
        "PReLU": lambda: layers.PReLU(),
        "PELU": lambda: layers.PELU(),
        "SReLU": lambda: layers.SReLU(),
        "keras SELU": lambda: keras.layers.Activation("selu"),
        "SELU": lambda: layers.SELU(),
        "keras ELU": lambda: keras.layers.ELU(),
        "ELU": lambda: layers.ELU(),
    }[label]()


def _model(kind, label):
    import keras

    if kind == "cnn":
        inputs = keras.Input((32, 32, 3))
        h = inputs
        for i, filters in enumerate((32, 64, 64)):
            h = keras.layers.Conv2D(filters, 3)(h)
            h = _activation(label, conv=True)(h)
            if i < 2:
                h = keras.layers.MaxPooling2D()(h)
        h = keras.layers.Flatten()(h)
        h = _activation(label, conv=False)(keras.layers.Dense(128)(h))
    else:
        inputs = keras.Input((784,))
        h = inputs
        for _ in range(2):
            h = _activation(label, conv=False)(keras.layers.Dense(512)(h))
    outputs = keras.layers.Dense(10)(h)
    return keras.Model(inputs, outputs)


def _child(args):
    path_names = args.child.split(",")
    if args.no_fast_path:
        from reluplug import _fast

        _fast._state["enabled"] = False
    if args.threads and "tf" in path_names[0]:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    data = {
        "cnn": rng.normal(size=(args.batch, 32, 32, 3)).astype("float32"),
        "mlp": rng.normal(size=(args.batch, 784)).astype("float32"),
    }
    labels = rng.integers(0, 10, size=(args.batch,)).astype("int32")
    labels = keras.ops.convert_to_tensor(labels)
    results = {}
    for path in path_names:
        for kind in args.models:
            x = keras.ops.convert_to_tensor(data[kind])
            steps = {}
            for label in args.rows:
                model = _model(kind, label)
                model.compile(
                    optimizer="adam",
                    loss=keras.losses.SparseCategoricalCrossentropy(
                        from_logits=True
                    ),
                    jit_compile=path != "tf",
                )

                def step(model=model, x=x):
                    for _ in range(args.steps):
                        model.train_on_batch(x, labels)

                step()  # compile and warm up
                step()
                steps[label] = step
            times = _timing.interleaved(
                steps, args.repeats, _timing.clock(args.clock)
            )
            results[f"{path}/{kind}"] = {
                label: [t / args.steps for t in seconds]
                for label, seconds in times.items()
            }
    versions = _timing.backend_versions()
    print("RESULTS " + json.dumps({"times": results, "versions": versions}))


# Parent: runs one child per backend, prints the tables --------------------


def _run_child(backend, paths, argv):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, os.path.abspath(__file__), *argv]
    command += ["--child", ",".join(paths)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULTS "):
            return json.loads(line[len("RESULTS ") :])
    raise SystemExit(
        f"{backend} run failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
    )


def _ratios(times, label, base):
    return [t / b for t, b in zip(times[label], times[base])]


def _summary(values):
    return (
        f"{statistics.median(values):5.2f} "
        f"[{min(values):4.2f}-{max(values):4.2f}]"
    )


def _table(path, kind, times):
    print(f"\n== {path} / {kind}: ms per training step")
    print(
        f"{'layer':16} {'min ms':>7} {'med ms':>7}  "
        f"{'x keras LeakyReLU':>19}  {'x keras equivalent':>26}  targets"
    )
    all_met = True
    for label in times:
        keras_label, _ = ROWS[label]
        floor = _ratios(times, label, FLOOR)
        equivalent = ""
        notes = []
        if keras_label is not None and keras_label in times:
            ratios = _ratios(times, label, keras_label)
            equivalent = f"{_summary(ratios)} {keras_label:>12}"
            met = statistics.median(ratios) <= KERAS_WITHIN
            notes.append(
                f"keras {'ok' if met else 'MISSED'} (<= {KERAS_WITHIN})"
            )
            all_met &= met
        limit = FLOOR_TARGETS.get((path, kind), {}).get(label)
        if limit is not None:
            met = statistics.median(floor) <= limit
            notes.append(f"floor {'ok' if met else 'MISSED'} (<= {limit})")
            all_met &= met
        print(
            f"{label:16} {min(times[label]) * 1e3:7.1f} "
            f"{statistics.median(times[label]) * 1e3:7.1f}  "
            f"{_summary(floor):>19}  {equivalent:>26}  " + "; ".join(notes)
        )
    return all_met


def main(argv):
    args = _parse(argv)
    if args.child:
        _child(args)
        return
    child_argv = [
        "--models",
        ",".join(args.models),
        "--repeats",
        str(args.repeats),
        "--steps",
        str(args.steps),
        "--batch",
        str(args.batch),
        "--threads",
        str(args.threads),
        "--clock",
        args.clock,
        *(["--no-fast-path"] if args.no_fast_path else []),
        "--rows",
        ",".join(args.rows),
    ]
    now = _timing.utc_now()
    print(
        f"reluplug model speed, {now} UTC: train_on_batch step, batch "
        f"{args.batch}, {args.repeats} interleaved repeats of {args.steps} "
        f"steps; ratios per repeat: median [min-max]"
    )
    print(
        f"Python {platform.python_version()}; {_timing.cpu_name()}, "
        f"{os.cpu_count()} CPUs; TF intra-op threads "
        f"{args.threads or 'default'}; clock {args.clock}; load average at "
        f"start {_timing.load_average()}; reluplug TF fast path "
        f"{'off' if args.no_fast_path else 'on'}; {platform.node()}"
    )
    started = time.perf_counter()
    all_met = True
    groups = [
        ("tensorflow", [p for p in args.paths if p.startswith("tf")]),
        ("jax", [p for p in args.paths if p == "jax"]),
    ]
    for backend, paths in groups:
        if not paths:
            continue
        result = _run_child(backend, paths, child_argv)
        versions = _timing.versions_text(result["versions"])
        load = _timing.load_average()
        print(f"\n{backend}: {versions}; load average now {load}")
        for key, times in result["times"].items():
            path, kind = key.split("/")
            all_met &= _table(path, kind, times)
    print(
        f"\n{'all targets met' if all_met else 'some targets MISSED'}; "
        f"{time.perf_counter() - started:.0f} s; load average "
        f"{_timing.load_average()}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
