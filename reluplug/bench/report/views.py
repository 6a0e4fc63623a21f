"""Tables and words for people: the run's numbers in reading order.

Display helpers shared by the HTML page, `summary.md` and `compare()`'s
result: task parameters in words, the interval's name as the method that
made it, the summary table in reading order with the baseline first, and
the runs table with integer seeds. They only reorder and relabel; no
number is computed here.
"""

import json

import pandas as pd

from reluplug.bench.report.stats import BOOT_MIN_N

# `result.summary`: what a reader asks first, first; every other column
# follows in its own order (new columns included).
READING_ORDER = (
    "task",
    "activation",
    "is_baseline",
    "verdict",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "p_better",
    "p_rope",
    "p_worse",
    "p_holm",
    "mean",
    "ci_low",
    "ci_high",
    "ci_method",
    "n_paired",
    "n_trials",
    "n_completed",
    "n_diverged",
    "n_failed",
    "rank",
    "p_best",
    "in_credible_best",
    "epoch_time_ratio",
    "final_dead_fraction",
    "final_inactive_fraction",
    "metric",
    "metric_mode",
    "baseline",
    "rope",
    "mde",
)
INTEGER_COLUMNS = ("seed", "epochs_run", "best_epoch", "epoch")


def _words(value):
    """A parameter value in words: dicts as `key value, ...`, digests
    (`*sha256`) left to `runs.csv`."""
    if isinstance(value, dict):
        return ", ".join(
            f"{str(k).replace('_', ' ')} {_words(v)}"
            for k, v in value.items()
            if not str(k).endswith("sha256")
        )
    if isinstance(value, list):
        return "[" + ", ".join(_words(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def params_in_words(text):
    """`task_params` (JSON text) as words: `{"depth": 12, "linear":
    "dense"}` -> `depth 12, linear dense`; `(none)` for no parameter."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return str(text)
    return _words(value) if value else "(none)"


def _ci_kind(summary):
    """How the intervals of `summary` were made: `"range"` (all the seeds'
    [min, max], fewer than `BOOT_MIN_N` seeds), `"mixed"` or `"bootstrap"`."""
    methods = set(summary["ci_method"].dropna()) if len(summary) else set()
    if methods == {"range"}:
        return "range"
    return "mixed" if "range" in methods else "bootstrap"


def ci_header(summary_task):
    """The interval column's name as the method that made it: bootstrap
    from `stats.BOOT_MIN_N` seeds on, the seeds' range below."""
    return {
        "range": "test metric [min, max]",
        "mixed": "test metric [95% CI or min, max]",
        "bootstrap": "test metric [95% CI]",
    }[_ci_kind(summary_task)]


def ci_sentence(summary):
    """How the test metric's intervals were made, in words that match
    `ci_method` (bootstrap, or the seeds' range below `BOOT_MIN_N`)."""
    return {
        "range": f"[min, max] of the seeds (fewer than {BOOT_MIN_N} seeds)",
        "mixed": "95% bootstrap intervals over seeds; [min, max] of the "
        f"seeds where there are fewer than {BOOT_MIN_N}",
        "bootstrap": "95% bootstrap intervals over seeds (inside the "
        "metric's range)",
    }[_ci_kind(summary)]


def ci_short(summary):
    """`ci_sentence` for a figure caption."""
    return {
        "range": "[min, max] of the seeds",
        "mixed": "95% bootstrap CI ([min, max] where too few seeds)",
        "bootstrap": "95% bootstrap CI",
    }[_ci_kind(summary)]


def reading_order(summary):
    """`summary` with the columns in `READING_ORDER` (then the others) and,
    per task, the baseline first, then by rank."""
    first = [c for c in READING_ORDER if c in summary.columns]
    cols = first + [c for c in summary.columns if c not in first]
    out = summary.assign(
        _base=~summary["is_baseline"].astype(bool),
        _rank=summary["rank"] if "rank" in summary else 0,
    )
    out = out.sort_values(
        ["task", "_base", "_rank", "activation"],
        kind="stable",
        na_position="last",
    )
    return out[cols].reset_index(drop=True)


def integer_seeds(df):
    """`df` with `INTEGER_COLUMNS` as nullable integers (a missing value
    made pandas read them as floats)."""
    out = df.copy()
    for col in INTEGER_COLUMNS:
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce")
            whole = values.dropna()
            if (whole == whole.round()).all():
                out[col] = values.astype("Int64")
    return out
