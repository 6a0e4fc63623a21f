"""Seaborn figures of a benchmark run, one axes-level function each.

Every function takes a tidy DataFrame from `frames` or `stats` and an optional
`ax`, draws on it and returns it. None of them creates a file or shows a
window: `write_report` does all output. Confidence bands and error bars are
t-based 95% intervals over seeds, the same as in `summary.csv`, not seaborn's
default bootstrap. Empty data draws a short "no data" note instead of failing.

The module does not pick a matplotlib backend; `write_report` draws on
`matplotlib.figure.Figure` objects, which render with Agg and never touch
pyplot's global state.
"""

import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.ticker import LogLocator
from matplotlib.ticker import MaxNLocator
from matplotlib.ticker import NullFormatter

from reluplug.bench.report import stats


def t_errorbar(values):
    """`(low, high)` of the t-based 95% interval; seaborn `errorbar=` hook."""
    mean, _, lo, hi = stats.t_interval(values)
    if np.isnan(lo):
        return mean, mean
    return lo, hi


def _ax(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _empty(ax, message):
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.4",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _order(data, col, order):
    if order is not None:
        present = set(data[col])
        return [o for o in order if o in present]
    return sorted(data[col].dropna().unique())


def plot_learning_curves(
    history,
    *,
    y="val_metric",
    hue="activation",
    hue_order=None,
    palette=None,
    ylabel=None,
    ax=None,
):
    """Mean learning curve per activation with a 95% CI band over seeds.

    Args:
        history: History table (`frames.history_frame`), one task.
        y: Column to plot against `epoch`.
        hue: Column that separates the curves.
        hue_order: Order of the `hue` levels.
        palette: Seaborn palette, e.g. a dict label -> color.
        ylabel: Y axis label; defaults to `y`.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes.
    """
    ax = _ax(ax)
    data = history.dropna(subset=[y]) if len(history) else history
    if not len(data):
        return _empty(ax, f"no {y} recorded")
    sns.lineplot(
        data=data,
        x="epoch",
        y=y,
        hue=hue,
        hue_order=_order(data, hue, hue_order),
        palette=palette,
        errorbar=t_errorbar,
        ax=ax,
    )
    ax.set_ylabel(ylabel or y)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def plot_test_metric(
    runs, *, order=None, palette=None, ylabel="test metric", ax=None
):
    """Test metric per activation: each seed a dot, the mean with its CI.

    Args:
        runs: Runs table (`frames.runs_frame`), one task; only completed
            trials with a test metric are drawn.
        order: Order of the activations on the x axis.
        palette: Seaborn palette for the seed dots.
        ylabel: Y axis label.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes: one point (with error bar) per activation for the mean,
        one dot per seed in `ax.collections`.
    """
    ax = _ax(ax)
    data = runs[(runs["status"] == "completed") & runs["test_metric"].notna()]
    if not len(data):
        return _empty(ax, "no completed trial")
    order = _order(data, "activation", order)
    sns.stripplot(
        data=data,
        x="activation",
        y="test_metric",
        hue="activation",
        order=order,
        hue_order=order,
        palette=palette,
        legend=False,
        alpha=0.6,
        jitter=0.15,
        ax=ax,
    )
    sns.pointplot(
        data=data,
        x="activation",
        y="test_metric",
        order=order,
        errorbar=t_errorbar,
        color="black",
        linestyle="none",
        marker="D",
        markersize=5,
        capsize=0.2,
        err_kws={"linewidth": 1.2},
        ax=ax,
    )
    ax.set_ylabel(ylabel)
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_unit_fraction(
    monitors,
    *,
    quantity="dead_fraction",
    hue="activation",
    hue_order=None,
    palette=None,
    errorbar=t_errorbar,
    ax=None,
):
    """Fraction of dead (or inactive) units over epochs, epoch 0 = init.

    Args:
        monitors: Monitor table (`frames.monitors_frame`), typically one task
            and one layer; several layers are averaged.
        quantity: `"dead_fraction"`, `"inactive_fraction"` or
            `"saturated_fraction"`.
        hue: Column that separates the curves.
        hue_order: Order of the `hue` levels.
        palette: Seaborn palette.
        errorbar: Band over seeds (the t-based 95% CI by default); `None`
            draws the mean only.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes.
    """
    ax = _ax(ax)
    data = monitors[monitors["quantity"] == quantity] if len(monitors) else []
    if len(data) and errorbar is None:
        # Aggregate once here: much faster than seaborn's per-group apply.
        data = data.groupby([hue, "epoch"], as_index=False)["value"].mean()
    if not len(data):
        return _empty(ax, f"no {quantity} recorded (monitors off?)")
    sns.lineplot(
        data=data,
        x="epoch",
        y="value",
        hue=hue,
        hue_order=_order(data, hue, hue_order),
        palette=palette,
        errorbar=errorbar,
        ax=ax,
    )
    ax.set_ylabel(quantity.replace("_", " "))
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def grad_norm_ends(monitors):
    """Gradient norms at initialisation and at the last epoch of each trial.

    Returns:
        The `grad_norm` rows of `monitors` at epoch 0 and at each trial's last
        epoch, with a column `when` in `{"init", "end"}`.
    """
    g = monitors[monitors["quantity"] == "grad_norm"].copy()
    if not len(g):
        g["when"] = []
        return g
    last = g.groupby("trial_id")["epoch"].transform("max")
    g = g[(g["epoch"] == 0) | (g["epoch"] == last)].copy()
    g["when"] = np.where(g["epoch"] == 0, "init", "end")
    return g


def plot_grad_norm(monitors, *, hue_order=None, palette=None, ax=None):
    """Gradient norm per layer depth at init (dashed) and at the end, log y.

    Draws one line per activation and moment (mean over seeds) with plain
    matplotlib; the legend lists activations (colour) and moments (style).

    Args:
        monitors: Monitor table (`frames.monitors_frame`), one task.
        hue_order: Order of the activations.
        palette: Seaborn palette.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes, with a logarithmic y axis.
    """
    ax = _ax(ax)
    data = grad_norm_ends(monitors) if len(monitors) else []
    if len(data):
        data = data[data["value"] > 0]
    if not len(data):
        return _empty(ax, "no grad_norm recorded (monitors off?)")
    # Plain matplotlib on pre-computed means: seaborn's style semantics
    # cost more than the whole rest of the figure here.
    means = data.groupby(["activation", "when", "depth"])["value"].mean()
    order = _order(data, "activation", hue_order)
    colors = palette or dict(zip(order, sns.color_palette(n_colors=len(order))))
    styles = {"init": ("--", "o"), "end": ("-", "s")}
    for act in order:
        for when, (ls, marker) in styles.items():
            if (act, when) not in means.index.droplevel("depth"):
                continue
            m = means.loc[(act, when)]
            ax.plot(
                m.index.to_numpy(),
                m.to_numpy(),
                linestyle=ls,
                marker=marker,
                markersize=4,
                color=colors[act],
            )
    handles = [Line2D([], [], color=colors[a], label=a) for a in order]
    handles += [
        Line2D([], [], color="0.3", linestyle=ls, marker=mk, label=w)
        for w, (ls, mk) in styles.items()
    ]
    ax.legend(handles=handles, title="activation / when")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("gradient norm")
    ax.set_xlabel("layer depth")
    ax.set_xticks(sorted(data["depth"].dropna().unique()))
    return ax


def plot_epoch_time(
    history, *, order=None, palette=None, skip_first=True, ax=None
):
    """Seconds per epoch by activation (box over seeds and epochs).

    Args:
        history: History table (`frames.history_frame`), one task.
        order: Order of the activations.
        palette: Seaborn palette.
        skip_first: Leave out epoch 1, which includes graph tracing, where
            later epochs exist.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes: one box per activation.
    """
    ax = _ax(ax)
    data = history.dropna(subset=["epoch_time_s"]) if len(history) else []
    if len(data) and skip_first and (data["epoch"] > 1).any():
        data = data[data["epoch"] > 1]
    if not len(data):
        return _empty(ax, "no epoch times recorded")
    order = _order(data, "activation", order)
    sns.boxplot(
        data=data,
        x="activation",
        y="epoch_time_s",
        hue="activation",
        order=order,
        hue_order=order,
        palette=palette,
        legend=False,
        fliersize=2,
        ax=ax,
    )
    ax.set_ylabel("seconds per epoch")
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_paired_diff(summary, *, order=None, ax=None):
    """Paired difference to the baseline with its 95% CI, per activation.

    Args:
        summary: Summary table (`stats.summarize`), one task.
        order: Order of the activations (top to bottom).
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes: one horizontal error bar per non-baseline activation with
        a paired difference, and a vertical line at zero.
    """
    ax = _ax(ax)
    data = summary[~summary["is_baseline"] & summary["diff_mean"].notna()]
    if not len(data):
        return _empty(ax, "no paired comparison with a baseline")
    order = _order(data, "activation", order)
    data = data.set_index("activation").loc[order]
    y = np.arange(len(order))
    lo = (data["diff_mean"] - data["diff_ci_low"]).fillna(0).to_numpy()
    hi = (data["diff_ci_high"] - data["diff_mean"]).fillna(0).to_numpy()
    ax.errorbar(
        data["diff_mean"].to_numpy(),
        y,
        xerr=np.vstack([lo, hi]),
        fmt="o",
        color="black",
        capsize=3,
    )
    ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1)
    ax.set_yticks(y, order)
    ax.invert_yaxis()
    base = summary["baseline"].dropna()
    name = base.iloc[0] if len(base) else "baseline"
    ax.set_xlabel(f"test metric - {name} (paired, 95% CI)")
    return ax


def plot_rank_heatmap(summary, *, order=None, ax=None):
    """Rank of each activation in each task (1 = best), annotated.

    Args:
        summary: Summary table (`stats.summarize`), all tasks.
        order: Order of the activations (columns); defaults to best mean rank
            first.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes holding the heatmap (one `QuadMesh`, one text per cell).
    """
    ax = _ax(ax)
    if not len(summary) or summary["rank"].isna().all():
        return _empty(ax, "no ranks")
    table = summary.pivot(index="task", columns="activation", values="rank")
    if order is None:
        order = list(table.mean().sort_values(kind="stable").index)
    table = table[[o for o in order if o in table.columns]]
    sns.heatmap(
        table,
        annot=True,
        fmt=".1f",
        cmap="viridis_r",
        cbar_kws={"label": "rank (1 = best)"},
        ax=ax,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    return ax
