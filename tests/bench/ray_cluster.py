"""A real two-node Ray cluster on this machine, for the ``ray`` tests.

``Cluster.start()`` runs ``ray start --head`` and a second ``ray start
--address`` (one CPU each, ``--block``, each in its own session and with a
private temp dir, so a plain ``ray.init()`` elsewhere on the machine does not
find it). ``Cluster.stop()`` ends exactly the processes of those two
sessions (SIGTERM, then SIGKILL), i.e. what ``ray stop`` would do for this
cluster only, and removes the temp dir.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Ray >= 2.5x turns token authentication on for a head node when a token file
# (~/.ray/auth_token, written by any local ray.init()) exists, but not for a
# node that joins it: say explicitly, for the nodes and the drivers.
ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def free_port():
    """A TCP port that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_pids(sid):
    """Process ids whose session id is ``sid`` (from /proc)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(int(name))
    return out


def task_pids(prefix="ray::reluplug:"):
    """Process ids of Ray workers running a task named ``prefix...``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith(prefix):
            out.append(int(name))
    return out


class Cluster:
    """Head plus one worker node, one CPU each, on 127.0.0.1."""

    def __init__(self, cwd, cpus=1):
        self.cwd = cwd
        self.cpus = cpus
        self.port = free_port()
        self.client_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp_dir = tempfile.mkdtemp(prefix="rp-", dir="/tmp")
        self.nodes = []
        self.logs = []

    def _ray_start(self, args, log_name):
        log = os.path.join(self.cwd, log_name)
        self.logs.append(log)
        env = dict(os.environ, **ENV)
        env.pop("RAY_ADDRESS", None)
        cmd = [
            sys.executable,
            "-m",
            "ray.scripts.scripts",
            "start",
            "--block",
            "--node-ip-address",
            "127.0.0.1",
            "--num-cpus",
            str(self.cpus),
            "--num-gpus",
            "0",
            "--disable-usage-stats",
            "--dashboard-agent-listen-port",
            str(free_port()),
            *args,
        ]
        with open(log, "w") as f:
            proc = subprocess.Popen(
                cmd,
                cwd=self.cwd,
                env=env,
                stdout=f,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.nodes.append(proc)
        return proc, log

    def _wait_started(self, proc, log, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(log) as f:
                if "Ray runtime started" in f.read():
                    return
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        with open(log) as f:
            text = f.read()
        raise RuntimeError(f"ray start failed or timed out:\n{text[-3000:]}")

    def start(self, timeout=240):
        """Starts both nodes; returns self."""
        head, log = self._ray_start(
            [
                "--head",
                "--port",
                str(self.port),
                "--ray-client-server-port",
                str(self.client_port),
                "--include-dashboard",
                "false",
                "--temp-dir",
                self.temp_dir,
            ],
            "head.log",
        )
        self._wait_started(head, log, timeout)
        worker, log = self._ray_start(["--address", self.address], "node.log")
        self._wait_started(worker, log, timeout)
        return self

    def worker_pids(self):
        """Pids of every process of the two nodes."""
        return [p for proc in self.nodes for p in session_pids(proc.pid)]

    def stop(self):
        """Ends the two nodes' processes (this cluster only) and cleans up."""
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            pids = self.worker_pids()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while self.worker_pids() and time.monotonic() < deadline:
                time.sleep(0.2)
        for proc in self.nodes:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
