"""``run_suite``: a suite in, a run folder out (select, resume, summary).

The engine's entry point, shared by both faces (``reluplug-bench run`` and
``reluplug.bench.compare``). It expands the suite into trial specs, skips
the finished ones found in the run folder, hands the rest to an executor
(``engine.executors``) and writes each record as it comes back.

A suite with ``[tuning]`` runs in two phases through the same executor:
its tuning trials first (``Suite.expand_tuning``), then, with the learning
rate chosen per (task, activation) from their validation metrics
(``suite.tuning.decide``, written to ``tuning.csv``), its evaluation
trials. A pair whose tuning trials have not all finished (a failed trial,
``max_trials``) keeps its evaluation trials for a later run.
"""

import csv
import dataclasses
import fnmatch
import io
import os
import time

from reluplug._validation import did_you_mean
from reluplug.bench.engine.environment import environment
from reluplug.bench.engine.executors import make_executor
from reluplug.bench.store import RunStore
from reluplug.bench.store import atomic_write
from reluplug.bench.suite import schema
from reluplug.bench.suite import tuning
from reluplug.bench.suite.config import ConfigError

DONE = schema.DONE


class IdenticalModelError(RuntimeError):
    """Two activations of one (task, seed) started from different weights."""


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
        names = list(
            dict.fromkeys(
                [t.name for t in suite.tasks] + [t.label for t in suite.tasks]
            )
        )
        labels = [a.label for a in suite.activations]
        for option, values, allowed in (
            ("tasks", self.tasks, names),
            ("activations", self.activations, labels),
            ("seeds", self.seeds, list(suite.seeds)),
        ):
            for value in values:
                if value not in allowed:
                    hint = did_you_mean(value, allowed)
                    raise ConfigError(
                        f"{suite.path or suite.name}: `{option}` must be one "
                        f"of the suite's {allowed}{hint} Received: "
                        f"{option}={value!r}"
                    )
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError(
                "`max_trials` must be an integer >= 1. Received: "
                f"max_trials={self.max_trials!r}"
            )

    def keep(self, spec):
        """True if ``spec`` passes the task/activation/seed/pattern filters."""
        if self.tasks and not {spec.task_name, spec.task} & set(self.tasks):
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
    resumed: bool = False
    n_kept: int = 0
    n_added: int = 0
    n_left_out: int = 0
    n_tuning: int = 0
    n_untuned: int = 0

    @property
    def overhead_fraction(self):
        """Share of trial time spent outside ``model.fit`` (incl. writing)."""
        total = self.trial_wall_s + self.write_s
        if total <= 0:
            return 0.0
        return (total - self.fit_s) / total

    @property
    def resume_line(self):
        """What a resume kept, added and left out (None for a new folder).

        ``kept``: finished trials of the folder the suite still lists;
        ``added``: trials of the suite the folder had no file for;
        ``left out``: trial files of the folder the suite no longer lists
        (they stay in ``trials/``, out of every table).
        """
        if not self.resumed:
            return None
        line = (
            f"Resumed {self.run_dir}: kept {self.n_kept} finished trials, "
            f"{self.n_added} added by the suite"
        )
        if self.n_left_out:
            line += (
                f", {self.n_left_out} left out (no longer in the suite; "
                "their files stay in trials/, out of the tables)"
            )
        return line + "."

    @property
    def n_failed(self):
        """Trials that failed in this run."""
        return self.counts.get(schema.FAILED, 0)


def check_identical(groups, record):
    """Records ``record``'s ``init_sha256`` and checks it against its group.

    Args:
        groups: dict ``schema.group_key -> (label, sha)`` updated in place.
        record: a trial record.

    Raises:
        IdenticalModelError: another activation of the same group (task
            label, seed) started from different weights.
    """
    sha = record.get("init_sha256")
    if not sha:
        return
    key = schema.group_key(record)
    if key not in groups:
        groups[key] = (record["activation"], sha)
        return
    label, other = groups[key]
    if other != sha:
        raise IdenticalModelError(
            f"Identical-model check failed for task "
            f"{schema.task_label(record)!r} "
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
    resources=None,
    retries=1,
    ray_address=None,
    reporter=None,
    engine="fit",
):
    """Runs (or resumes) ``suite`` into the folder ``out``.

    A folder holding an earlier run is resumed, even of an edited suite:
    trials are matched by id (``TrialSpec.identity``: what they train), so
    every finished trial the suite still lists is kept (relabelled if the
    suite renamed it), only the others run, and trial files the suite no
    longer lists stay on disk, left out of the tables.

    Args:
        suite: a ``config.Suite``.
        out: run folder; resumed if it holds a run.
        overwrite: delete a previous run folder first.
        selection: a ``Selection`` (all trials by default).
        executor: ``"sequential"``, ``"processes"``, ``"ray"`` or an
            executor object.
        workers: processes/CPUs for the parallel executors.
        resources: ``Resources`` per trial; defaults to the suite's
            ``[resources]``.
        retries: runs of a trial after its worker process died.
        ray_address: Ray cluster to join (``executor="ray"`` only).
        engine: ``"fit"`` (one ``model.fit`` per trial) or
            ``"population"`` (each cell of seeds in one JAX program; see
            ``engine.population``); used when ``executor`` is a name.
        reporter: object with ``start(n_total, n_pending, n_skipped)``,
            ``trial(spec, record)``, ``stop()`` and optionally
            ``retry(spec, error, attempt, retries)`` (progress display), or
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
        executor = make_executor(
            executor,
            workers,
            resources=resources or getattr(suite, "resources", None),
            retries=retries,
            ray_address=ray_address,
            engine=engine,
        )
    folders = (
        [os.path.dirname(os.path.abspath(suite.path))] if suite.path else []
    )
    folders.append(os.getcwd())
    on_retry = None
    if reporter is not None and hasattr(reporter, "retry"):
        retries = getattr(executor, "retries", retries)

        def on_retry(spec, error, attempt):
            reporter.retry(spec, error, attempt, retries)

    t_run = time.perf_counter()
    tune_specs = suite.expand_tuning()
    tune_ids = [s.trial_id for s in tune_specs]
    store = RunStore(out)
    previous = store.prepare(suite, overwrite=overwrite)
    on_disk = set(store.trial_ids_on_disk())
    store.write_suite(suite)
    env = environment()[:2]

    groups = {}
    done = set()
    tune_done = _load(store, tune_specs, groups, done)
    chosen = _decide(suite, tune_done)[0]
    specs = suite.expand(chosen)
    ids = [s.trial_id for s in specs]
    store.write_manifest(suite, ids, previous, environment=env)
    _load(store, specs, groups, done)

    kept_pairs = _kept_pairs(suite, selection)
    tune_pending = [
        s
        for s in tune_specs
        if (s.task, s.activation) in kept_pairs and s.trial_id not in done
    ]
    pending = [s for s in specs if selection.keep(s) and s.trial_id not in done]
    n_kept_tune = sum(
        1 for s in tune_specs if (s.task, s.activation) in kept_pairs
    )
    n_skipped = (
        sum(1 for s in specs if selection.keep(s))
        + n_kept_tune
        - len(pending)
        - len(tune_pending)
    )
    # Evaluation trials of pairs still being tuned: all pending now.
    waiting = _n_waiting(suite, selection, chosen)
    budget = selection.max_trials
    if budget is not None:
        tune_pending = tune_pending[:budget]
        budget -= len(tune_pending)
    n_expected = (
        len(suite.expand(_any_rate(suite))) if suite.tuning else len(specs)
    )

    counts = {}
    totals = {"wall": 0.0, "fit": 0.0, "write": 0.0}
    timings = {}

    def run(batch):
        for spec, record in executor.map(
            batch, on_retry=on_retry, folders=folders
        ):
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
            yield record

    untuned = []
    if reporter is not None:
        n_pending = len(tune_pending) + len(pending) + waiting
        if budget is not None:
            n_pending = min(n_pending, selection.max_trials)
        reporter.start(n_expected + len(tune_specs), n_pending, n_skipped)
    try:
        if suite.tuning is not None:
            for record in run(tune_pending):
                if record["status"] in DONE:
                    tune_done[record["trial_id"]] = record
            chosen, rows = _decide(suite, tune_done)
            atomic_write(
                os.path.join(store.path, "tuning.csv"), _csv_text(rows)
            )
            untuned = sorted(kept_pairs - set(chosen))
            specs = suite.expand(chosen)
            ids = [s.trial_id for s in specs]
            _load(store, specs, groups, done)
            pending = [
                s for s in specs if selection.keep(s) and s.trial_id not in done
            ]
        if budget is not None:
            pending = pending[:budget]
        for _ in run(pending):
            pass
    finally:
        executor.close()
        if reporter is not None:
            reporter.stop()
        store.write_manifest(suite, ids, store.read_manifest(), environment=env)
        n_rows = store.write_tables(ids)
    timings["write_s"] = totals["write"]
    return RunSummary(
        run_dir=store.path,
        n_expected=n_expected,
        n_skipped=n_skipped,
        n_run=sum(counts.values()),
        counts=counts,
        elapsed_s=time.perf_counter() - t_run,
        trial_wall_s=totals["wall"],
        fit_s=totals["fit"],
        write_s=totals["write"],
        timings=timings,
        n_rows=n_rows,
        resumed=previous is not None,
        n_kept=len(done),
        n_added=len(set(ids) - on_disk),
        n_left_out=len(on_disk - set(ids) - set(tune_ids)),
        n_tuning=len(tune_specs),
        n_untuned=len(untuned),
    )


def _load(store, specs, groups, done):
    """Reads the finished records of ``specs`` from the run folder.

    Renames a record the suite relabelled, runs the identical-init check,
    adds the ids of done records to ``done``; returns ``{id: record}`` of
    the done ones.
    """
    by_id = {s.trial_id: s for s in specs}
    out = {}
    for record in store.records(list(by_id)):
        if by_id[record["trial_id"]].rename(record):
            store.write_trial(record)  # the suite renamed it: same training
        check_identical(groups, record)
        if record["status"] in DONE:
            done.add(record["trial_id"])
            out[record["trial_id"]] = record
    return out


def _pairs(suite):
    return [(t.label, a.label) for t in suite.tasks for a in suite.activations]


def _any_rate(suite):
    """A placeholder rate for every pair (to list evaluation trials before
    the choice; their ids are not used)."""
    return {pair: suite.tuning.learning_rate[0] for pair in _pairs(suite)}


def _kept_pairs(suite, selection):
    """(task, activation) pairs with an evaluation trial the selection
    keeps: their tuning trials run (whatever the seed filter says)."""
    if suite.tuning is None:
        return set()
    return {
        (s.task, s.activation)
        for s in suite.expand(_any_rate(suite))
        if selection.keep(s)
    }


def _n_waiting(suite, selection, chosen):
    """Evaluation trials the selection keeps whose rate is not chosen yet."""
    if suite.tuning is None:
        return 0
    return sum(
        1
        for s in suite.expand(_any_rate(suite))
        if selection.keep(s) and (s.task, s.activation) not in chosen
    )


def _decide(suite, records):
    """``tuning.decide`` over the suite's pairs (nothing without tuning)."""
    if suite.tuning is None:
        return {}, []
    return tuning.decide(list(records.values()), _pairs(suite), suite.tuning)


def _csv_text(rows):
    """``tuning.csv``: ``schema.TUNING_COLUMNS``, one row per (task,
    activation, learning rate) of each decided pair."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=schema.TUNING_COLUMNS,
        extrasaction="ignore",
        lineterminator="\n",
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: "" if row.get(k) is None else row[k]
                for k in schema.TUNING_COLUMNS
            }
        )
    return buffer.getvalue()
