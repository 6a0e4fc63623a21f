"""report.html in a real browser: headless Debian chromium.

The page has no JavaScript, so any console message is a failure (a script
that slipped through escaping would also trip the page's CSP, which logs).
Images are checked twice: a probe copy of the page (CSP removed, a script
appended) reports every `<img>`'s decoded size and position, and a screenshot
of the unmodified page must show, at that position, the same pixels as the
embedded PNG.
"""

import html
import re
import shutil

import numpy as np
import pytest
from browser import CHROMIUM
from browser import WIDTH
from browser import _chromium
from browser import figures_in_shot
from browser import probe_images
from browser import run_probe
from browser import screenshot
from report_fixtures import grid_records
from report_fixtures import partial_run
from report_fixtures import write_run

from reluplug.bench.report import write_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} not installed"
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run_dir, _ = partial_run(tmp_path_factory.mktemp("browser"))
    write_report(run_dir, formats=("html",))
    return run_dir / "report.html"


def test_console_detector_catches_a_csp_violation(tmp_path):
    # Control: proves the console check below can fail.
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-'
        'Policy" content="default-src \'none\'"></head><body>'
        "<script>alert(1)</script></body></html>"
    )
    _, console = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert console, "expected a CSP console message"


def test_report_opens_without_console_messages_and_renders_figures(
    report, tmp_path
):
    # 1. Probe copy: every image decoded, at its declared size.
    text = report.read_text(encoding="utf-8")
    images = probe_images(tmp_path, text)
    assert len(images) == text.count("<img ") >= 10
    for img in images:
        assert img["complete"] and img["nw"] > 100 and img["nh"] > 100, img
    heights = re.findall(r'<img [^>]*width="(\d+)" height="(\d+)"', text)
    assert [(i["nw"], i["nh"]) for i in images] == [
        (int(w), int(h)) for w, h in heights
    ]

    # 2. The real page: no console output at all (no JS, no violations).
    screen = screenshot(tmp_path, report)

    # 3. Figures that lie fully in the screenshot show their own pixels.
    checked = 0
    for img, region, png in figures_in_shot(screen, text, images):
        assert region.std() > 10, f"{img['name']} looks blank"
        assert len(np.unique(region.reshape(-1, 3), axis=0)) > 20
        assert np.abs(region - png).mean() < 3.0, img["name"]
        checked += 1
    assert checked >= 3


# The standard suite's activations (the widest real report) and a user task
# whose parameters carry file digests.
STANDARD = (
    "relu", "leaky_relu", "prelu", "rrelu", "srelu", "elu", "celu", "selu",
    "pelu", "swish", "tanh", "sigmoid",
)  # fmt: skip
USER_PARAMS = {
    "model": "inputs/model.keras",
    "model_sha256": "ab" * 32,
    "data": "inputs/data.npz",
    "data_sha256": "cd" * 32,
    "problem": "classification",
    "val_fraction": 0.2,
    "test_fraction": 0.2,
}

WIDTHS = """
<script>
window.addEventListener("load", () => {
  const inDetails = (el) => el.closest("details") !== null;
  const tables = [...document.querySelectorAll("table")].map((t) => {
    let h = t.previousElementSibling;
    while (h && !/^H[1-3]$/.test(h.tagName)) h = h.previousElementSibling;
    const r = t.getBoundingClientRect();
    return {heading: h ? h.textContent : "", details: inDetails(t),
            right: r.right + window.scrollX, width: r.width};
  });
  const out = {view: document.documentElement.clientWidth,
               page: document.documentElement.scrollWidth, tables};
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = "PROBE" + JSON.stringify(out) + "PROBE";
  document.body.appendChild(pre);
});
</script>
"""


def _widths(tmp_path, page):
    """Layout of `page` at WIDTH px: viewport, page and table extents."""
    text = page.read_text(encoding="utf-8")
    return run_probe(tmp_path, text, WIDTHS, name=f"widths-{page.stem}.html")


def _overflowing(layout):
    return [
        t
        for t in layout["tables"]
        if not t["details"] and t["right"] > layout["view"] + 0.5
    ]


def test_width_detector_catches_a_wide_table(tmp_path):
    # Control: a 30-column table of unbreakable cells overflows 1280 px.
    page = tmp_path / "wide.html"
    cells = "".join(f"<td>cell_{i:02d}_xxxxxxxx</td>" for i in range(30))
    page.write_text(
        f"<!DOCTYPE html><html><body><h3>wide</h3><table><tr>{cells}</tr>"
        "</table></body></html>"
    )
    layout = _widths(tmp_path, page)
    assert [t["heading"] for t in _overflowing(layout)] == ["wide"]
    assert layout["page"] > layout["view"]


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("wide")
    records = grid_records(
        {"digits_mlp": {}, "user_task": {"task_params": USER_PARAMS}},
        STANDARD,
        range(5),
        rng=np.random.default_rng(0),
        base=0.9,
        step=0.002,
        n_layers=12,
    )
    write_run(run_dir, records, suite="standard")
    write_report(run_dir, formats=("html",))
    return run_dir / "report.html"


def test_main_tables_fit_a_1280_px_window(wide_report, tmp_path):
    layout = _widths(tmp_path, wide_report)
    assert layout["view"] == WIDTH
    main = [t for t in layout["tables"] if not t["details"]]
    # headline, ranking, power, and per task the main table.
    assert len(main) >= 5
    assert any(t["details"] for t in layout["tables"])
    assert not _overflowing(layout), _overflowing(layout)
    assert layout["page"] <= layout["view"]


def test_recommendation_first_and_parameters_in_words(wide_report):
    text = wide_report.read_text(encoding="utf-8")
    body = text[text.index("<body>") :]
    # The recommendation box is the first thing under the title.
    assert body.index("Recommendation") < body.index("trials:")
    assert body.index("Recommendation") < body.index("<table")
    assert (
        "task parameters: model inputs/model.keras, data inputs/data.npz"
        in (html.unescape(re.sub(r"\s+", " ", text)))
    )
    assert "ab" * 32 not in text and "sha256" not in text.split("<h2>Run")[0]
