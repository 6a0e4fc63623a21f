"""How the benchmark runner scales: sequential vs 2 processes vs Ray (2 CPUs).

One fixed suite of 12 small trials (``digits_mlp``, 6 activations x 2
seeds) runs three times in one go, each into a fresh run folder:
``--executor sequential`` (in this process, backend threads as they are),
``--executor processes`` with 2 workers, and ``--executor ray`` on a private
local Ray instance with 2 CPUs (one CPU, i.e. one backend thread, per trial
in both parallel executors). Prints, per executor, the elapsed time,
trials per minute, the speed-up over sequential, and the per-trial overhead:
worker-seconds per trial not spent inside the trial itself,
``elapsed * workers / trials - mean trial wall time`` (start-up of the
worker processes, or of Ray, included). The Ray executor's overhead against
the local one is the difference of the two parallel executors'; Ray's own
start-up (``ray.init``) is printed separately. Also checks that the three
``runs.csv`` agree (timings and worker ids aside). The machine's load
(``uptime``) is printed before and after: on a shared machine the numbers
move with it.

    python benchmarks/perf/runner_scaling.py [--epochs 30] [--keep DIR]

Takes about 3-4 minutes on an idle 2-core machine.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import pandas as pd

from reluplug.bench import run_suite
from reluplug.bench.engine import executors
from reluplug.bench.suite import config

ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "prelu", "tanh")
SUITE = """\
version = 1
name = "runner-scaling"
seeds = [0, 1]
baseline = "relu"

[training]
epochs = {epochs}
batch_size = 32

[resources]
cpus = 1

[[tasks]]
name = "digits_mlp"
"""
TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")


def _suite_text(epochs):
    text = SUITE.format(epochs=epochs)
    for name in ACTIVATIONS:
        text += f'\n[[activations]]\nname = "{name}"\n'
    return text


def _uptime():
    try:
        out = subprocess.run(["uptime"], capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def _run(suite, folder, name, workers):
    executor = executors.make_executor(name, workers, resources=suite.resources)
    start = time.perf_counter()
    summary = run_suite(suite, folder, executor=executor)
    elapsed = time.perf_counter() - start
    runs = pd.read_csv(os.path.join(folder, "runs.csv"))
    n = len(runs)
    if summary.counts != {"completed": n}:
        sys.exit(f"{name}: not every trial completed: {summary.counts}")
    return {
        "executor": name,
        "workers": workers or 1,
        "trials": n,
        "elapsed_s": elapsed,
        "startup_s": getattr(executor, "startup_s", 0.0),
        "trial_wall_s": runs["wall_time_s"].mean(),
        "runs": runs.drop(columns=list(TIMING)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--keep", help="keep the run folders in this folder")
    args = parser.parse_args(argv)

    import keras  # noqa: F401  (imported before timing: sequential is not
    # charged for it, the workers' own imports are part of their overhead)

    root = args.keep or tempfile.mkdtemp(prefix="runner-scaling-")
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, "suite.toml")
    with open(path, "w") as f:
        f.write(_suite_text(args.epochs))
    suite = config.load(path)
    n = len(suite.expand())
    print(
        f"runner scaling: {n} trials (digits_mlp x {len(ACTIVATIONS)} "
        f"activations x 2 seeds, {args.epochs} epochs), "
        f"{os.cpu_count()} CPUs"
    )
    print(f"load before: {_uptime()}")
    results = []
    try:
        for name, workers in (
            ("sequential", None),
            ("processes", 2),
            ("ray", 2),
        ):
            folder = os.path.join(root, name)
            shutil.rmtree(folder, ignore_errors=True)
            results.append(_run(suite, folder, name, workers))
            r = results[-1]
            print(f"  {name}: {r['elapsed_s']:.1f}s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load after:  {_uptime()}")

    base = results[0]["elapsed_s"]
    print()
    print(
        f"{'executor':<11} {'workers':>7} {'elapsed_s':>9} "
        f"{'trials/min':>10} {'speed-up':>8} {'trial_wall_s':>12} "
        f"{'overhead_s/trial':>16}"
    )
    for r in results:
        r["overhead"] = (
            r["elapsed_s"] * r["workers"] / r["trials"] - r["trial_wall_s"]
        )
        print(
            f"{r['executor']:<11} {r['workers']:>7} {r['elapsed_s']:>9.1f} "
            f"{60 * r['trials'] / r['elapsed_s']:>10.2f} "
            f"{base / r['elapsed_s']:>7.2f}x {r['trial_wall_s']:>12.2f} "
            f"{r['overhead']:>16.2f}"
        )
    local, ray = results[1], results[2]
    print()
    print(
        textwrap.fill(
            "Ray per-trial overhead against the local processes executor: "
            f"{ray['overhead'] - local['overhead']:+.2f} worker-s per trial "
            f"({ray['elapsed_s'] - local['elapsed_s']:+.1f}s elapsed for "
            f"{n} trials; Ray start-up (ray.init) {ray['startup_s']:.1f}s "
            "of it).",
            80,
        )
    )
    same = all(r["runs"].equals(results[0]["runs"]) for r in results[1:])
    print(
        "runs.csv identical across executors (timings aside): "
        + ("yes" if same else "NO")
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
