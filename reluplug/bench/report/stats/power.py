"""Power of the paired t-test: detectable effects and seeds needed."""

import warnings

import numpy as np
import pandas as pd
from statsmodels.stats.power import TTestPower

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import POWER
from reluplug.bench.report.stats.design import rope_width


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
