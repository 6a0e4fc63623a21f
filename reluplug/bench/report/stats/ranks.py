"""Ranks within (task, seed), P(best), the best set, Friedman/Nemenyi and
the same-function check.

Diverged and failed trials take the worst rank in their (task, seed) group;
an activation that diverges does not climb the ranking on its survivors.
"""

import itertools

import numpy as np
import pandas as pd
from scipy import stats as sps

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import CREDIBLE_BEST
from reluplug.bench.report.stats.definitions import GROUP
from reluplug.bench.report.stats.definitions import N_BOOT
from reluplug.bench.report.stats.design import task_facts


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


def p_best(matrix, mode="min", n_boot=N_BOOT, seed=0):
    """Bayesian-bootstrap probability that each activation has the best mean.

    Each draw weights the seeds (rows) by Dirichlet(1, ..., 1) weights (the
    Bayesian bootstrap, Rubin 1981): continuous weights, so a handful of
    seeds does not collapse to a few distinct resamples as the ordinary
    bootstrap does (126 for 5 seeds). In each draw the activation(s) with
    the best weighted mean share the win.

    Args:
        matrix: DataFrame seeds x activations of the compared value (the
            test metric; NaN where a trial is missing).
        mode: `"max"` if larger is better, `"min"` if smaller is.
        n_boot: Number of draws.
        seed: Seed of the draws.

    Returns:
        Series activation -> probability (sums to 1).
    """
    m = matrix.to_numpy(dtype=float)
    if not m.size:
        return pd.Series(dtype=float)
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(m.shape[0]), size=n_boot)  # n_boot x seeds
    have = np.isfinite(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (w @ np.where(have, m, 0.0)) / (w @ have)
    key = -means if mode == "max" else means
    key = np.where(np.isnan(key), np.inf, key)
    best = key <= key.min(axis=1, keepdims=True) + 1e-12
    share = best / best.sum(axis=1, keepdims=True)
    return pd.Series(share.mean(axis=0), index=matrix.columns)


def credible_best(p, level=CREDIBLE_BEST):
    """The smallest set of activations holding `level` of P(best).

    Activations enter in decreasing P(best) until their sum reaches
    `level`; ties at the margin all enter.

    Args:
        p: Series activation -> P(best) (`p_best`).
        level: Probability the set must hold.

    Returns:
        List of activations, most probable first.
    """
    p = p[p > 0].sort_values(ascending=False, kind="stable")
    out, total = [], 0.0
    for act, value in p.items():
        if total >= level - 1e-12 and value < p[out[-1]] - 1e-12:
            break
        out.append(act)
        total += value
    return out


def rank_matrix(ranks, task):
    """Seeds x activations within-seed ranks of one task."""
    r = ranks[ranks["task"] == task]
    return r.pivot_table(
        index="seed", columns="activation", values="seed_rank", aggfunc="mean"
    )


def metric_matrix(runs, task, mode):
    """Seeds x activations test metric of one task, failures worst.

    Diverged and failed trials take the worst completed value of their
    (task, seed) group, so an activation that fails does not gain from it;
    groups with no completed trial are left out.
    """
    g = runs[runs["task"] == task]
    ok = (g["status"] == "completed") & g["test_metric"].notna()
    worst = (
        g[ok]
        .groupby("seed")["test_metric"]
        .agg("min" if mode == "max" else "max")
    )
    g = g[g["seed"].isin(worst.index)]
    vals = g["test_metric"].where(ok[g.index], g["seed"].map(worst))
    m = g.assign(value=vals).pivot_table(
        index="seed", columns="activation", values="value", aggfunc="mean"
    )
    return m


def _add_ranks(df, ranks, runs, facts):
    df["mean_seed_rank"] = np.nan
    df["rank"] = np.nan
    df["p_best"] = np.nan
    df["in_credible_best"] = False
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
        mode = facts[task]["mode"]
        pb = p_best(metric_matrix(runs, task, mode), mode)
        pb = pb.reindex(msr.index).fillna(0.0)
        df.loc[idx, "p_best"] = acts.map(pb).to_numpy()
        best = set(credible_best(pb))
        df.loc[idx, "in_credible_best"] = [a in best for a in acts]
    df["mean_rank"] = df.groupby("activation")["rank"].transform("mean")
    return df


def friedman(summary, alpha=ALPHA):
    """Friedman and Iman-Davenport tests over tasks; Nemenyi only after.

    Blocks are tasks, treatments the activations present in every ranked
    task; the value is the mean within-seed rank. The omnibus is the
    Iman-Davenport F (Iman & Davenport 1980; Demsar 2006, section 3.2.2),
    reported beside the Friedman chi-square it corrects; the Nemenyi
    post-hoc and its critical difference exist only when it rejects at
    `alpha` (a post-hoc after a non-rejecting omnibus is not run).

    Returns:
        Dict with `n_tasks`, `n_activations`, `statistic`, `pvalue`
        (`scipy.stats.friedmanchisquare`), `iman_davenport`,
        `iman_davenport_pvalue` (`scipy.stats.f`), `rejects`, `avg_ranks`
        (Series, best first), `nemenyi` (DataFrame of p-values,
        `scikit_posthocs.posthoc_nemenyi_friedman`, or None) and `cd` (the
        Nemenyi critical difference, `q_alpha sqrt(k (k+1) / (6 N))` with
        `q_alpha` from `scipy.stats.studentized_range`, or None); None
        below 2 tasks or 3 activations.
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
    denom = n * (k - 1) - stat
    f_id = (n - 1) * stat / denom if denom > 0 else np.inf
    p_id = float(sps.f.sf(f_id, k - 1, (k - 1) * (n - 1)))
    rejects = bool(p_id < alpha)
    avg = m.rank(axis=1).mean().sort_values(kind="stable")
    nem = cd = None
    if rejects:
        nem = sp.posthoc_nemenyi_friedman(m).loc[avg.index, avg.index]
        q = sps.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
        cd = float(q * np.sqrt(k * (k + 1) / (6.0 * n)))
    return {
        "n_tasks": n,
        "n_activations": k,
        "statistic": float(stat),
        "pvalue": float(p),
        "iman_davenport": float(f_id),
        "iman_davenport_pvalue": p_id,
        "rejects": rejects,
        "avg_ranks": avg,
        "nemenyi": nem,
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


def merge_identical(identical, baselines=()):
    """Activation -> the representative of its group of identical ones.

    Pairs flagged by `identical_functions` are joined into groups
    (transitively); each group is tested once, through its representative:
    the baseline when it is in the group, else the first name in sorted
    order. The others are left out of every test family (Holm, BH), of the
    ranks, P(best) and the Friedman test, and take the representative's
    verdict (`equivalent` when it is the baseline).

    Args:
        identical: DataFrame with columns `a`, `b` (or None).
        baselines: Labels of baseline activations.

    Returns:
        Dict activation -> representative, for the non-representatives.
    """
    if identical is None or not len(identical):
        return {}
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in zip(identical["a"], identical["b"]):
        parent[find(a)] = find(b)
    groups = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    out = {}
    for members in groups.values():
        base = sorted(m for m in members if m in baselines)
        rep = base[0] if base else sorted(members)[0]
        out.update({m: rep for m in members if m != rep})
    return out
