"""Ranks within (task, seed), P(best), the best set, Friedman/Nemenyi and
the same-function check.

Diverged and failed trials take the worst rank in their (task, seed) group;
an activation that diverges does not climb the ranking on its survivors.
"""

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import GROUP
from reluplug.bench.report.stats.definitions import N_BOOT
from reluplug.bench.report.stats.design import task_facts
from reluplug.bench.report.stats.paired import adjust
from reluplug.bench.report.stats.paired import paired_test


def _tie_classes(values, tol):
    """Integer class per value; sorted neighbours within `tol` share one."""
    order = np.argsort(values, kind="stable")
    cls = np.empty(len(values), dtype=float)
    current, prev = 0, None
    for i in order:
        if prev is not None and values[i] - prev > tol:
            current += 1
        cls[i] = current
        prev = values[i]
    return cls


def seed_ranks(runs, facts=None, conflicts=None):
    """Rank of each trial within its (task, seed) group (1 = best).

    Completed trials rank by test metric (respecting the mode, values
    within the task's tie tolerance share their average rank); diverged and
    failed trials share the worst ranks of the group. Groups refused for
    differing initial weights are left out.

    Returns:
        DataFrame with `task`, `seed`, `activation`, `status`, `seed_rank`.
    """
    facts = facts or task_facts(runs)
    bad = set()
    if conflicts is not None and len(conflicts):
        bad = set(zip(conflicts["task"], conflicts["seed"]))
    parts = []
    for (task, seed), g in runs.groupby(GROUP, sort=True):
        if (task, seed) in bad:
            continue
        f = facts[task]
        v = g["test_metric"].to_numpy(dtype=float)
        ok = (g["status"] == "completed").to_numpy() & np.isfinite(v)
        key = np.where(ok, -v if f["mode"] == "max" else v, np.nan)
        cls = np.full(len(g), np.nan)
        if ok.any():
            cls[ok] = _tie_classes(key[ok], f["tie_tol"])
        worst = (np.nanmax(cls) + 1) if ok.any() else 0.0
        cls[~ok] = worst
        parts.append(
            pd.DataFrame(
                {
                    "task": task,
                    "seed": seed,
                    "activation": g["activation"].to_numpy(),
                    "status": g["status"].to_numpy(),
                    "seed_rank": sps.rankdata(cls, method="average"),
                }
            )
        )
    cols = ["task", "seed", "activation", "status", "seed_rank"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def p_best(rank_matrix, n_boot=N_BOOT, seed=0):
    """Bootstrap probability that each activation has the best mean rank.

    Seeds (rows) are resampled with replacement; in each resample the
    activation(s) with the lowest mean within-seed rank share the win.

    Args:
        rank_matrix: DataFrame seeds x activations of within-seed ranks
            (NaN where a trial is missing).
        n_boot: Number of resamples.
        seed: Seed of the resampling.

    Returns:
        Series activation -> probability (sums to 1).
    """
    m = rank_matrix.to_numpy(dtype=float)
    if not m.size:
        return pd.Series(dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, m.shape[0], size=(n_boot, m.shape[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(m[idx], axis=1)  # n_boot x activations
    means = np.where(np.isnan(means), np.inf, means)
    best = means <= means.min(axis=1, keepdims=True) + 1e-12
    share = best / best.sum(axis=1, keepdims=True)
    return pd.Series(share.mean(axis=0), index=rank_matrix.columns)


def rank_matrix(ranks, task):
    """Seeds x activations within-seed ranks of one task."""
    r = ranks[ranks["task"] == task]
    return r.pivot_table(
        index="seed", columns="activation", values="seed_rank", aggfunc="mean"
    )


def _add_ranks(df, ranks, facts, alpha):
    df["mean_seed_rank"] = np.nan
    df["rank"] = np.nan
    df["p_best"] = np.nan
    df["in_best_set"] = False
    df["p_vs_best_holm"] = np.nan
    for task, g in df.groupby("task", sort=False):
        m = rank_matrix(ranks, task)
        if (
            not m.size
            or not (
                ranks.loc[ranks["task"] == task, "status"] == "completed"
            ).any()
        ):
            continue  # nothing completed: the task ranks no one
        msr = m.mean()
        idx = g.index
        acts = g["activation"]
        df.loc[idx, "mean_seed_rank"] = acts.map(msr).to_numpy()
        df.loc[idx, "rank"] = (
            df.loc[idx, "mean_seed_rank"]
            .rank(method="average", na_option="bottom")
            .to_numpy()
        )
        df.loc[idx, "p_best"] = acts.map(p_best(m)).fillna(0.0).to_numpy()
        top = msr.idxmin()
        others = [a for a in m.columns if a != top]
        pv = []
        for a in others:
            res = paired_test(
                m[a].to_numpy(),
                m[top].to_numpy(),
                mode="min",
                nb_ratio=facts[task]["nb_ratio"],
                alpha=alpha,
                wilcoxon=False,
            )
            p = res["p_value"]
            pv.append(1.0 if not np.isfinite(p) else p)
        adj = adjust(pv, "holm")
        pmap = dict(zip(others, adj))
        df.loc[idx, "p_vs_best_holm"] = acts.map(pmap).to_numpy()
        df.loc[idx, "in_best_set"] = [
            a == top or pmap.get(a, 0.0) >= alpha for a in acts
        ]
    df["mean_rank"] = df.groupby("activation")["rank"].transform("mean")
    return df


def friedman(summary, alpha=ALPHA):
    """Friedman test over tasks and the Nemenyi post-hoc (Demsar 2006).

    Blocks are tasks, treatments the activations present in every ranked
    task; the value is the mean within-seed rank.

    Returns:
        Dict with `n_tasks`, `n_activations`, `statistic`, `pvalue`
        (`scipy.stats.friedmanchisquare`), `avg_ranks` (Series, best first),
        `nemenyi` (DataFrame of p-values,
        `scikit_posthocs.posthoc_nemenyi_friedman`) and `cd` (the Nemenyi
        critical difference, `q_alpha sqrt(k (k+1) / (6 N))` with `q_alpha`
        from `scipy.stats.studentized_range`); None below 2 tasks or 3
        activations.
    """
    import scikit_posthocs as sp

    if not len(summary):
        return None
    m = summary.pivot(
        index="task", columns="activation", values="mean_seed_rank"
    )
    m = m.dropna(how="all").dropna(axis=1, how="any")
    n, k = m.shape
    if n < 2 or k < 3:
        return None
    stat, p = sps.friedmanchisquare(*[m[c].to_numpy() for c in m.columns])
    nem = sp.posthoc_nemenyi_friedman(m)
    avg = m.rank(axis=1).mean().sort_values(kind="stable")
    q = sps.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = float(q * np.sqrt(k * (k + 1) / (6.0 * n)))
    return {
        "n_tasks": n,
        "n_activations": k,
        "statistic": float(stat),
        "pvalue": float(p),
        "avg_ranks": avg,
        "nemenyi": nem.loc[avg.index, avg.index],
        "cd": cd,
    }


def identical_functions(runs, history, rtol=1e-3):
    """Pairs of activations that behave as the same function.

    Two activations are flagged when, in every (task, seed) group where
    both have a trial, their trials have the same status, ran the same
    epochs with training and validation losses equal within `rtol` (float
    differences of 1e-8 grow to about 4e-4 over 20 epochs of a CNN), and
    test metrics equal within the task's tie tolerance (e.g. ELU and
    CELU(alpha=1)): a proxy for identical predictions.

    Returns:
        DataFrame with `a`, `b`, `n_groups`.
    """
    cols = ["a", "b", "n_groups"]
    if history is None or not len(history):
        return pd.DataFrame(columns=cols)
    facts = task_facts(runs)
    curves = {}
    for tid, h in history.groupby("trial_id", sort=False):
        h = h.sort_values("epoch")
        curves[tid] = h[["loss", "val_loss"]].to_numpy(dtype=float)
    acts = sorted(runs["activation"].dropna().unique())
    same = {p: 0 for p in itertools.combinations(acts, 2)}
    for (task, _), g in runs.groupby(GROUP, sort=False):
        tol = facts[task]["tie_tol"]
        tr = {
            a: (t, s, m)
            for a, t, s, m in zip(
                g["activation"], g["trial_id"], g["status"], g["test_metric"]
            )
        }
        for a, b in list(same):
            if same[a, b] is None or a not in tr or b not in tr:
                continue
            (ta, sa, ma), (tb, sb, mb) = tr[a], tr[b]
            ca, cb = curves.get(ta), curves.get(tb)
            metric_ok = (np.isnan(ma) and np.isnan(mb)) or abs(ma - mb) <= tol
            if (
                sa != sb
                or not metric_ok
                or ca is None
                or cb is None
                or ca.shape != cb.shape
                or not np.allclose(ca, cb, rtol=rtol, atol=0, equal_nan=True)
            ):
                same[a, b] = None
            else:
                same[a, b] += 1
    rows = [(a, b, n) for (a, b), n in same.items() if n]
    return pd.DataFrame(rows, columns=cols)
