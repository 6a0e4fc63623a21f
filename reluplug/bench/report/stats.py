"""Summary statistics: per (task, activation), paired against the baseline.

For a given (task, seed) every activation starts from the same initial weights
(checked through `init_sha256`), so the comparison with the baseline is
*paired* over the seeds both completed. The unit of analysis is one trial's
test metric at its validation-chosen epoch.

Conventions, used by every function here:

* `diff` is `activation - baseline` in the metric's own units, whatever the
  metric mode; for a `min` metric (e.g. mse) a negative `diff` is better.
  `wins`/`ties`/`losses` and ranks do respect the mode.
* Confidence intervals are t-based: `mean +- t(1 - alpha/2, n - 1) * sd /
  sqrt(n)` with the sample standard deviation (ddof=1). With one value the
  standard deviation and interval are NaN.
* The paired t-test is two-sided; when every difference is identical its
  p-value is 0 (NaN when they are all zero), as in `scipy.stats.ttest_rel`.
* The Wilcoxon signed-rank test (two-sided, `scipy.stats.wilcoxon`, exact for
  small samples without ties) is reported from `MIN_WILCOXON = 5` paired seeds
  on; below that it is NaN. With 5 seeds its smallest possible p-value is
  2/32 = 0.0625, so it only becomes informative with more seeds.
* The effect size is Cohen's d_z: mean difference / standard deviation of
  the differences.
"""

import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

CONFIDENCE = 0.95
MIN_WILCOXON = 5
TIE_TOL = 1e-12

SUMMARY_COLUMNS = [
    "task",
    "activation",
    "metric",
    "metric_mode",
    "is_baseline",
    "baseline",
    "n_trials",
    "n_completed",
    "n_diverged",
    "n_failed",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n_paired",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "t_pvalue",
    "wilcoxon_pvalue",
    "effect_dz",
    "wins",
    "ties",
    "losses",
    "n_reached_baseline",
    "epochs_to_baseline",
    "seconds_to_baseline",
    "epoch_time_s",
    "epoch_time_ratio",
    "final_dead_fraction",
    "final_inactive_fraction",
    "n_init_conflicts",
    "rank",
    "mean_rank",
]


def t_interval(values, confidence=CONFIDENCE):
    """Mean, sample std and t-based confidence interval of `values`.

    Args:
        values: 1-D array-like of floats; NaNs are dropped.
        confidence: Coverage of the interval, in (0, 1).

    Returns:
        `(mean, std, low, high)`; std and bounds are NaN below two values,
        all four are NaN for no value.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return (np.nan,) * 4
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan, np.nan
    sd = float(x.std(ddof=1))
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    return mean, sd, mean - half, mean + half


def paired_test(a, b, *, mode="max", confidence=CONFIDENCE, tie_tol=TIE_TOL):
    """Paired comparison of `a` (activation) against `b` (baseline).

    Args:
        a: Values of the activation, aligned with `b` (same seeds, same
            order).
        b: Values of the baseline.
        mode: `"max"` if larger is better, `"min"` if smaller is.
        confidence: Coverage of the interval of the mean difference.
        tie_tol: Absolute differences up to this count as ties.

    Returns:
        Dict with `n_paired`, `diff_mean`, `diff_ci_low`, `diff_ci_high`,
        `t_pvalue`, `wilcoxon_pvalue`, `effect_dz`, `wins`, `ties`, `losses`.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    n = d.size
    mean, sd, lo, hi = t_interval(d, confidence)
    t_p = dz = np.nan
    if n >= 2:
        if sd > 0:
            t = mean / (sd / np.sqrt(n))
            t_p = float(2 * sps.t.sf(abs(t), n - 1))
            dz = mean / sd
        elif mean != 0:
            t_p, dz = 0.0, float(np.sign(mean) * np.inf)
    w_p = np.nan
    if n >= MIN_WILCOXON and np.any(np.abs(d) > tie_tol):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w_p = float(sps.wilcoxon(d, alternative="two-sided").pvalue)
    better = d if mode == "max" else -d
    return {
        "n_paired": n,
        "diff_mean": mean,
        "diff_ci_low": lo,
        "diff_ci_high": hi,
        "t_pvalue": t_p,
        "wilcoxon_pvalue": w_p,
        "effect_dz": dz,
        "wins": int(np.sum(better > tie_tol)),
        "ties": int(np.sum(np.abs(d) <= tie_tol)),
        "losses": int(np.sum(better < -tie_tol)),
    }


def time_to_target(history, target, mode="max"):
    """First epoch, and seconds of training, at which `target` is reached.

    Args:
        history: Rows of one trial, with `epoch`, `val_metric` and
            `epoch_time_s`.
        target: Validation metric to reach (at least it for `"max"`, at most
            it for `"min"`).
        mode: `"max"` or `"min"`.

    Returns:
        `(epoch, seconds)`: the first epoch `e` (1-based) whose validation
        metric reaches `target`, and the sum of `epoch_time_s` over epochs
        1..e; `(nan, nan)` if it never does.
    """
    h = history.sort_values("epoch")
    val = h["val_metric"].to_numpy(dtype=float)
    hit = val >= target if mode == "max" else val <= target
    if not np.isfinite(target) or not hit.any():
        return np.nan, np.nan
    i = int(np.argmax(hit))
    secs = float(np.nansum(h["epoch_time_s"].to_numpy(dtype=float)[: i + 1]))
    return float(h["epoch"].iloc[i]), secs


def _baseline_of(g, baseline):
    if baseline is not None:
        return baseline if (g["activation"] == baseline).any() else None
    labels = g.loc[g["is_baseline"], "activation"].unique()
    return labels[0] if len(labels) else None


def _first(series):
    s = series.dropna()
    return s.iloc[0] if len(s) else None


def summarize(
    runs,
    history=None,
    *,
    baseline=None,
    conflicts=None,
    confidence=CONFIDENCE,
    tie_tol=TIE_TOL,
):
    """One row per (task, activation): the numbers behind `summary.csv`.

    `epochs_to_baseline` / `seconds_to_baseline`: for each paired seed, the
    target is the baseline trial's validation metric at its *last* epoch
    (its final validation metric); the activation's trial of the same seed
    reaches it at the first epoch whose validation metric is at least (max
    mode) or at most (min mode) the target. The columns are the means over
    the seeds that reached it, `n_reached_baseline` counts them; seconds are
    summed `epoch_time_s` of epochs 1..e.

    `epoch_time_s` is the mean over completed trials of their steady-state
    epoch time (epochs 2..N, see `frames.runs_frame`); `epoch_time_ratio`
    divides it by the baseline's. `final_dead_fraction` and
    `final_inactive_fraction` are means over completed trials.

    `rank` orders activations within a task by mean test metric (1 = best,
    respecting the metric mode, ties share the average rank, activations
    without any completed trial rank last; a task where nothing completed
    ranks no one); `mean_rank` is the mean of an activation's ranks over the
    tasks that rank it.

    Args:
        runs: The runs table (`frames.runs_frame`).
        history: The history table (`frames.history_frame`); without it the
            time-to-baseline columns are NaN.
        baseline: Label of the baseline activation; defaults to the trials
            flagged `is_baseline` in each task.
        conflicts: `frames.init_conflicts(runs)`; seeds listed there are left
            out of every paired statistic (counted in `n_init_conflicts`).
        confidence: Coverage of the confidence intervals.
        tie_tol: Absolute differences up to this count as ties.

    Returns:
        DataFrame with the columns `SUMMARY_COLUMNS`.
    """
    rows = []
    bad = set()
    if conflicts is not None and len(conflicts):
        bad = set(zip(conflicts["task"], conflicts["seed"]))
    ok = runs[(runs["status"] == "completed") & runs["test_metric"].notna()]
    by_trial = {}
    if history is not None and len(history):
        by_trial = dict(tuple(history.groupby("trial_id", sort=False)))
    for task, g in runs.groupby("task", sort=True):
        base = _baseline_of(g, baseline)
        mode = _first(g["metric_mode"]) or "max"
        gok = ok[ok["task"] == task]
        bvals = gok[gok["activation"] == base].set_index("seed")
        task_bad = {s for t, s in bad if t == task}
        for act, ga in g.groupby("activation", sort=True):
            aok = gok[gok["activation"] == act].set_index("seed")
            mean, sd, lo, hi = t_interval(aok["test_metric"], confidence)
            row = {
                "task": task,
                "activation": act,
                "metric": _first(ga["metric"]),
                "metric_mode": mode,
                "is_baseline": act == base,
                "baseline": base,
                "n_trials": len(ga),
                "n_completed": int((ga["status"] == "completed").sum()),
                "n_diverged": int((ga["status"] == "diverged").sum()),
                "n_failed": int((ga["status"] == "failed").sum()),
                "mean": mean,
                "std": sd,
                "ci_low": lo,
                "ci_high": hi,
                "n_init_conflicts": len(task_bad & set(ga["seed"])),
            }
            seeds = sorted((set(aok.index) & set(bvals.index)) - task_bad)
            row.update(
                paired_test(
                    aok.loc[seeds, "test_metric"],
                    bvals.loc[seeds, "test_metric"],
                    mode=mode,
                    confidence=confidence,
                    tie_tol=tie_tol,
                )
            )
            row.update(_time_to_baseline(by_trial, aok, bvals, seeds, mode))
            t_act = aok["mean_epoch_time_s"].mean()
            t_base = bvals["mean_epoch_time_s"].mean() if base else np.nan
            row["epoch_time_s"] = t_act
            row["epoch_time_ratio"] = t_act / t_base if t_base else np.nan
            row["final_dead_fraction"] = aok["final_dead_fraction"].mean()
            row["final_inactive_fraction"] = aok[
                "final_inactive_fraction"
            ].mean()
            rows.append(row)
    df = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return _add_ranks(df)


def _time_to_baseline(by_trial, aok, bvals, seeds, mode):
    out = {
        "n_reached_baseline": 0,
        "epochs_to_baseline": np.nan,
        "seconds_to_baseline": np.nan,
    }
    if not by_trial or not seeds:
        return out
    epochs, secs = [], []
    for seed in seeds:
        hb = by_trial.get(bvals.loc[seed, "trial_id"])
        ha = by_trial.get(aok.loc[seed, "trial_id"])
        if hb is None or ha is None:
            continue
        final = hb.sort_values("epoch")["val_metric"].dropna()
        if not len(final):
            continue
        e, s = time_to_target(ha, float(final.iloc[-1]), mode)
        if np.isfinite(e):
            epochs.append(e)
            secs.append(s)
    if epochs:
        out["n_reached_baseline"] = len(epochs)
        out["epochs_to_baseline"] = float(np.mean(epochs))
        out["seconds_to_baseline"] = float(np.mean(secs))
    return out


def _add_ranks(df):
    if not len(df):
        return df
    ranks = []
    for _, g in df.groupby("task", sort=False):
        asc = (g["metric_mode"].iloc[0] or "max") == "min"
        r = g["mean"].rank(ascending=asc, method="average", na_option="bottom")
        if g["mean"].isna().all():
            r[:] = np.nan  # nothing completed: the task ranks no one
        ranks.append(r)
    df["rank"] = pd.concat(ranks)
    df["mean_rank"] = df.groupby("activation")["rank"].transform("mean")
    return df


def ranking(summary):
    """Overall ranking of activations across tasks.

    Args:
        summary: Output of `summarize`.

    Returns:
        DataFrame sorted best first with `activation`, `mean_rank`,
        `n_tasks`, `n_best` (tasks where it ranks first, shared firsts
        included), `n_better` / `n_worse` (tasks where its paired 95% CI of
        the difference to the baseline lies entirely on the better / worse
        side of zero).
    """
    cols = ["activation", "mean_rank", "n_tasks", "n_best"]
    cols += ["n_better", "n_worse"]
    if not len(summary):
        return pd.DataFrame(columns=cols)
    s = summary.copy()
    sign = np.where(s["metric_mode"] == "min", -1.0, 1.0)
    lo = np.minimum(sign * s["diff_ci_low"], sign * s["diff_ci_high"])
    hi = np.maximum(sign * s["diff_ci_low"], sign * s["diff_ci_high"])
    s["_better"] = (lo > 0) & ~s["is_baseline"]
    s["_worse"] = (hi < 0) & ~s["is_baseline"]
    best = s.groupby("task")["rank"].transform("min")
    s["_best"] = (s["rank"] == best) & s["mean"].notna()
    out = s.groupby("activation", sort=False).agg(
        mean_rank=("rank", "mean"),
        n_tasks=("task", "nunique"),
        n_best=("_best", "sum"),
        n_better=("_better", "sum"),
        n_worse=("_worse", "sum"),
    )
    out = out.reset_index().sort_values(
        ["mean_rank", "activation"], kind="stable"
    )
    for c in ("n_tasks", "n_best", "n_better", "n_worse"):
        out[c] = out[c].astype(int)
    return out[cols].reset_index(drop=True)


def headline(summary):
    """Best activation per task, with the baseline for scale.

    Args:
        summary: Output of `summarize`.

    Returns:
        One row per task: `task`, `metric`, `metric_mode`, `best`, `mean`,
        `ci_low`, `ci_high`, `n_completed`, `baseline`, `baseline_mean`,
        `diff_mean`, `diff_ci_low`, `diff_ci_high`, `t_pvalue`. Ties for
        first place list every label, comma separated.
    """
    cols = [
        "task",
        "metric",
        "metric_mode",
        "best",
        "mean",
        "ci_low",
        "ci_high",
        "n_completed",
        "baseline",
        "baseline_mean",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "t_pvalue",
    ]
    rows = []
    for task, g in summary.groupby("task", sort=True):
        g = g[g["mean"].notna()]
        if not len(g):
            rows.append({"task": task, "best": None})
            continue
        top = g[g["rank"] == g["rank"].min()]
        first = top.iloc[0]
        bmean = g.loc[g["is_baseline"], "mean"]
        row = {c: first.get(c) for c in cols if c in first.index}
        row["best"] = ", ".join(top["activation"])
        row["baseline_mean"] = bmean.iloc[0] if len(bmean) else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
