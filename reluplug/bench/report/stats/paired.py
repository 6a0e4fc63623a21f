"""Paired comparison of an activation against the baseline.

For a given (task, seed) every activation starts from the same initial weights
(checked through `init_sha256`), so the comparison with the baseline is
*paired* over the seeds both completed. The unit of analysis is one trial's
test metric at its validation-chosen epoch.

* `diff` is `activation - baseline` in the metric's own units, whatever the
  metric mode; for a `min` metric (e.g. mse) a negative `diff` is better.
  `wins`/`ties`/`losses` and verdicts respect the mode.
* The paired difference has a t-interval; for tasks whose seeds re-split one
  data set into training and test sets (design `resplit`, see `design`) its
  variance is the Nadeau-Bengio corrected one, `s^2 (1/n + n_test/n_train)`
  (Nadeau & Bengio 2003, "Inference for the generalization error"), and so
  is the g_z interval's; never for a fixed test set or on ranks.
* `p_value` is the paired t-test's (corrected as above); when the
  differences are constant (spread below the float tolerance) the t-test is
  undefined and `p_value` is the exact sign-flip permutation p-value instead,
  so float noise never produces p = 1e-33. `p_holm` adjusts it by Holm within
  each task, `q_bh` by Benjamini-Hochberg over the whole run
  (`statsmodels.stats.multitest.multipletests`).
* `verdict`: `equivalent` when the two one-sided tests against the region
  of practical equivalence [-rope, +rope] (Schuirmann 1987; `p_tost`, its
  (1 - 2 alpha) interval inside the ROPE) reject after Holm within the task
  (`p_tost_holm < alpha`), like the difference tests; else `better` /
  `worse` when `p_holm < alpha` and the (1 - alpha) interval lies on that
  side of zero; else `undecided`.
* `p_better`, `p_rope`, `p_worse`: the Bayesian correlated t-test's
  posterior probabilities (`posterior_probs`) that the activation is better
  by more than the ROPE, within it, or worse by more than it.
"""

import contextlib
import gc
import math
import warnings

import numpy as np
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import CONFIDENCE
from reluplug.bench.report.stats.definitions import FLOAT_RTOL
from reluplug.bench.report.stats.definitions import MIN_WILCOXON
from reluplug.bench.report.stats.definitions import PERM_RESAMPLES


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


def _gz_interval(dz, n, confidence=CONFIDENCE, var_factor=None):
    """Interval of the standardized mean difference by inverting the
    noncentral t (Steiger & Fouladi 1997), `scipy.stats.nct`.

    `var_factor` is the variance factor of the mean (`1/n`, or the
    Nadeau-Bengio `1/n + n_test/n_train`): the t statistic is
    `dz / sqrt(var_factor)` and the interval of its noncentrality is scaled
    back by `sqrt(var_factor)`, so g_z is corrected as the difference is.
    """
    df = n - 1
    vf = 1.0 / n if var_factor is None else float(var_factor)
    t_obs = dz / np.sqrt(vf)
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

    return solve(q_hi) * np.sqrt(vf), solve(q_lo) * np.sqrt(vf)


def posterior_probs(mean, sd, n, *, var_factor=None, rope=0.0, mode="max"):
    """Bayesian correlated t-test: P(better), P(in ROPE), P(worse).

    The posterior of the mean difference is a Student t with `n - 1`
    degrees of freedom, location `mean` and scale `sd sqrt(var_factor)`
    (Corani & Benavoli 2015; Benavoli, Corani, Demsar & Zaffalon 2017,
    "Time for a change", JMLR 18(77), section 3.1; `var_factor` is
    `1/n + rho/(1 - rho)` with `rho = n_test / (n_test + n_train)` for
    re-split data, `1/n` otherwise). `scipy.stats.t.cdf`.

    Args:
        mean: Mean of the paired differences (activation - baseline).
        sd: Their sample standard deviation. With 0 (constant
            differences) the posterior is undefined (NaNs), except for
            differences that are all 0 (a point mass at 0: in the ROPE).
        n: Number of paired seeds (>= 2).
        var_factor: Variance factor of the mean; None for `1/n`.
        rope: Half-width of the region of practical equivalence (>= 0).
        mode: `"max"` if a larger metric is better, `"min"` otherwise.

    Returns:
        `(p_better, p_rope, p_worse)`, summing to 1; NaNs below 2 seeds.
    """
    if n is None or n < 2 or not np.isfinite(mean):
        return (np.nan,) * 3
    rope = float(rope) if rope is not None and np.isfinite(rope) else 0.0
    vf = 1.0 / n if var_factor is None else float(var_factor)
    scale = float(sd) * np.sqrt(vf)
    if not scale > 0:
        if mean != 0:
            # Constant, non-zero differences (e.g. 2 seeds that both gain 7
            # of 360 test examples): the t posterior has no spread, and a
            # point mass would claim certainty the seeds cannot give.
            return (np.nan,) * 3
        p_low = p_high = 0.0  # identical results on every seed
    else:
        post = sps.t(n - 1, loc=mean, scale=scale)
        p_low = float(post.cdf(-rope))
        p_high = float(post.sf(rope))
    p_mid = max(0.0, 1.0 - p_low - p_high)
    if mode == "max":
        return p_high, p_mid, p_low
    return p_low, p_mid, p_high


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
            variance when the seeds re-split one data set; None for a
            fixed test set or independent data.
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
        `effect_gz`, `gz_ci_low`, `gz_ci_high`, `wins`, `ties`, `losses`,
        and the Bayesian correlated t-test's `p_better`, `p_rope`,
        `p_worse` (`posterior_probs`).
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
        "p_better": nan,
        "p_rope": nan,
        "p_worse": nan,
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
    var_factor = 1.0 / n + (nb_ratio or 0.0)
    if constant:
        # No spread: the t-test is undefined, the interval is the value.
        lo = hi = lo90 = hi90 = mean
        out["p_value"] = out["perm_pvalue"]
    else:
        sd = float(d.std(ddof=1))
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
        g_lo, g_hi = _gz_interval(dz, n, 1 - alpha, var_factor)
        out["gz_ci_low"], out["gz_ci_high"] = float(j * g_lo), float(j * g_hi)
    if constant and rope is not None and np.isfinite(rope):
        out["p_tost"] = 0.0 if abs(mean) < rope else 1.0
    out["p_better"], out["p_rope"], out["p_worse"] = posterior_probs(
        mean,
        0.0 if constant else float(d.std(ddof=1)),
        n,
        var_factor=var_factor,
        rope=rope,
        mode=mode,
    )
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
    p_eq = row.get("p_tost_holm", row.get("p_tost"))
    if p_eq is not None and np.isfinite(p_eq) and p_eq < alpha:
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
