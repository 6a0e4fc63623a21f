"""The design of each task's comparison, read from the runs table.

Per task: the metric, its mode and range, the tie tolerance, the design
(fixed test set, re-split data or independent data, `DESIGNS`; it decides
the Nadeau-Bengio correction) and the region of practical equivalence.

* Ties: two values closer than the task's *tie tolerance* are equal. For
  accuracy it is half the metric's resolution, `0.5 / n_test` (two test
  accuracies differ by at least one example); otherwise a float tolerance
  (`FLOAT_RTOL` relative), so float32 noise never separates two activations.
"""

import numpy as np
import pandas as pd

from reluplug.bench.report.stats.definitions import DEFAULT_ROPE
from reluplug.bench.report.stats.definitions import DEFAULT_ROPE_OTHER
from reluplug.bench.report.stats.definitions import FLOAT_RTOL
from reluplug.bench.report.stats.definitions import bounds_of


def _first(series):
    s = series.dropna()
    return s.iloc[0] if len(s) else None


def design_of(g):
    """The design of one task's trials: a key of `DESIGNS`.

    From the records' `test_sha256` (digest of the test set): one digest
    over the seeds is a fixed test set; several are a re-split when the
    task says its seeds re-split one data set (`resplit`), else independent
    data. Records written before the digest existed fall back to the
    `resplit` flag alone.

    Args:
        g: Rows of the runs table of one task.

    Returns:
        `"fixed_test"`, `"resplit"` or `"independent"`.
    """
    flag = bool(g["resplit"].fillna(False).any()) if "resplit" in g else False
    digests = (
        g.loc[g["test_sha256"].notna(), ["seed", "test_sha256"]]
        if "test_sha256" in g
        else pd.DataFrame(columns=["seed", "test_sha256"])
    )
    if len(digests) and digests["seed"].nunique() > 1:
        if digests["test_sha256"].nunique() == 1:
            return "fixed_test"
        return "resplit" if flag else "independent"
    return "resplit" if flag else "independent"


def task_facts(runs):
    """Per task: metric, mode, tie tolerance, design, Nadeau-Bengio ratio.

    Returns:
        Dict task -> dict with `metric`, `mode`, `bounds`, `tie_tol`,
        `design` (`design_of`), `resplit` (the design re-splits the test
        set: the Nadeau-Bengio correction applies) and `nb_ratio`
        (`n_test / n_train` when it does, else None).
    """
    facts = {}
    for task, g in runs.groupby("task", sort=True):
        metric = _first(g["metric"]) or "metric"
        mode = _first(g["metric_mode"]) or "max"
        bounds = bounds_of(metric)
        n_test = g["n_test"].dropna() if "n_test" in g else pd.Series([])
        vals = g["test_metric"].abs().dropna()
        scale = max(1.0, float(vals.max())) if len(vals) else 1.0
        tol = FLOAT_RTOL * scale
        if metric == "accuracy" and len(n_test):
            tol = max(tol, 0.5 / float(n_test.median()))
        design = design_of(g)
        resplit = design == "resplit"
        ratio = None
        if resplit:
            r = (g["n_test"] / g["n_train"]).dropna()
            ratio = float(r.median()) if len(r) else None
        facts[task] = {
            "metric": metric,
            "mode": mode,
            "bounds": bounds,
            "tie_tol": tol,
            "design": design,
            "resplit": resplit,
            "nb_ratio": ratio,
        }
    return facts


def rope_width(metric, rope_cfg, baseline_mean):
    """Absolute ROPE half-width of a task.

    Args:
        metric: The task's metric name.
        rope_cfg: Mapping metric -> value (key `"*"` for every metric), or
            None for `DEFAULT_ROPE`.
        baseline_mean: The baseline's mean, for relative ROPEs.

    Returns:
        The half-width in metric units: the value itself for metrics bounded
        on both sides (accuracy), else value x |baseline mean|.
    """
    cfg = dict(rope_cfg or {})
    value = cfg.get(
        metric, cfg.get("*", DEFAULT_ROPE.get(metric, DEFAULT_ROPE_OTHER))
    )
    lo, hi = bounds_of(metric)
    if np.isfinite(lo) and np.isfinite(hi):
        return float(value)
    if baseline_mean is None or not np.isfinite(baseline_mean):
        return np.nan
    return float(value) * abs(float(baseline_mean))
