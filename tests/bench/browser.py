"""Headless Debian chromium for the report tests (benchmark and evidence).

``_chromium`` runs one page and returns the process result and its console
lines; ``PROBE`` is a script that reports every image's decoded size and
position (``probe_images``); ``screenshot`` and ``figures_in_shot`` give the
pixels a figure shows on the real page, ``_embedded_png`` those it embeds.
"""

import base64
import html
import io
import json
import re
import subprocess

import numpy as np
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 4000

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


def _embedded_png(text, name):
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


def run_probe(tmp_path, text, script, name="probe.html"):
    """The JSON a probe ``script`` reports for the page ``text``: a copy of
    the page without its CSP and with ``script`` appended is saved as
    ``tmp_path/name`` and dumped by chromium; the script writes its result
    between ``PROBE`` markers in a ``<pre id="probe">``."""
    probe_page = tmp_path / name
    probe_page.write_text(
        re.sub(
            r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text
        ).replace("</body>", script + "</body>"),
        encoding="utf-8",
    )
    res, _ = _chromium(tmp_path, probe_page.as_uri(), "--dump-dom")
    found = re.search(r'<pre id="probe">PROBE(.*?)PROBE</pre>', res.stdout)
    assert found, res.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def probe_images(tmp_path, text):
    """Every ``<img>`` of the page ``text`` as chromium lays it out (name,
    decoded size, position), reported by ``PROBE``."""
    return run_probe(tmp_path, text, PROBE)


def screenshot(tmp_path, page):
    """The unmodified ``page`` in chromium: asserts that it logs nothing to
    the console and returns the screenshot (float RGB, window-sized)."""
    shot = tmp_path / "shot.png"
    res, console = _chromium(tmp_path, page.as_uri(), f"--screenshot={shot}")
    assert not console, console
    assert shot.exists(), res.stderr[-2000:]
    screen = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert screen.shape[:2] == (HEIGHT, WIDTH)
    return screen


def figures_in_shot(screen, text, images):
    """``(image, its region of screen, its embedded PNG)`` for each probed
    image that lies fully in the screenshot at its natural size (images
    below the fold or scaled down to fit the page are passed over)."""
    for img in images:
        x, y, w, h = (round(img[k]) for k in ("x", "y", "w", "h"))
        if y + h > HEIGHT or (w, h) != (img["nw"], img["nh"]):
            continue
        region = screen[y : y + h, x : x + w]
        yield img, region, _embedded_png(text, img["name"])
