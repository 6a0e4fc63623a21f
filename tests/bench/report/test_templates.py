"""The Jinja2 templates of the reports: installed, autoescaped, shared."""

import configparser
import fnmatch
import types
from pathlib import Path

import pandas as pd
from report_fixtures import XSS

import reluplug.bench.report
from reluplug.bench.evidence._common import Verdict
from reluplug.bench.report import html

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = Path(reluplug.bench.report.__file__).parent / "templates"


def test_every_template_is_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [
        p.strip()
        for p in cfg["options.package_data"]["reluplug.bench.report"].split(",")
    ]
    files = sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())
    assert {"base.html", "benchmark.html", "evidence.html"} <= set(files)
    for name in files:
        assert any(fnmatch.fnmatch(f"templates/{name}", p) for p in patterns)
    extras = cfg["options.extras_require"]
    for extra in ("bench", "test"):
        assert "jinja2" in extras[extra].lower()


def _evidence_page(text):
    module = types.SimpleNamespace(NUMBER=1, TITLE=text, CLAIM=text, RULE=text)
    section = {
        "module": module,
        "verdict": Verdict("holds", {text: True, "other": False}, text),
        "sources": ["runs/x"],
        "source_line": text,
        "figure": html.FigureOut(text, text, b"\x89PNG", 10, 10),
        "figure_error": text,
        "tables": [(text, pd.DataFrame({text: [text]})), ("none", None)],
    }
    return html.render_page(
        "evidence.html",
        title=text,
        mode_line=text,
        verdicts=pd.DataFrame({"claim": ["1"], "title": [text]}),
        sections=[section],
    )


def test_evidence_page_escapes_and_extends_the_base():
    page = _evidence_page(XSS)
    assert XSS not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # title, h1, mode line, verdict table, claim title, claim, reason,
    # check, rule, source line, figure alt + caption + name, figure error,
    # table name, header and cell.
    assert page.count(escaped) == 17
    # The frame (CSP, shared style) comes from base.html, the verdict
    # colours from the evidence page's own block.
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    assert "border-collapse" in page and ".holds {" in page
    assert '<div class="box holds">' in page
    assert "<li>✔ " in page and "<li>✘ other</li>" in page
    assert page.count("<table>") == 2  # the None table is left out
