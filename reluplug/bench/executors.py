"""Where trials run (sequential, local processes, Ray) and ``run_suite``.

An executor maps trial specs to records: ``executor.map(specs)`` yields
``(spec, record)`` pairs as trials finish. The main process alone writes the
run folder, one atomic file per finished trial, so a run killed at any
moment can be resumed: trials whose file says ``completed`` or ``diverged``
are skipped, ``failed`` ones are run again.
"""

import concurrent.futures
import dataclasses
import fnmatch
import json
import multiprocessing
import os
import time

from reluplug.bench.config import ConfigError
from reluplug.bench.store import RunStore
from reluplug.bench.trial import base_record
from reluplug.bench.trial import error_info
from reluplug.bench.trial import run_trial
from reluplug.bench.trial import run_trial_dict

EXECUTORS = ("sequential", "processes", "ray")
DONE = ("completed", "diverged")


class IdenticalModelError(RuntimeError):
    """Two activations of one (task, seed) started from different weights."""


class SequentialExecutor:
    """Runs trials one after the other in this process."""

    name = "sequential"

    def map(self, specs):
        """Yields ``(spec, record)`` in order."""
        for spec in specs:
            yield spec, run_trial(spec)

    def close(self):
        """Nothing to release."""


class ProcessExecutor:
    """Runs trials in a pool of fresh ("spawn") local processes.

    Each worker loads a task's data once and keeps it for later trials.

    Args:
        workers: number of processes; defaults to ``os.cpu_count()``.
    """

    name = "processes"

    def __init__(self, workers=None):
        self.workers = workers or os.cpu_count() or 1
        self._pool = None

    def map(self, specs):
        """Yields ``(spec, record)`` as trials finish."""
        context = multiprocessing.get_context("spawn")
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context
        )
        futures = {
            self._pool.submit(run_trial_dict, spec.to_dict()): spec
            for spec in specs
        }
        for future in concurrent.futures.as_completed(futures):
            spec = futures[future]
            try:
                record = future.result()
            except Exception as error:  # a worker died
                record = base_record(spec)
                record["error"] = error_info(error)
            yield spec, record

    def close(self):
        """Shuts the pool down (cancelling trials not started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayExecutor:
    """Runs trials as Ray tasks on a local Ray instance.

    Args:
        workers: CPUs given to ``ray.init`` (one trial per CPU); defaults to
            ``os.cpu_count()``.
    """

    name = "ray"

    def __init__(self, workers=None):
        self.workers = workers or os.cpu_count() or 1
        self._started = False

    def map(self, specs):
        """Yields ``(spec, record)`` as trials finish."""
        try:
            import ray
        except ImportError as error:
            raise ConfigError(
                "--executor ray needs the `ray` package (pip install "
                "'reluplug[ray]'). Received: --executor=ray"
            ) from error
        if not ray.is_initialized():
            ray.init(
                num_cpus=self.workers,
                include_dashboard=False,
                log_to_driver=False,
            )
            self._started = True
        remote = ray.remote(num_cpus=1)(run_trial_dict)
        pending = {remote.remote(spec.to_dict()): spec for spec in specs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                spec = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except Exception as error:
                    record = base_record(spec)
                    record["error"] = error_info(error)
                yield spec, record

    def close(self):
        """Shuts Ray down if this executor started it."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def make_executor(name, workers=None):
    """An executor by name: ``sequential``, ``processes`` or ``ray``."""
    if name == "sequential":
        return SequentialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(workers)
    raise ConfigError(
        f"The value for `--executor` must be one of {list(EXECUTORS)}, but "
        f"{name!r} was passed."
    )


# -------------------------------------------------------------- selection


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which trials of a suite to run now (all by default).

    Attributes:
        tasks: task names or labels (``deep_mlp[depth=5]``) to keep
            (empty = all).
        activations: activation labels to keep (empty = all).
        seeds: seeds to keep (empty = all).
        patterns: ``fnmatch`` patterns on ``task/activation/seed``; a trial
            is kept if it matches any (empty = all).
        max_trials: run at most this many pending trials (None = all).
    """

    tasks: tuple = ()
    activations: tuple = ()
    seeds: tuple = ()
    patterns: tuple = ()
    max_trials: int | None = None

    def validate(self, suite):
        """Raises ``ConfigError`` for a name the suite does not have."""
        import difflib

        names = list(
            dict.fromkeys(
                [t.name for t in suite.tasks] + [t.label for t in suite.tasks]
            )
        )
        labels = [a.label for a in suite.activations]
        for option, values, allowed in (
            ("--task", self.tasks, names),
            ("--activation", self.activations, labels),
            ("--seed", self.seeds, list(suite.seeds)),
        ):
            for value in values:
                if value not in allowed:
                    close = difflib.get_close_matches(
                        str(value), [str(a) for a in allowed], n=1
                    )
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise ConfigError(
                        f"{suite.path or suite.name}: `{option}` must be one "
                        f"of the suite's {allowed}{hint} Received: "
                        f"{option}={value!r}"
                    )
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError(
                "`--max-trials` must be an integer >= 1. Received: "
                f"--max-trials={self.max_trials!r}"
            )

    def keep(self, spec):
        """True if ``spec`` passes the task/activation/seed/pattern filters."""
        if self.tasks and not {spec.task, spec.label} & set(self.tasks):
            return False
        if self.activations and spec.activation not in self.activations:
            return False
        if self.seeds and spec.seed not in self.seeds:
            return False
        if self.patterns:
            return any(fnmatch.fnmatch(spec.title, p) for p in self.patterns)
        return True


# -------------------------------------------------------------------- run


@dataclasses.dataclass
class RunSummary:
    """What ``run_suite`` did."""

    run_dir: str
    n_expected: int
    n_skipped: int
    n_run: int
    counts: dict
    elapsed_s: float
    trial_wall_s: float
    fit_s: float
    write_s: float
    timings: dict
    n_rows: int

    @property
    def overhead_fraction(self):
        """Share of trial time spent outside ``model.fit`` (incl. writing)."""
        total = self.trial_wall_s + self.write_s
        if total <= 0:
            return 0.0
        return (total - self.fit_s) / total

    @property
    def n_failed(self):
        """Trials that failed in this run."""
        return self.counts.get("failed", 0)


def check_identical(groups, record):
    """Records ``record``'s ``init_sha256`` and checks it against its group.

    Args:
        groups: dict ``(task, task_params, seed) -> (label, sha)`` updated in
            place.
        record: a trial record.

    Raises:
        IdenticalModelError: another activation of the same (task, seed)
            started from different weights.
    """
    sha = record.get("init_sha256")
    if not sha:
        return
    params = json.dumps(record["task_params"], sort_keys=True)
    key = (record["task"], params, record["seed"])
    if key not in groups:
        groups[key] = (record["activation"], sha)
        return
    label, other = groups[key]
    if other != sha:
        raise IdenticalModelError(
            f"Identical-model check failed for task {record['task']!r} "
            f"seed {record['seed']}: activation {record['activation']!r} "
            f"started from init_sha256 {sha[:16]}..., but {label!r} "
            f"from {other[:16]}.... "
            "The layers that are not activations must get the same weights "
            "for every activation (does an activation change the shape of "
            "its output?)."
        )


def run_suite(
    suite,
    out,
    *,
    overwrite=False,
    selection=None,
    executor="sequential",
    workers=None,
    reporter=None,
):
    """Runs (or resumes) ``suite`` into the folder ``out``.

    Args:
        suite: a ``config.Suite``.
        out: run folder; resumed if it holds a run of the same suite.
        overwrite: delete a previous run folder first.
        selection: a ``Selection`` (all trials by default).
        executor: ``"sequential"``, ``"processes"``, ``"ray"`` or an
            executor object.
        workers: processes/CPUs for the parallel executors.
        reporter: object with ``start(n_total, n_pending)``,
            ``trial(spec, record)`` and ``stop()`` (progress display), or
            None.

    Returns:
        A ``RunSummary``.

    Raises:
        ConfigError: bad selection or executor (before any training).
        RunFolderError: ``out`` holds something else.
        IdenticalModelError: see ``check_identical``; the trial is written
            before this is raised.
    """
    selection = selection or Selection()
    selection.validate(suite)
    if isinstance(executor, str):
        executor = make_executor(executor, workers)
    t_run = time.perf_counter()
    specs = suite.expand()
    ids = [s.trial_id for s in specs]
    store = RunStore(out)
    previous = store.prepare(suite, overwrite=overwrite)
    store.write_suite(suite)
    store.write_manifest(suite, ids, previous)

    groups = {}
    done = set()
    for record in store.records(ids):
        check_identical(groups, record)
        if record["status"] in DONE:
            done.add(record["trial_id"])
    pending = [s for s in specs if selection.keep(s) and s.trial_id not in done]
    n_skipped = sum(1 for s in specs if selection.keep(s)) - len(pending)
    if selection.max_trials is not None:
        pending = pending[: selection.max_trials]

    counts = {}
    totals = {"wall": 0.0, "fit": 0.0, "write": 0.0}
    timings = {}
    if reporter is not None:
        reporter.start(len(specs), len(pending), n_skipped)
    try:
        for spec, record in executor.map(pending):
            t = time.perf_counter()
            store.write_trial(record)
            totals["write"] += time.perf_counter() - t
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            totals["wall"] += record.get("wall_time_s") or 0.0
            totals["fit"] += record.get("fit_time_s") or 0.0
            for key, value in (record.get("timings") or {}).items():
                timings[key] = timings.get(key, 0.0) + value
            if reporter is not None:
                reporter.trial(spec, record)
            check_identical(groups, record)
    finally:
        executor.close()
        if reporter is not None:
            reporter.stop()
        store.write_manifest(suite, ids, store.read_manifest())
        n_rows = store.write_tables(ids)
    timings["write_s"] = totals["write"]
    return RunSummary(
        run_dir=store.path,
        n_expected=len(specs),
        n_skipped=n_skipped,
        n_run=sum(counts.values()),
        counts=counts,
        elapsed_s=time.perf_counter() - t_run,
        trial_wall_s=totals["wall"],
        fit_s=totals["fit"],
        write_s=totals["write"],
        timings=timings,
        n_rows=n_rows,
    )
