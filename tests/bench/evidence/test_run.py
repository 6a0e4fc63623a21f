"""`reluplug-bench evidence --quick`: the runner, resume, the report files,
and the page in headless chromium (as tests/bench/report/test_browser.py).

Claims 1, 2 (analyses) and 9 (four small trials) are measured; the report
still has all eleven sections, the others saying they were not measured.
"""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from browser import CHROMIUM
from browser import figures_in_shot
from browser import probe_images
from browser import screenshot

from reluplug.bench import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    out = tmp_path_factory.mktemp("evidence") / "out"
    argv = ["evidence", "--out", str(out), "--quick"]
    argv += ["--claim", "1", "--claim", "2", "--claim", "9"]
    assert cli.main(argv) == cli.EXIT_OK
    return out, argv


def test_report_files_and_verdicts(evidence):
    out, _ = evidence
    for name in ("report.html", "summary.md", "verdicts.csv", "evidence.json"):
        assert (out / name).is_file(), name
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert list(verdicts["claim"]) == list(range(1, 12))
    word = verdicts.set_index("claim")["verdict"]
    assert word[1] == "holds"
    assert word[2] == "mixed"  # tanh's largest derivative stays 1
    assert word[9] in ("holds", "mixed")
    for n in (3, 4, 5, 6, 7, 8, 10, 11):
        assert word[n] == "mixed"
        reason = verdicts.set_index("claim").loc[n, "reason"]
        assert reason.startswith("Not measured")
    # Claim 9's trials went through the runner into a run folder.
    runs = pd.read_csv(out / "runs" / "step-quick" / "runs.csv")
    assert sorted(runs["activation"].unique()) == ["heaviside", "relu"]
    assert (runs["status"] == "completed").all() and len(runs) == 4
    grads = pd.read_csv(out / "claims" / "9-step" / "gradients.csv")
    below = grads[grads["below_last"] & (grads["activation"] == "heaviside")]
    assert len(below) == 2 and (below["max_grad_norm"] == 0).all()
    md = (out / "summary.md").read_text()
    assert "1.316958" in md and "## Claim 9: Step function" in md
    for png in ("claim1-derivatives", "claim2-idempotence", "claim9-step"):
        assert (out / "figures" / f"{png}.png").is_file()
        assert (out / "figures" / f"{png}.svg").is_file()


def test_resume_measures_nothing_again(evidence, capsys):
    out, argv = evidence
    trials = sorted((out / "runs" / "step-quick" / "trials").glob("*.json"))
    before = {p: p.stat().st_mtime_ns for p in trials}
    assert cli.main(argv) == cli.EXIT_OK
    text = capsys.readouterr().out
    assert "claim 1 (derivatives): done already" in text
    assert "4 done already, 0 to run now" in text
    assert {p: p.stat().st_mtime_ns for p in trials} == before
    meta = json.loads((out / "evidence.json").read_text())
    assert meta["quick"] is True and meta["errors"] == {}


def test_report_only_and_bad_claim(evidence, capsys, tmp_path):
    out, _ = evidence
    os.remove(out / "report.html")
    assert cli.main(["evidence", "--out", str(out), "--report-only"]) == 0
    assert (out / "report.html").is_file()
    assert cli.main(["evidence", "--out", str(out), "--claim", "12"]) == 2
    assert "--claim=12" in capsys.readouterr().out


@pytest.mark.browser
@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} not installed"
)
def test_evidence_page_in_chromium(evidence, tmp_path):
    out, _ = evidence
    report = out / "report.html"
    text = report.read_text(encoding="utf-8")
    images = probe_images(tmp_path, text)
    assert len(images) == text.count("<img ") == 3
    for img in images:
        assert img["complete"] and img["nw"] > 100 and img["nh"] > 100, img

    screen = screenshot(tmp_path, report)
    checked = 0
    for img, region, png in figures_in_shot(screen, text, images):
        assert region.std() > 10, f"{img['name']} looks blank"
        assert np.abs(region - png).mean() < 3.0, img["name"]
        checked += 1
    assert checked >= 2
