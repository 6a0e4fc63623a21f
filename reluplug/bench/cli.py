"""``reluplug-bench`` (also ``python -m reluplug.bench``).

Commands::

    reluplug-bench list
    reluplug-bench run SUITE --out DIR [--overwrite] [--max-trials N]
        [--task T ...] [--activation A ...] [--seed S ...] [--filter GLOB ...]
        [--executor sequential|processes|ray] [--workers N]
        [--engine fit|population] [--ray-address ADDR] [--cpus N]
        [--gpus N] [--retries N] [--no-report]
    reluplug-bench report DIR
    reluplug-bench evidence --out DIR [--quick] [--executor E] [--workers N]
        [--claim N ...] [--overwrite] [--engine fit|population]
    reluplug-bench plan SUITE [--run DIR] [--effect X] [--power P]

``SUITE`` is a TOML file, or the name of a suite in ``benchmarks/suites``
(``quick``, ``standard``). Exit status: 0 success, 1 a trial failed or the
report could not be written, 2 a usage or suite-file error (nothing
trained), 3 the identical-model check failed.
"""

import argparse
import os
import sys
import time

from reluplug.bench.engine.progress import ProgressReporter
from reluplug.bench.engine.progress import summary_lines

EXIT_OK = 0
EXIT_TRIAL_FAILED = 1
EXIT_CONFIG = 2
EXIT_NOT_IDENTICAL = 3

_REPO_SUITES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    "benchmarks",
    "suites",
)


def resolve_suite(value):
    """A suite path, or a name found in ``benchmarks/suites/``."""
    if os.path.exists(value) or value.endswith(".toml"):
        return value
    for folder in (os.path.join("benchmarks", "suites"), _REPO_SUITES):
        candidate = os.path.join(folder, f"{value}.toml")
        if os.path.exists(candidate):
            return candidate
    return value


def _executor_options(parser, workers_help):
    """``--executor`` and ``--workers``, shared by ``run`` and ``evidence``."""
    parser.add_argument(
        "--executor",
        default="sequential",
        help="sequential (default), processes or ray",
    )
    parser.add_argument("--workers", type=int, default=None, help=workers_help)


def _parser():
    parser = argparse.ArgumentParser(
        prog="reluplug-bench",
        description="Fair activation benchmarks: identical models per "
        "activation, resumable runs, tidy CSV results.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list tasks, activations and suites")

    run = sub.add_parser("run", help="run (or resume) a suite")
    run.add_argument("suite", help="suite TOML file, or a suite name")
    run.add_argument("--out", required=True, help="run folder")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="delete a previous run in --out first (default: resume)",
    )
    run.add_argument(
        "--max-trials", type=int, default=None, help="run at most N trials"
    )
    run.add_argument(
        "--task", action="append", default=[], help="only this task"
    )
    run.add_argument(
        "--activation",
        action="append",
        default=[],
        help="only this activation label",
    )
    run.add_argument(
        "--seed", action="append", type=int, default=[], help="only this seed"
    )
    run.add_argument(
        "--filter",
        action="append",
        default=[],
        help="only trials whose task/activation/seed matches this glob",
    )
    _executor_options(
        run,
        workers_help="trials at once: processes for --executor processes "
        "(default CPU count / --cpus), trials at once on a local Ray instance "
        "(it gets workers x --cpus CPUs), or the most trials in flight on a "
        "Ray cluster (default: no limit)",
    )
    run.add_argument(
        "--engine",
        default="fit",
        help="fit (default: one model.fit per trial) or population (every "
        "seed of a task/activation cell in one vmapped JAX program; runs "
        "JAX worker processes whatever the default backend)",
    )
    run.add_argument(
        "--ray-address",
        default=None,
        help="with --executor ray: join this cluster ('auto', HOST:PORT or "
        "ray://HOST:PORT); unset starts a private local Ray instance",
    )
    run.add_argument(
        "--cpus",
        type=float,
        default=None,
        help="CPUs per trial (default: the suite's [resources] cpus, 1); "
        "each trial process caps its backend to this many threads",
    )
    run.add_argument(
        "--gpus",
        type=float,
        default=None,
        help="GPUs per trial for Ray (default: the suite's [resources] "
        "gpus, 0)",
    )
    run.add_argument(
        "--retries",
        type=int,
        default=1,
        help="runs of a trial after its worker process died (kill -9, out "
        "of memory) before it is recorded as failed (default 1)",
    )
    run.add_argument(
        "--no-report",
        action="store_true",
        help="write the CSV files only, not the report",
    )
    run.add_argument(
        "--until-decided",
        action="store_true",
        help="after the suite's seeds, add seeds in batches only to the "
        "comparisons with the baseline that are still undecided, until "
        "each is better / worse / equivalent or --max-seeds is reached "
        "(group-sequential tests: the error rate holds under this stopping)",
    )
    run.add_argument(
        "--max-seeds",
        type=int,
        default=None,
        help="with --until-decided: most seeds per comparison (default: 4 x "
        "the suite's seeds)",
    )
    run.add_argument(
        "--batch",
        type=int,
        default=None,
        help="with --until-decided: seeds added per look (default: the "
        "suite's number of seeds)",
    )

    report = sub.add_parser("report", help="(re)write the report of a run")
    report.add_argument("run_dir", help="run folder")

    evidence = sub.add_parser(
        "evidence",
        help="measure the classic claims about ReLU (one report, a "
        "computed verdict per claim)",
    )
    evidence.add_argument("--out", required=True, help="output folder")
    evidence.add_argument(
        "--quick",
        action="store_true",
        help="small mode (fewer seeds, epochs and swept values; minutes)",
    )
    _executor_options(evidence, workers_help="processes for --executor")
    evidence.add_argument(
        "--claim",
        action="append",
        type=int,
        default=[],
        help="only measure this claim (1-11); the report covers all",
    )
    evidence.add_argument(
        "--engine",
        default="fit",
        help="fit (default) or population, as for run (the trial-based "
        "claims' suites)",
    )
    evidence.add_argument(
        "--overwrite",
        action="store_true",
        help="start the evidence run folders afresh (default: resume)",
    )
    evidence.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the report from the claims' CSV files",
    )

    plan = sub.add_parser(
        "plan",
        help="seeds each task needs to detect a difference, from a "
        "finished run or a pilot",
    )
    plan.add_argument("suite", help="suite TOML file or name, or a run folder")
    plan.add_argument(
        "--run",
        default=None,
        help="finished run or pilot of the suite (default: SUITE when it "
        "is a run folder)",
    )
    plan.add_argument(
        "--effect",
        type=float,
        default=None,
        help="difference to detect: absolute for accuracy, relative to "
        "the baseline's mean for mse (default: the suite's ROPE)",
    )
    plan.add_argument(
        "--power", type=float, default=0.8, help="wanted power (0.8)"
    )
    return parser


# ------------------------------------------------------------------ output


def write_report(run_dir, console):
    """Writes the report of ``run_dir`` (``reluplug.bench.report``).

    Returns:
        True if the report was written, False if it could not be (the
        reason is printed; the command then exits with status 1).
    """
    t = time.perf_counter()
    try:
        from reluplug.bench.report import write_report as write

        written = write(run_dir)
    except Exception as error:
        console.print(f"Report failed: {type(error).__name__}: {error}")
        return False
    where = written.get("report.html", run_dir)
    console.print(f"Report written ({time.perf_counter() - t:.1f}s): {where}")
    return True


# ---------------------------------------------------------------- commands


USER_TASK_HELP = (
    'model = "my_model.keras"   # a .keras file (activation sites swapped),',
    '                           # or "package.module:build" (build(act) -> '
    "keras.Model)",
    'data = "my_data.npz"       # keys x, y (split by seed) or x_train, '
    "y_train [, x_val, y_val, x_test, y_test],",
    '                           # or "package.module:load" (load() -> (x, y))',
    'problem = "classification" # or "regression"; default: from the labels',
    'name = "package.module:object"  # instead: a Task, or an object with '
    "build(act) and load()",
    "Paths are relative to the suite file; in Python: "
    "reluplug.bench.compare(model, (x, y), [...]).",
)


def _list(console):
    import reluplug
    from reluplug.bench.tasks import registry

    console.print("Tasks:")
    for name in registry.names():
        task = registry.get(name)
        params = ", ".join(f"{k}={p.default!r}" for k, p in task.params.items())
        offline = "" if name in registry.OFFLINE else " [needs download]"
        console.print(f"  {name:<14} {task.description}{offline}")
        console.print(f"  {'':<14} metric {task.metric}; params: {params}")
    console.print("Your own task, in a suite's [[tasks]] table:")
    for line in USER_TASK_HELP:
        console.print(f"  {line}")
    console.print("Activations (reluplug.get names):")
    console.print("  " + ", ".join(reluplug.available()))
    for folder in (os.path.join("benchmarks", "suites"), _REPO_SUITES):
        if os.path.isdir(folder):
            names = sorted(
                f[:-5] for f in os.listdir(folder) if f.endswith(".toml")
            )
            console.print(f"Suites in {folder}: " + ", ".join(names))
            break
    return EXIT_OK


def _run(args, console):
    from reluplug.bench import engine
    from reluplug.bench.engine import executors
    from reluplug.bench.store import RunFolderError
    from reluplug.bench.suite import config

    path = resolve_suite(args.suite)
    try:
        suite = config.load(path)
        selection = engine.Selection(
            tasks=tuple(args.task),
            activations=tuple(args.activation),
            seeds=tuple(args.seed),
            patterns=tuple(args.filter),
            max_trials=args.max_trials,
        )
        try:
            resources = suite.resources.replace(cpus=args.cpus, gpus=args.gpus)
        except ValueError as error:
            raise config.ConfigError(str(error)) from None
        executor = executors.make_executor(
            args.executor,
            args.workers,
            resources=resources,
            retries=args.retries,
            ray_address=args.ray_address,
            engine=args.engine,
        )
        kwargs = {
            "overwrite": args.overwrite,
            "selection": selection,
            "executor": executor,
            "reporter": ProgressReporter(console),
        }
        if args.until_decided:
            summaries, _ = engine.run_until_decided(
                suite,
                args.out,
                max_seeds=args.max_seeds,
                batch=args.batch,
                **kwargs,
            )
            summary = summaries[-1]
        elif args.max_seeds is not None or args.batch is not None:
            raise config.ConfigError(
                "--max-seeds and --batch need --until-decided. Received: "
                f"--max-seeds={args.max_seeds}, --batch={args.batch}"
            )
        else:
            summary = engine.run_suite(suite, args.out, **kwargs)
    except (config.ConfigError, RunFolderError) as error:
        console.print(f"error: {error}", highlight=False)
        return EXIT_CONFIG
    except engine.IdenticalModelError as error:
        console.print(f"error: {error}", highlight=False)
        return EXIT_NOT_IDENTICAL
    for line in summary_lines(summary):
        console.print(line, highlight=False)
    ok = True
    if not args.no_report:
        ok = write_report(args.out, console)
    if summary.n_failed or not ok:
        return EXIT_TRIAL_FAILED
    return EXIT_OK


def _report(args, console):
    from reluplug.bench.store import RunStore

    store = RunStore(args.run_dir)
    if store.read_manifest() is None or not os.path.isdir(store.trials_dir):
        console.print(
            f"error: {args.run_dir!r} is not a run folder (no manifest.json "
            "or trials/); create one with `reluplug-bench run`."
        )
        return EXIT_CONFIG
    n = store.write_tables()
    console.print(f"{n} trials in runs.csv")
    if not write_report(args.run_dir, console):
        return EXIT_TRIAL_FAILED
    return EXIT_OK


def _evidence(args, console):
    from reluplug.bench.evidence import CLAIMS
    from reluplug.bench.store import RunFolderError
    from reluplug.bench.suite import config

    numbers = [m.NUMBER for m in CLAIMS]
    for n in args.claim:
        if n not in numbers:
            console.print(
                f"error: `--claim` must be one of {numbers}. Received: "
                f"--claim={n!r}"
            )
            return EXIT_CONFIG
    t = time.perf_counter()
    if args.report_only:
        from reluplug.bench.evidence.report import write_evidence_report

        try:
            write_evidence_report(args.out)
        except ValueError as error:
            console.print(f"error: {error}")
            return EXIT_CONFIG
        console.print(f"Report written: {args.out}")
        return EXIT_OK
    from reluplug.bench.evidence.runner import run_evidence

    try:
        _, errors = run_evidence(
            args.out,
            quick=args.quick,
            executor=args.executor,
            workers=args.workers,
            overwrite=args.overwrite,
            reporter=ProgressReporter(console),
            log=lambda line: console.print(line, highlight=False),
            claims=tuple(args.claim),
            engine=args.engine,
        )
    except (config.ConfigError, RunFolderError) as error:
        console.print(f"error: {error}", highlight=False)
        return EXIT_CONFIG
    import pandas as pd

    verdicts = pd.read_csv(os.path.join(args.out, "verdicts.csv"))
    for row in verdicts.itertuples():
        console.print(f"claim {row.claim} {row.title:<28} {row.verdict}")
    console.print(
        f"Evidence report written in {time.perf_counter() - t:.0f}s: "
        f"{os.path.join(args.out, 'report.html')}"
    )
    return EXIT_TRIAL_FAILED if errors else EXIT_OK


def _plan(args, console):
    from reluplug.bench.report import frames
    from reluplug.bench.report import stats
    from reluplug.bench.suite import config

    run_dir = args.run
    if run_dir is None and os.path.isdir(args.suite):
        run_dir = args.suite
    try:
        if args.effect is not None and not args.effect > 0:
            raise config.ConfigError(
                f"--effect must be a number > 0. Received: {args.effect}"
            )
        if not 0 < args.power < 1:
            raise config.ConfigError(
                f"--power must be in (0, 1). Received: {args.power}"
            )
        if run_dir is None:
            raise config.ConfigError(
                f"{args.suite}: plan needs a finished run or a pilot to "
                "measure the spread of the paired differences; run one "
                f"(e.g. `reluplug-bench run {args.suite} --out runs/pilot "
                "--seed 0 --seed 1 --seed 2`) and pass --run runs/pilot"
            )
        if not os.path.isdir(os.path.join(run_dir, "trials")):
            raise config.ConfigError(
                f"--run must be a run folder (with trials/). Received: "
                f"{run_dir!r}"
            )
        if os.path.isdir(args.suite):
            path = os.path.join(args.suite, "suite.toml")
        else:
            path = resolve_suite(args.suite)
        table = config.read(path)
        seeds = table.get("seeds")
        options = config.report_options(table.get("report", {}), path)
    except config.ConfigError as error:
        console.print(f"error: {error}", highlight=False)
        return EXIT_CONFIG
    data = frames.load_run(run_dir)
    summary = stats.summarize(
        data.runs,
        data.history,
        conflicts=data.init_conflicts,
        rope=options.rope,
    )
    n_seeds = len(seeds) if isinstance(seeds, list) else None
    table = stats.plan(
        summary, effect=args.effect, n_seeds=n_seeds, power=args.power
    )
    if not len(table):
        console.print(f"error: no trial in {run_dir!r} to plan from.")
        return EXIT_CONFIG
    console.print(
        f"Seeds needed for {args.power:.0%} power (paired t-test, two-sided "
        f"alpha 0.05, before Holm), from the spread in {run_dir}:"
    )
    console.print(
        f"{'task':<16} {'metric':<9} {'pilot':>5} {'sd(diff)':>9} "
        f"{'effect':>8} {'seeds':>10}   detectable with {n_seeds or '-'}"
    )
    for _, r in table.iterrows():
        need = r["seeds_needed"]
        need = "out of reach" if need is None or need != need else str(need)
        note = " (re-split: Nadeau-Bengio)" if r["resplit"] else ""
        console.print(
            f"{r['task']:<16} {r['metric']:<9} {r['pilot_seeds']:>5} "
            f"{r['sd_diff']:>9.3g} {r['effect']:>8.3g} {need:>10}   "
            f"{r['mde']:.3g}{note}"
        )
    return EXIT_OK


def main(argv=None):
    """Entry point of ``reluplug-bench``; returns the exit status."""
    from rich.console import Console

    args = _parser().parse_args(argv)
    console = Console(highlight=False, markup=False, soft_wrap=True)
    if args.command == "list":
        return _list(console)
    if args.command == "run":
        return _run(args, console)
    if args.command == "evidence":
        return _evidence(args, console)
    if args.command == "plan":
        return _plan(args, console)
    return _report(args, console)


if __name__ == "__main__":
    sys.exit(main())
