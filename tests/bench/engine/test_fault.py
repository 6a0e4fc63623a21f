"""Fault test: SIGKILL a real run at random points, resume, compare.

A run killed with ``kill -9`` several times and then run to the end must give
the same ``runs.csv`` rows (timings aside) as an uninterrupted run, with every
trial exactly once and no corrupt or temporary file left.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from runner_fixtures import TINY
from runner_fixtures import write_suite

from reluplug.bench import run_suite
from reluplug.bench.suite import config

TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")
SUITE = TINY.replace("seeds = [0, 1]", "seeds = [0, 1, 2]")


def _n_trials(out):
    folder = os.path.join(out, "trials")
    if not os.path.isdir(folder):
        return 0
    return sum(1 for n in os.listdir(folder) if n.endswith(".json"))


def _start(path, out):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [
        sys.executable,
        "-m",
        "reluplug.bench",
        "run",
        path,
        "--out",
        out,
        "--no-report",
    ]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _kill_at_random_point(proc, out, rng):
    """Waits for a new trial file (or a random moment), then SIGKILLs."""
    start = _n_trials(out)
    deadline = time.monotonic() + 120
    if rng.random() < 0.3:  # anywhere, including start-up and writing
        time.sleep(rng.uniform(0.5, 6.0))
    else:
        while _n_trials(out) == start and proc.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    path = write_suite(str(tmp_path), SUITE)
    reference = str(tmp_path / "reference")
    run_suite(config.load(path), reference)

    out = str(tmp_path / "killed")
    rng = random.Random(20240607)
    kills = 0
    for _ in range(4):
        proc = _start(path, out)
        kills += _kill_at_random_point(proc, out, rng)
        if _n_trials(out) == 6:
            break
    assert kills >= 2, "the run finished before it could be killed"
    final = _start(path, out)
    assert final.wait(timeout=300) == 0

    specs = config.load(path).expand()
    names = sorted(os.listdir(os.path.join(out, "trials")))
    assert names == sorted(f"{s.trial_id}.json" for s in specs)
    for name in names:  # every file is complete JSON
        with open(os.path.join(out, "trials", name)) as f:
            assert json.load(f)["status"] == "completed"
    leftovers = [n for n in os.listdir(out) if n.endswith(".tmp")]
    assert not leftovers

    a = pd.read_csv(os.path.join(reference, "runs.csv"))
    b = pd.read_csv(os.path.join(out, "runs.csv"))
    assert b["trial_id"].is_unique and len(b) == 6
    pd.testing.assert_frame_equal(
        a.drop(columns=list(TIMING)), b.drop(columns=list(TIMING))
    )
    ha = pd.read_csv(os.path.join(reference, "history.csv"))
    hb = pd.read_csv(os.path.join(out, "history.csv"))
    pd.testing.assert_frame_equal(
        ha.drop(columns=["epoch_time_s"]), hb.drop(columns=["epoch_time_s"])
    )
