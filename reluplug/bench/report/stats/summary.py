"""One row per (task, activation) (`summary.csv`) and the headline tables.

Summaries of one activation (`mean`, `ci_low`, `ci_high`) never leave the
metric's range (`BOUNDS`): a bootstrap percentile interval of the mean
(`scipy.stats.bootstrap`) from `BOOT_MIN_N` values on, `[min, max]` below.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import BOOT_MIN_N
from reluplug.bench.report.stats.definitions import CONFIDENCE
from reluplug.bench.report.stats.definitions import N_BOOT
from reluplug.bench.report.stats.definitions import POSTERIOR_LEVEL
from reluplug.bench.report.stats.definitions import SUCCESS_MARGIN
from reluplug.bench.report.stats.definitions import SUCCESS_MARGIN_OTHER
from reluplug.bench.report.stats.definitions import VERDICTS
from reluplug.bench.report.stats.definitions import bounds_of
from reluplug.bench.report.stats.design import rope_width
from reluplug.bench.report.stats.design import task_facts
from reluplug.bench.report.stats.paired import adjust
from reluplug.bench.report.stats.paired import paired_test
from reluplug.bench.report.stats.paired import verdict
from reluplug.bench.report.stats.power import _add_power
from reluplug.bench.report.stats.ranks import _add_ranks
from reluplug.bench.report.stats.ranks import identical_functions
from reluplug.bench.report.stats.ranks import merge_identical
from reluplug.bench.report.stats.ranks import seed_ranks
from reluplug.bench.report.stats.sequential import decided
from reluplug.bench.report.stats.survival import _time_to_target
from reluplug.bench.report.stats.survival import group_targets

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
    "median",
    "min",
    "max",
    "ci_low",
    "ci_high",
    "ci_method",
    "n_success",
    "success_low",
    "success_high",
    "success_threshold",
    "tie_tol",
    "design",
    "resplit",
    "nb_ratio",
    "rope",
    "n_paired",
    "n_nonzero",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "diff_ci90_low",
    "diff_ci90_high",
    "constant_diff",
    "t_pvalue",
    "perm_pvalue",
    "wilcoxon_pvalue",
    "p_value",
    "p_holm",
    "q_bh",
    "p_tost",
    "p_tost_holm",
    "verdict",
    "verdict_method",
    "decided_at",
    "same_as",
    "effect_gz",
    "gz_ci_low",
    "gz_ci_high",
    "p_better",
    "p_rope",
    "p_worse",
    "wins",
    "ties",
    "losses",
    "target_epochs",
    "target_seconds",
    "n_reached_target",
    "n_censored",
    "epoch_time_s",
    "epoch_time_ratio",
    "final_dead_fraction",
    "final_inactive_fraction",
    "n_init_conflicts",
    "mean_seed_rank",
    "rank",
    "mean_rank",
    "p_best",
    "in_credible_best",
    "mde",
    "mde_gz",
]


def bounded_interval(values, bounds=(-math.inf, math.inf), **kw):
    """Mean and an interval of it that stays inside `bounds`.

    From `BOOT_MIN_N` values on: the bootstrap percentile interval of the
    mean (`scipy.stats.bootstrap(method="percentile")`, seeded, of the
    sorted values), which lies inside the observed range. Below:
    `[min, max]`.

    Args:
        values: 1-D array-like; NaNs are dropped.
        bounds: `(low, high)` range of the metric.
        **kw: `confidence` (default `CONFIDENCE`).

    Returns:
        Dict with `mean`, `std`, `median`, `min`, `max`, `ci_low`,
        `ci_high`, `ci_method` (`"bootstrap"`, `"range"` or None).
    """
    confidence = kw.get("confidence", CONFIDENCE)
    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])  # the result must not depend on order
    out = dict.fromkeys(
        ("mean", "std", "median", "min", "max", "ci_low", "ci_high"), np.nan
    )
    out["ci_method"] = None
    if not x.size:
        return out
    out.update(
        mean=float(x.mean()),
        std=float(x.std(ddof=1)) if x.size > 1 else np.nan,
        median=float(np.median(x)),
        min=float(x.min()),
        max=float(x.max()),
    )
    if x.size >= BOOT_MIN_N and np.ptp(x) > 0:
        res = sps.bootstrap(
            (x,),
            np.mean,
            confidence_level=confidence,
            n_resamples=N_BOOT,
            method="percentile",
            vectorized=True,
            random_state=np.random.default_rng(0),
        )
        lo, hi = res.confidence_interval
        out["ci_method"] = "bootstrap"
    else:
        lo, hi = out["min"], out["max"]
        out["ci_method"] = "range"
    out["ci_low"] = float(np.clip(lo, *bounds))
    out["ci_high"] = float(np.clip(hi, *bounds))
    return out


def bounded_bands(data, keys, value, confidence=CONFIDENCE):
    """`bounded_interval` of the mean for many groups at once.

    Groups of the same size go through one batched
    `scipy.stats.bootstrap(..., axis=-1)` call (seeded, values sorted within
    each group), so a learning-curve band over hundreds of (activation,
    epoch) groups costs a few calls instead of hundreds. The intervals lie
    inside each group's observed values.

    Args:
        data: DataFrame holding `keys` and `value`.
        keys: Columns that define a group.
        value: Column summarized.
        confidence: Coverage of the intervals.

    Returns:
        DataFrame with `keys`, `mean`, `low`, `high`, one row per group.
    """
    d = data.dropna(subset=[value])
    cols = list(keys) + ["mean", "low", "high"]
    if not len(d):
        return pd.DataFrame(columns=cols)
    groups = d.groupby(list(keys), sort=True)[value]
    vals = [np.sort(v.to_numpy(dtype=float)) for _, v in groups]
    names = list(groups.groups.keys())
    low = np.empty(len(vals))
    high = np.empty(len(vals))
    sizes = np.array([v.size for v in vals])
    for n in np.unique(sizes):
        idx = np.nonzero(sizes == n)[0]
        block = np.stack([vals[i] for i in idx])
        lo, hi = block.min(axis=1), block.max(axis=1)
        spread = np.ptp(block, axis=1) > 0
        if n >= BOOT_MIN_N and spread.any():
            res = sps.bootstrap(
                (block[spread],),
                np.mean,
                confidence_level=confidence,
                n_resamples=N_BOOT,
                method="percentile",
                vectorized=True,
                axis=-1,
                random_state=np.random.default_rng(0),
            )
            lo[spread] = res.confidence_interval.low
            hi[spread] = res.confidence_interval.high
        low[idx], high[idx] = lo, hi
    out = pd.DataFrame(
        names if len(keys) > 1 else [(k,) for k in names], columns=list(keys)
    )
    out["mean"] = [v.mean() for v in vals]
    out["low"] = low
    out["high"] = high
    return out[cols]


def success_interval(k, n, confidence=CONFIDENCE):
    """Clopper-Pearson interval of `k` successes in `n` seeds."""
    from statsmodels.stats.proportion import proportion_confint

    if not n:
        return np.nan, np.nan
    lo, hi = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    return float(lo), float(hi)


def _success(metric, mode, best):
    margin = SUCCESS_MARGIN.get(metric, SUCCESS_MARGIN_OTHER)
    lo, hi = bounds_of(metric)
    relative = not (np.isfinite(lo) and np.isfinite(hi))
    if mode == "max":
        return best - (margin * abs(best) if relative else margin)
    return best + (margin * abs(best) if relative else margin)


def _baseline_of(g, baseline):
    if baseline is not None:
        return baseline if (g["activation"] == baseline).any() else None
    labels = g.loc[g["is_baseline"], "activation"].unique()
    return labels[0] if len(labels) else None


def summarize(
    runs,
    history=None,
    *,
    baseline=None,
    conflicts=None,
    rope=None,
    alpha=ALPHA,
    identical=None,
    sequential=None,
):
    """One row per (task, activation): the numbers behind `summary.csv`.

    See the module docstring for the tests, intervals and verdicts. Further
    columns:

    * `n_success` of `n_completed` seeds are within `SUCCESS_MARGIN` of the
      task's best trial (`success_threshold`), with a Clopper-Pearson
      interval (`success_low`, `success_high`): for bimodal outcomes.
    * `target_epochs` / `target_seconds`: Kaplan-Meier median time to reach,
      per seed, the median of the group's best validation metrics (so the
      baseline can be censored too; censored at the epochs run;
      `n_reached_target`, `n_censored`); seconds count epoch 1 as the
      median of the later epochs (no graph-building time).
    * `mean_seed_rank`: mean over seeds of the rank within (task, seed),
      failures worst; `rank` ranks it within the task; `mean_rank` is the
      mean of `rank` over tasks (the Friedman average rank).
    * `p_best`: Bayesian-bootstrap probability over seeds of the best mean
      metric (failed trials count as the seed's worst);
      `in_credible_best`: in the credible best set, the fewest
      activations holding 95% of P(best) (`stats.ranks`).
    * `mde`, `mde_gz`: the task's minimum detectable effect (80% power,
      two-sided alpha, its number of seeds), in metric units (times
      `pooled_diff_sd`) and as g_z (`statsmodels.stats.power.TTestPower`);
      same on every row of a task.

    Args:
        runs: The runs table (`frames.runs_frame`).
        history: The history table (`frames.history_frame`); without it the
            time-to-target columns are NaN.
        baseline: Label of the baseline activation; defaults to the trials
            flagged `is_baseline` in each task.
        conflicts: `frames.init_conflicts(runs)`; seeds listed there are left
            out of every paired statistic (counted in `n_init_conflicts`).
        rope: Mapping metric -> ROPE value (see `rope_width`); None for
            `DEFAULT_ROPE`.
        alpha: Level of every test.
        identical: `identical_functions(runs, history)` (computed here from
            the history when None): each group of identical activations
            is tested once, through its representative (`same_as`).
        sequential: The looks of a run until decided (`RunData.sequential`:
            `looks`, `max_seeds`, `alpha`): the verdicts are then the
            group-sequential decisions (`sequential.decided`), since
            fixed-design tests are not valid after optional stopping;
            `verdict_method` says which rule gave each verdict.

    Returns:
        DataFrame with the columns `SUMMARY_COLUMNS`.
    """
    rows = []
    bad = set()
    if conflicts is not None and len(conflicts):
        bad = set(zip(conflicts["task"], conflicts["seed"]))
    facts = task_facts(runs)
    ok = runs[(runs["status"] == "completed") & runs["test_metric"].notna()]
    by_trial = {}
    if history is not None and len(history):
        by_trial = dict(tuple(history.groupby("trial_id", sort=False)))
    if identical is None:
        identical = identical_functions(runs, history)
    same_as = merge_identical(identical, _baselines(runs, baseline))
    kept = runs[~runs["activation"].isin(same_as)]
    ranks = seed_ranks(kept, facts, conflicts)
    for task, g in runs.groupby("task", sort=True):
        f = facts[task]
        mode, metric = f["mode"], f["metric"]
        base = _baseline_of(g, baseline)
        gok = ok[ok["task"] == task]
        bvals = gok[gok["activation"] == base].set_index("seed")
        targets = group_targets(kept[kept["task"] == task], mode)
        task_bad = {s for t, s in bad if t == task}
        width = rope_width(
            metric, rope, bvals["test_metric"].mean() if len(bvals) else None
        )
        best_trial = (
            gok["test_metric"].max()
            if mode == "max"
            else gok["test_metric"].min()
        )
        threshold = _success(metric, mode, best_trial) if len(gok) else np.nan
        for act, ga in g.groupby("activation", sort=True):
            aok = gok[gok["activation"] == act].set_index("seed")
            vals = aok["test_metric"].to_numpy(dtype=float)
            summary = bounded_interval(vals, f["bounds"])
            hit = vals >= threshold if mode == "max" else vals <= threshold
            k = int(hit.sum())
            s_lo, s_hi = success_interval(k, len(vals))
            row = {
                "task": task,
                "activation": act,
                "metric": metric,
                "metric_mode": mode,
                "is_baseline": act == base,
                "baseline": base,
                "n_trials": len(ga),
                "n_completed": int((ga["status"] == "completed").sum()),
                "n_diverged": int((ga["status"] == "diverged").sum()),
                "n_failed": int((ga["status"] == "failed").sum()),
                **summary,
                "n_success": k,
                "success_low": s_lo,
                "success_high": s_hi,
                "success_threshold": threshold,
                "tie_tol": f["tie_tol"],
                "design": f["design"],
                "resplit": f["resplit"],
                "nb_ratio": f["nb_ratio"],
                "rope": width,
                "n_init_conflicts": len(task_bad & set(ga["seed"])),
                "same_as": same_as.get(act),
            }
            seeds = sorted((set(aok.index) & set(bvals.index)) - task_bad)
            if base is not None:
                row.update(
                    paired_test(
                        aok.loc[seeds, "test_metric"],
                        bvals.loc[seeds, "test_metric"],
                        mode=mode,
                        tie_tol=f["tie_tol"],
                        nb_ratio=f["nb_ratio"],
                        rope=width,
                        alpha=alpha,
                        bounds=f["bounds"],
                    )
                )
            else:
                row.update(paired_test([], [], mode=mode))
            trials = dict(zip(ga["seed"], ga["trial_id"]))
            tseeds = sorted(set(ga["seed"]) - task_bad)
            row.update(_time_to_target(by_trial, trials, targets, tseeds, mode))
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
    if not len(df):
        return df
    df = _adjust(df, alpha)
    df["verdict_method"] = np.where(df["verdict"].notna(), "fixed", None)
    df["decided_at"] = np.nan
    if sequential:
        df = _sequential_verdicts(
            df, runs, sequential, baseline, rope, alpha, identical
        )
    keep = df["same_as"].isna()
    ranked = _add_ranks(df[keep].copy(), ranks, kept, facts)
    for col in ("mean_seed_rank", "rank", "p_best", "mean_rank"):
        df[col] = ranked[col]
    df["in_credible_best"] = ranked["in_credible_best"].reindex(df.index)
    df["in_credible_best"] = df["in_credible_best"].fillna(False).astype(bool)
    return _add_power(df, alpha)


def _sequential_verdicts(df, runs, info, baseline, rope, alpha, identical):
    """Verdicts of a run until decided, from its looks."""
    dec = decided(
        runs,
        looks=info["looks"],
        max_seeds=info["max_seeds"],
        baseline=baseline,
        rope=rope,
        alpha=info.get("alpha", alpha),
        identical=identical,
    ).set_index(["task", "activation"])
    for i in df.index:
        key = (df.at[i, "task"], df.at[i, "activation"])
        if key in dec.index:
            df.at[i, "verdict"] = dec.at[key, "decision"]
            df.at[i, "verdict_method"] = "sequential"
            df.at[i, "decided_at"] = dec.at[key, "decided_at"]
    return df


def _baselines(runs, baseline):
    if baseline is not None:
        return {baseline}
    return set(runs.loc[runs["is_baseline"].astype(bool), "activation"])


def _adjust(df, alpha):
    """Holm within task, Benjamini-Hochberg over the run, then verdicts.

    The difference tests (`p_value`) and the equivalence tests (`p_tost`)
    are each Holm-adjusted within the task over the same comparisons;
    activations merged into another (`same_as`) are not in the families
    and copy their representative's results.
    """
    own = ~df["is_baseline"] & df["same_as"].isna()
    test = own & df["p_value"].notna()
    df["p_holm"] = np.nan
    df["q_bh"] = np.nan
    df["p_tost_holm"] = np.nan
    for _, idx in df[test].groupby("task").groups.items():
        df.loc[idx, "p_holm"] = adjust(df.loc[idx, "p_value"], "holm")
    if test.any():
        df.loc[test, "q_bh"] = adjust(df.loc[test, "p_value"], "fdr_bh")
    tost = own & df["p_tost"].notna()
    for _, idx in df[tost].groupby("task").groups.items():
        df.loc[idx, "p_tost_holm"] = adjust(df.loc[idx, "p_tost"], "holm")
    df["verdict"] = [
        None
        if r["is_baseline"] or r["baseline"] is None
        else verdict(r, r["metric_mode"], alpha)
        for r in df.to_dict("records")
    ]
    copied = ["p_holm", "q_bh", "p_tost_holm", "verdict"]
    for i in df.index[df["same_as"].notna() & ~df["is_baseline"]]:
        rep = df[
            (df["task"] == df.at[i, "task"])
            & (df["activation"] == df.at[i, "same_as"])
        ]
        if not len(rep):
            continue
        if bool(rep["is_baseline"].iloc[0]):
            df.at[i, "verdict"] = "equivalent"
        else:
            for col in copied:
                df.at[i, col] = rep[col].iloc[0]
    return df


def ranking(summary):
    """Overall ranking of activations across tasks.

    Args:
        summary: Output of `summarize`.

    Returns:
        DataFrame sorted best first with `activation`, `mean_rank`,
        `n_tasks`, `n_credible_best` (tasks where it is in the credible
        best set),
        `n_better` / `n_worse` / `n_equivalent` / `n_undecided` (verdicts
        against the baseline, Holm-adjusted), `n_diverged`, `n_failed`.
    """
    cols = [
        "activation",
        "mean_rank",
        "n_tasks",
        "n_credible_best",
        "n_better",
        "n_worse",
        "n_equivalent",
        "n_undecided",
        "n_trials",
        "n_diverged",
        "n_failed",
    ]
    if not len(summary):
        return pd.DataFrame(columns=cols)
    s = summary.copy()
    for v in VERDICTS:
        s[f"_{v}"] = s["verdict"] == v
    s["_best"] = s["in_credible_best"].astype(bool) & s["rank"].notna()
    out = s.groupby("activation", sort=False).agg(
        mean_rank=("rank", "mean"),
        n_tasks=("task", "nunique"),
        n_credible_best=("_best", "sum"),
        n_better=("_better", "sum"),
        n_worse=("_worse", "sum"),
        n_equivalent=("_equivalent", "sum"),
        n_undecided=("_undecided", "sum"),
        n_trials=("n_trials", "sum"),
        n_diverged=("n_diverged", "sum"),
        n_failed=("n_failed", "sum"),
    )
    out = out.reset_index().sort_values(
        ["mean_rank", "activation"], kind="stable", na_position="last"
    )
    for c in cols[2:]:
        out[c] = out[c].astype(int)
    return out[cols].reset_index(drop=True)


def headline(summary):
    """Per task: the credible best set (not a single winner), the baseline.

    Returns:
        One row per task: `task`, `metric`, `metric_mode`, `n_seeds`,
        `top` (highest P(best), ties by rank), `top_mean`, `top_ci_low`,
        `top_ci_high`, `p_best` (of the top), `credible_best` (comma
        separated, most probable first: the activations holding
        `CREDIBLE_BEST` of P(best)), `baseline`, `baseline_mean`,
        `n_better`, `n_worse`, `n_equivalent`, `n_undecided`, `rope`,
        `mde`, `statement` (`bayes_statements`, joined).
    """
    cols = [
        "task",
        "metric",
        "metric_mode",
        "n_seeds",
        "top",
        "top_mean",
        "top_ci_low",
        "top_ci_high",
        "p_best",
        "credible_best",
        "baseline",
        "baseline_mean",
        "n_better",
        "n_worse",
        "n_equivalent",
        "n_undecided",
        "rope",
        "mde",
        "statement",
    ]
    rows = []
    for task, g in summary.groupby("task", sort=True):
        g = g[g["rank"].notna()].sort_values(
            ["p_best", "rank", "activation"], ascending=[False, True, True]
        )
        if not len(g):
            rows.append({"task": task, "top": None})
            continue
        first = g.iloc[0]
        bmean = g.loc[g["is_baseline"], "mean"]
        counts = g["verdict"].value_counts()
        rows.append(
            {
                "task": task,
                "metric": first["metric"],
                "metric_mode": first["metric_mode"],
                "n_seeds": int(g["n_trials"].max()),
                "top": first["activation"],
                "top_mean": first["mean"],
                "top_ci_low": first["ci_low"],
                "top_ci_high": first["ci_high"],
                "p_best": first["p_best"],
                "credible_best": ", ".join(
                    g.loc[g["in_credible_best"], "activation"]
                ),
                "baseline": first["baseline"],
                "baseline_mean": bmean.iloc[0] if len(bmean) else np.nan,
                **{f"n_{v}": int(counts.get(v, 0)) for v in VERDICTS},
                "rope": first["rope"],
                "mde": first["mde"],
                "statement": " ".join(bayes_statements(g)),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _joint(g, col, level):
    """Activations whose claims hold together with probability >= level.

    Most probable first, while the sum of the claims' posterior
    probabilities of being false stays <= 1 - level (Bonferroni's union
    bound: the joint probability that all hold is then >= level, whatever
    the dependence between the comparisons).
    """
    out, miss = [], 0.0
    ordered = g.sort_values(col, ascending=False, kind="stable")[col]
    for act, p in ordered.items():
        if miss + (1.0 - p) > 1.0 - level + 1e-12:
            break
        miss += 1.0 - p
        out.append(act)
    return out


def bayes_statements(summary_task, level=POSTERIOR_LEVEL):
    """Plain sentences from the Bayesian comparison of one task.

    A sentence is said only when the posteriors support it jointly with
    probability at least `level` (`_joint`: a union bound over the
    comparisons it covers, so picking the best of many activations does
    not inflate it).

    Args:
        summary_task: Rows of `summarize` for one task.
        level: Posterior probability a sentence needs.

    Returns:
        List of sentences, e.g. "No variant beats relu by more than 0.005
        (accuracy) with probability >= 0.95."
    """
    g = summary_task[
        ~summary_task["is_baseline"].astype(bool)
        & summary_task["same_as"].isna()
        & summary_task["p_better"].notna()
    ].set_index("activation")
    if not len(g):
        return []
    r = g.iloc[0]
    base, rope, metric = r["baseline"], r["rope"], r["metric"]
    width = f"{rope:.3g} ({metric})"
    tail = f"with probability >= {level:.2f}."

    def names(acts, one, many):
        if len(acts) == 1:
            return f"{acts[0]} {one}"
        return f"{', '.join(acts[:-1])} and {acts[-1]} {many}"

    out = []
    better = _joint(g, "p_better", level)
    if better:
        out.append(
            f"{names(better, 'beats', 'all beat')} {base} by more than "
            f"{width} {tail}"
        )
    if g["p_better"].sum() <= 1.0 - level + 1e-12:
        out.append(f"No variant beats {base} by more than {width} {tail}")
    same = _joint(g, "p_rope", level)
    if same:
        out.append(
            f"{names(same, 'is', 'are all')} within +-{width} of {base} {tail}"
        )
    worse = _joint(g, "p_worse", level)
    if worse:
        out.append(
            f"{names(worse, 'is', 'are all')} worse than {base} by more "
            f"than {width} {tail}"
        )
    return out
