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

from reluplug.bench.report import stats
from reluplug.bench.report import tables


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


def _task(task, ctx):
    s = ctx["summary"]
    g = ctx["data"].runs[ctx["data"].runs["task"] == task]
    metric = g["metric"].dropna()
    mode = g["metric_mode"].dropna()
    return {
        "name": task,
        "slug": ctx["slugs"][task],
        "metric": metric.iloc[0] if len(metric) else "?",
        "mode": mode.iloc[0] if len(mode) else "?",
        "params": sorted(set(g["task_params"].dropna())),
        "table": tables.summary_table(s[s["task"] == task]),
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
    return render_page(
        "benchmark.html",
        title=ctx["title"],
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
