"""The population engine in a run folder: records, divergence, resume.

The tests run on the default backend, so every run here starts a JAX
worker process (``KERAS_BACKEND=jax``) for the population engine.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from runner_fixtures import TINY
from runner_fixtures import write_suite

from reluplug.bench import run_suite
from reluplug.bench.suite import config

SUITE = TINY.replace("seeds = [0, 1]", "seeds = [0, 1, 2]")
EXPLODE = """
[[activations]]
name = "bench_helpers:Explode"
label = "explode"
"""


def _finished(folder):
    """Trial files written in full (``store.atomic_write`` renames a
    ``.NAME.json.*.tmp`` file into place)."""
    return sum(name.endswith(".json") for name in os.listdir(folder))


def _records(out):
    folder = os.path.join(out, "trials")
    records = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                records[name[:-5]] = json.load(f)
    return records


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same suite (plus a diverging activation) under both engines."""
    folder = tmp_path_factory.mktemp("population")
    suite = config.load(write_suite(str(folder), SUITE + EXPLODE))
    out = {}
    for engine in ("fit", "population"):
        out[engine] = str(folder / engine)
        run_suite(suite, out[engine], engine=engine)
    return suite, {k: _records(v) for k, v in out.items()}


@pytest.mark.slow
def test_population_records_have_the_fit_records_fields(runs):
    suite, records = runs
    fit, pop = records["fit"], records["population"]
    assert sorted(pop) == sorted(s.trial_id for s in suite.expand())
    assert sorted(pop) == sorted(fit)
    for trial_id, record in pop.items():
        other = fit[trial_id]
        assert set(record) == set(other) | {"engine", "population"}
        assert record["engine"] == "population"
        assert record["versions"]["backend"] == "jax"
        assert record["population"]["size"] == 3
        assert record["status"] == other["status"]
        # same initial weights as the fit engine (NumPy draws, any backend)
        assert record["init_sha256"] == other["init_sha256"]
        assert record["epochs_run"] == other["epochs_run"]
        assert [h["epoch"] for h in record["history"]] == [
            h["epoch"] for h in other["history"]
        ]


@pytest.mark.slow
def test_population_test_metrics_are_close_to_fit(runs):
    """Same trials on another backend: close, not equal (the exactness
    test compares with JAX's model.fit)."""
    _, records = runs
    for trial_id, record in records["population"].items():
        if record["status"] != "completed":
            continue
        other = records["fit"][trial_id]
        assert record["test_metric"] == pytest.approx(
            other["test_metric"], abs=0.05
        )
        assert record["best_epoch"] == other["best_epoch"]


@pytest.mark.slow
def test_a_diverged_member_is_recorded_diverged(runs):
    _, records = runs
    pop = records["population"]
    statuses = {(r["activation"], r["status"]) for r in pop.values()}
    assert ("explode", "diverged") in statuses
    for record in pop.values():
        if record["activation"] == "explode":
            assert record["status"] == "diverged"
            assert record["test_metric"] is None
            assert record["epochs_run"] == 1
        else:
            assert record["status"] == "completed"


def _start(path, out):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-m", "reluplug.bench", "run", path]
    cmd += ["--out", out, "--engine", "population", "--no-report"]
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its JAX worker shares its process group
    )


@pytest.mark.slow
def test_kill_9_then_resume_loses_nothing_and_trains_nothing_twice(tmp_path):
    text = SUITE + '\n[[activations]]\nname = "elu"\n'
    path = write_suite(str(tmp_path), text)
    suite = config.load(path)
    n = len(suite.expand())  # 3 cells of 3 seeds
    out = str(tmp_path / "run")
    trials = os.path.join(out, "trials")
    proc = _start(path, out)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.isdir(trials) and _finished(trials) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JAX worker
    proc.wait()
    before = _records(out)
    assert 3 <= len(before) < n

    summary = run_suite(suite, out, engine="population")

    after = _records(out)
    assert sorted(after) == sorted(s.trial_id for s in suite.expand())
    assert all(r["status"] == "completed" for r in after.values())
    for trial_id, record in before.items():  # kept as written, not retrained
        assert after[trial_id] == record
    assert summary.n_skipped == len(before)
    assert summary.n_run == n - len(before)
    assert not [f for f in os.listdir(trials) if not f.endswith(".json")]
