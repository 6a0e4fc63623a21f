"""Sweeps in a benchmark report: metrics against the swept value.

A suite with a list in a task parameter or in ``[training]`` (see
``reluplug.bench.suite.config``) runs one task variant per value; each trial
record keeps its values in ``sweep``. ``sweep_frame`` puts them beside the
runs table and ``plot_sweep`` draws a metric against one swept key, one
line per activation (mean over seeds, t-based 95% CI), seaborn
axes-level style: it never creates a file or shows a window.
"""

import pandas as pd
import seaborn as sns

from reluplug.bench.report import frames
from reluplug.bench.report import plots
from reluplug.bench.suite.schema import task_label
from reluplug.bench.suite.schema import task_name


def sweep_frame(records):
    """One row per (trial, swept key) of the swept trials.

    Args:
        records: trial dicts (``frames.read_trials``).

    Returns:
        DataFrame with ``trial_id``, ``task`` (the registry name),
        ``label`` (the variant), ``activation``, ``seed``, ``status``,
        ``key``, ``value``, ``test_metric``, ``metric``, and ``others`` (the
        other swept keys of the variant, as text, "" if none). Empty
        without sweeps.
    """
    rows = []
    for rec in records:
        sweep = rec.get("sweep") or {}
        for key, value in sweep.items():
            others = ", ".join(f"{k}={v}" for k, v in sweep.items() if k != key)
            rows.append(
                {
                    "trial_id": rec.get("trial_id"),
                    "task": task_name(rec),
                    "label": task_label(rec),
                    "activation": rec.get("activation"),
                    "seed": rec.get("seed"),
                    "status": rec.get("status"),
                    "key": key,
                    "value": value,
                    "test_metric": rec.get("test_metric"),
                    "metric": rec.get("metric"),
                    "others": others,
                }
            )
    columns = [
        "trial_id",
        "task",
        "label",
        "activation",
        "seed",
        "status",
        "key",
        "value",
        "test_metric",
        "metric",
        "others",
    ]
    return pd.DataFrame(rows, columns=columns)


def load_sweeps(run_dir):
    """``sweep_frame`` of a run folder's trials."""
    records, _ = frames.read_trials(run_dir)
    return sweep_frame(records)


def plot_sweep(data, *, hue_order=None, palette=None, ax=None):
    """The test metric against the swept value, one line per activation.

    Args:
        data: rows of ``sweep_frame`` for one task and one key (and one
            setting of the other swept keys).
        hue_order: order of the activations.
        palette: activation -> colour.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes (one line per activation in ``ax.lines``; a log x axis
        when the values are positive and span more than a factor of 20).
    """
    ax = plots._ax(ax)
    ok = data[(data["status"] == "completed") & data["test_metric"].notna()]
    if not len(ok):
        return plots._empty(ax, "no completed trial")
    numeric = pd.to_numeric(ok["value"], errors="coerce")
    if numeric.notna().all():
        ok = ok.assign(value=numeric)
    else:
        ok = ok.assign(value=ok["value"].astype(str))
    sns.lineplot(
        ok,
        x="value",
        y="test_metric",
        hue="activation",
        hue_order=hue_order,
        palette=palette,
        marker="o",
        errorbar=plots.bounded_errorbar,
        ax=ax,
    )
    if numeric.notna().all():
        if (numeric > 0).all() and numeric.max() / numeric.min() > 20:
            ax.set_xscale("log")
        ticks = sorted(set(numeric))
        if len(ticks) <= 12:
            ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
            ax.minorticks_off()
    key = data["key"].iloc[0]
    ax.set_xlabel(f"{key} (swept)")
    metric = ok["metric"].dropna()
    ax.set_ylabel(f"test {metric.iloc[0] if len(metric) else 'metric'}")
    return ax


def sweep_panels(sweeps):
    """``[(task, key, others, rows)]``: one panel per swept key of a task
    and setting of its other swept keys."""
    out = []
    if not len(sweeps):
        return out
    for (task, key, others), rows in sweeps.groupby(
        ["task", "key", "others"], sort=True
    ):
        if rows["value"].astype(str).nunique() > 1:
            out.append((task, key, others, rows))
    return out
