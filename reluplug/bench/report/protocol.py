"""The fairness protocol of a run, as tables: initialisation, learning
rate, and whether the epoch budget was long enough.

* ``protocol_table(runs, tuning)``: per (task, activation) the
  initialisation scheme (with its reference) and the learning rate, chosen
  on validation data or fixed by the suite;
* ``read_tuning(run_dir)``: ``tuning.csv``, the validation curve of each
  (task, activation) over the learning-rate grid (empty without tuning);
* ``last_epoch_peaks(runs)``: trials whose best epoch is their last one
  (the metric was still improving when the budget ran out).

Pandas only (no Keras), like the rest of the report.
"""

from pathlib import Path

import pandas as pd

from reluplug.bench.suite import init_protocol
from reluplug.bench.suite import schema

PROTOCOL_COLUMNS = (
    "task",
    "activation",
    "init",
    "init_reference",
    "learning_rate",
    "tuned",
)
PEAK_COLUMNS = ("task", "activation", "n_trials", "n_last_epoch", "fraction")


def read_tuning(run_dir):
    """``tuning.csv`` of ``run_dir`` as a DataFrame (``schema.
    TUNING_COLUMNS``); empty with those columns when the run had no
    ``[tuning]``.

    Plot the validation curve with ``mean_val_metric`` against
    ``learning_rate`` (log axis) per activation; ``chosen`` marks the rate
    the evaluation trials used.
    """
    path = Path(run_dir) / "tuning.csv"
    if not path.exists():
        return pd.DataFrame(columns=list(schema.TUNING_COLUMNS))
    frame = pd.read_csv(path)
    frame["chosen"] = frame["chosen"].astype(str).str.lower() == "true"
    return frame


def protocol_table(runs, tuning=None):
    """Initialisation and learning rate of each (task, activation).

    Args:
        runs: the report's runs frame (``frames.runs_frame``): ``task``,
            ``activation``, ``init``, ``learning_rate``.
        tuning: ``read_tuning``'s frame, or None.

    Returns:
        One row per (task, activation) with ``PROTOCOL_COLUMNS``: ``init``
        the scheme (several joined by ``", "`` if the trials disagree),
        ``init_reference`` its paper (``init_protocol.describe``),
        ``learning_rate`` the rate the trials trained with, ``tuned`` True
        when it was chosen on validation data (``tuning.csv``).
    """
    rows = []
    chosen = set()
    if tuning is not None and len(tuning):
        picked = tuning[tuning["chosen"]]
        chosen = set(zip(picked["task"], picked["activation"]))
    for (task, activation), group in runs.groupby(
        ["task", "activation"], sort=False
    ):
        schemes = sorted(set(group["init"].fillna(init_protocol.SAME)))
        rates = sorted(set(group["learning_rate"].dropna()))
        rows.append(
            {
                "task": task,
                "activation": activation,
                "init": ", ".join(schemes),
                "init_reference": "; ".join(
                    _describe(scheme) for scheme in schemes
                ),
                "learning_rate": rates[0] if len(rates) == 1 else None,
                "tuned": (task, activation) in chosen,
            }
        )
    return pd.DataFrame(rows, columns=list(PROTOCOL_COLUMNS))


def _describe(scheme):
    try:
        return init_protocol.describe(scheme)
    except KeyError:
        return scheme


def last_epoch_peaks(runs):
    """Completed trials whose best epoch is their last epoch.

    Such a trial was still improving when training stopped at the
    ``epochs`` cap, so its budget may have been too short (with early
    stopping, a trial that converged stops ``patience`` epochs after its
    best one).

    Args:
        runs: a runs frame with ``task``, ``activation``, ``status``,
            ``best_epoch`` and ``epochs_run``.

    Returns:
        One row per (task, activation) with ``PEAK_COLUMNS``: completed
        trials, those whose ``best_epoch == epochs_run``, and their share.
        ``frame["n_last_epoch"].sum()`` is the run's count.
    """
    done = runs[runs["status"] == schema.COMPLETED]
    rows = []
    for (task, activation), group in done.groupby(
        ["task", "activation"], sort=False
    ):
        last = int((group["best_epoch"] == group["epochs_run"]).sum())
        rows.append(
            {
                "task": task,
                "activation": activation,
                "n_trials": len(group),
                "n_last_epoch": last,
                "fraction": last / len(group),
            }
        )
    return pd.DataFrame(rows, columns=list(PEAK_COLUMNS))


def protocol_view(runs, tuning=None):
    """What the report prints about the protocol (HTML and Markdown).

    Returns:
        ``(table, references, peaks)``: ``table`` one row per activation,
        its initialisation scheme(s), then one column per task with the
        learning rate (``*`` where it was tuned on validation data);
        ``references`` one line per scheme used; ``peaks`` the sentence
        counting the completed trials whose best epoch was their last.
        ``table`` is None for a runs frame without ``init``.
    """
    peaks = last_epoch_peaks(runs)
    n_last, n_done = (
        int(peaks["n_last_epoch"].sum()),
        int(peaks["n_trials"].sum()),
    )
    sentence = (
        f"{n_last} of {n_done} completed trials peaked at their last epoch "
        "(still improving when the budget ran out)."
    )
    if "init" not in runs or runs["init"].isna().all():
        return None, [], sentence
    proto = protocol_table(runs, tuning)

    def rate(row):
        if row["learning_rate"] is None or pd.isna(row["learning_rate"]):
            return "mixed"
        return f"{row['learning_rate']:g}" + ("*" if row["tuned"] else "")

    proto["lr"] = proto.apply(rate, axis=1)
    table = proto.pivot_table(
        index="activation", columns="task", values="lr", aggfunc="first"
    )
    table.insert(0, "init", proto.groupby("activation")["init"].first())
    order = list(dict.fromkeys(proto["activation"]))
    table = table.reindex(order).reset_index()
    table.columns.name = None
    schemes = sorted({s for v in proto["init"] for s in v.split(", ")})
    references = [f"{s}: {_describe(s)}" for s in schemes]
    return table, references, sentence
