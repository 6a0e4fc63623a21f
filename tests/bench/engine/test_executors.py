"""Executors: resources, shipping plans, option checks, worker-death retries.

The Ray cluster tests are in ``test_ray.py``.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from runner_fixtures import TINY
from runner_fixtures import Lines
from runner_fixtures import write_suite

from reluplug.bench import cli
from reluplug.bench import run_suite
from reluplug.bench.engine import executors
from reluplug.bench.engine import shipping
from reluplug.bench.store import RunStore
from reluplug.bench.suite import config
from reluplug.bench.suite.resources import Resources
from reluplug.bench.suite.resources import thread_env

TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")
USER_MODULE = """\
import keras
from keras import ops


class Halved(keras.layers.Layer):
    def call(self, x):
        return ops.relu(x) * 0.5
"""


# ----------------------------------------------------------------- resources


def test_resources_default_and_from_suite():
    assert config.loads(TINY).resources == Resources(cpus=1, gpus=0)
    suite = config.loads(TINY + "\n[resources]\ncpus = 2\ngpus = 0.5\n")
    assert suite.resources == Resources(cpus=2, gpus=0.5)
    assert suite.resources.threads == 2
    assert Resources(cpus=0.5).threads == 1
    assert Resources(cpus=3.7).threads == 3


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("cpus = 0", r"resources\.cpus.*> 0.*Received: resources\.cpus=0"),
        ("gpus = -1", r"resources\.gpus.*>= 0.*Received: resources\.gpus=-1"),
        ("cpu = 1", r"unknown key 'cpu' in \[resources\]; did you mean 'cpus'"),
        ('cpus = "1"', r"resources\.cpus.*Received: resources\.cpus='1'"),
    ],
)
def test_resources_errors_name_key_and_value(table, match):
    with pytest.raises(config.ConfigError, match=match):
        config.loads(TINY + f"\n[resources]\n{table}\n")


def test_cli_resources_override_suite():
    base = Resources(cpus=1, gpus=0)
    assert base.replace(cpus=2.0, gpus=None) == Resources(cpus=2, gpus=0)
    with pytest.raises(ValueError, match=r"--cpus.*Received: --cpus=0"):
        base.replace(cpus=0)
    with pytest.raises(ValueError, match=r"--gpus.*Received: --gpus=-2"):
        base.replace(gpus=-2)


def test_thread_env_caps_every_pool_and_keeps_xla_flags():
    env = thread_env(1, environ={"XLA_FLAGS": "--xla_dump_to=/tmp/x"})
    for name in (
        "OMP_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        assert env[name] == "1"
    assert env["XLA_FLAGS"].split() == [
        "--xla_dump_to=/tmp/x",
        "--xla_cpu_multi_thread_eigen=false",
        "intra_op_parallelism_threads=1",
    ]
    # XLA has no N-thread flag, and a first word without "--" would be
    # read as a file name: nothing is added for N > 1.
    assert "XLA_FLAGS" not in thread_env(3, environ={})
    assert thread_env(3, environ={"XLA_FLAGS": "--a=1"})["XLA_FLAGS"] == "--a=1"


# ------------------------------------------------------------------ options


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "dask"}, r"`executor`.*\['sequential', 'processes', 'ray'\]"),
        (
            {"name": "processes", "ray_address": "auto"},
            r"`ray_address` needs `executor='ray'`.*executor='processes'",
        ),
        ({"name": "ray", "retries": -1}, r"`retries`.*>= 0.*retries=-1"),
        ({"name": "processes", "workers": 0}, r"`workers`.*workers=0"),
    ],
)
def test_make_executor_rejects_bad_options(kwargs, match):
    name = kwargs.pop("name")
    with pytest.raises(config.ConfigError, match=match):
        executors.make_executor(name, **kwargs)


@pytest.mark.parametrize(
    "args",
    [
        ["--ray-address", "auto"],
        ["--cpus", "0"],
        ["--executor", "ray", "--retries", "-1"],
    ],
)
def test_cli_bad_executor_flags_exit_2_before_training(tmp_path, args):
    path = write_suite(str(tmp_path))
    out = tmp_path / "out"
    code = cli.main(["run", path, "--out", str(out), "--no-report", *args])
    assert code == cli.EXIT_CONFIG
    assert not (out / "trials").exists() or not os.listdir(out / "trials")


# ----------------------------------------------------------------- shipping


def test_shipping_plan_finds_local_modules_and_files(tmp_path, monkeypatch):
    (tmp_path / "userbits_ship.py").write_text(USER_MODULE)
    package = tmp_path / "userpkg_ship"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "acts.py").write_text(USER_MODULE)
    data = tmp_path / "data"
    data.mkdir()
    np.savez(data / "xy.npz", x=np.zeros(3))
    (tmp_path / "relu").write_text("a file named like an activation")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = {
        "activation_name": "userbits_ship:Halved",
        "task": "userpkg_ship.acts:Halved",
        "params": {"data": "data/xy.npz", "missing": "nope/x.npz"},
        "others": ["relu", "keras.layers:ReLU", "reluplug.layers:PReLU"],
    }
    plan = shipping.plan([spec], folders=[str(tmp_path)])
    assert plan.py_modules == tuple(
        sorted([str(tmp_path / "userbits_ship.py"), str(package)])
    )
    assert [text for text, _, _ in plan.files] == ["data/xy.npz"]
    assert plan.files[0][1] == str(data / "xy.npz")

    staging = tmp_path / "staging"
    paths = plan.stage(str(staging))
    rel = paths["data/xy.npz"]
    assert (staging / rel).read_bytes() == (data / "xy.npz").read_bytes()
    env = plan.runtime_env(str(staging))
    assert env == {
        "py_modules": list(plan.py_modules),
        "working_dir": str(staging),
    }

    # On a worker (cwd = working_dir) the spec names the local copy, and
    # the record that comes back names the driver's string again.
    monkeypatch.chdir(staging)
    local, back = shipping.localize(spec, paths)
    assert local["params"]["data"] == str(staging / rel)
    assert local["params"]["missing"] == "nope/x.npz"
    record = {
        "params": local["params"],
        "error": {"message": f"cannot read {local['params']['data']}!"},
    }
    restored = shipping.restore(record, back)
    assert restored["params"] == spec["params"]
    assert restored["error"]["message"] == "cannot read data/xy.npz!"


def test_shipping_plan_of_builtin_suite_is_empty():
    suite = config.loads(TINY)
    plan = shipping.plan([s.to_dict() for s in suite.expand()])
    assert plan.py_modules == () and plan.files == ()


# ------------------------------------------------------------ worker deaths


def _children(pid):
    """Child processes of ``pid`` that are multiprocessing spawn workers."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            for child in f.read().split():
                try:
                    with open(f"/proc/{child}/cmdline", "rb") as g:
                        cmd = g.read()
                except OSError:
                    continue
                if b"spawn_main" in cmd:
                    out.append(int(child))
    return out


def _kill_first_worker(delay, killed):
    """In a thread: SIGKILL this process's first worker child ``delay`` s
    after it appears (it holds a trial from the moment it starts)."""
    me = os.getpid()
    seen = set(_children(me))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        new = [p for p in _children(me) if p not in seen]
        if new:
            time.sleep(delay)
            os.kill(new[0], signal.SIGKILL)
            killed.append(new[0])
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sequential_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq")
    path = write_suite(str(folder))
    run_suite(config.load(path), str(folder / "out"))
    return path, folder / "out"


def _run_with_a_kill(sequential_run, tmp_path, retries):
    """Runs the tiny suite in one worker process, killing the first worker
    once; returns (run folder, summary, printed lines, first trial)."""
    path, _ = sequential_run
    out = tmp_path / "p"
    killed = []
    killer = threading.Thread(target=_kill_first_worker, args=(1.0, killed))
    killer.start()
    reporter = Lines()
    try:
        summary = run_suite(
            config.load(path),
            str(out),
            executor="processes",
            workers=1,
            retries=retries,
            reporter=reporter,
        )
    finally:
        killer.join()
    assert len(killed) == 1
    return out, summary, reporter.lines, config.load(path).expand()[0]


@pytest.mark.slow
def test_processes_retry_a_trial_whose_worker_was_killed(
    sequential_run, tmp_path
):
    out, summary, lines, first = _run_with_a_kill(sequential_run, tmp_path, 1)
    assert summary.counts == {"completed": 4}
    assert lines[0].startswith(f"RUN {first.title}")
    assert "(1 of 2 runs failed): WorkerDiedError" in lines[0]
    assert "SIGKILL" in lines[0]
    runs = pd.read_csv(out / "runs.csv")
    assert runs["trial_id"].is_unique and len(runs) == 4
    _, reference = sequential_run
    a = pd.read_csv(reference / "runs.csv").drop(columns=list(TIMING))
    pd.testing.assert_frame_equal(a, runs.drop(columns=list(TIMING)))
    store = RunStore(str(out))
    records = store.records()
    # Each worker process capped TensorFlow to one thread (cpus = 1).
    assert {r["worker"]["threads"] for r in records} == {1}
    attempts = {r["trial_id"]: r["attempts"] for r in records}
    assert attempts.pop(first.trial_id) == 2
    assert set(attempts.values()) == {1}


@pytest.mark.slow
def test_processes_record_a_trial_that_died_on_every_run(
    sequential_run, tmp_path
):
    out, summary, lines, first = _run_with_a_kill(sequential_run, tmp_path, 0)
    assert summary.counts == {"failed": 1, "completed": 3}
    record = RunStore(str(out)).read_trial(first.trial_id)
    assert record["status"] == "failed" and record["attempts"] == 1
    assert record["error"]["type"] == "WorkerDiedError"
    assert "died from SIGKILL" in record["error"]["message"]
    assert not any(line.startswith("RUN") for line in lines)
    runs = pd.read_csv(out / "runs.csv")
    assert runs.set_index("trial_id").loc[first.trial_id, "error_type"] == (
        "WorkerDiedError"
    )


@pytest.mark.slow
def test_cap_threads_sets_the_backend_pools_in_a_fresh_process():
    code = (
        "import tensorflow as tf\n"
        "from reluplug.bench.suite.resources import cap_threads\n"
        "n = cap_threads(3)\n"
        "t = tf.config.threading\n"
        "print(n, t.get_intra_op_parallelism_threads(),"
        " t.get_inter_op_parallelism_threads())\n"
    )
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    env.update(thread_env(3))
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["3", "3", "3"]


def test_ray_session_of_the_caller_cannot_ship_modules():
    class InitialisedRay:  # a process where the user already ran ray.init
        @staticmethod
        def is_initialized():
            return True

    executor = executors.RayExecutor()
    env = {"py_modules": ["/home/me/userbits.py"], "env_vars": {"A": "1"}}
    with pytest.raises(config.ConfigError, match=r"already initialised.*userb"):
        executor._connect(InitialisedRay, env)
    only_env = {"env_vars": {"A": "1"}}
    assert executor._connect(InitialisedRay, only_env) == only_env


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_thread_env_starts_a_jax_process(threads):
    pytest.importorskip("jax")
    code = (
        "from reluplug.bench.suite.resources import cap_threads\n"
        "import jax.numpy as jnp\n"
        f"print(cap_threads({threads}), float(jnp.arange(4.0).sum()))\n"
    )
    env = dict(os.environ, KERAS_BACKEND="jax")
    env.update(thread_env(threads, environ={}))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(threads), "6.0"]


def test_one_thread_workers_are_pinned_one_per_core(tmp_path):
    """XLA sizes its CPU pool from the process's affinity (not from
    XLA_FLAGS): each one-thread worker gets its own core, round robin."""
    import os

    from reluplug.bench.engine import executors as ex
    from reluplug.bench.suite.resources import Resources

    cores = sorted(os.sched_getaffinity(0))
    executor = ex.ProcessExecutor(len(cores), Resources(), 1, "fit")
    assert [executor._cpu() for _ in range(len(cores) + 1)] == [
        *cores,
        cores[0],
    ]
    more = ex.ProcessExecutor(len(cores) + 1, Resources(), 1, "fit")
    assert more._cpu() is None  # more workers than cores: not pinned
