"""Run folder -> tidy pandas tables.

Reads the run folder described in `docs/run-folder.md` (schema version 1).
The trial JSON files are the source of truth: they are written atomically one
by one, so they are complete even when a run was interrupted, whereas the CSV
files are derived from them.

Every table is in long (tidy) form: one row per observation, one column per
variable; activations are values of the `activation` column, never columns.
"""

import dataclasses
import json
from pathlib import Path

import pandas as pd

from reluplug.bench.suite import schema

# The report's runs frame adds the full record details to runs.csv's columns.
RUN_COLUMNS = list(schema.RUN_COLUMNS) + [
    "error_traceback",
    "task_params",
    "activation_params",
    "utc_time",
    "git_commit",
    "versions",
    "machine",
    "resplit",
    "n_train",
    "n_test",
    "test_sha256",
    "init",
    "learning_rate",
]
HISTORY_COLUMNS = list(schema.HISTORY_COLUMNS)
MONITOR_COLUMNS = list(schema.MONITOR_COLUMNS)
SCHEMA_VERSION = schema.SCHEMA_VERSION
STATUSES = schema.STATUSES
_NUMERIC_RUN = list(schema.RUN_NUMBERS) + ["n_train", "n_test"]


@dataclasses.dataclass
class RunData:
    """Everything the report needs from one run folder.

    Attributes:
        run_dir: The run folder.
        manifest: `manifest.json` as a dict (empty when absent).
        runs: One row per trial (see `RUN_COLUMNS`).
        history: One row per trial x epoch (see `HISTORY_COLUMNS`).
        monitors: One row per trial x epoch x quantity x layer; epoch 0 is
            at initialisation. Empty when monitors were off.
        missing_ids: Trial ids the manifest expects but no trial file holds.
        missing_cells: `(task, activation, seed)` combinations absent from
            the grid spanned by the trials present (one row per gap).
        unreadable: `(file name, reason)` for trial files that could not be
            read; they are skipped, not fatal.
        duplicates: Trials dropped because a newer trial of the same
            `(task, activation, seed)` exists.
        init_conflicts: One row per `(task, seed)` whose trials carry more
            than one `init_sha256`; such groups are not compared.
        left_out: Ids of trial files the manifest's `trial_ids` (the
            current suite) do not list: trials of an earlier version of an
            edited suite. They stay on disk and are left out of every table.
        sequential: The looks of a run until decided (`until_decided.json`:
            `looks`, `max_seeds`, `alpha`), or None for a fixed design.
    """

    run_dir: Path
    manifest: dict
    runs: pd.DataFrame
    history: pd.DataFrame
    monitors: pd.DataFrame
    missing_ids: list
    missing_cells: pd.DataFrame
    unreadable: list
    duplicates: pd.DataFrame
    init_conflicts: pd.DataFrame
    left_out: list = dataclasses.field(default_factory=list)
    sequential: dict | None = None

    @property
    def left_out_note(self):
        """One sentence on `left_out` (None when nothing is left out)."""
        if not self.left_out:
            return None
        n = len(self.left_out)
        return (
            f"{n} trial file(s) in trials/ belong to an earlier version of "
            "the suite: left out of every table and "
            "statistic (the files stay on disk)."
        )


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_trials(run_dir):
    """Reads every `trials/*.json` of `run_dir`.

    Args:
        run_dir: Path of a run folder.

    Returns:
        `(records, unreadable)`: the trial dicts, sorted by file name, and a
        list of `(file name, reason)` for files that are not valid JSON or
        not schema version 1.

    Raises:
        ValueError: If `run_dir` is not a directory.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(
            f"`run_dir` must be an existing run folder. Received: {run_dir}"
        )
    records, unreadable = [], []
    for path in sorted((run_dir / "trials").glob("*.json")):
        if path.name.startswith("."):
            continue  # a writer's temporary file
        try:
            rec = _read_json(path)
        except (OSError, ValueError) as e:
            unreadable.append((path.name, f"{type(e).__name__}: {e}"))
            continue
        version = rec.get("schema_version") if isinstance(rec, dict) else None
        if version != SCHEMA_VERSION:
            unreadable.append(
                (
                    path.name,
                    f"schema_version must be {SCHEMA_VERSION}; "
                    f"received {version!r}",
                )
            )
            continue
        records.append(rec)
    return records, unreadable


def runs_frame(records):
    """One row per trial.

    `mean_epoch_time_s` is the mean of `epoch_time_s` over epochs 2..N (the
    first epoch includes graph tracing), or epoch 1 alone when only one ran.
    `final_dead_fraction` / `final_inactive_fraction` come from the last
    epoch of the history (NaN when monitors were off). `resplit`, `n_train`,
    `n_test` and `test_sha256` come from the record's `splits` (False / NaN /
    None for records written before they existed); `init` is the trial's
    initialisation scheme (`"same"` for records from before the protocol)
    and `learning_rate` the rate it trained with.

    Args:
        records: Trial dicts as read by `read_trials`.

    Returns:
        A DataFrame with the columns `RUN_COLUMNS`.
    """
    rows = []
    for rec in records:
        err = rec.get("error") or {}
        row = schema.run_row(rec)
        row["is_baseline"] = bool(rec.get("is_baseline"))
        row["error_traceback"] = err.get("traceback")
        row["task_params"] = json.dumps(rec.get("task_params") or {})
        for key in ("activation_params", "versions", "machine"):
            row[key] = json.dumps(rec.get(key) or {}, sort_keys=True)
        row.update({k: rec.get(k) for k in ("utc_time", "git_commit")})
        splits = rec.get("splits") or {}
        row["resplit"] = bool(splits.get("resplit", False))
        row["n_train"] = splits.get("n_train")
        row["n_test"] = splits.get("n_test")
        row["test_sha256"] = splits.get("test_sha256")
        # The initialisation scheme ("same" before the protocol existed)
        # and the learning rate trained with (chosen, under [tuning]).
        row["init"] = rec.get("init", "same")
        row["learning_rate"] = (rec.get("training") or {}).get("learning_rate")
        rows.append(row)
    df = pd.DataFrame(rows, columns=RUN_COLUMNS)
    for col in _NUMERIC_RUN:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["is_baseline"] = df["is_baseline"].astype(bool)
    df["resplit"] = df["resplit"].fillna(False).astype(bool)
    return df


def history_frame(records):
    """One row per trial x epoch (epochs 1..N), columns `HISTORY_COLUMNS`."""
    rows = [row for rec in records for row in schema.history_rows(rec)]
    df = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for col in HISTORY_COLUMNS[3:]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def monitors_frame(records):
    """One row per trial x epoch x quantity x layer, `MONITOR_COLUMNS`."""
    rows = [row for rec in records for row in schema.monitor_rows(rec)]
    df = pd.DataFrame(rows, columns=MONITOR_COLUMNS)
    for col in ("seed", "epoch", "depth", "value"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def _drop_duplicates(runs):
    key = ["task", "activation", "seed"]
    order = runs.sort_values("utc_time", kind="stable", na_position="first")
    dup = order.duplicated(key, keep="last")
    dropped = order[dup]
    kept = order[~dup].sort_index()
    return kept, dropped


def init_conflicts(runs):
    """Groups (`schema.GROUP_KEY`: task label, seed) whose trials carry
    different `init_sha256`.

    Trials without a hash (e.g. failed before the model was built) are
    ignored.

    Args:
        runs: The runs table.

    Returns:
        DataFrame with columns `task`, `seed`, `n_hashes`, `activations`
        (`"label=hash[:12]"` pairs, comma separated).
    """
    cols = ["task", "seed", "n_hashes", "activations"]
    have = runs.dropna(subset=["init_sha256"])
    rows = []
    for (task, seed), g in have.groupby(list(schema.GROUP_KEY), sort=True):
        if g["init_sha256"].nunique() > 1:
            pairs = ", ".join(
                f"{a}={h[:12]}"
                for a, h in zip(g["activation"], g["init_sha256"])
            )
            rows.append((task, seed, g["init_sha256"].nunique(), pairs))
    return pd.DataFrame(rows, columns=cols)


def missing_cells(runs):
    """Gaps in the task x activation x seed grid spanned by present trials.

    Activations count per task (those with at least one trial in it), seeds
    are those seen anywhere in the run, so a seed that never ran in one task
    shows up, while suites whose tasks use different activations do not get
    spurious gaps. A task with no trial at all cannot be seen here (the
    manifest's `trial_ids` catch that).
    """
    cols = ["task", "activation", "seed"]
    rows = []
    seeds = sorted(runs["seed"].dropna().unique())
    for task, g in runs.groupby("task", sort=True):
        present = set(zip(g["activation"], g["seed"]))
        for act in sorted(g["activation"].unique()):
            for seed in seeds:
                if (act, seed) not in present:
                    rows.append((task, act, seed))
    return pd.DataFrame(rows, columns=cols)


def load_run(run_dir):
    """Loads a run folder into a `RunData`.

    Args:
        run_dir: Path of a run folder (see `docs/run-folder.md`).

    Returns:
        A `RunData`. Partial runs load: unreadable trial files, missing trials
        and init-hash conflicts are reported in its fields, not raised.

    Raises:
        ValueError: If `run_dir` is not a directory.
    """
    run_dir = Path(run_dir)
    records, unreadable = read_trials(run_dir)
    manifest = {}
    mpath = run_dir / "manifest.json"
    if mpath.exists():
        try:
            manifest = _read_json(mpath)
        except (OSError, ValueError) as e:
            unreadable.append(("manifest.json", f"{type(e).__name__}: {e}"))
    sequential = None
    spath = run_dir / "until_decided.json"
    if spath.exists():
        try:
            sequential = _read_json(spath)
        except (OSError, ValueError) as e:
            unreadable.append(
                ("until_decided.json", f"{type(e).__name__}: {e}")
            )
    expected = manifest.get("trial_ids")
    left_out = []
    if expected is not None:
        wanted = set(expected)
        left_out = [r.get("trial_id") for r in records]
        left_out = [i for i in left_out if i not in wanted]
        records = [r for r in records if r.get("trial_id") in wanted]
    runs = runs_frame(records)
    runs, dropped = _drop_duplicates(runs)
    keep = set(runs["trial_id"])
    kept_records = [r for r in records if r.get("trial_id") in keep]
    present = {r.get("trial_id") for r in records}
    expected = expected or []
    return RunData(
        run_dir=run_dir,
        manifest=manifest,
        runs=runs.reset_index(drop=True),
        history=history_frame(kept_records),
        monitors=monitors_frame(kept_records),
        missing_ids=[i for i in expected if i not in present],
        missing_cells=missing_cells(runs),
        unreadable=unreadable,
        duplicates=dropped.reset_index(drop=True),
        init_conflicts=init_conflicts(runs),
        left_out=left_out,
        sequential=sequential,
    )


def load_results(run_dir):
    """Loads the trials of a run folder as one tidy table.

    Args:
        run_dir: Path of a run folder (see `docs/run-folder.md`).

    Returns:
        DataFrame in long form, one row per trial (completed, diverged or
        failed) with the columns `RUN_COLUMNS`: the key `(task, activation,
        seed)`, `status`, `test_metric` at the validation-chosen
        `best_epoch`, timings, final dead/inactive fractions and the error.
        Use `load_run` for the per-epoch history and monitor tables.

    Example:
        >>> runs = load_results("runs/quick")  # doctest: +SKIP
        >>> runs.groupby(["task", "activation"]).test_metric.mean()
        ...  # doctest: +SKIP
    """
    return load_run(run_dir).runs
