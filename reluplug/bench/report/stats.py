"""Statistics of a run: paired against the baseline, corrected, with verdicts.

For a given (task, seed) every activation starts from the same initial weights
(checked through `init_sha256`), so the comparison with the baseline is
*paired* over the seeds both completed. The unit of analysis is one trial's
test metric at its validation-chosen epoch. Every test is a call into scipy,
statsmodels or scikit-posthocs; the reference is in a comment next to it.

Conventions, used by every function here:

* `diff` is `activation - baseline` in the metric's own units, whatever the
  metric mode; for a `min` metric (e.g. mse) a negative `diff` is better.
  `wins`/`ties`/`losses`, ranks and verdicts respect the mode.
* Ties: two values closer than the task's *tie tolerance* are equal. For
  accuracy it is half the metric's resolution, `0.5 / n_test` (two test
  accuracies differ by at least one example); otherwise a float tolerance
  (`FLOAT_RTOL` relative), so float32 noise never separates two activations.
* Summaries of one activation (`mean`, `ci_low`, `ci_high`) never leave the
  metric's range (`BOUNDS`): a bootstrap percentile interval of the mean
  (`scipy.stats.bootstrap`) from `BOOT_MIN_N` values on, `[min, max]` below.
* The paired difference has a t-interval; for tasks whose seeds re-split one
  fixed data set (`resplit` in the trial record) its variance is the
  Nadeau-Bengio corrected one, `s^2 (1/n + n_test/n_train)` (Nadeau & Bengio
  2003, "Inference for the generalization error").
* `p_value` is the paired t-test's (corrected as above); when the
  differences are constant (spread below the float tolerance) the t-test is
  undefined and `p_value` is the exact sign-flip permutation p-value instead,
  so float noise never produces p = 1e-33. `p_holm` adjusts it by Holm within
  each task, `q_bh` by Benjamini-Hochberg over the whole run
  (`statsmodels.stats.multitest.multipletests`).
* `verdict`: `equivalent` when the (1 - 2 alpha) interval of the difference
  lies inside the region of practical equivalence [-rope, +rope] (two one-sided
  tests, Schuirmann 1987); else `better` / `worse` when `p_holm < alpha` and
  the (1 - alpha) interval lies on that side of zero; else `undecided`.
* Diverged and failed trials take the worst rank in their (task, seed) group;
  an activation that diverges does not climb the ranking on its survivors.
"""

import contextlib
import gc
import itertools
import math
import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

from reluplug.bench.suite import schema

ALPHA = 0.05
CONFIDENCE = 1 - ALPHA
POWER = 0.8
MIN_WILCOXON = 6  # non-zero differences; below, its p cannot reach 0.05
BOOT_MIN_N = 5
N_BOOT = 2000
PERM_RESAMPLES = 2**16  # exact sign-flip enumeration up to 16 seeds
FLOAT_RTOL = 1e-6
BOUNDS = {"accuracy": (0.0, 1.0), "mse": (0.0, math.inf)}
# Region of practical equivalence: absolute for metrics bounded on both sides
# (accuracy), relative to the baseline's mean for the others (losses, mse).
DEFAULT_ROPE = {"accuracy": 0.005, "mse": 0.02}
DEFAULT_ROPE_OTHER = 0.02
# A seed "succeeds" when its test metric is within this margin of the task's
# best trial (absolute for bounded metrics, relative otherwise).
SUCCESS_MARGIN = {"accuracy": 0.05, "mse": 0.5}
SUCCESS_MARGIN_OTHER = 0.5
VERDICTS = ("better", "worse", "equivalent", "undecided")
STATUS_WORST = ("diverged", "failed")
GROUP = list(schema.GROUP_KEY)  # (task label, seed): the one group key

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
    "verdict",
    "effect_gz",
    "gz_ci_low",
    "gz_ci_high",
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
    "in_best_set",
    "p_vs_best_holm",
    "mde",
    "mde_gz",
]


# ----------------------------------------------------------- one sample


def bounds_of(metric):
    """`(low, high)` range of `metric`; unbounded when unknown."""
    return BOUNDS.get(metric, (-math.inf, math.inf))


def t_interval(values, confidence=CONFIDENCE):
    """Mean, sample std and t-based confidence interval of `values`.

    Used for paired differences (unbounded) and by the power analysis.

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


# ---------------------------------------------------------- multiplicity


@contextlib.contextmanager
def _cheap_gc():
    """statsmodels' Holm branch ends in `gc.collect()`, which takes about a
    second in a process that holds Keras; frozen objects are not scanned
    (`gc.freeze`), so the call becomes cheap. Nothing else changes."""
    frozen = gc.get_freeze_count() > 0
    if not frozen:
        gc.freeze()
    try:
        yield
    finally:
        if not frozen:
            gc.unfreeze()


def adjust(pvalues, method):
    """Multiplicity-adjusted p-values.

    `statsmodels.stats.multitest.multipletests(p, method=method)[1]`.

    Args:
        pvalues: 1-D array-like of p-values (no NaN).
        method: `"holm"` or `"fdr_bh"` (any `multipletests` method).

    Returns:
        The adjusted p-values, in the input order.
    """
    p = np.asarray(pvalues, dtype=float)
    if not p.size:
        return p
    with _cheap_gc():
        return multipletests(p, method=method)[1]


# ----------------------------------------------------------------- paired


def _permutation_p(d):
    """Two-sided sign-flip permutation p-value of the mean of `d`.

    `scipy.stats.permutation_test` with one sample and
    `permutation_type="samples"` flips signs; with `PERM_RESAMPLES >= 2**n`
    it enumerates all flips (exact).
    """
    if np.all(d == 0):
        return 1.0
    res = sps.permutation_test(
        (d,),
        np.mean,
        permutation_type="samples",
        alternative="two-sided",
        n_resamples=PERM_RESAMPLES,
        vectorized=True,
        random_state=np.random.default_rng(0),
    )
    return float(res.pvalue)


def _gz_interval(dz, n, confidence=CONFIDENCE):
    """Interval of the standardized mean difference by inverting the
    noncentral t (Steiger & Fouladi 1997), `scipy.stats.nct`."""
    df = n - 1
    t_obs = dz * np.sqrt(n)
    q_hi, q_lo = 0.5 + confidence / 2, 0.5 - confidence / 2

    def f(nc, q):
        return sps.nct.cdf(t_obs, df, nc) - q

    def solve(q):
        # The cdf falls as nc grows: bracket the root by doubling steps
        # away from t_obs (nct.cdf is NaN far out in the tails).
        direction = -1.0 if q > 0.5 else 1.0
        step = 1.0
        for _ in range(12):
            end = t_obs + direction * step
            value = f(end, q)
            if not np.isfinite(value):
                return np.nan
            if direction * value < 0:
                lo, hi = sorted((t_obs, end))
                try:
                    return optimize.brentq(f, lo, hi, args=(q,))
                except ValueError:  # nct.cdf NaN inside the bracket
                    return np.nan
            step *= 2
        return np.nan

    return solve(q_hi) / np.sqrt(n), solve(q_lo) / np.sqrt(n)


def paired_test(
    a,
    b,
    *,
    mode="max",
    tie_tol=0.0,
    nb_ratio=None,
    rope=None,
    alpha=ALPHA,
    bounds=(-math.inf, math.inf),
    wilcoxon=True,
):
    """Paired comparison of `a` (activation) against `b` (baseline).

    Args:
        a: Values of the activation, aligned with `b` (same seeds, same
            order).
        b: Values of the baseline.
        mode: `"max"` if larger is better, `"min"` if smaller is.
        tie_tol: Absolute differences up to this count as ties (wins /
            ties / losses, non-zero count for Wilcoxon).
        nb_ratio: `n_test / n_train` for the Nadeau-Bengio corrected
            variance when the seeds re-split one data set; None for
            independent seeds.
        rope: Half-width of the region of practical equivalence in metric
            units; None gives no equivalence test.
        alpha: Level of the tests; intervals are (1 - alpha) and, for
            equivalence, (1 - 2 alpha).
        bounds: Range of the metric; the difference's interval stays in
            `[low - high, high - low]`.
        wilcoxon: Compute the Wilcoxon signed-rank p-value (from
            `MIN_WILCOXON` non-zero differences on).

    Returns:
        Dict with `n_paired`, `n_nonzero`, `diff_mean`, `diff_ci_low`,
        `diff_ci_high`, `diff_ci90_low`, `diff_ci90_high`, `constant_diff`,
        `t_pvalue`, `perm_pvalue`, `wilcoxon_pvalue`, `p_value`, `p_tost`,
        `effect_gz`, `gz_ci_low`, `gz_ci_high`, `wins`, `ties`, `losses`.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = a - b
    n = d.size
    nan = np.nan
    out = {
        "n_paired": n,
        "n_nonzero": int(np.sum(np.abs(d) > tie_tol)),
        "diff_mean": float(d.mean()) if n else nan,
        "diff_ci_low": nan,
        "diff_ci_high": nan,
        "diff_ci90_low": nan,
        "diff_ci90_high": nan,
        "constant_diff": False,
        "t_pvalue": nan,
        "perm_pvalue": nan,
        "wilcoxon_pvalue": nan,
        "p_value": nan,
        "p_tost": nan,
        "effect_gz": nan,
        "gz_ci_low": nan,
        "gz_ci_high": nan,
    }
    better = d if mode == "max" else -d
    out["wins"] = int(np.sum(better > tie_tol))
    out["ties"] = int(np.sum(np.abs(d) <= tie_tol))
    out["losses"] = int(np.sum(better < -tie_tol))
    if n < 2:
        return out
    scale = max(1.0, float(np.max(np.abs(np.concatenate([a, b])))))
    mean = float(d.mean())
    constant = float(np.ptp(d)) <= FLOAT_RTOL * scale
    out["constant_diff"] = bool(constant)
    out["perm_pvalue"] = _permutation_p(d)
    df = n - 1
    if constant:
        # No spread: the t-test is undefined, the interval is the value.
        lo = hi = lo90 = hi90 = mean
        out["p_value"] = out["perm_pvalue"]
    else:
        sd = float(d.std(ddof=1))
        var_factor = 1.0 / n + (nb_ratio or 0.0)
        se = sd * np.sqrt(var_factor)
        t = mean / se
        # Paired t-test (== scipy.stats.ttest_rel without the correction).
        out["t_pvalue"] = float(2 * sps.t.sf(abs(t), df))
        out["p_value"] = out["t_pvalue"]
        half = sps.t.ppf(1 - alpha / 2, df) * se
        half90 = sps.t.ppf(1 - alpha, df) * se
        lo, hi = mean - half, mean + half
        lo90, hi90 = mean - half90, mean + half90
        if rope is not None and np.isfinite(rope):
            # Two one-sided tests (== statsmodels ttost_paired uncorrected).
            p_low = sps.t.sf((mean + rope) / se, df)
            p_high = sps.t.cdf((mean - rope) / se, df)
            out["p_tost"] = float(max(p_low, p_high))
        dz = mean / sd
        j = 1 - 3 / (4 * df - 1)  # Hedges' small-sample correction
        out["effect_gz"] = float(j * dz)
        g_lo, g_hi = _gz_interval(dz, n, 1 - alpha)
        out["gz_ci_low"], out["gz_ci_high"] = float(j * g_lo), float(j * g_hi)
    if constant and rope is not None and np.isfinite(rope):
        out["p_tost"] = 0.0 if abs(mean) < rope else 1.0
    span = bounds[1] - bounds[0]
    clip = (-span, span)
    out["diff_ci_low"], out["diff_ci_high"] = np.clip([lo, hi], *clip)
    out["diff_ci90_low"], out["diff_ci90_high"] = np.clip([lo90, hi90], *clip)
    nz = d[np.abs(d) > tie_tol]
    if wilcoxon and nz.size >= MIN_WILCOXON:
        # Exact without tied magnitudes; with ties the normal approximation
        # with tie correction (scipy's permutation fallback for ties costs
        # about a second per call).
        ties = np.unique(np.abs(nz)).size < nz.size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["wilcoxon_pvalue"] = float(
                sps.wilcoxon(nz, method="approx" if ties else "exact").pvalue
            )
    return out


def verdict(row, mode, alpha=ALPHA):
    """The verdict word of one comparison (see the module docstring)."""
    if not row.get("n_paired") or row["n_paired"] < 2:
        return "undecided"
    rope = row.get("rope")
    lo90, hi90 = row["diff_ci90_low"], row["diff_ci90_high"]
    if rope is not None and np.isfinite(rope) and -rope < lo90 <= hi90 < rope:
        return "equivalent"
    p = row.get("p_holm")
    if p is not None and np.isfinite(p) and p < alpha:
        sign = 1.0 if mode == "max" else -1.0
        lo = sign * row["diff_ci_low"]
        hi = sign * row["diff_ci_high"]
        if min(lo, hi) > 0:
            return "better"
        if max(lo, hi) < 0:
            return "worse"
    return "undecided"


# ---------------------------------------------------------- time to target


def first_hit(history, target, mode="max"):
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


time_to_target = first_hit


def km_median(times, reached):
    """Kaplan-Meier median of right-censored times.

    `statsmodels.duration.survfunc.SurvfuncRight`; NaN when the survival
    curve never falls to one half (most trials censored).

    Args:
        times: Event or censoring time per trial.
        reached: 1 where the event (target reached) happened, 0 censored.

    Returns:
        The median time, or NaN.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(times, dtype=float)
    e = np.asarray(reached, dtype=float)
    ok = np.isfinite(t)
    if not ok.any() or not e[ok].any():
        return np.nan
    sf = SurvfuncRight(t[ok], e[ok])
    q = sf.quantile(0.5)
    return float(q) if q is not None and np.isfinite(q) else np.nan


def _time_to_target(by_trial, trials, base_trials, seeds, mode):
    """Kaplan-Meier time to the baseline's best validation score.

    Per seed the target is the baseline trial's best validation metric; the
    activation's trial of the same seed reaches it at its first epoch whose
    validation metric is at least (max) / at most (min) it, or is censored
    at the epochs (and seconds) it ran.
    """
    out = {
        "target_epochs": np.nan,
        "target_seconds": np.nan,
        "n_reached_target": 0,
        "n_censored": 0,
    }
    if not by_trial:
        return out
    epochs, secs, hit = [], [], []
    for seed in seeds:
        if seed not in base_trials or seed not in trials:
            continue
        hb = by_trial.get(base_trials[seed])
        ha = by_trial.get(trials[seed])
        if hb is None or ha is None or not len(ha):
            continue
        vals = hb["val_metric"].dropna()
        if not len(vals):
            continue
        target = float(vals.max() if mode == "max" else vals.min())
        e, s = first_hit(ha, target, mode)
        if np.isfinite(e):
            epochs.append(e)
            secs.append(s)
            hit.append(1)
        else:
            epochs.append(float(ha["epoch"].max()))
            secs.append(float(np.nansum(ha["epoch_time_s"])))
            hit.append(0)
    if not hit:
        return out
    out["n_reached_target"] = int(sum(hit))
    out["n_censored"] = len(hit) - int(sum(hit))
    out["target_epochs"] = km_median(epochs, hit)
    out["target_seconds"] = km_median(secs, hit)
    return out


# ----------------------------------------------------------------- ranks


def _first(series):
    s = series.dropna()
    return s.iloc[0] if len(s) else None


def task_facts(runs):
    """Per task: metric, mode, tie tolerance and the Nadeau-Bengio ratio.

    Returns:
        Dict task -> dict with `metric`, `mode`, `bounds`, `tie_tol`,
        `resplit` and `nb_ratio` (`n_test / n_train`, or None).
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
        resplit = (
            bool(g["resplit"].fillna(False).any()) if "resplit" in g else False
        )
        ratio = None
        if resplit:
            r = (g["n_test"] / g["n_train"]).dropna()
            ratio = float(r.median()) if len(r) else None
        facts[task] = {
            "metric": metric,
            "mode": mode,
            "bounds": bounds,
            "tie_tol": tol,
            "resplit": resplit,
            "nb_ratio": ratio,
        }
    return facts


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


# --------------------------------------------------------------- summary


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
):
    """One row per (task, activation): the numbers behind `summary.csv`.

    See the module docstring for the tests, intervals and verdicts. Further
    columns:

    * `n_success` of `n_completed` seeds are within `SUCCESS_MARGIN` of the
      task's best trial (`success_threshold`), with a Clopper-Pearson
      interval (`success_low`, `success_high`): for bimodal outcomes.
    * `target_epochs` / `target_seconds`: Kaplan-Meier median time to reach,
      per seed, the baseline's best validation metric (censored at the
      epochs run; `n_reached_target`, `n_censored`).
    * `mean_seed_rank`: mean over seeds of the rank within (task, seed),
      failures worst; `rank` ranks it within the task; `mean_rank` is the
      mean of `rank` over tasks (the Friedman average rank).
    * `p_best`: bootstrap probability of the best mean seed rank;
      `in_best_set`: not distinguishable from the top activation (paired
      t-test on seed ranks, Nadeau-Bengio corrected where it applies, Holm
      over the comparisons with the top: `p_vs_best_holm`).
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
    ranks = seed_ranks(runs, facts, conflicts)
    for task, g in runs.groupby("task", sort=True):
        f = facts[task]
        mode, metric = f["mode"], f["metric"]
        base = _baseline_of(g, baseline)
        gok = ok[ok["task"] == task]
        bvals = gok[gok["activation"] == base].set_index("seed")
        base_trials = dict(
            zip(
                g.loc[g["activation"] == base, "seed"],
                g.loc[g["activation"] == base, "trial_id"],
            )
        )
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
                "resplit": f["resplit"],
                "nb_ratio": f["nb_ratio"],
                "rope": width,
                "n_init_conflicts": len(task_bad & set(ga["seed"])),
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
            row.update(
                _time_to_target(by_trial, trials, base_trials, tseeds, mode)
            )
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
    df = _add_ranks(df, ranks, facts, alpha)
    return _add_power(df, alpha)


def _adjust(df, alpha):
    """Holm within task, Benjamini-Hochberg over the run, then verdicts."""
    test = ~df["is_baseline"] & df["p_value"].notna()
    df["p_holm"] = np.nan
    df["q_bh"] = np.nan
    for _, idx in df[test].groupby("task").groups.items():
        df.loc[idx, "p_holm"] = adjust(df.loc[idx, "p_value"], "holm")
    if test.any():
        df.loc[test, "q_bh"] = adjust(df.loc[test, "p_value"], "fdr_bh")
    df["verdict"] = [
        None
        if r["is_baseline"] or r["baseline"] is None
        else verdict(r, r["metric_mode"], alpha)
        for r in df.to_dict("records")
    ]
    return df


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


def mde(sd, n, *, nb_ratio=None, alpha=ALPHA, power=POWER):
    """Minimum detectable effect of a paired t-test, in units of `sd`.

    `statsmodels.stats.power.TTestPower.solve_power`; with the
    Nadeau-Bengio correction the noncentrality `d sqrt(n)` becomes
    `d / sqrt(1/n + r)`, i.e. the effect is scaled by `sqrt(1 + n r)`.

    Args:
        sd: Standard deviation of the paired differences (1 for g_z).
        n: Number of paired seeds (>= 2).
        nb_ratio: `n_test / n_train` for re-split seeds, else None.
        alpha: Two-sided level.
        power: Wanted power.

    Returns:
        The effect (same units as `sd`), NaN when undefined.
    """
    if n is None or n < 2 or not np.isfinite(sd):
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = TTestPower().solve_power(
            nobs=n, alpha=alpha, power=power, alternative="two-sided"
        )
    return float(d) * np.sqrt(1 + n * (nb_ratio or 0.0)) * sd


def pooled_diff_sd(summary_task, runs_task=None):
    """Typical standard deviation of the paired differences of a task.

    The median, over the task's comparisons with a non-constant difference,
    of the standard deviation of the paired differences: robust to one
    activation that fails on some seeds (sigmoid in a deep MLP) and would
    dominate a pooled variance.
    """
    rows = summary_task[
        ~summary_task["is_baseline"]
        & (summary_task["n_paired"] >= 2)
        & ~summary_task["constant_diff"].astype(bool)
        & summary_task["effect_gz"].notna()
    ]
    if not len(rows):
        return np.nan
    # g_z = J * mean / sd  ->  sd = J * mean / g_z
    n = rows["n_paired"].astype(float)
    j = 1 - 3 / (4 * (n - 1) - 1)
    sd = (j * rows["diff_mean"] / rows["effect_gz"]).abs()
    sd = sd[np.isfinite(sd)]
    return float(np.median(sd)) if len(sd) else np.nan


def _add_power(df, alpha):
    df["mde"] = np.nan
    df["mde_gz"] = np.nan
    for _, g in df.groupby("task", sort=False):
        n = int(g["n_paired"].max()) if len(g) else 0
        ratio = g["nb_ratio"].iloc[0]
        ratio = None if ratio is None or not np.isfinite(ratio) else ratio
        gz = mde(1.0, n, nb_ratio=ratio, alpha=alpha)
        sd = pooled_diff_sd(g)
        df.loc[g.index, "mde_gz"] = gz
        df.loc[g.index, "mde"] = gz * sd
    return df


def seeds_needed(
    sd, effect, *, nb_ratio=None, alpha=ALPHA, power=POWER, max_n=1000
):
    """Seeds needed for a paired t-test to detect `effect` with `power`.

    Args:
        sd: Standard deviation of the paired differences (from a pilot).
        effect: Difference to detect, in metric units.
        nb_ratio: `n_test / n_train` for re-split seeds, else None.
        alpha: Two-sided level.
        power: Wanted power.
        max_n: Give up beyond this many seeds.

    Returns:
        The smallest n (>= 2) reaching `power`; None when no n up to
        `max_n` does (with re-split seeds the power has a ceiling).
    """
    if not (np.isfinite(sd) and sd > 0 and effect > 0):
        return None
    n = np.arange(2, max_n + 1, dtype=float)
    d = effect / sd / np.sqrt(1 + n * (nb_ratio or 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pw = TTestPower().power(
            effect_size=d, nobs=n, alpha=alpha, alternative="two-sided"
        )
    ok = np.nonzero(pw >= power)[0]
    return int(n[ok[0]]) if ok.size else None


# ---------------------------------------------------------- across tasks


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


# ------------------------------------------------------------- headlines


def ranking(summary):
    """Overall ranking of activations across tasks.

    Args:
        summary: Output of `summarize`.

    Returns:
        DataFrame sorted best first with `activation`, `mean_rank`,
        `n_tasks`, `n_best_set` (tasks where it is in the best set),
        `n_better` / `n_worse` / `n_equivalent` / `n_undecided` (verdicts
        against the baseline, Holm-adjusted), `n_diverged`, `n_failed`.
    """
    cols = [
        "activation",
        "mean_rank",
        "n_tasks",
        "n_best_set",
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
    s["_best"] = s["in_best_set"].astype(bool) & s["rank"].notna()
    out = s.groupby("activation", sort=False).agg(
        mean_rank=("rank", "mean"),
        n_tasks=("task", "nunique"),
        n_best_set=("_best", "sum"),
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
    """Per task: the best set (not a single winner), with the baseline.

    Returns:
        One row per task: `task`, `metric`, `metric_mode`, `n_seeds`,
        `top` (lowest mean seed rank), `top_mean`, `top_ci_low`,
        `top_ci_high`, `p_best` (of the top), `best_set` (comma separated,
        in rank order), `baseline`, `baseline_mean`, `n_better`, `n_worse`,
        `n_equivalent`, `n_undecided`, `rope`, `mde`.
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
        "best_set",
        "baseline",
        "baseline_mean",
        "n_better",
        "n_worse",
        "n_equivalent",
        "n_undecided",
        "rope",
        "mde",
    ]
    rows = []
    for task, g in summary.groupby("task", sort=True):
        g = g[g["rank"].notna()].sort_values(["rank", "activation"])
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
                "best_set": ", ".join(g.loc[g["in_best_set"], "activation"]),
                "baseline": first["baseline"],
                "baseline_mean": bmean.iloc[0] if len(bmean) else np.nan,
                **{f"n_{v}": int(counts.get(v, 0)) for v in VERDICTS},
                "rope": first["rope"],
                "mde": first["mde"],
            }
        )
    return pd.DataFrame(rows, columns=cols)


def plan(summary, *, effect=None, n_seeds=None, alpha=ALPHA, power=POWER):
    """Seeds each task needs to detect a difference, from a finished run.

    The spread of the paired differences comes from the run (a pilot or a
    finished run): `pooled_diff_sd` per task. The power is that of the
    paired t-test (`statsmodels.stats.power.TTestPower`), with the
    Nadeau-Bengio correction for tasks whose seeds re-split one data set;
    before the Holm correction, which asks for a little more.

    Args:
        summary: `summarize` output of the pilot run.
        effect: Difference to detect: absolute for metrics bounded on both
            sides (accuracy), relative to the baseline's mean otherwise
            (like the ROPE); None uses each task's ROPE.
        n_seeds: Seeds the suite runs, for the detectable effect column;
            None uses the pilot's.
        alpha: Two-sided level.
        power: Wanted power.

    Returns:
        DataFrame, one row per task: `task`, `metric`, `pilot_seeds`,
        `resplit`, `sd_diff`, `effect` (metric units), `seeds_needed`
        (None when out of reach), `n_seeds`, `mde` (detectable with
        `n_seeds`).
    """
    cols = [
        "task",
        "metric",
        "pilot_seeds",
        "resplit",
        "sd_diff",
        "effect",
        "seeds_needed",
        "n_seeds",
        "mde",
    ]
    rows = []
    for task, g in summary.groupby("task", sort=True):
        r = g.iloc[0]
        metric = r["metric"]
        sd = pooled_diff_sd(g)
        base = g.loc[g["is_baseline"], "mean"]
        if effect is None:
            eff = r["rope"]
        else:
            eff = rope_width(
                metric, {"*": effect}, base.iloc[0] if len(base) else None
            )
        ratio = r["nb_ratio"]
        ratio = None if ratio is None or not np.isfinite(ratio) else ratio
        pilot = int(g["n_paired"].max())
        n = n_seeds or pilot
        rows.append(
            {
                "task": task,
                "metric": metric,
                "pilot_seeds": pilot,
                "resplit": bool(r["resplit"]),
                "sd_diff": sd,
                "effect": eff,
                "seeds_needed": seeds_needed(
                    sd, eff, nb_ratio=ratio, alpha=alpha, power=power
                ),
                "n_seeds": n,
                "mde": mde(sd, n, nb_ratio=ratio, alpha=alpha, power=power),
            }
        )
    return pd.DataFrame(rows, columns=cols)
