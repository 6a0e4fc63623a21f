"""``--executor ray`` on a real two-node Ray cluster started on this machine.

Everything the suite trains is the user's: the task is a ``.keras`` model
with an ``.npz`` data file, and one activation comes from a user module that
reads another ``.npz`` file by a relative path. All of it exists only in the
driver's working directory: the cluster's nodes are started elsewhere and
that directory is neither on their ``PYTHONPATH`` nor their working
directory, so the trials can only run if the executor ships it. Each run's
``runs.csv`` must equal the sequential run's (timings aside); killed Ray
workers and a killed driver must not lose or repeat a trial.
"""

import os
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pandas as pd
import pytest
from runner_fixtures import Lines
from runner_fixtures import tiny_with
from runner_fixtures import write_suite
from sklearn.datasets import load_digits

pytest.importorskip("ray")

from ray_cluster import ENV as CLUSTER_ENV  # noqa: E402
from ray_cluster import Cluster  # noqa: E402
from ray_cluster import task_pids  # noqa: E402

from reluplug.bench import run_suite  # noqa: E402
from reluplug.bench.store import RunStore  # noqa: E402
from reluplug.bench.suite import config  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]

TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")
MODULE = "useracts_ray_test"
USER_MODULE = '''\
"""A user's activation: tanh scaled by a factor read from an .npz file."""

import keras
import numpy as np
from keras import ops


class ScaledTanh(keras.layers.Layer):
    def __init__(self, scale_file, **kwargs):
        super().__init__(**kwargs)
        self.scale_file = scale_file
        self.scale = float(np.load(scale_file)["scale"])

    def call(self, x):
        return ops.tanh(x) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale_file": self.scale_file}
'''
# The tiny suite with the user's task and, in place of leaky relu, the
# user's activation.
SUITE = tiny_with(
    ('name = "tiny"', 'name = "user-ray"'),
    (
        'name = "spirals"\nparams = {n_samples = 120, hidden = 8, layers = 2}',
        'model = "files/model.keras"\ndata = "files/data.npz"',
    ),
    (
        'name = "leaky_relu"\nparams = {negative_slope = 0.2}\nlabel = "lrelu"',
        f'name = "{MODULE}:ScaledTanh"\n'
        'params = {scale_file = "data/scale.npz"}\nlabel = "scaled_tanh"',
    ),
)


def _strip_times(line):
    return re.sub(r"\s+[\d.]+s \(fit [\d.]+s\)$", "", line)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(driver dir, suite path, sequential run folder, its lines, cluster)."""
    root = tmp_path_factory.mktemp("ray")
    driver = root / "driver"
    (driver / "data").mkdir(parents=True)
    (driver / f"{MODULE}.py").write_text(USER_MODULE)
    np.savez(driver / "data" / "scale.npz", scale=np.array(1.5))
    (driver / "files").mkdir()
    keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    ).save(driver / "files" / "model.keras")
    x, y = load_digits(return_X_y=True)
    np.savez(driver / "files" / "data.npz", x=(x[:400] / 16.0), y=y[:400])
    path = write_suite(str(driver), SUITE, name="suite.toml")
    nodes = root / "nodes"
    nodes.mkdir()
    cluster = Cluster(str(nodes))
    try:
        cluster.start()
        # The reference: the same suite run sequentially in this process.
        sys.path.insert(0, str(driver))
        cwd = os.getcwd()
        os.chdir(driver)
        try:
            reporter = Lines()
            run_suite(config.load(path), "sequential", reporter=reporter)
        finally:
            os.chdir(cwd)
            sys.path.remove(str(driver))
        yield driver, path, driver / "sequential", reporter.lines, cluster
    finally:
        cluster.stop()


def _driver(driver, out, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **CLUSTER_ENV)
    env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "reluplug.bench", "run", "suite.toml"]
    cmd += ["--out", out, "--no-report", "--executor", "ray", *args]
    return subprocess.Popen(
        cmd,
        cwd=driver,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _same_runs(reference, out):
    a = pd.read_csv(reference / "runs.csv").drop(columns=list(TIMING))
    b = pd.read_csv(out / "runs.csv").drop(columns=list(TIMING))
    assert b["trial_id"].is_unique
    pd.testing.assert_frame_equal(a, b)


def _trial_files(out):
    folder = out / "trials"
    if not folder.is_dir():
        return {}
    return {
        name: (folder / name).read_bytes()
        for name in os.listdir(folder)
        if name.endswith(".json")
    }


def _wait_for_files(out, n, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while len(_trial_files(out)) < n and proc.poll() is None:
        assert time.monotonic() < deadline, "no trial finished in time"
        time.sleep(0.1)


def test_cluster_runs_a_user_module_only_the_driver_has(setup):
    driver, path, reference, lines, cluster = setup
    # No process of the nodes has the driver's dir on its path or as cwd.
    for pid in cluster.worker_pids():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        assert str(driver) not in environ and cwd != str(driver)

    proc = _driver(driver, "cluster", "--ray-address", cluster.address)
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output
    _same_runs(reference, driver / "cluster")

    # The per-trial lines are the sequential run's (times aside).
    got = [ln for ln in output.splitlines() if ln[:4] in ("ok  ", "ERR ")]
    assert sorted(map(_strip_times, got)) == sorted(map(_strip_times, lines))

    records = RunStore(str(driver / "cluster")).records()
    assert {r["worker"]["executor"] for r in records} == {"ray"}
    assert len({r["worker"]["node_id"] for r in records}) == 2  # both nodes
    assert {r["activation_params"].get("scale_file") for r in records} == {
        None,
        "data/scale.npz",
    }


def test_killed_ray_worker_is_retried(setup):
    driver, path, reference, _, cluster = setup
    out = driver / "worker-killed"
    proc = _driver(driver, str(out), "--ray-address", cluster.address)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and proc.poll() is None:
        assert time.monotonic() < deadline, "no trial started in time"
        pids = task_pids("ray::reluplug:")
        if pids:
            time.sleep(0.5)  # well inside the trial
            os.kill(pids[0], signal.SIGKILL)
            killed = pids[0]
        time.sleep(0.05)
    output, _ = proc.communicate(timeout=600)
    assert killed is not None, output
    assert proc.returncode == 0, output
    retries = [ln for ln in output.splitlines() if ln.startswith("RUN ")]
    assert len(retries) == 1, output
    assert "again (1 of 2 runs failed): WorkerCrashedError" in retries[0]
    _same_runs(reference, out)
    attempts = sorted(r["attempts"] for r in RunStore(str(out)).records())
    assert attempts == [1, 1, 1, 2]


def test_killed_driver_resumes_without_redoing_finished_trials(setup):
    driver, path, reference, _, cluster = setup
    out = driver / "driver-killed"
    # 1. Kill the driver (SIGKILL) once a trial has been written.
    proc = _driver(driver, str(out), "--ray-address", cluster.address)
    _wait_for_files(out, 1, proc)
    proc.kill()
    proc.wait()
    first = _trial_files(out)
    assert 1 <= len(first) < 4
    # 2. Resume on the cluster through Ray Client; kill again after a trial.
    client = f"ray://127.0.0.1:{cluster.client_port}"
    proc = _driver(driver, str(out), "--ray-address", client)
    _wait_for_files(out, len(first) + 1, proc)
    if proc.poll() is None:
        proc.kill()
    output, _ = proc.communicate()
    second = _trial_files(out)
    assert len(second) > len(first), output
    # 3. Resume locally, sequentially.
    sys.path.insert(0, str(driver))
    cwd = os.getcwd()
    os.chdir(driver)
    try:
        summary = run_suite(config.load(path), str(out))
    finally:
        os.chdir(cwd)
        sys.path.remove(str(driver))
    assert summary.n_skipped == len(second)
    assert summary.n_run == 4 - len(second)
    final = _trial_files(out)
    assert len(final) == 4
    for name, data in second.items():  # finished trials were not redone
        assert final[name] == data
    _same_runs(reference, out)
