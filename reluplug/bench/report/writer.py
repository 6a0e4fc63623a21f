"""`write_report`: the one function that writes report files."""

import hashlib
import io
import json
import re
import struct
from pathlib import Path

import matplotlib
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from reluplug.bench.report import frames
from reluplug.bench.report import html
from reluplug.bench.report import markdown
from reluplug.bench.report import plots
from reluplug.bench.report import stats
from reluplug.bench.report import sweeps
from reluplug.bench.report import tables
from reluplug.bench.report import views
from reluplug.bench.store import atomic_write
from reluplug.bench.suite import schema

FORMATS = ("csv", "md", "html", "png", "svg")
DPI = 100
MAX_LAYER_PANELS = 6  # evenly spaced layers, first and last included
MAX_BANDS = 4  # CI bands in per-layer panels only up to this many activations
UNIT_FRACTIONS = schema.UNIT_FRACTIONS


def _check_formats(formats):
    formats = tuple(formats)
    for f in formats:
        if f not in FORMATS:
            raise ValueError(
                f"The value for `formats` must be a subset of {list(FORMATS)}, "
                f"but {f!r} was passed."
            )
    return formats


def slug(text):
    """A file-name-safe, collision-free stem for a user-supplied label."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._")[:40]
    if s != str(text):
        s += "-" + hashlib.sha256(str(text).encode()).hexdigest()[:6]
    return s or "x"


def _figure(figsize):
    """A pyplot-free figure; constrained layout keeps outside legends in."""
    return Figure(figsize=figsize, layout="constrained")


def _png_size(png):
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class _Renderer:
    """Renders figures to PNG (always, for the page) and writes files."""

    def __init__(self, fig_dir, formats):
        self.fig_dir = fig_dir
        self.formats = formats
        self.written = {}

    def __call__(self, fig, name, caption):
        for ax in fig.axes:
            if ax.get_legend() is not None:
                sns.move_legend(
                    ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False
                )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        png = buf.getvalue()
        # Keep the layout just computed instead of redoing it for the SVG.
        fig.set_layout_engine("none")
        if "png" in self.formats:
            path = self.fig_dir / f"{name}.png"
            atomic_write(path, png)
            self.written[f"figures/{name}.png"] = path
        if "svg" in self.formats:
            path = self.fig_dir / f"{name}.svg"
            buf = io.StringIO()
            # Text as <text>, not glyph paths: smaller and faster files.
            with matplotlib.rc_context({"svg.fonttype": "none"}):
                fig.savefig(buf, format="svg")
            atomic_write(path, buf.getvalue())
            self.written[f"figures/{name}.svg"] = path
        width, height = _png_size(png)
        return html.FigureOut(name, caption, png, width, height)


def report_options(run_dir):
    """The `[report]` table of the run folder's `suite.toml` (validated).

    Returns:
        A `config.Report`; defaults when the file or table is absent.

    Raises:
        ConfigError: `suite.toml` is not TOML or its `[report]` is invalid.
    """
    from reluplug.bench.suite import config

    path = Path(run_dir) / "suite.toml"
    if not path.exists():
        return config.Report()
    data = config.read(path)
    return config.report_options(data.get("report", {}), str(path))


def _unit_figure(task, stem, mons, quantities, order, render, kw):
    """Unit fractions: one row per quantity, one column per layer."""
    q = mons[mons["quantity"].isin(quantities)]
    layers = list(
        q[["depth", "layer"]]
        .drop_duplicates()
        .sort_values(["depth", "layer"])["layer"]
        .drop_duplicates()
    )
    shown = layers
    if len(layers) > MAX_LAYER_PANELS:
        idx = np.linspace(0, len(layers) - 1, MAX_LAYER_PANELS)
        shown = [layers[i] for i in sorted(set(np.round(idx).astype(int)))]
    band = len(order) <= MAX_BANDS
    nrows, ncols = len(quantities), len(shown)
    fig = _figure(figsize=(2.6 * ncols + 1.6, 2.4 * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, sharey="row", squeeze=False)
    handles = {}
    for r, quantity in enumerate(quantities):
        for c, layer in enumerate(shown):
            ax = axes[r, c]
            plots.plot_unit_fraction(
                q[q["layer"] == layer],
                quantity=quantity,
                hue_order=order,
                errorbar=plots.bounded_errorbar if band else None,
                ax=ax,
                **kw,
            )
            if r == 0:
                ax.set_title(str(layer), fontsize=10)
            if r != nrows - 1:
                ax.set_xlabel("")
            if c:
                ax.set_ylabel("")
            legend = ax.get_legend()
            if legend is not None:
                # Each panel knows only the activations it drew (dead and
                # inactive rows hold different ones): collect them all.
                for handle, text in zip(
                    legend.legend_handles, legend.get_texts()
                ):
                    handles.setdefault(text.get_text(), handle)
                legend.remove()
        # The row shares y; the first panel's limits would clip the others.
        top = max(
            (ax.dataLim.ymax for ax in axes[r] if ax.has_data()), default=0
        )
        axes[r, 0].set_ylim(0, top * 1.05 if top > 0 else 1.0)
    if handles:
        labels = [a for a in order if a in handles]
        labels += [a for a in handles if a not in labels]
        fig.legend(
            [handles[a] for a in labels],
            labels,
            title="activation",
            loc="outside right upper",
            frameon=False,
        )
    caption = (
        f"{task}: {', '.join(x.replace('_', ' ') for x in quantities)} per "
        "layer over epochs (0 = at initialisation), mean over seeds"
    )
    caption += " with 95% CI" if band else ""
    if len(shown) < len(layers):
        caption += f"; {len(shown)} of {len(layers)} layers shown"
    return render(fig, f"{stem}-units", caption)


def _task_figures(task, data, summary, render, order, palette):
    """The panels of one task; returns (figures, notes)."""
    runs = data.runs[data.runs["task"] == task]
    hist = data.history[data.history["task"] == task]
    mons = data.monitors[data.monitors["task"] == task]
    metric = runs["metric"].dropna()
    metric = metric.iloc[0] if len(metric) else "metric"
    stem = slug(task)
    figs, notes = [], []
    kw = {"palette": palette}
    s = summary[summary["task"] == task]
    ci = views.ci_short(s)

    fig = _figure(figsize=(7.6, 4))
    plots.plot_learning_curves(
        hist,
        hue_order=order,
        ylabel=f"validation {metric}",
        ax=fig.add_subplot(),
        **kw,
    )
    figs.append(
        render(
            fig,
            f"{stem}-curves",
            f"{task}: validation {metric} per epoch over seeds: mean and {ci}",
        )
    )
    fig = _figure(figsize=(6.4, 4))
    plots.plot_test_metric(
        runs, order=order, ylabel=f"test {metric}", ax=fig.add_subplot(), **kw
    )
    figs.append(
        render(
            fig,
            f"{stem}-test",
            f"{task}: test {metric} at the validation-chosen epoch; dots are "
            f"seeds, diamonds the mean with {ci}",
        )
    )
    if (~s["is_baseline"] & s["diff_mean"].notna()).any():
        fig = _figure(figsize=(6.4, max(2.2, 0.9 + 0.35 * len(s))))
        plots.plot_paired_diff(
            s, order=order, palette=palette, ax=fig.add_subplot()
        )
        figs.append(
            render(
                fig,
                f"{stem}-paired",
                f"{task}: paired difference to the baseline, 95% CI; grey "
                "band: region of practical equivalence; verdicts after Holm",
            )
        )
    else:
        notes.append(
            "No paired comparison: the baseline has no completed trial here."
        )
    why = "monitors off" if not len(mons) else "not measured for these sites"
    present = set(mons["quantity"]) if len(mons) else set()
    for quantity in schema.HISTORY_FRACTIONS:
        if quantity not in present:
            notes.append(
                f"No {quantity.replace('_', ' ')} per layer recorded for "
                f"this task ({why})."
            )
    quantities = [q for q in UNIT_FRACTIONS if q in present]
    if quantities:
        figs.append(
            _unit_figure(task, stem, mons, quantities, order, render, kw)
        )
    g = plots.grad_norm_ends(mons) if len(mons) else mons
    if len(g):
        fig = _figure(figsize=(7.6, 4))
        plots.plot_grad_norm(mons, hue_order=order, ax=fig.add_subplot(), **kw)
        figs.append(
            render(
                fig,
                f"{stem}-gradnorm",
                f"{task}: gradient norm per layer depth at initialisation "
                "(dashed) and after the last epoch (solid), mean over seeds, "
                "log scale",
            )
        )
    else:
        why = "monitors off" if not len(mons) else "gradient-flow monitor off"
        notes.append(f"No gradient norms recorded for this task ({why}).")
    fig = _figure(figsize=(6.4, 3.6))
    plots.plot_epoch_time(hist, order=order, ax=fig.add_subplot(), **kw)
    figs.append(
        render(
            fig,
            f"{stem}-epochtime",
            f"{task}: seconds per epoch (epoch 1 left out), all seeds",
        )
    )
    return figs, notes


def _sweep_figures(run_dir, render, order, palette):
    """Test metric against each swept value (suites with sweeps only)."""
    out = []
    for task, key, others, rows in sweeps.sweep_panels(
        sweeps.load_sweeps(run_dir)
    ):
        fig = _figure(figsize=(7.6, 4))
        sweeps.plot_sweep(
            rows, hue_order=order, palette=palette, ax=fig.add_subplot()
        )
        where = f" ({others})" if others else ""
        name = "sweep-" + slug(f"{task}-{key}-{others}")
        caption = (
            f"{task}{where}: test metric against the swept {key}, mean "
            "and 95% CI over seeds"
        )
        out.append(render(fig, name, caption))
    return out


def _environment(runs, manifest):
    """Versions and machine (from the manifest, else the first trial), and
    the fields on which trials disagree."""
    out, hetero = [], []
    for kind in ("versions", "machine"):
        recs = [json.loads(x) for x in runs[kind].dropna().unique()]
        first = recs[0] if recs else {}
        out.append(dict(manifest.get(kind) or first))
        for k in sorted({k for r in recs for k in r}):
            vals = {json.dumps(r.get(k), sort_keys=True) for r in recs}
            if len(vals) > 1:
                hetero.append(f"{kind}.{k}: {', '.join(sorted(vals))}")
    commits = sorted({str(c) for c in runs["git_commit"].dropna()})
    if commits:
        out[0].setdefault("git_commit", ", ".join(commits))
    return out[0], out[1], hetero


def write_report(run_dir, *, formats=FORMATS, baseline=None):
    """Writes the comparison report of a run folder into that folder.

    Reads the trials (`frames.load_run`), computes the statistics
    (`stats.summarize`), draws the figures (`plots`) and writes, as asked by
    `formats`:

    * `"csv"`: `summary.csv` (one row per task x activation, the columns of
      `stats.SUMMARY_COLUMNS`) and `ranking.csv` (`stats.ranking`).
    * `"md"`: `summary.md`, headline and summary tables in Markdown.
    * `"html"`: `report.html`, one self-contained page.
    * `"png"`, `"svg"`: every figure under `figures/`.

    A partial run (failed, diverged or missing trials, monitors off) still
    reports; the page says what is missing. Files are replaced atomically.

    Args:
        run_dir: Path of a run folder (see `docs/run-folder.md`).
        formats: Which outputs to write, a subset of `FORMATS`.
        baseline: Label of the baseline activation; defaults to the trials
            flagged `is_baseline`.

    Returns:
        Dict mapping each written file's path relative to `run_dir` to its
        `Path`.

    Raises:
        ValueError: If `run_dir` is not a directory or `formats` holds an
            unknown format.
    """
    formats = _check_formats(formats)
    run_dir = Path(run_dir)
    data = frames.load_run(run_dir)
    options = report_options(run_dir)
    summary = stats.summarize(
        data.runs,
        data.history,
        baseline=baseline,
        conflicts=data.init_conflicts,
        rope=options.rope,
        sequential=data.sequential,
    )
    rank = stats.ranking(summary)
    friedman = stats.friedman(summary)
    identical = stats.identical_functions(data.runs, data.history)
    written = {}
    if "csv" in formats:
        for name, df in (("summary.csv", summary), ("ranking.csv", rank)):
            path = run_dir / name
            atomic_write(path, df.to_csv(index=False))
            written[name] = path
    if not {"md", "html", "png", "svg"} & set(formats):
        return written
    fig_dir = run_dir / "figures"
    if {"png", "svg"} & set(formats):
        fig_dir.mkdir(exist_ok=True)
    render = _Renderer(fig_dir, formats)
    order = list(rank["activation"])
    bases = summary.loc[summary["is_baseline"], "activation"].unique()
    palette = plots.activation_palette(order, bases[0] if len(bases) else None)
    tasks = sorted(data.runs["task"].dropna().unique())
    figures, notes = {"overall": []}, {"overall": []}
    draw = {"html", "png", "svg"} & set(formats)
    # One task is one row: its ranks are in the task's table already.
    if draw and summary["mean"].notna().any() and len(tasks) > 1:
        longest = max(len(str(x)) for x in order + tasks)
        fig = _figure(
            figsize=(
                3.0 + 0.7 * len(order) + 0.07 * longest,
                1.5 + 0.45 * len(tasks) + 0.08 * longest,
            )
        )
        plots.plot_rank_heatmap(summary, order=order, ax=fig.add_subplot())
        figures["overall"].append(
            render(
                fig,
                "rank-heatmap",
                "Rank by task (1 = best mean rank within seeds; diverged "
                "and failed trials rank last in their seed)",
            )
        )
    if draw:
        figures["overall"] += _sweep_figures(run_dir, render, order, palette)
    if draw and friedman is not None and friedman["cd"] is not None:
        k = len(friedman["avg_ranks"])
        fig = _figure(figsize=(7.6, 1.6 + 0.22 * k))
        plots.plot_critical_difference(
            friedman["avg_ranks"],
            friedman["nemenyi"],
            cd=friedman["cd"],
            palette=palette,
            ax=fig.add_subplot(),
        )
        figures["overall"].append(
            render(
                fig,
                "critical-difference",
                f"Critical-difference diagram: mean rank over "
                f"{friedman['n_tasks']} tasks; bars join activations the "
                f"Nemenyi test cannot tell apart (CD = {friedman['cd']:.2f}, "
                f"Friedman p = {friedman['pvalue']:.3g})",
            )
        )
    elif draw and friedman is not None:
        notes["overall"].append(
            "No critical-difference diagram: the Iman-Davenport test does "
            "not reject equal ranks across tasks (p = "
            f"{friedman['iman_davenport_pvalue']:.3g}), so no post-hoc test "
            "is run."
        )
    elif draw:
        notes["overall"].append(
            "No critical-difference diagram: it needs at least 2 ranked "
            "tasks and 3 activations present in all of them."
        )
    for task in tasks if draw else ():
        figures[task], notes[task] = _task_figures(
            task, data, summary, render, order, palette
        )
    versions, machine, hetero = _environment(data.runs, data.manifest)
    suite = data.manifest.get("suite") or ", ".join(
        data.runs["suite"].dropna().astype(str).unique()
    )
    ctx = {
        "data": data,
        "summary": summary,
        "ranking": rank,
        "headline": stats.headline(summary),
        "friedman": friedman,
        "identical": identical,
        "options": options,
        "findings": tables.findings(summary, friedman, identical),
        "figures": figures,
        "notes": notes,
        "slugs": {t: slug(t) for t in tasks},
        "versions": versions,
        "machine": machine,
        "heterogeneous": hetero,
        "title": f"reluplug benchmark: {suite or run_dir.name}",
    }
    if "md" in formats:
        path = run_dir / "summary.md"
        atomic_write(path, markdown.render(ctx))
        written["summary.md"] = path
    if "html" in formats:
        path = run_dir / "report.html"
        atomic_write(path, html.render(ctx))
        written["report.html"] = path
    written.update(render.written)
    return written
