"""Run folders of the trial-based claims, as pandas tables.

The statistics are the report's (``reluplug.bench.report.stats``): a claim
never computes its own tests. No Keras here.
"""

import numpy as np
import pandas as pd

from reluplug.bench.report import frames
from reluplug.bench.report import stats

BETTER, WORSE, EQUIVALENT, UNDECIDED = (
    "better",
    "worse",
    "equivalent",
    "undecided",
)


def load(run_dir):
    """``frames.load_run`` plus the swept values of each trial.

    Returns:
        A ``frames.RunData`` whose ``runs``, ``history`` and ``monitors``
        carry one extra column per swept key (e.g. ``depth``,
        ``learning_rate``); the monitors' own ``depth`` (of a layer) is
        renamed ``layer_depth``.
    """
    data = frames.load_run(run_dir)
    object.__setattr__(
        data, "monitors", data.monitors.rename(columns={"depth": "layer_depth"})
    )
    records, _ = frames.read_trials(run_dir)
    rows = [
        {"trial_id": r["trial_id"], **(r.get("sweep") or {})} for r in records
    ]
    sweep = (
        pd.DataFrame(rows, columns=["trial_id"])
        if not rows
        else (pd.DataFrame(rows))
    )
    keys = [c for c in sweep.columns if c != "trial_id"]
    for name in ("runs", "history", "monitors"):
        df = getattr(data, name)
        drop = [k for k in keys if k in df.columns]
        merged = df.drop(columns=drop).merge(sweep, on="trial_id", how="left")
        object.__setattr__(data, name, merged)
    return data


def compare(data, baseline=None):
    """Per (task, activation) paired comparison against the baseline.

    Returns:
        ``stats.summarize``'s table with a ``verdict`` column: the
        statistics' own verdict where it provides one, else ``better`` /
        ``worse`` when the confidence interval of the paired difference
        excludes 0, ``undecided`` otherwise (``baseline`` for the baseline
        itself).
    """
    summary = stats.summarize(
        data.runs,
        data.history,
        baseline=baseline,
        conflicts=data.init_conflicts,
    )
    if "verdict" not in summary.columns:
        summary["verdict"] = [
            word(r._asdict(), r.metric_mode) for r in summary.itertuples()
        ]
    summary.loc[summary["is_baseline"], "verdict"] = "baseline"
    return summary


def word(paired, mode):
    """``better``/``worse`` when the CI of a ``stats.paired_test`` result
    excludes 0 (respecting the metric ``mode``), else ``undecided``."""
    lo, hi = paired["diff_ci_low"], paired["diff_ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return UNDECIDED
    sign = 1 if mode == "max" else -1
    lo, hi = sorted((sign * lo, sign * hi))
    if lo > 0:
        return BETTER
    if hi < 0:
        return WORSE
    return UNDECIDED


def completed(runs):
    """The completed trials of a runs table."""
    return runs[(runs["status"] == "completed") & runs["test_metric"].notna()]


def epochs_to_target(history, runs, target):
    """Per trial: first epoch whose validation metric reaches ``target``.

    Uses ``stats.time_to_target``; a trial that never reaches it is
    censored at its last epoch (``reached`` False).

    Returns:
        DataFrame: trial_id, task, activation, seed, epochs, reached.
    """
    rows = []
    for r in completed(runs).itertuples():
        h = history[history["trial_id"] == r.trial_id]
        epoch, _ = stats.time_to_target(h, target, r.metric_mode)
        reached = bool(np.isfinite(epoch))
        rows.append(
            {
                "trial_id": r.trial_id,
                "task": r.task,
                "activation": r.activation,
                "seed": r.seed,
                "epochs": epoch if reached else float(h["epoch"].max()),
                "reached": reached,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["trial_id", "task", "activation", "seed", "epochs", "reached"],
    )


def km_median(epochs, reached):
    """Kaplan-Meier median of epochs-to-target with censoring.

    ``inf`` when fewer than half the trials reach the target. Computed by
    ``statsmodels.duration.survfunc.SurvfuncRight`` (Kaplan & Meier, 1958).
    """
    if hasattr(stats, "km_median"):  # the report's own, where it has one
        median = stats.km_median(epochs, np.asarray(reached, dtype=float))
        return float(median) if np.isfinite(median) else float("inf")
    from statsmodels.duration.survfunc import SurvfuncRight

    epochs = np.asarray(epochs, dtype=float)
    reached = np.asarray(reached, dtype=bool)
    if not len(epochs) or not reached.any():
        return float("inf")
    km = SurvfuncRight(epochs, reached.astype(int))
    median = km.quantile(0.5)
    return float(median) if np.isfinite(median) else float("inf")
