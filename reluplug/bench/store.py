"""The run folder: atomic writes, resume, and the CSV tables.

Layout and columns are the contract in ``docs/run-folder.md``. Imports
neither Keras nor a backend (the report reads run folders with pandas
alone). Trial JSON
files are the source of truth; every file is written to a temporary file in
the same folder and ``os.replace``d, so a run killed at any moment leaves
either the old file or the new one, never a partial one. The CSV files are
derived from the trial files of the manifest's ``trial_ids`` (the current
suite) and rewritten at the end of every run; trial files of an earlier
version of the suite stay on disk, left out of the tables.
"""

import csv
import io
import json
import math
import os
import shutil
import tempfile

from reluplug.bench.suite.schema import HISTORY_COLUMNS
from reluplug.bench.suite.schema import MONITOR_COLUMNS
from reluplug.bench.suite.schema import RUN_COLUMNS
from reluplug.bench.suite.schema import SCHEMA_VERSION
from reluplug.bench.suite.schema import STATUSES
from reluplug.bench.suite.schema import history_rows
from reluplug.bench.suite.schema import monitor_rows
from reluplug.bench.suite.schema import run_row
from reluplug.bench.suite.schema import utc_now


class RunFolderError(ValueError):
    """The output folder cannot be used for this run (see the message)."""


def atomic_write(path, data):
    """Writes ``data`` (str or bytes) to ``path`` via a temp file + replace."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    extra = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
    try:
        with os.fdopen(fd, mode, **extra) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _json_default(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {value!r}")


def _clean(value):
    """Non-finite floats -> None, so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def dumps(record):
    """Record -> pretty, standard JSON text (NaN/inf become null)."""
    return json.dumps(
        _clean(record), indent=1, sort_keys=False, default=_json_default
    )


class RunStore:
    """A run folder.

    Args:
        path: the folder (created if missing).
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.trials_dir = os.path.join(self.path, "trials")

    # -------------------------------------------------------------- setup

    @property
    def manifest_path(self):
        """Path of ``manifest.json``."""
        return os.path.join(self.path, "manifest.json")

    def read_manifest(self):
        """The manifest dict, or None if there is none (or it is broken)."""
        try:
            with open(self.manifest_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def prepare(self, suite, *, overwrite=False):
        """Makes the folder ready for ``suite``; returns the old manifest.

        An existing run folder is resumed, whatever suite it held: trials
        are matched by id (what they train), so the runner keeps the
        finished trials the suite still lists and leaves the others on
        disk, out of the tables. A folder holding files that are not a run
        is refused; ``overwrite`` deletes the previous run folder.

        Raises:
            RunFolderError: the folder is in use by something else.
        """
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise RunFolderError(
                f"--out {self.path!r} exists and is not a folder."
            )
        manifest = self.read_manifest()
        exists = os.path.isdir(self.path) and os.listdir(self.path)
        is_run = manifest is not None or os.path.isdir(self.trials_dir)
        if exists and not is_run:
            problem = (
                "--overwrite refuses to delete {!r}: it does not look like "
                "a run folder (no manifest.json or trials/)."
                if overwrite
                else "--out {!r} is not empty and is not a run folder; "
                "choose another folder."
            )
            raise RunFolderError(problem.format(self.path))
        if exists and overwrite:
            shutil.rmtree(self.path)
            manifest = None
        elif exists:
            _check_files((manifest or {}).get("files") or {}, suite, self.path)
        os.makedirs(self.trials_dir, exist_ok=True)
        self._clean_temp()
        return manifest

    def _clean_temp(self):
        for folder in (self.path, self.trials_dir):
            for name in os.listdir(folder):
                if name.startswith(".") and name.endswith(".tmp"):
                    os.remove(os.path.join(folder, name))

    def write_suite(self, suite):
        """Writes the suite as ``suite.toml`` (``Suite.toml()``)."""
        atomic_write(os.path.join(self.path, "suite.toml"), suite.toml())

    def write_manifest(self, suite, trial_ids, previous=None, *, environment):
        """Writes ``manifest.json`` (``created_utc`` survives a resume).

        Args:
            suite: the ``config.Suite`` run.
            trial_ids: the expanded suite's trial ids, in order.
            previous: the manifest this one replaces, or None.
            environment: ``(machine, versions)`` dicts of the runner
                (``bench.environment.capture``).
        """
        machine, versions = environment
        now = utc_now()
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "suite": suite.name,
            "suite_sha256": suite.sha256,
            "files": dict(getattr(suite, "files", {})),
            "trial_ids": list(trial_ids),
            "created_utc": (previous or {}).get("created_utc", now),
            "updated_utc": now,
            "reluplug_version": versions.get("reluplug"),
            "machine": machine,
            "versions": versions,
        }
        atomic_write(self.manifest_path, dumps(manifest))
        return manifest

    # ------------------------------------------------------------- trials

    def trial_path(self, trial_id):
        """Path of one trial's JSON file."""
        return os.path.join(self.trials_dir, f"{trial_id}.json")

    def write_trial(self, record):
        """Writes one trial record atomically."""
        atomic_write(self.trial_path(record["trial_id"]), dumps(record))

    def read_trial(self, trial_id):
        """The record of ``trial_id``, or None if absent or unreadable."""
        try:
            with open(self.trial_path(trial_id), encoding="utf-8") as f:
                record = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("status") not in (
            STATUSES
        ):
            return None
        return record

    def trial_ids_on_disk(self):
        """Ids of every trial file in ``trials/``, sorted."""
        if not os.path.isdir(self.trials_dir):
            return []
        return sorted(
            name[:-5]
            for name in os.listdir(self.trials_dir)
            if name.endswith(".json") and not name.startswith(".")
        )

    def records(self, trial_ids=None):
        """Records in ``trial_ids`` order (all, by file name, if None)."""
        if trial_ids is None:
            trial_ids = self.trial_ids_on_disk()
        out = []
        for trial_id in trial_ids:
            record = self.read_trial(trial_id)
            if record is not None:
                out.append(record)
        return out

    # ------------------------------------------------------------- tables

    def write_tables(self, trial_ids=None):
        """Writes runs.csv, history.csv and monitors.csv from the trials.

        Args:
            trial_ids: trials to include, in order; defaults to the
                manifest's ``trial_ids`` (or every trial file).

        Returns:
            The number of trials written to ``runs.csv``.
        """
        if trial_ids is None:
            trial_ids = (self.read_manifest() or {}).get("trial_ids")
        records = self.records(trial_ids)
        runs = [_csv_run_row(r) for r in records]
        history = [row for r in records for row in history_rows(r)]
        monitors = [row for r in records for row in monitor_rows(r)]
        for name, columns, rows in (
            ("runs.csv", RUN_COLUMNS, runs),
            ("history.csv", HISTORY_COLUMNS, history),
            ("monitors.csv", MONITOR_COLUMNS, monitors),
        ):
            atomic_write(os.path.join(self.path, name), _csv(columns, rows))
        return len(runs)


def _check_files(recorded, suite, path):
    """Raises if a model/data file of the run changed since it started."""
    current = getattr(suite, "files", {})
    for name, sha in sorted(recorded.items()):
        now = current.get(name)
        if now is not None and now != sha:
            raise RunFolderError(
                f"{name} changed since the run in {path!r} started (SHA-256 "
                f"was {sha[:12]}..., now {now[:12]}...): its finished trials "
                "trained on the old file. Restore the file, or pass "
                "--overwrite (overwrite=True) to start again, or choose "
                "another --out."
            )


def _csv(columns, rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return value


def _csv_run_row(record):
    row = run_row(record)
    message = row["error_message"]
    row["error_message"] = None if message is None else message[:500]
    return row
