"""Seaborn figures of a benchmark run, one axes-level function each.

Every function takes a tidy DataFrame from `frames` or `stats` and an optional
`ax`, draws on it and returns it. None of them creates a file or shows a
window: `write_report` does all output. Confidence bands and error bars are
the bounded 95% intervals of `summary.csv` (`stats.bounded_interval`: a
seeded bootstrap percentile interval, `[min, max]` below five seeds), so an
accuracy band never leaves [0, 1]. Empty data draws a short "no data" note
instead of failing. Colours come from `activation_palette`: one per
activation in every figure, the baseline black.

The module does not pick a matplotlib backend; `write_report` draws on
`matplotlib.figure.Figure` objects, which render with Agg and never touch
pyplot's global state.
"""

import matplotlib.colors
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.ticker import LogLocator
from matplotlib.ticker import MaxNLocator
from matplotlib.ticker import NullFormatter

from reluplug.bench.report import stats

# Kelly's colours of maximum contrast (Kelly 1965, "Twenty-two colors of
# maximum contrast"), without white, black (the baseline's) and the two
# darkest, which read as black; ordered so the first 12 are far apart.
KELLY = (
    "#0067A5",  # blue
    "#F38400",  # orange
    "#008856",  # green
    "#BE0032",  # red
    "#875692",  # purple
    "#882D17",  # reddish brown
    "#E68FAC",  # purplish pink
    "#A1CAF1",  # light blue
    "#8DB600",  # yellow green
    "#F3C300",  # yellow
    "#C2B280",  # buff
    "#848482",  # grey
    "#604E97",  # violet
    "#B3446C",  # purplish red
    "#F99379",  # yellowish pink
    "#E25822",  # reddish orange
    "#DCD300",  # greenish yellow
    "#F6A600",  # orange yellow
)
BASELINE_COLOR = "#000000"


def activation_palette(order, baseline=None):
    """One colour per activation, for every figure of a report.

    Args:
        order: Activation labels, in ranking order (the first gets the most
            distinct colour).
        baseline: Label of the baseline; it is drawn black.

    Returns:
        Dict label -> hex colour: Kelly's 18 colours, then evenly spaced
        husl hues for any further activation.
    """
    others = [a for a in dict.fromkeys(order) if a != baseline]
    colors = list(KELLY)
    if len(others) > len(colors):
        extra = sns.color_palette("husl", len(others) - len(colors))
        colors += [matplotlib.colors.to_hex(c) for c in extra]
    palette = dict(zip(others, colors))
    if baseline is not None:
        palette[baseline] = BASELINE_COLOR
    return palette


def bounded_errorbar(values):
    """`(low, high)` of `stats.bounded_interval`; seaborn `errorbar=` hook.

    The interval lies inside the observed values, hence inside the
    metric's range."""
    out = stats.bounded_interval(values)
    if np.isnan(out["ci_low"]):
        return out["mean"], out["mean"]
    return out["ci_low"], out["ci_high"]


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


def _over_epochs(data, y, hue, order, palette, errorbar, ax):
    """One seaborn line per `hue` level against `epoch` (integer ticks)."""
    sns.lineplot(
        data=data,
        x="epoch",
        y=y,
        hue=hue,
        hue_order=order,
        palette=palette,
        errorbar=errorbar,
        ax=ax,
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _by_activation(plot, data, y, order, palette, ax, **kwargs):
    """Seaborn categorical `plot` of `y`, one coloured group per activation."""
    plot(
        data=data,
        x="activation",
        y=y,
        hue="activation",
        order=order,
        hue_order=order,
        palette=palette,
        legend=False,
        ax=ax,
        **kwargs,
    )


def _activation_axis(ax, ylabel):
    """Label the y axis; slant the activation names on the x axis."""
    ax.set_ylabel(ylabel)
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_learning_curves(
    history,
    *,
    y="val_metric",
    hue="activation",
    hue_order=None,
    palette=None,
    ylabel=None,
    errorbar=bounded_errorbar,
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
        errorbar: Band over seeds (bounded 95% interval by default); `None`
            draws the mean only.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes.
    """
    ax = _ax(ax)
    data = history.dropna(subset=[y]) if len(history) else history
    if not len(data):
        return _empty(ax, f"no {y} recorded")
    order = _order(data, hue, hue_order)
    fast = errorbar is bounded_errorbar
    _over_epochs(data, y, hue, order, palette, None if fast else errorbar, ax)
    if fast:
        # The same bounded interval, computed in batches (stats.bounded_bands)
        # instead of one bootstrap per (activation, epoch) group.
        bands = stats.bounded_bands(data, [hue, "epoch"], y)
        colors = {line.get_label(): line.get_color() for line in ax.get_lines()}
        for label in order:
            b = bands[bands[hue] == label]
            if len(b):
                ax.fill_between(
                    b["epoch"].to_numpy(dtype=float),
                    b["low"].to_numpy(),
                    b["high"].to_numpy(),
                    color=colors.get(str(label)),
                    alpha=0.2,
                    linewidth=0,
                )
    ax.set_ylabel(ylabel or y)
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
    _by_activation(
        sns.stripplot,
        data,
        "test_metric",
        order,
        palette,
        ax,
        alpha=0.6,
        jitter=0.15,
    )
    sns.pointplot(
        data=data,
        x="activation",
        y="test_metric",
        order=order,
        errorbar=bounded_errorbar,
        color="black",
        linestyle="none",
        marker="D",
        markersize=5,
        capsize=0.2,
        err_kws={"linewidth": 1.2},
        ax=ax,
    )
    return _activation_axis(ax, ylabel)


def plot_unit_fraction(
    monitors,
    *,
    quantity="dead_fraction",
    hue="activation",
    hue_order=None,
    palette=None,
    errorbar=bounded_errorbar,
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
        errorbar: Band over seeds (bounded 95% interval by default); `None`
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
    order = _order(data, hue, hue_order)
    _over_epochs(data, "value", hue, order, palette, errorbar, ax)
    ax.set_ylabel(quantity.replace("_", " "))
    ax.set_ylim(bottom=0)
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
    _by_activation(
        sns.boxplot, data, "epoch_time_s", order, palette, ax, fliersize=2
    )
    return _activation_axis(ax, "seconds per epoch")


def plot_paired_diff(summary, *, order=None, palette=None, ax=None):
    """Paired difference to the baseline with its 95% CI, per activation.

    The grey band is the region of practical equivalence (`rope`); each
    row's label ends with its verdict.

    Args:
        summary: Summary table (`stats.summarize`), one task.
        order: Order of the activations (top to bottom).
        palette: Dict label -> colour for the points; black without.
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
    rope = data["rope"].dropna() if "rope" in data else []
    if len(rope) and np.isfinite(rope.iloc[0]):
        ax.axvspan(-rope.iloc[0], rope.iloc[0], color="0.9", zorder=0)
    for y, (act, r) in enumerate(data.iterrows()):
        lo = r["diff_mean"] - r["diff_ci_low"]
        hi = r["diff_ci_high"] - r["diff_mean"]
        ax.errorbar(
            [r["diff_mean"]],
            [y],
            xerr=[[0 if np.isnan(lo) else lo], [0 if np.isnan(hi) else hi]],
            fmt="o",
            color=(palette or {}).get(act, "black"),
            capsize=3,
        )
    ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1)
    verdicts = data["verdict"] if "verdict" in data else [None] * len(data)
    labels = [
        f"{a} ({v})" if isinstance(v, str) else str(a)
        for a, v in zip(order, verdicts)
    ]
    ax.set_yticks(np.arange(len(order)), labels)
    ax.set_ylim(len(order) - 0.5, -0.5)
    base = summary["baseline"].dropna()
    name = base.iloc[0] if len(base) else "baseline"
    ax.set_xlabel(f"test metric - {name} (paired, 95% CI; band: ROPE)")
    return ax


def plot_critical_difference(ranks, nemenyi, *, cd=None, palette=None, ax=None):
    """Critical-difference diagram of mean ranks across tasks (Demsar 2006).

    Drawn by `scikit_posthocs.critical_difference_diagram`: activations
    joined by a bar are not distinguishable by the Nemenyi test.

    Args:
        ranks: Series activation -> mean rank over tasks (1 = best).
        nemenyi: DataFrame of Nemenyi p-values (`stats.friedman`).
        cd: Critical difference, drawn as a bar above the axis.
        palette: Dict label -> colour.
        ax: Axes to draw on; defaults to the current Axes.

    Returns:
        The Axes.
    """
    import scikit_posthocs as sp

    ax = _ax(ax)
    if ranks is None or len(ranks) < 2:
        return _empty(ax, "fewer than two ranked activations")
    colors = None
    if palette:
        colors = {a: palette.get(a, "black") for a in ranks.index}
    sp.critical_difference_diagram(
        ranks,
        nemenyi,
        cd=cd,
        ax=ax,
        color_palette=colors,
        label_fmt_left="{label} ({rank:.2f})",
        label_fmt_right="({rank:.2f}) {label}",
    )
    ax.set_xlabel("mean rank over tasks (1 = best)")
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
