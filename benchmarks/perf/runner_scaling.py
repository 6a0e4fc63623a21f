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

Engines (``--engines``, issue #18): the population engine (every seed of a
task/activation cell in one vmapped JAX program) against the fit engine
(one ``model.fit`` per trial), both on 2 worker processes, on the standard
suite (``benchmarks/suites/standard.toml``: its tasks, recipe, init and
monitors; without its ``[tuning]``, every trial at the suite's learning
rate)::

    python benchmarks/perf/runner_scaling.py --engines [--quick] [--keep DIR]
        [--parts speed,sizes,equivalence] [--seeds 10,50]

prints (1) trials per hour of both engines on the standard suite at 10 and
at 50 seeds and on digits_mlp alone at 50 seeds, with the ratios; (2) the
time per trial and the compile time of one digits_mlp cell as the
population grows (1, 4, 16, 64 members); (3) the statistical equivalence
of the engines: 30 seeds of relu and prelu on digits_mlp under both,
paired by seed, TOST within +-0.005 test accuracy. The fit engine's rate is
measured on a sample (one seed of each task/activation) and extrapolated
as trials per hour; trials per hour are given two ways, from the elapsed
time (worker start-up included) and from worker-seconds per trial (the
records' ``wall_time_s``; building, compiling and evaluating included).
``--quick`` (about 8-10 minutes on an idle 2-core machine) uses 4 of the
suite's 12 activations (relu, prelu, srelu, tanh); without it, all 12
(about three times longer).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
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


# ------------------------------------------------------------ engines

STANDARD = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "suites",
    "standard.toml",
)
QUICK_ACTIVATIONS = ("relu", "prelu", "srelu", "tanh")
SIZES = (1, 4, 16, 64)
PARTS = ("speed", "sizes", "equivalence")
ROPE = 0.005


def _standard(seeds, activations=None, tasks=None):
    """The standard suite with other seeds, activations and tasks, and
    without its ``[tuning]`` (every trial at the ``[training]`` learning
    rate: the engines are compared on the same trials)."""
    import tomllib

    with open(STANDARD, "rb") as f:
        data = tomllib.load(f)
    data["seeds"] = list(seeds)
    data.pop("tuning", None)
    if activations:
        data["activations"] = [
            a for a in data["activations"] if a["name"] in activations
        ]
    if tasks:
        data["tasks"] = [t for t in data["tasks"] if t["name"] in tasks]
    data["name"] = "runner-scaling-engines"
    return config.from_mapping(data, source="runner_scaling")


def _engine_run(suite, folder, engine):
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    summary = run_suite(
        suite, folder, executor="processes", workers=2, engine=engine
    )
    elapsed = time.perf_counter() - start
    runs = pd.read_csv(os.path.join(folder, "runs.csv"))
    bad = {k: v for k, v in summary.counts.items() if k != "completed"}
    if bad:
        print(f"  note: {engine}: {bad} (of {len(runs)})")
    return {"elapsed_s": elapsed, "runs": runs, "trials": len(runs)}


def _rates(result, task=None):
    """``(trials/hour from elapsed, trials/hour from worker-seconds)`` on
    2 workers; only the second for one task of a run."""
    runs = result["runs"]
    if task is not None:
        runs = runs[runs["task"] == task]
    steady = 2 * 3600 / runs["wall_time_s"].mean()
    if task is not None:
        return None, steady
    return result["trials"] * 3600 / result["elapsed_s"], steady


def _population_sizes(epochs_override=None):
    """In a JAX process: one digits_mlp relu cell per population size."""
    from reluplug.bench.engine.population import run_cell

    out = []
    _standard([0], ("relu",), ("digits_mlp",))  # imports before timing
    for k in (1, *SIZES):  # a first cell of 1 pays one-time costs
        suite = _standard(range(k), ("relu",), ("digits_mlp",))
        start = time.perf_counter()
        records = run_cell(suite.expand())
        wall = time.perf_counter() - start
        out.append(
            {
                "members": k,
                "s_per_trial": wall / k,
                "compile_s": records[0]["population"]["compile_s"],
                "status": sorted({r["status"] for r in records}),
            }
        )
    return out[1:]


def _tost(a, b):
    """Paired TOST of ``a - b`` within +-ROPE: ``(mean diff, p)``.

    Two one-sided paired t-tests (Schuirmann 1987), statsmodels'
    ``ttost_paired``; equivalent when p < 0.05.
    """
    from statsmodels.stats.weightstats import ttost_paired

    p, _, _ = ttost_paired(np.asarray(a), np.asarray(b), -ROPE, ROPE)
    return float(np.mean(np.asarray(a) - np.asarray(b))), float(p)


def engines_main(args):
    root = args.keep or tempfile.mkdtemp(prefix="runner-engines-")
    os.makedirs(root, exist_ok=True)
    acts = QUICK_ACTIVATIONS if args.quick else None
    n_acts = len(acts) if acts else 12
    print(
        f"engines: population vs fit, 2 worker processes, standard suite "
        f"({n_acts} activations x 6 tasks), {os.cpu_count()} CPUs"
    )
    print(f"load before: {_uptime()}", flush=True)
    t0 = time.perf_counter()
    parts = set(args.parts.split(","))
    unknown = parts - set(PARTS)
    if unknown:
        raise SystemExit(
            f"--parts: unknown {sorted(unknown)}; allowed: {', '.join(PARTS)}"
        )
    seed_counts = [int(n) for n in args.seeds.split(",")]
    fit, pop, sizes, eq = None, {}, None, {}
    try:
        if "speed" in parts:
            fit = _engine_run(_standard([0], acts), f"{root}/fit-sample", "fit")
            print(
                f"  fit sample: {fit['trials']} trials in "
                f"{fit['elapsed_s']:.0f}s",
                flush=True,
            )
            for seeds in seed_counts:
                suite = _standard(range(seeds), acts)
                pop[seeds] = _engine_run(
                    suite, f"{root}/population-{seeds}", "population"
                )
                print(
                    f"  population, {seeds} seeds: {pop[seeds]['trials']} "
                    f"trials in {pop[seeds]['elapsed_s']:.0f}s",
                    flush=True,
                )
        if "sizes" in parts:
            env = dict(
                os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3"
            )
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--_sizes"],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            sizes = json.loads(out.stdout.strip().splitlines()[-1])
            print("  population sizes: done", flush=True)
        if "equivalence" in parts:
            for engine in ("fit", "population"):
                suite = _standard(range(30), ("relu", "prelu"), ("digits_mlp",))
                eq[engine] = _engine_run(suite, f"{root}/eq-{engine}", engine)
                print(f"  equivalence, {engine}: done", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"load after:  {_uptime()}")
    print(f"total: {time.perf_counter() - t0:.0f}s")
    if fit is not None:
        _print_speed(fit, pop)
    if sizes is not None:
        _print_sizes(sizes)
    return 0 if not eq or _print_equivalence(eq) else 1


def _print_speed(fit, pop):
    print()
    print("Trials per hour on 2 processes (elapsed | from worker-s/trial):")
    fit_e, fit_s = _rates(fit)
    print(
        f"  {'fit engine (sample, 1 seed)':<34} {fit_e:>8.0f} | {fit_s:>8.0f}"
        "   (extrapolated from the sample)"
    )
    for seeds, result in pop.items():
        e, st = _rates(result)
        print(
            f"  {f'population, standard, {seeds} seeds':<34} {e:>8.0f} | "
            f"{st:>8.0f}   x{e / fit_e:.1f} | x{st / fit_s:.1f}"
        )
    _, fit_d = _rates(fit, "digits_mlp")
    print(f"  {'fit engine, digits_mlp':<34} {'':>8}   {fit_d:>8.0f}")
    for seeds, result in pop.items():
        _, pop_d = _rates(result, "digits_mlp")
        label = f"population, digits_mlp, {seeds} seeds"
        print(f"  {label:<34} {'':>8}   {pop_d:>8.0f}   x{pop_d / fit_d:.1f}")
    print()
    print("Seconds per trial by task (worker-s/trial):")
    tasks = sorted(fit["runs"]["task"].unique())
    for task in tasks:
        row = f"  {task:<14} fit {_per_trial(fit, task):6.2f}"
        for seeds, result in pop.items():
            row += f" | population {seeds}: {_per_trial(result, task):6.2f}"
        print(row)


def _per_trial(result, task):
    runs = result["runs"]
    return float(runs.loc[runs["task"] == task, "wall_time_s"].mean())


def _print_sizes(sizes):
    print()
    print("One digits_mlp relu cell (standard recipe) by population size:")
    print(f"  {'members':>7} {'s/trial':>8} {'compile_s':>9}")
    for row in sizes:
        print(
            f"  {row['members']:>7} {row['s_per_trial']:>8.3f} "
            f"{row['compile_s']:>9.2f}  {','.join(row['status'])}"
        )


def _print_equivalence(eq):
    print()
    print(
        f"Equivalence, digits_mlp, 30 seeds, test accuracy, population - "
        f"fit paired by seed, TOST +-{ROPE}:"
    )
    ok = True
    tables = {
        k: v["runs"].set_index(["activation", "seed"])["test_metric"]
        for k, v in eq.items()
    }
    for act in ("relu", "prelu"):
        a, b = tables["population"][act], tables["fit"][act]
        diff, p = _tost(a, b[a.index])
        verdict = "equivalent" if p < 0.05 else "NOT shown equivalent"
        ok = ok and p < 0.05
        print(f"  {act:<6} mean diff {diff:+.4f}  p={p:.4f}  {verdict}")
    for engine, table in tables.items():
        d = table["prelu"] - table["relu"]
        print(
            f"  prelu - relu under {engine:<10}: {d.mean():+.4f} "
            f"(sd {d.std():.4f})"
        )
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--keep", help="keep the run folders in this folder")
    parser.add_argument(
        "--engines",
        action="store_true",
        help="population vs fit engine (issue #18) instead of executors",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="with --engines: 4 of the 12 activations (about 10 minutes)",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="with --engines: which measurements, comma-separated "
        f"(default: {','.join(PARTS)})",
    )
    parser.add_argument(
        "--seeds",
        default="10,50",
        help="with --engines: seeds per cell of the population runs of the "
        "standard suite (default: 10,50)",
    )
    parser.add_argument("--_sizes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._sizes:
        print(json.dumps(_population_sizes()))
        return 0
    if args.engines:
        return engines_main(args)

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
