"""Display tables: the statistics as short strings, for HTML and Markdown.

Each function returns a DataFrame of plain (unescaped) strings; the HTML and
Markdown writers escape them for their format.
"""

import numpy as np
import pandas as pd


def fmt(x, spec=".4g", *, signed=False, na="–"):
    """Formats a number; NaN and None become `na`."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        if isinstance(x, float) and np.isinf(x):
            return "+inf" if x > 0 else "-inf"
        return na
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(x)
    spec = ("+" if signed else "") + spec
    return format(float(x), spec)


def fmt_p(p):
    """p-values: 3 significant digits, `<0.001` below that."""
    if p is None or not np.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else format(p, ".3g")


def fmt_ci(mean, lo, hi, *, signed=False):
    """`mean [lo, hi]`, or just the mean when the interval is undefined."""
    m = fmt(mean, signed=signed)
    if lo is None or not np.isfinite(lo):
        return m
    return f"{m} [{fmt(lo, signed=signed)}, {fmt(hi, signed=signed)}]"


def headline_table(headline):
    """Best activation per task (from `stats.headline`)."""
    rows = []
    for _, r in headline.iterrows():
        best = r.get("best")
        if best is None or (isinstance(best, float) and np.isnan(best)):
            rows.append({"task": r["task"], "best": "no completed trial"})
            continue
        rows.append(
            {
                "task": r["task"],
                "metric": f"{r['metric']} ({r['metric_mode']})",
                "best": best,
                "test metric [95% CI]": fmt_ci(
                    r["mean"], r["ci_low"], r["ci_high"]
                ),
                "baseline": f"{r['baseline']}: {fmt(r['baseline_mean'])}"
                if r["baseline"] is not None
                else "–",
                "vs baseline [95% CI]": fmt_ci(
                    r["diff_mean"],
                    r["diff_ci_low"],
                    r["diff_ci_high"],
                    signed=True,
                ),
                "p (paired t)": fmt_p(r["t_pvalue"]),
            }
        )
    cols = [
        "task",
        "metric",
        "best",
        "test metric [95% CI]",
        "baseline",
        "vs baseline [95% CI]",
        "p (paired t)",
    ]
    return pd.DataFrame(rows, columns=cols).fillna("–")


def ranking_table(ranking):
    """Overall ranking (from `stats.ranking`)."""
    out = pd.DataFrame(
        {
            "#": [str(i + 1) for i in range(len(ranking))],
            "activation": ranking["activation"].astype(str),
            "mean rank": [fmt(x, ".2f") for x in ranking["mean_rank"]],
            "tasks": ranking["n_tasks"].astype(str),
            "best in": ranking["n_best"].astype(str),
            "better than baseline": ranking["n_better"].astype(str),
            "worse than baseline": ranking["n_worse"].astype(str),
        }
    )
    return out


def summary_table(summary):
    """Per-activation statistics of one task (from `stats.summarize`)."""
    rows = []
    for _, r in summary.sort_values(["rank", "activation"]).iterrows():
        label = str(r["activation"])
        if r["is_baseline"]:
            label += " (baseline)"
        runs = f"{r['n_completed']}/{r['n_trials']}"
        bad = []
        if r["n_diverged"]:
            bad.append(f"{r['n_diverged']} diverged")
        if r["n_failed"]:
            bad.append(f"{r['n_failed']} failed")
        if bad:
            runs += f" ({', '.join(bad)})"
        reach = "–"
        if r["n_paired"]:
            reach = (
                f"{fmt(r['epochs_to_baseline'], '.3g')} ep / "
                f"{fmt(r['seconds_to_baseline'], '.3g')} s "
                f"({r['n_reached_baseline']}/{r['n_paired']})"
            )
        wtl = "–"
        if r["n_paired"] and not r["is_baseline"]:
            wtl = f"{r['wins']}/{r['ties']}/{r['losses']}"
        rows.append(
            {
                "rank": fmt(r["rank"], ".3g"),
                "activation": label,
                "seeds done": runs,
                "test metric [95% CI]": fmt_ci(
                    r["mean"], r["ci_low"], r["ci_high"]
                ),
                "std": fmt(r["std"], ".3g"),
                "vs baseline [95% CI]": "–"
                if r["is_baseline"]
                else fmt_ci(
                    r["diff_mean"],
                    r["diff_ci_low"],
                    r["diff_ci_high"],
                    signed=True,
                ),
                "p (t)": "–" if r["is_baseline"] else fmt_p(r["t_pvalue"]),
                "p (Wilcoxon)": "–"
                if r["is_baseline"]
                else fmt_p(r["wilcoxon_pvalue"]),
                "d_z": "–" if r["is_baseline"] else fmt(r["effect_dz"], ".2f"),
                "W/T/L": wtl,
                "to baseline's final val": reach,
                "epoch time ×": fmt(r["epoch_time_ratio"], ".3g"),
                "dead": fmt(r["final_dead_fraction"], ".3g"),
                "inactive": fmt(r["final_inactive_fraction"], ".3g"),
            }
        )
    return pd.DataFrame(rows)


def problem_trials_table(runs):
    """Failed and diverged trials with their error."""
    bad = runs[runs["status"] != "completed"].sort_values(
        ["task", "activation", "seed"]
    )
    return pd.DataFrame(
        {
            "task": bad["task"].astype(str),
            "activation": bad["activation"].astype(str),
            "seed": [fmt(s, ".0f") for s in bad["seed"]],
            "status": bad["status"].astype(str),
            "epochs run": [fmt(e, ".0f") for e in bad["epochs_run"]],
            "error": [_error_text(r) for _, r in bad.iterrows()],
            "trial id": bad["trial_id"].astype(str),
        }
    )


def _error_text(r):
    t, m = r["error_type"], r["error_message"]
    if t or m:
        return f"{t}: {m}" if t else str(m)
    if r["status"] == "diverged":
        return (
            "non-finite loss after epoch "
            f"{fmt(r['epochs_run'], '.0f')} (no error recorded)"
        )
    return "no error recorded"
