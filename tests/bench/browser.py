"""Headless Debian chromium for the report tests (benchmark and evidence).

``_chromium`` runs one page and returns the process result and its console
lines; ``PROBE`` is a script that reports every image's decoded size and
position; ``_embedded_png`` decodes a figure embedded in a page.
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


def probe_images(tmp_path, text):
    """Every ``<img>`` of the page ``text`` as chromium lays it out: a copy
    of the page without its CSP and with ``PROBE`` appended is dumped, and
    the probe's JSON (name, decoded size, position) is returned."""
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
    return json.loads(html.unescape(found.group(1)))
