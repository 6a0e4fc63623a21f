"""report.html in a real browser: headless Debian chromium.

The page has no JavaScript, so any console message is a failure (a script
that slipped through escaping would also trip the page's CSP, which logs).
Images are checked twice: a probe copy of the page (CSP removed, a script
appended) reports every `<img>`'s decoded size and position, and a screenshot
of the unmodified page must show, at that position, the same pixels as the
embedded PNG.
"""

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from bench.report_fixtures import partial_run
from PIL import Image

from reluplug.bench.report import write_report

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 4000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} not installed"
    ),
]

PROBE = """
<script>
window.addEventListener("load", () => {
  const out = [...document.images].map((img) => {
    const r = img.getBoundingClientRect();
    return {name: img.dataset.name, complete: img.complete,
            nw: img.naturalWidth, nh: img.naturalHeight,
            x: r.left + window.scrollX, y: r.top + window.scrollY,
            w: r.width, h: r.height};
  });
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = "PROBE" + JSON.stringify(out) + "PROBE";
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(tmp_path, url, *args):
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},{HEIGHT}",
        "--virtual-time-budget=5000",
        *args,
        url,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [ln for ln in res.stderr.splitlines() if ":CONSOLE" in ln]
    return res, console


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
    probe_page = tmp_path / "probe.html"
    probe_page.write_text(
        re.sub(
            r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text
        ).replace("</body>", PROBE + "</body>"),
        encoding="utf-8",
    )
    res, _ = _chromium(tmp_path, probe_page.as_uri(), "--dump-dom")
    found = re.search(r'<pre id="probe">PROBE(.*?)PROBE</pre>', res.stdout)
    assert found, res.stderr[-2000:]
    images = json.loads(html.unescape(found.group(1)))
    assert len(images) == text.count("<img ") >= 10
    for img in images:
        assert img["complete"] and img["nw"] > 100 and img["nh"] > 100, img
    heights = re.findall(r'<img [^>]*width="(\d+)" height="(\d+)"', text)
    assert [(i["nw"], i["nh"]) for i in images] == [
        (int(w), int(h)) for w, h in heights
    ]

    # 2. The real page: no console output at all (no JS, no violations).
    shot = tmp_path / "shot.png"
    res, console = _chromium(tmp_path, report.as_uri(), f"--screenshot={shot}")
    assert not console, console
    assert shot.exists(), res.stderr[-2000:]
    screen = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert screen.shape[:2] == (HEIGHT, WIDTH)

    # 3. Figures that lie fully in the screenshot show their own pixels.
    checked = 0
    for img in images:
        x, y, w, h = (round(img[k]) for k in ("x", "y", "w", "h"))
        if y + h > HEIGHT or (w, h) != (img["nw"], img["nh"]):
            continue  # below the fold, or scaled down to fit the page
        region = screen[y : y + h, x : x + w]
        assert region.std() > 10, f"{img['name']} looks blank"
        assert len(np.unique(region.reshape(-1, 3), axis=0)) > 20
        png = _embedded_png(text, img["name"])
        assert np.abs(region - png).mean() < 3.0, img["name"]
        checked += 1
    assert checked >= 3


def _embedded_png(text, name):
    import base64
    import io

    m = re.search(
        r'src="data:image/png;base64,([^"]+)"[^>]*data-name="'
        + re.escape(name)
        + '"',
        text,
    )
    png = Image.open(io.BytesIO(base64.b64decode(m.group(1))))
    rgba = np.asarray(png.convert("RGBA"), dtype=float)
    alpha = rgba[..., 3:] / 255.0
    # Composite over the page's white background.
    return rgba[..., :3] * alpha + 255.0 * (1 - alpha)
