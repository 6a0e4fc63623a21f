"""``write_evidence_report``: the evidence report from the claims' CSVs.

One section per claim: the claim in one sentence, its verdict word with
the rule and the numbers behind it, its figure and its tables. Same style
and machinery as the benchmark report (``reluplug.bench.report``): a
self-contained HTML page (the template ``evidence.html``, which extends the
benchmark report's ``base.html``: no script, CSP, autoescaped text, figures
as PNG data URIs), ``summary.md``, CSV files and ``figures/`` (PNG and
SVG). Needs no Keras: it reads ``OUT/claims/*/*.csv`` only.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from reluplug.bench.evidence import CLAIMS
from reluplug.bench.evidence._common import claim_folder
from reluplug.bench.evidence._common import no_data
from reluplug.bench.report import html
from reluplug.bench.report import markdown
from reluplug.bench.report import writer
from reluplug.bench.store import atomic_write

TITLE = "reluplug evidence: why ReLU, measured"
VERDICT_COLUMNS = ("claim", "title", "verdict", "statement", "reason", "rule")


def load_tables(folder):
    """``{name: DataFrame}`` of the CSV files in a claim folder."""
    folder = Path(folder)
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        try:
            tables[path.stem] = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            tables[path.stem] = pd.DataFrame()
    return tables


def _meta(folder):
    try:
        return json.loads((Path(folder) / "meta.json").read_text())
    except (OSError, ValueError):
        return {}


def claim_result(out, module):
    """``(tables, verdict, error)`` of one claim from its folder."""
    folder = claim_folder(out, module)
    meta = _meta(folder)
    tables = load_tables(folder)
    error = meta.get("error")
    if error:
        return tables, no_data(f"Not measured: {error}"), error
    if not tables:
        return tables, no_data("Not measured yet."), None
    try:
        return tables, module.verdict(tables), None
    except Exception as e:  # a broken table is reported, not raised
        return tables, no_data(f"{type(e).__name__}: {e}"), None


def _fmt(value):
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def display(df, max_rows=60):
    """A table as strings for the page (``shown`` replaces ``value``)."""
    if df is None:
        return None
    df = df.copy()
    if "shown" in df.columns:
        df = df.drop(columns=[c for c in ("value",) if c in df.columns])
    df = df.head(max_rows)
    return df.apply(lambda col: col.map(_fmt)).astype(str)


def _render_figure(module, tables, render):
    fig = writer._figure(figsize=getattr(module, "FIGSIZE", (10, 4)))
    module.plot(tables, fig)
    name = f"claim{module.NUMBER}-{module.NAME}"
    return render(fig, name, f"Claim {module.NUMBER}: {module.TITLE}")


def write_evidence_report(out, formats=writer.FORMATS):
    """Writes the evidence report of ``out`` (see the module docstring).

    Args:
        out: the evidence output folder.
        formats: subset of ``reluplug.bench.report.FORMATS``.

    Returns:
        Dict of written files (relative path -> Path).
    """
    formats = writer._check_formats(formats)
    out = Path(out)
    if not out.is_dir():
        raise ValueError(
            f"`out` must be an evidence output folder. Received: out={out}"
        )
    fig_dir = out / "figures"
    if {"png", "svg"} & set(formats):
        fig_dir.mkdir(exist_ok=True)
    render = writer._Renderer(fig_dir, formats)
    manifest = _meta_file(out)
    quick = bool(manifest.get("quick"))
    sections, rows = [], []
    for module in CLAIMS:
        tables, verdict, error = claim_result(out, module)
        figure, fig_error = None, None
        if tables and not error:
            try:
                figure = _render_figure(module, tables, render)
            except Exception as e:  # noqa: BLE001 - shown on the page
                fig_error = f"{type(e).__name__}: {e}"
        shown = getattr(module, "SHOW", ("numbers",))
        sections.append(
            {
                "sources": _sources(out, module, quick),
                "module": module,
                "verdict": verdict,
                "figure": figure,
                "figure_error": fig_error,
                "tables": [(n, display(tables.get(n))) for n in shown],
            }
        )
        rows.append(
            {
                "claim": module.NUMBER,
                "title": module.TITLE,
                "verdict": verdict.word,
                "statement": module.CLAIM,
                "reason": verdict.reason,
                "rule": module.RULE,
            }
        )
    verdicts = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
    written = {}
    if "csv" in formats:
        path = out / "verdicts.csv"
        atomic_write(path, verdicts.to_csv(index=False))
        written["verdicts.csv"] = path
    if "md" in formats:
        path = out / "summary.md"
        atomic_write(path, _markdown(verdicts, sections, manifest))
        written["summary.md"] = path
    if "html" in formats:
        path = out / "report.html"
        atomic_write(path, _html(verdicts, sections, manifest))
        written["report.html"] = path
    written.update(render.written)
    return written


def _sources(out, module, quick):
    """The run folders of a trial-based claim (for the mode measured)."""
    if not hasattr(module, "suites"):
        return []
    found = []
    for name in module.suites(quick):
        folder = f"{name}-quick" if quick else name
        if (Path(out) / "runs" / folder / "runs.csv").is_file():
            found.append(f"runs/{folder}")
    return found


def _source_line(sources):
    if not sources:
        return ""
    return (
        "Trials: "
        + ", ".join(sources)
        + " (run folders: reluplug-bench report DIR writes the full "
        "benchmark report of one)."
    )


def _meta_file(out):
    try:
        return json.loads((Path(out) / "evidence.json").read_text())
    except (OSError, ValueError):
        return {}


def verdict_table(verdicts):
    """The headline table: claim, title, verdict (strings)."""
    return verdicts[["claim", "title", "verdict"]].astype(str)


def _mode_line(manifest):
    if not manifest:
        return ""
    mode = "quick (small) mode" if manifest.get("quick") else "full mode"
    seconds = manifest.get("seconds") or {}
    total = sum(v for v in seconds.values() if v)
    return (
        f"Measured in {mode}; the last run's measurements took "
        f"{total:.0f} s (claims already done are not re-measured)."
    )


def _markdown(verdicts, sections, manifest):
    esc = markdown.esc
    lines = [f"# {TITLE}", "", _mode_line(manifest), ""]
    lines += ["## Verdicts", "", markdown.table(verdict_table(verdicts))]
    for s in sections:
        m, v = s["module"], s["verdict"]
        lines += [
            f"## Claim {m.NUMBER}: {esc(m.TITLE)} — **{v.word}**",
            "",
            f"> {esc(m.CLAIM)}",
            "",
            f"**Verdict: {v.word}.** {esc(v.reason)}",
            "",
            f"*Rule:* {esc(m.RULE)}",
            "",
        ]
        if s["sources"]:
            lines += [esc(_source_line(s["sources"])), ""]
        if s["figure"] is not None:
            name = s["figure"].name
            lines += [f"![Claim {m.NUMBER}](figures/{name}.png)", ""]
        for name, df in s["tables"]:
            if df is not None:
                lines += [f"**{esc(name)}**", "", markdown.table(df)]
    return "\n".join(lines) + "\n"


def _html(verdicts, sections, manifest):
    return html.render_page(
        "evidence.html",
        title=TITLE,
        mode_line=_mode_line(manifest),
        verdicts=verdict_table(verdicts),
        sections=[
            dict(s, source_line=_source_line(s["sources"])) for s in sections
        ],
    )
