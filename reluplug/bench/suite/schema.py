"""The run-folder contract: columns and rows (see ``docs/run-folder.md``).

Pure Python, no third-party imports: the runner (``store.py``) writes these
tables and the report (``report/frames.py``) reads the trial records, so
both name the columns and build the rows with what is here.
"""

import datetime
import math

SCHEMA_VERSION = 1

# Trial status: a trial that ends is one of these. Resume keeps DONE ones and
# runs FAILED ones again.
COMPLETED = "completed"
DIVERGED = "diverged"  # a non-finite loss (training or validation)
FAILED = "failed"  # an exception; the record holds its traceback
STATUSES = (COMPLETED, DIVERGED, FAILED)
DONE = (COMPLETED, DIVERGED)

# Optimizer names a suite may use -> the keras.optimizers class.
OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}

# Monitor quantities, as reluplug.callbacks publish them into ``logs``
# (``<quantity>/<layer>`` per layer): the ``quantity`` column of
# monitors.csv. The first two are also published as aggregates over
# layers and kept per epoch in the history (and as runs' ``final_*``).
UNIT_FRACTIONS = ("dead_fraction", "inactive_fraction", "saturated_fraction")
GRAD_NORM = "grad_norm"
MONITOR_QUANTITIES = (*UNIT_FRACTIONS, GRAD_NORM)
HISTORY_FRACTIONS = ("dead_fraction", "inactive_fraction")

# A group is what the runner, the identical-init check, the frames, the
# statistics and the figures compare within: one task entry of the suite
# (its label; the same task with two param sets is two labels) and one seed.
# Every activation of a group starts from the same initial weights. These
# are the tables' columns; for a trial record use ``group_key``.
GROUP_KEY = ("task", "seed")

# Each column of runs.csv, and whether it holds a number (read back as a
# float).
_RUN_COLUMN_IS_NUMBER = (
    ("trial_id", False),
    ("suite", False),
    ("task", False),
    ("task_name", False),
    ("activation", False),
    ("activation_name", False),
    ("is_baseline", False),
    ("seed", True),
    ("status", False),
    ("metric", False),
    ("metric_mode", False),
    ("best_epoch", True),
    ("best_val_metric", True),
    ("test_metric", True),
    ("test_loss", True),
    ("epochs_run", True),
    ("wall_time_s", True),
    ("fit_time_s", True),
    ("overhead_s", True),
    ("mean_epoch_time_s", True),
    ("final_dead_fraction", True),
    ("final_inactive_fraction", True),
    ("init_sha256", False),
    ("n_params", True),
    ("error_type", False),
    ("error_message", False),
)
RUN_COLUMNS = tuple(name for name, _ in _RUN_COLUMN_IS_NUMBER)
# The columns of RUN_COLUMNS that hold numbers.
RUN_NUMBERS = tuple(name for name, num in _RUN_COLUMN_IS_NUMBER if num)
HISTORY_COLUMNS = (
    "trial_id",
    "task",
    "activation",
    "seed",
    "epoch",
    "loss",
    "metric",
    "val_loss",
    "val_metric",
    "epoch_time_s",
    "dead_fraction",
    "inactive_fraction",
)
# tuning.csv: the validation curve of each (task, activation) over the
# learning-rate grid of a suite's [tuning] table, and the chosen rate
# (``suite.tuning``). ``score`` is the mean best validation metric with a
# diverged trial counted as the worst value (what the choice compares).
TUNING_COLUMNS = (
    "task",
    "activation",
    "learning_rate",
    "metric",
    "metric_mode",
    "n_seeds",
    "n_completed",
    "n_diverged",
    "mean_val_metric",
    "sd_val_metric",
    "score",
    "chosen",
)
MONITOR_COLUMNS = (
    "trial_id",
    "task",
    "activation",
    "seed",
    "epoch",
    "quantity",
    "layer",
    "depth",
    "value",
)


def utc_now():
    """Current UTC time as ``YYYY-MM-DDTHH:MM:SSZ`` (every time stamp)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def group_key(record):
    """The group of a trial record (or a table row): ``(task label, seed)``.

    The task label is unique per (task, params) in a suite (``task`` in a
    record and in a table, ``task_label``), so a suite listing
    ``deep_mlp`` at two depths, or sweeping its depth, has two groups.
    """
    return (task_label(record), record["seed"])


# Rows of the tables, from one trial record (runner and report share these).


def steady_epoch_time(history):
    """Mean ``epoch_time_s`` over epochs 2..N (epoch 1 includes graph
    tracing), or epoch 1 alone when only one ran; ``None`` if none."""
    times = [h.get("epoch_time_s") for h in history]
    times = [t for t in times if t is not None and math.isfinite(t)]
    if not times:
        return None
    times = times[1:] if len(times) > 1 else times
    return sum(times) / len(times)


def last_value(history, key):
    """The last non-missing ``key`` of the epochs, or ``None``."""
    values = [h.get(key) for h in history if h.get(key) is not None]
    return values[-1] if values else None


def task_label(record):
    """The task label of a record or table row (``deep_mlp[depth=5]`` for a
    swept variant): its ``task``. Every table's ``task`` column holds it,
    so each variant is its own group.

    Records written before ``task_name`` existed had the registered name
    in ``task`` and the label, when it differed, in ``task_label``.
    """
    if "task_name" in record:
        return record.get("task")
    return record.get("task_label") or record.get("task")


def task_name(record):
    """The registered task of a record (``task_name``; ``task`` in records
    written before ``task_name`` existed)."""
    if "task_name" in record:
        return record.get("task_name")
    return record.get("task")


def run_row(record):
    """One ``runs.csv`` row (a dict with ``RUN_COLUMNS``) for a record."""
    history = record.get("history") or []
    error = record.get("error") or {}
    row = {k: record.get(k) for k in RUN_COLUMNS}
    row["task"] = task_label(record)
    row["task_name"] = task_name(record)
    row["mean_epoch_time_s"] = steady_epoch_time(history)
    row["final_dead_fraction"] = last_value(history, "dead_fraction")
    row["final_inactive_fraction"] = last_value(history, "inactive_fraction")
    row["error_type"] = error.get("type")
    row["error_message"] = error.get("message")
    return row


def _keys(record):
    keys = {
        k: record.get(k) for k in ("trial_id", "task", "activation", "seed")
    }
    keys["task"] = task_label(record)
    return keys


def history_rows(record):
    """``history.csv`` rows (dicts) of a trial record."""
    keys = _keys(record)
    return [{**keys, **h} for h in record.get("history") or []]


def monitor_rows(record):
    """``monitors.csv`` rows (dicts) of a trial record."""
    keys = _keys(record)
    return [{**keys, **m} for m in record.get("monitors") or []]
