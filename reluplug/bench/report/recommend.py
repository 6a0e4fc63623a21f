"""One recommendation per task, computed from the verdict table.

`recommend(summary)` reads the table `stats.summarize` returns (one row per
task and activation: baseline, paired difference with its 95% interval,
verdict) and answers "which activation?" in one line per task:

* an activation decided *better* than the baseline: use it
  ("prelu is better than relu by 0.012 [0.004, 0.020] ...");
* else, the undecided activation whose difference points the most towards
  better: name it with its interval and the seeds a paired t-test needs to
  detect a difference of that size (or the ROPE, if larger) at the level
  the verdicts use (Holm over the task's comparisons, at its strictest
  step): keep the baseline, or run until decided;
* else keep the baseline, saying why (equivalent, worse, or nothing ahead).

Nothing here is written by hand per run: every word comes from the table.
Only the columns named in `COLUMNS` (and `p_better`, the posterior
probability of being better, when the table has it) are read, so new
columns do no harm.
"""

import math

import numpy as np
import pandas as pd
import scipy.stats as sps

from reluplug.bench.report.stats import ALPHA
from reluplug.bench.report.stats import POWER
from reluplug.bench.report.stats import seeds_needed

COLUMNS = (
    "task",
    "activation",
    "metric",
    "metric_mode",
    "is_baseline",
    "baseline",
    "n_paired",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "verdict",
    "rope",
    "nb_ratio",
)
RESULT_COLUMNS = [
    "task",
    "baseline",
    "action",
    "candidate",
    "verdict",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "n_paired",
    "effect",
    "seeds_needed",
    "text",
]
ACTIONS = ("switch", "keep", "undecided", "none")
CONFIDENCE = 0.95  # of the interval `diff_ci_low`, `diff_ci_high`
MAX_SEEDS = 1000
NEXT_STEP = "or run `--until-decided`"
# A comparison a run until decided left open at its cap (verdict_method
# "sequential"): more seeds, not the same command again.
NEXT_STEP_AT_CAP = "or resume it with a higher `--max-seeds`"


def _next_step(row):
    """What to run next for an undecided comparison."""
    if row.get("verdict_method") == "sequential":
        return NEXT_STEP_AT_CAP
    return NEXT_STEP


def _finite(x):
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _decimals(lo, hi):
    """Decimals that show an interval of this width to two digits."""
    width = abs(hi - lo) if _finite(lo) and _finite(hi) else 0.0
    if not width:
        return None
    return max(0, 1 - math.floor(math.log10(width)))


def _num(x, decimals, *, signed=False):
    if not _finite(x):
        return "–"
    sign = "+" if signed else ""
    if decimals is None:
        return format(float(x), sign + ".3g")
    return format(float(x), f"{sign}.{decimals}f")


def _interval(mean, lo, hi, *, signed):
    d = _decimals(lo, hi)
    text = _num(mean, d, signed=signed)
    if _finite(lo) and _finite(hi):
        text += f" [{_num(lo, d, signed=signed)}, {_num(hi, d, signed=signed)}]"
    return text, d


def diff_sd(row, confidence=CONFIDENCE):
    """Standard deviation of one comparison's paired differences, read back
    from its t-interval: `half = t(n-1) sd sqrt(1/n + r)`, with `r` the
    Nadeau-Bengio `n_test / n_train` of re-split seeds (0 otherwise).

    Returns:
        The standard deviation; NaN below two paired seeds or without an
        interval.
    """
    n = row.get("n_paired")
    lo, hi = row.get("diff_ci_low"), row.get("diff_ci_high")
    if not (_finite(n) and n >= 2 and _finite(lo) and _finite(hi)):
        return np.nan
    r = row.get("nb_ratio")
    r = float(r) if _finite(r) else 0.0
    t = sps.t.ppf(0.5 + confidence / 2, int(n) - 1)
    return (hi - lo) / 2 / (t * math.sqrt(1 / n + r))


def _gain(row, mode):
    """The difference in the 'better' direction (positive = better)."""
    d = row["diff_mean"]
    return d if mode != "min" else -d


def _seed_phrase(row, effect, d, m):
    """Seeds a paired t-test needs to detect `effect` at level ALPHA / m
    (Holm's first step over the task's `m` comparisons: the verdict's own
    correction, taken at its strictest)."""
    sd = diff_sd(row)
    r = row.get("nb_ratio")
    alpha = ALPHA / max(m, 1)
    need = seeds_needed(
        sd,
        effect,
        nb_ratio=r if _finite(r) else None,
        alpha=alpha,
        max_n=MAX_SEEDS,
    )
    size = _num(effect, d)
    if not _finite(sd) or sd <= 0:
        # No spread yet (one pair, or equal differences at every seed, as
        # two seeds of a task with few test examples can give).
        return (
            None,
            "too few paired seeds to say how many would settle it",
            False,
        )
    if need is None and _finite(r) and r > 0:
        # With re-split seeds the noncentrality tends to effect / (sd
        # sqrt(r)): past that ceiling no number of seeds has the power.
        reach = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(POWER)
        if effect / (sd * math.sqrt(r)) < reach:
            return (
                None,
                f"no number of seeds would detect {size} (the seeds "
                "re-split one data set)",
                True,
            )
    if need is None:
        phrase = f"more than {MAX_SEEDS} seeds would be needed for {size}"
        return None, phrase, True
    return need, f"about {need} seeds would detect {size}", False


def _posterior(row):
    """`, P(better) 0.80` when the table has a finite `p_better`."""
    p = row.get("p_better")
    return f", P(better) {float(p):.2f}" if _finite(p) else ""


def _names(rows):
    return ", ".join(str(a) for a in rows["activation"])


def _one(task, g):
    """The recommendation of one task (dict of `RESULT_COLUMNS`)."""
    out = dict.fromkeys(RESULT_COLUMNS)
    out["task"] = task
    base = g.loc[g["is_baseline"].astype(bool), "activation"]
    if not len(base):
        named = g["baseline"].dropna()
        base = named.iloc[0] if len(named) else None
    else:
        base = base.iloc[0]
    out["baseline"] = base
    if base is None:
        out["action"] = "none"
        out["text"] = "no baseline, so no recommendation."
        return out
    comp = g[~g["is_baseline"].astype(bool)]
    comp = comp[(comp["n_paired"].fillna(0) > 0) & comp["verdict"].notna()]
    if not len(comp):
        out["action"] = "none"
        out["text"] = f"no paired comparison with {base} yet."
        return out
    mode = g["metric_mode"].dropna()
    mode = mode.iloc[0] if len(mode) else "max"
    metric = g["metric"].dropna()
    metric = metric.iloc[0] if len(metric) else "metric"
    lower = " (lower is better)" if mode == "min" else ""
    comp = comp.assign(_gain=[_gain(r, mode) for _, r in comp.iterrows()])
    comp = comp.sort_values(
        ["_gain", "activation"], ascending=[False, True], kind="stable"
    )
    n = int(comp["n_paired"].max())
    better = comp[comp["verdict"] == "better"]
    undecided = comp[(comp["verdict"] == "undecided") & (comp["_gain"] > 0)]
    equivalent = comp[comp["verdict"] == "equivalent"]
    worse = comp[comp["verdict"] == "worse"]
    pick = better if len(better) else undecided if len(undecided) else comp
    top = pick.iloc[0]
    for key in ("verdict", "diff_mean", "diff_ci_low", "diff_ci_high"):
        out[key] = top[key]
    out["candidate"] = top["activation"]
    out["n_paired"] = int(top["n_paired"])
    if len(better):
        lo, hi = top["diff_ci_low"], top["diff_ci_high"]
        gain_lo, gain_hi = (lo, hi) if mode != "min" else (-hi, -lo)
        by, _ = _interval(top["_gain"], gain_lo, gain_hi, signed=False)
        text = (
            f"{top['activation']} is better than {base} by {by} "
            f"({metric}, {int(top['n_paired'])} seeds{_posterior(top)}): use "
            f"{top['activation']}."
        )
        if len(better) > 1:
            text += f" Also better: {_names(better.iloc[1:])}."
        out.update(action="switch", text=text)
        return out
    if len(undecided):
        shown, d = _interval(
            top["diff_mean"], top["diff_ci_low"], top["diff_ci_high"],
            signed=True,
        )  # fmt: skip
        rope = top.get("rope")
        effect = abs(top["diff_mean"])
        if _finite(rope):
            effect = max(effect, float(rope))
        need, phrase, hopeless = _seed_phrase(top, effect, d, len(comp))
        text = (
            f"{top['activation']} {shown} {metric}{lower} vs {base}"
            f"{_posterior(top)}: not "
            f"shown with {int(top['n_paired'])} seeds; {phrase} — keep "
            f"{base}" + ("." if hopeless else f", {_next_step(top)}.")
        )
        out.update(
            action="undecided", effect=effect, seeds_needed=need, text=text
        )
        return out
    out["action"] = "keep"
    if len(equivalent):
        rope = equivalent["rope"].dropna()
        within = f" within ±{_num(rope.iloc[0], None)}" if len(rope) else ""
        verb = "is" if len(equivalent) == 1 else "are"
        text = (
            f"{_names(equivalent)} {verb} equivalent to {base}{within} "
            f"({metric}, {n} seeds) and nothing is better: keep {base}."
        )
    elif len(worse) == len(comp):
        text = (
            f"every alternative is worse than {base} ({metric}, {n} "
            f"seeds): keep {base}."
        )
    else:
        shown, _ = _interval(
            top["diff_mean"], top["diff_ci_low"], top["diff_ci_high"],
            signed=True,
        )  # fmt: skip
        text = (
            f"nothing is ahead of {base} with {n} seeds (closest: "
            f"{top['activation']} {shown} {metric}{lower}, "
            f"{top['verdict']}): keep {base}."
        )
    if len(worse) and len(worse) < len(comp):
        text += f" Worse: {_names(worse)}."
    out["text"] = text
    return out


def recommend(summary):
    """One recommendation per task from the verdict table.

    Args:
        summary: `stats.summarize` output (only `COLUMNS` are read; other
            columns are ignored).

    Returns:
        DataFrame, one row per task, columns `RESULT_COLUMNS`: `action`
        (one of `ACTIONS`), `candidate` (the activation the line is about),
        its `verdict` and paired difference with the 95% interval,
        `n_paired`, for undecided candidates the `effect` to detect and
        the `seeds_needed` (None when out of reach), and `text`, the line.

    Raises:
        ValueError: If `summary` lacks one of `COLUMNS`.
    """
    missing = [c for c in COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(
            "`summary` must be the table `stats.summarize` returns; it lacks "
            f"the columns {missing}. Received columns: {list(summary.columns)}"
        )
    rows = [_one(task, g) for task, g in summary.groupby("task", sort=True)]
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def lines(summary):
    """The recommendations as plain-text lines, `"task: text"`."""
    rec = recommend(summary)
    return [f"{r.task}: {r.text}" for r in rec.itertuples(index=False)]
