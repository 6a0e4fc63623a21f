"""The examples in ``examples/`` run (tiny settings) and write what they say."""

import os
import subprocess
import sys

import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.mark.slow
def test_compare_own_model_example(tmp_path):
    out = str(tmp_path / "own")
    script = os.path.join(REPO, "examples", "compare_own_model.py")
    args = ["--out", out, "--epochs", "1", "--seeds", "2"]
    args += ["--activations", "relu", "prelu"]
    proc = subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "conv2d_activation" in proc.stdout  # the swapped model's layers
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert sorted(runs["status"]) == ["completed"] * 4
    summary = pd.read_csv(os.path.join(out, "summary.csv"))
    assert sorted(summary["activation"]) == ["prelu", "relu"]
    assert os.path.getsize(os.path.join(out, "report.html")) > 1000
    assert f"Report: {os.path.join(out, 'report.html')}" in proc.stdout
