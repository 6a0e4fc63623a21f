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


def fmt_pct(k, n, lo, hi):
    """`k/n [lo, hi]` with the interval as percentages."""
    if not n:
        return "–"
    return f"{k}/{n} [{lo:.0%}, {hi:.0%}]"


def _seeds_done(r):
    runs = f"{r['n_completed']}/{r['n_trials']}"
    bad = []
    if r["n_diverged"]:
        bad.append(f"{r['n_diverged']} diverged")
    if r["n_failed"]:
        bad.append(f"{r['n_failed']} failed")
    return runs + (f" ({', '.join(bad)})" if bad else "")


def headline_table(headline):
    """Per task: the credible best set and the verdict counts
    (`stats.headline`)."""
    rows = []
    for _, r in headline.iterrows():
        top = r.get("top")
        if top is None or (isinstance(top, float) and np.isnan(top)):
            rows.append(
                {"task": r["task"], "credible best (95%)": "no completed trial"}
            )
            continue
        base = r["baseline"]
        rows.append(
            {
                "task": r["task"],
                "metric": f"{r['metric']} ({r['metric_mode']})",
                "seeds": str(r["n_seeds"]),
                "credible best (95%)": r["credible_best"],
                "top [95% CI]": f"{top}: "
                + fmt_ci(r["top_mean"], r["top_ci_low"], r["top_ci_high"]),
                "P(top is best)": fmt(r["p_best"], ".2f"),
                "baseline": f"{base}: {fmt(r['baseline_mean'])}"
                if isinstance(base, str)
                else "–",
                "better / worse / equivalent / undecided": (
                    f"{r['n_better']} / {r['n_worse']} / "
                    f"{r['n_equivalent']} / {r['n_undecided']}"
                )
                if isinstance(base, str)
                else "–",
                "ROPE ±": fmt(r["rope"], ".3g"),
                "detectable (80%)": fmt(r["mde"], ".3g"),
                "posterior": r.get("statement") or "–",
            }
        )
    cols = [
        "task",
        "metric",
        "seeds",
        "credible best (95%)",
        "top [95% CI]",
        "P(top is best)",
        "baseline",
        "better / worse / equivalent / undecided",
        "ROPE ±",
        "detectable (80%)",
        "posterior",
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
            "in credible best": ranking["n_credible_best"].astype(str),
            "better": ranking["n_better"].astype(str),
            "worse": ranking["n_worse"].astype(str),
            "equivalent": ranking["n_equivalent"].astype(str),
            "undecided": ranking["n_undecided"].astype(str),
            "trials": ranking["n_trials"].astype(str),
            "diverged": ranking["n_diverged"].astype(str),
            "failed": ranking["n_failed"].astype(str),
        }
    )
    return out


def _target(r):
    n = r["n_reached_target"] + r["n_censored"]
    if not n:
        return "–"
    cens = f"({r['n_censored']}/{n} censored)"
    if not np.isfinite(r["target_epochs"]):
        return f"median not reached {cens}"
    sec = fmt(r["target_seconds"], ".3g")
    return f"{fmt(r['target_epochs'], '.3g')} ep / {sec} s {cens}"


def _verdict(r):
    word = str(r["verdict"] or "–")
    if isinstance(r.get("same_as"), str):
        word += f" (same function as {r['same_as']})"
    return word


def _bayes(r):
    if r["p_better"] != r["p_better"]:
        return "–"
    return (
        f"{fmt(r['p_better'], '.2f')} / {fmt(r['p_rope'], '.2f')} / "
        f"{fmt(r['p_worse'], '.2f')}"
    )


def summary_table(summary):
    """Per-activation statistics of one task (from `stats.summarize`)."""
    rows = []
    for _, r in summary.sort_values(["rank", "activation"]).iterrows():
        label = str(r["activation"])
        if r["is_baseline"]:
            label += " (baseline)"
        base = bool(r["is_baseline"])
        wtl = "–"
        if r["n_paired"] and not base:
            wtl = f"{r['wins']}/{r['ties']}/{r['losses']}"
        wil = "–"
        if not base and r["n_paired"]:
            wil = f"{fmt_p(r['wilcoxon_pvalue'])} (n≠0: {r['n_nonzero']})"
        gz = "–"
        if not base and r["n_paired"]:
            gz = fmt_ci(r["effect_gz"], r["gz_ci_low"], r["gz_ci_high"])
            if r["constant_diff"]:
                gz = "constant difference"
        rows.append(
            {
                "rank": fmt(r["rank"], ".3g"),
                "activation": label,
                "seeds done": _seeds_done(r),
                "mean seed rank": fmt(r["mean_seed_rank"], ".3g"),
                "test metric [95% CI]": fmt_ci(
                    r["mean"], r["ci_low"], r["ci_high"]
                ),
                "median [min, max]": fmt_ci(r["median"], r["min"], r["max"]),
                "near best": fmt_pct(
                    r["n_success"],
                    r["n_completed"],
                    r["success_low"],
                    r["success_high"],
                ),
                "vs baseline [95% CI]": "–"
                if base
                else fmt_ci(
                    r["diff_mean"],
                    r["diff_ci_low"],
                    r["diff_ci_high"],
                    signed=True,
                ),
                "verdict": "–" if base else _verdict(r),
                "p (t)": "–" if base else fmt_p(r["t_pvalue"]),
                "p Holm": "–" if base else fmt_p(r["p_holm"]),
                "P(better / ROPE / worse)": "–" if base else _bayes(r),
                "q BH": "–" if base else fmt_p(r["q_bh"]),
                "p (sign-flip)": "–" if base else fmt_p(r["perm_pvalue"]),
                "p (Wilcoxon)": "–" if base else wil,
                "g_z [95% CI]": gz,
                "W/T/L": wtl,
                "P(best)": fmt(r["p_best"], ".2f"),
                "credible best": "yes" if r["in_credible_best"] else "no",
                "to target val (KM median)": _target(r),
                "epoch time ×": fmt(r["epoch_time_ratio"], ".3g"),
                "dead": fmt(r["final_dead_fraction"], ".3g"),
                "inactive": fmt(r["final_inactive_fraction"], ".3g"),
            }
        )
    return pd.DataFrame(rows)


def identical_table(identical):
    """Pairs of activations that behaved as the same function."""
    return pd.DataFrame(
        {
            "activation": identical["a"].astype(str),
            "same as": identical["b"].astype(str),
            "groups (task, seed)": identical["n_groups"].astype(str),
        }
    )


def power_table(summary):
    """Per task: seeds, ROPE and the minimum detectable effect."""
    rows = []
    for task, g in summary.groupby("task", sort=True):
        r = g.iloc[0]
        rows.append(
            {
                "task": task,
                "metric": str(r["metric"]),
                "paired seeds": str(int(g["n_paired"].max())),
                "design": str(r["design"]).replace("_", " ")
                + (
                    " (Nadeau-Bengio, "
                    f"n_test/n_train = {fmt(r['nb_ratio'], '.3g')})"
                    if r["resplit"] and r["nb_ratio"] == r["nb_ratio"]
                    else ""
                ),
                "ROPE ±": fmt(r["rope"], ".3g"),
                "detectable g_z": fmt(r["mde_gz"], ".3g"),
                "detectable difference": fmt(r["mde"], ".3g"),
            }
        )
    return pd.DataFrame(rows)


def _names(g, with_diff=True):
    parts = []
    for _, r in g.iterrows():
        if with_diff:
            parts.append(f"{r['activation']} {fmt(r['diff_mean'], '+.3g')}")
        else:
            parts.append(str(r["activation"]))
    return ", ".join(parts)


def findings(summary, friedman=None, identical=None, alpha=0.05):
    """What the run shows, in sentences, from the adjusted verdicts only.

    Args:
        summary: `stats.summarize` output.
        friedman: `stats.friedman` output or None.
        identical: `stats.identical_functions` output or None.
        alpha: The level used.

    Returns:
        List of plain-text sentences (one per task, then across tasks).
    """
    out = []
    for task, g in summary.groupby("task", sort=True):
        g = g.sort_values(["rank", "activation"])
        base = g["baseline"].dropna()
        n = int(g["n_trials"].max())
        metric = g["metric"].iloc[0]
        head = f"{task} ({metric}, {n} seeds"
        if g["resplit"].iloc[0] and g["nb_ratio"].notna().any():
            head += ", re-split data: Nadeau-Bengio corrected"
        head += ")"
        if not len(base):
            out.append(f"{head}: no baseline, so no verdict.")
            continue
        base = base.iloc[0]
        comp = g[~g["is_baseline"]]
        parts = []
        for word in ("better", "worse"):
            sel = comp[comp["verdict"] == word]
            if len(sel):
                parts.append(f"{len(sel)} {word} ({_names(sel)})")
        sel = comp[comp["verdict"] == "equivalent"]
        if len(sel):
            parts.append(
                f"{len(sel)} equivalent within ±{fmt(g['rope'].iloc[0], '.3g')}"
                f" ({_names(sel, with_diff=False)})"
            )
        sel = comp[comp["verdict"] == "undecided"]
        if len(sel):
            parts.append(
                f"{len(sel)} undecided ({_names(sel, with_diff=False)})"
            )
        text = (
            f"{head}: against {base}, after Holm correction, "
            + ("; ".join(parts) or "nothing to compare")
            + "."
        )
        ranked = g[g["rank"].notna()].sort_values(
            ["p_best", "rank"], ascending=[False, True]
        )
        if len(ranked):
            top = ranked.iloc[0]
            best = ranked.loc[ranked["in_credible_best"], "activation"]
            text += (
                f" Credible best set ({len(best)} of {len(ranked)}, "
                f"together P(best) >= 0.95): {', '.join(best)}; "
                f"{top['activation']} has the highest P(best), "
                f"{fmt(top['p_best'], '.2f')}."
            )
        if np.isfinite(g["mde"].iloc[0]):
            text += (
                " Differences below "
                f"{fmt(g['mde'].iloc[0], '.3g')} cannot be detected reliably "
                "(80% power) with these seeds."
            )
        bad = g[(g["n_diverged"] + g["n_failed"]) > 0]
        for _, r in bad.iterrows():
            text += (
                f" {r['activation']} diverged or failed in "
                f"{r['n_diverged'] + r['n_failed']} of {r['n_trials']} "
                "seeds (ranked last there)."
            )
        out.append(text)
    if friedman is not None and friedman.get("cd") is None:
        out.append(
            f"Across {friedman['n_tasks']} tasks the activations' ranks do "
            "not differ significantly (Iman-Davenport p = "
            f"{fmt_p(friedman['iman_davenport_pvalue'])}, Friedman p = "
            f"{fmt_p(friedman['pvalue'])}); no post-hoc test is run."
        )
    elif friedman is not None:
        ranks = friedman["avg_ranks"]
        top = ranks.index[0]
        near = [
            a for a in ranks.index if ranks[a] - ranks[top] < friedman["cd"]
        ]
        out.append(
            f"Across {friedman['n_tasks']} tasks the activations' ranks "
            "differ significantly (Iman-Davenport p = "
            f"{fmt_p(friedman['iman_davenport_pvalue'])}, Friedman p = "
            f"{fmt_p(friedman['pvalue'])}); the Nemenyi critical difference "
            f"is {friedman['cd']:.2f} rank units, so {len(near)} of "
            f"{len(ranks)} activations are within it of the best mean rank "
            f"({top}, {ranks[top]:.2f}): {', '.join(near)}."
        )
    if identical is not None and len(identical):
        pairs = "; ".join(
            f"{r['a']} = {r['b']}" for _, r in identical.iterrows()
        )
        out.append(
            "Same function (identical losses in every trial, so their "
            f"differences are float noise and count as ties): {pairs}."
        )
    return out


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
