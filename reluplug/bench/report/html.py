"""The self-contained `report.html`: no script, no external resource.

Pages are Jinja2 templates (`templates/`, autoescaping on): `base.html` is
the frame (CSP, style, title), `benchmark.html` and the evidence report's
`evidence.html` extend it, `macros.html` draws tables and figures. Every
string that comes from the run folder (suite name, task and activation
labels, parameters, error text, versions) is escaped by the template engine
on its way into the page; Python code here only builds plain values.
Figures are embedded as base64 PNG data URIs.
"""

import base64
import dataclasses
import json

import jinja2
import pandas as pd

from reluplug.bench.report import protocol
from reluplug.bench.report import recommend
from reluplug.bench.report import stats
from reluplug.bench.report import tables
from reluplug.bench.report import views

# The per-task table on the page: these columns (those present) fit a
# 1280-px window; the full table sits behind a toggle.
MAIN_COLUMNS = (
    "rank",
    "activation",
    "seeds done",
    "test metric [95% CI]",
    "test metric [min, max]",
    "vs baseline [95% CI]",
    "verdict",
    "P(better / ROPE / worse)",
    "P(best)",
    "epoch time ×",
    "dead",
    "inactive",
)


@dataclasses.dataclass
class FigureOut:
    """One rendered figure.

    Attributes:
        name: File stem under `figures/`.
        caption: Text under the figure (plain text; escaped on output).
        png: PNG bytes.
        width: Pixel width of the PNG.
        height: Pixel height of the PNG.
    """

    name: str
    caption: str
    png: bytes
    width: int
    height: int


def _data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reluplug.bench.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["data_uri"] = _data_uri


def render_page(template, **context):
    """Renders one of the report templates (autoescaped).

    Args:
        template: File name under `templates/`, e.g. `"benchmark.html"`.
        **context: The template's variables: plain strings, numbers,
            lists, DataFrames of strings (drawn by the `table` macro) and
            `FigureOut`s (drawn by the `figure` macro).

    Returns:
        The HTML document.
    """
    return _ENV.get_template(template).render(**context)


def _frame(df):
    """`df` as strings, or None when it is empty (the page skips it)."""
    if df is None or not len(df):
        return None
    return df.astype(str)


def _kv(mapping):
    if not mapping:
        return None
    return pd.DataFrame(
        [
            (k, v if isinstance(v, str) else json.dumps(v))
            for k, v in mapping.items()
        ],
        columns=["key", "value"],
    )


def _partial(data):
    """The 'Partial run' sentence, or None for a complete run."""
    runs = data.runs
    parts = []
    if (runs["status"] != "completed").any():
        counts = runs["status"].value_counts()
        parts.append(
            ", ".join(
                f"{int(counts.get(s, 0))} {s}"
                for s in ("failed", "diverged")
                if counts.get(s, 0)
            )
        )
    if data.missing_ids:
        parts.append(
            f"{len(data.missing_ids)} of "
            f"{len(data.manifest.get('trial_ids') or [])} expected "
            "trials missing"
        )
    if len(data.missing_cells):
        parts.append(
            f"{len(data.missing_cells)} task/activation/seed cells "
            "without a trial"
        )
    if data.unreadable:
        parts.append(f"{len(data.unreadable)} unreadable trial files")
    return "; ".join(parts) or None


def split_table(full, ci_name="test metric [95% CI]"):
    """The per-task table as (main, details): `MAIN_COLUMNS` (those
    present) and, for the toggle, activation with every other column."""
    full = full.rename(columns={"test metric [95% CI]": ci_name})
    main = [c for c in MAIN_COLUMNS if c in full.columns]
    rest = [c for c in full.columns if c not in main]
    details = full[["activation"] + [c for c in rest if c != "activation"]]
    return full[main], details


def _task(task, ctx):
    s = ctx["summary"]
    st = s[s["task"] == task]
    g = ctx["data"].runs[ctx["data"].runs["task"] == task]
    metric = g["metric"].dropna()
    mode = g["metric_mode"].dropna()
    main, details = split_table(tables.summary_table(st), views.ci_header(st))
    return {
        "name": task,
        "slug": ctx["slugs"][task],
        "metric": metric.iloc[0] if len(metric) else "?",
        "mode": mode.iloc[0] if len(mode) else "?",
        "params": sorted({views.params_in_words(p) for p in g["task_params"]}),
        "table": main,
        "details": details,
        "figures": ctx["figures"].get(task, []),
        "notes": ctx["notes"].get(task, []),
    }


def _tracebacks(runs):
    bad = runs[runs["status"] != "completed"]
    return [
        (
            f"{r['task']} / {r['activation']} / seed {r['seed']:.0f}",
            r["error_traceback"],
        )
        for _, r in bad.dropna(subset=["error_traceback"]).iterrows()
    ]


def _missing(data):
    cells = None
    if len(data.missing_cells):
        cells = data.missing_cells.copy()
        cells["seed"] = [f"{x:.0f}" for x in cells["seed"]]
    unreadable = None
    if data.unreadable:
        unreadable = pd.DataFrame(data.unreadable, columns=["file", "reason"])
    dups = data.duplicates
    return {
        "ids": list(data.missing_ids),
        "n_expected": len(data.manifest.get("trial_ids") or []),
        "cells": _frame(cells),
        "unreadable": _frame(unreadable),
        "left_out": list(data.left_out),
        "duplicates": _frame(
            dups[["trial_id", "task", "activation", "seed", "utc_time"]]
            if len(dups)
            else None
        ),
    }


def _environment(ctx):
    data = ctx["data"]
    m = data.manifest
    info = {
        "suite": m.get("suite")
        or ", ".join(data.runs["suite"].dropna().unique()),
        "suite_sha256": m.get("suite_sha256"),
        "created_utc": m.get("created_utc"),
        "updated_utc": m.get("updated_utc"),
        "reluplug_version": m.get("reluplug_version"),
        "run folder": str(data.run_dir),
    }
    return [
        ("Suite", _kv({k: v for k, v in info.items() if v})),
        ("Versions", _kv(ctx["versions"])),
        ("Machine", _kv(ctx["machine"])),
    ]


def render(ctx):
    """The whole page as one string.

    Args:
        ctx: Dict built by `writer.write_report`: `data` (`frames.RunData`),
            `summary`, `ranking`, `headline`, `figures` (`{"overall" or task:
            [FigureOut]}`), `notes` (`{task: [str]}`), `slugs`, `versions`,
            `machine`, `heterogeneous`, `title`.

    Returns:
        The HTML document.
    """
    from reluplug.bench.report import markdown

    data = ctx["data"]
    runs = data.runs
    counts = runs["status"].value_counts()
    status = ", ".join(
        f"{int(counts.get(s, 0))} {s}" for s in ("completed", "diverged")
    )
    status += f", {int(counts.get('failed', 0))} failed"
    status += f", {len(data.missing_ids)} missing"
    tasks = sorted(runs["task"].dropna().unique())
    proto, references, peaks = protocol.protocol_view(
        runs, protocol.read_tuning(data.run_dir)
    )
    return render_page(
        "benchmark.html",
        protocol=_frame(proto),
        protocol_references=references,
        peaks=peaks,
        title=ctx["title"],
        recommendations=recommend.recommend(ctx["summary"]),
        n_trials=len(runs),
        status=status,
        conflicts=_frame(data.init_conflicts),
        partial=_partial(data),
        left_out_note=data.left_out_note if data.left_out else None,
        findings=ctx["findings"],
        rope=markdown.rope_sentence(ctx),
        headline=tables.headline_table(ctx["headline"]),
        ranking=tables.ranking_table(ctx["ranking"]),
        power=tables.power_table(ctx["summary"]),
        identical=_frame(tables.identical_table(ctx["identical"]))
        if len(ctx["identical"])
        else None,
        overall_figures=ctx["figures"].get("overall", []),
        overall_notes=ctx["notes"].get("overall", []),
        tasks=[_task(t, ctx) for t in tasks],
        problems=tables.problem_trials_table(runs),
        tracebacks=_tracebacks(runs),
        missing=_missing(data),
        environment=_environment(ctx),
        heterogeneous=ctx["heterogeneous"],
        definitions=stats.DEFINITIONS,
    )


def notebook(run_dir, runs, summary):
    """The HTML a notebook shows for a `compare()` result: the
    recommendation per task, then the headline table.

    Args:
        run_dir: The run folder.
        runs: The runs table (`frames.runs_frame`).
        summary: `stats.summarize` output.

    Returns:
        An HTML fragment (no page frame).
    """
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    return render_page(
        "notebook.html",
        run_dir=str(run_dir),
        status=", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
        recommendations=recommend.recommend(summary),
        headline=tables.headline_table(stats.headline(summary)),
    )
