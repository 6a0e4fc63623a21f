"""Where trials run (sequential, local processes, Ray) and ``run_suite``.

An executor maps trial specs to records: ``executor.map(specs)`` yields
``(spec, record)`` pairs as trials finish. The main process (the driver)
alone writes the run folder, one atomic file per finished trial: records
come back as results (a pipe, a Ray task result), so workers need no shared
file system, and a run killed at any moment resumes the same way with every
executor: trials whose file says ``completed`` or ``diverged`` are skipped,
``failed`` ones are run again.

Faults. A trial whose worker process dies (``kill -9``, the out-of-memory
killer, a lost Ray node) is run again up to ``retries`` times (default 1) in
a fresh process, then recorded as ``failed`` with the cause
(``WorkerDiedError`` for local processes, Ray's ``WorkerCrashedError``,
``OutOfMemoryError``, ... for Ray); the run goes on. An exception inside a
trial is not retried: ``run_trial`` records it.

Each record gets ``attempts`` (1, or 2 after a retry) and ``worker``
(executor, host, process id, threads; the Ray node id), which differ
between executors; everything else in it does not.
"""

import collections
import contextlib
import dataclasses
import fnmatch
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time

from reluplug._validation import did_you_mean
from reluplug.bench import schema
from reluplug.bench import shipping
from reluplug.bench.config import ConfigError
from reluplug.bench.environment import environment
from reluplug.bench.resources import Resources
from reluplug.bench.resources import cap_threads
from reluplug.bench.resources import thread_env
from reluplug.bench.store import RunStore
from reluplug.bench.trial import base_record
from reluplug.bench.trial import error_info
from reluplug.bench.trial import run_trial
from reluplug.bench.trial import run_trial_dict

EXECUTORS = ("sequential", "processes", "ray")
DONE = schema.DONE
# Ray errors that mean "the process or node running the task went away".
_RAY_DIED = (
    "WorkerCrashedError",
    "OutOfMemoryError",
    "NodeDiedError",
    "LocalRayletDiedError",
    "ObjectLostError",
    "OwnerDiedError",
)


class IdenticalModelError(RuntimeError):
    """Two activations of one (task, seed) started from different weights."""


class WorkerDiedError(RuntimeError):
    """A trial's worker process died before returning its record."""


def worker_info(executor, threads, **extra):
    """``{"executor", "host", "pid", "threads", ...}`` of this process."""
    return {
        "executor": executor,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "threads": threads,
        **extra,
    }


def failed_record(spec, error, attempts):
    """A ``failed`` record for ``spec`` whose worker died (``error``)."""
    record = base_record(spec)
    record["error"] = error_info(error)
    record["attempts"] = attempts
    return record


def _death_cause(process):
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (killed; out of memory?)" if -code == signal.SIGKILL else ""
        how = f"died from {name}{hint}"
    else:
        how = f"exited with status {code}"
    return WorkerDiedError(
        f"The worker process (pid {process.pid}) {how} while running the trial."
    )


class SequentialExecutor:
    """Runs trials one after the other in this process.

    The trial shares this process (no retry is possible if it dies) and its
    threads are left as they are.
    """

    name = "sequential"

    def __init__(self, resources=None, retries=1):
        self.resources = resources or Resources()
        self.retries = retries

    def map(self, specs, *, on_retry=None, folders=()):
        """Yields ``(spec, record)`` in order."""
        for spec in specs:
            record = run_trial(spec)
            record["attempts"] = 1
            record["worker"] = worker_info(self.name, None)
            yield spec, record

    def close(self):
        """Nothing to release."""


@contextlib.contextmanager
def _environ(variables):
    old = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _process_main(conn, threads):
    """A ``processes`` worker: trial specs in, records out, until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles ^C
    threads = cap_threads(threads)  # as the backend reports it
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        record = run_trial_dict(message)
        record["worker"] = worker_info("processes", threads)
        conn.send(record)


class _Process:
    """One worker process of ``ProcessExecutor`` and its pipe."""

    def __init__(self, context, threads):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_process_main, args=(child, threads), daemon=True
        )
        with _environ(thread_env(threads)):  # before TF/JAX are imported
            self.process.start()
        child.close()

    def stop(self, timeout=5.0):
        """Asks the process to exit; terminates, then kills it if it hangs."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class ProcessExecutor:
    """Runs trials in fresh ("spawn") local worker processes.

    Each worker runs one trial at a time, caps its backend to
    ``resources.threads`` threads, and keeps a task's data for later trials.
    A worker that dies is replaced and its trial retried.

    Args:
        workers: number of processes; defaults to ``os.cpu_count() //
            resources.cpus`` (at least 1).
        resources: ``Resources`` per trial.
        retries: runs of a trial after its worker died.
    """

    name = "processes"

    def __init__(self, workers=None, resources=None, retries=1):
        self.resources = resources or Resources()
        default = max(1, int((os.cpu_count() or 1) // self.resources.cpus))
        self.workers = workers or default
        self.retries = retries
        self._processes = []

    def map(self, specs, *, on_retry=None, folders=()):
        """Yields ``(spec, record)`` as trials finish."""
        context = multiprocessing.get_context("spawn")
        threads = self.resources.threads
        queue = collections.deque((spec, 1) for spec in specs)
        idle, busy = [], {}
        while queue or busy:
            while queue and len(busy) < self.workers:
                if idle:
                    worker = idle.pop()
                else:
                    worker = _Process(context, threads)
                    self._processes.append(worker)
                spec, attempt = queue.popleft()
                try:
                    worker.conn.send(spec.to_dict())
                except OSError:  # died while idle: not the trial's fault
                    self._discard(worker)
                    queue.appendleft((spec, attempt))
                    continue
                busy[worker] = (spec, attempt)
            waitables = [w.conn for w in busy] + [
                w.process.sentinel for w in busy
            ]
            ready = set(multiprocessing.connection.wait(waitables))
            for worker in list(busy):
                if not ready & {worker.conn, worker.process.sentinel}:
                    continue
                spec, attempt = busy.pop(worker)
                record = None
                try:
                    if worker.conn.poll():
                        record = worker.conn.recv()
                except (EOFError, OSError):
                    record = None
                if record is not None:
                    if worker.process.is_alive():
                        idle.append(worker)
                    else:
                        self._discard(worker)
                    record["attempts"] = attempt
                    yield spec, record
                    continue
                worker.process.join()
                cause = _death_cause(worker.process)
                self._discard(worker)
                if attempt <= self.retries:
                    if on_retry is not None:
                        on_retry(spec, cause, attempt)
                    queue.appendleft((spec, attempt + 1))
                else:
                    yield spec, failed_record(spec, cause, attempt)

    def _discard(self, worker):
        worker.stop(timeout=1.0)
        if worker in self._processes:
            self._processes.remove(worker)

    def close(self):
        """Stops every worker process (trials not finished are dropped)."""
        for worker in self._processes:
            worker.stop()
        self._processes = []


def _ray_trial(spec_dict, worker_paths, threads):
    """A trial as a Ray task: ships files in, the record back."""
    import ray

    threads = cap_threads(threads)  # as the backend reports it
    local, back = shipping.localize(spec_dict, worker_paths)
    record = shipping.restore(run_trial_dict(local), back)
    node = ray.get_runtime_context().get_node_id()
    record["worker"] = worker_info("ray", threads, node_id=node)
    return record


def _import_ray():
    try:
        import ray
    except ImportError as error:
        raise ConfigError(
            "--executor ray needs the `ray` package (pip install "
            "'reluplug[ray]'). Received: --executor=ray"
        ) from error
    return ray


class RayExecutor:
    """Runs trials as Ray tasks, on a private local instance or a cluster.

    Each trial is a task asking for ``resources.cpus`` CPUs and
    ``resources.gpus`` GPUs; its ``runtime_env`` ships the user's modules
    and files the specs name (``shipping``), caps the worker's threads and,
    with ``gpus = 0``, hides the node's GPUs from the trial.
    The driver keeps every record; nothing is written on the workers.

    Args:
        workers: for a local instance, trials at once (the instance gets
            ``workers * cpus`` CPUs; default: every CPU). On a cluster, the
            most trials in flight at once (default: no limit; Ray schedules
            by resources).
        resources: ``Resources`` per trial.
        retries: runs of a trial after its worker or node died.
        address: ``None`` starts a private local Ray instance (and stops it
            at the end); ``"auto"``, ``"HOST:PORT"`` or ``"ray://HOST:PORT"``
            join an existing cluster. If Ray is already initialised in this
            process, that session is used as it is.
    """

    name = "ray"

    def __init__(self, workers=None, resources=None, retries=1, address=None):
        self.resources = resources or Resources()
        self.workers = workers
        self.retries = retries
        self.address = address
        self.startup_s = 0.0
        self._started = False
        self._staging = None
        self._shipped_files = []
        self._pending = {}

    def _connect(self, ray, runtime_env):
        """Starts or joins Ray with the job-level ``runtime_env``.

        Ray uploads local modules and folders only for a job-level
        ``runtime_env``, i.e. one given to ``ray.init``.
        """
        if ray.is_initialized():
            if runtime_env.keys() - {"env_vars"}:
                raise ConfigError(
                    "Ray is already initialised in this process, so the "
                    "modules and files the suite names cannot be shipped "
                    "to the workers (Ray uploads them only through "
                    "ray.init(runtime_env=...)). Call ray.shutdown() first, "
                    "or install them on every node. To ship: "
                    f"{runtime_env.get('py_modules', [])} and files "
                    f"{self._shipped_files}. Received: ray.is_initialized()"
                    "=True"
                )
            return {"env_vars": runtime_env["env_vars"]}
        t = time.perf_counter()
        if self.address is None:
            cpus = (self.workers or 0) * self.resources.cpus
            ray.init(
                address="local",
                num_cpus=int(cpus) if cpus else os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
                logging_level="warning",
                runtime_env=runtime_env,
            )
        else:
            kwargs = {"log_to_driver": False, "runtime_env": runtime_env}
            if not self.address.startswith("ray://"):
                kwargs["logging_level"] = "warning"
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise ConfigError(
                    "Cannot join the Ray cluster at `--ray-address`: "
                    f"{error} Allowed: 'auto', 'HOST:PORT', "
                    f"'ray://HOST:PORT'. Received: --ray-address="
                    f"{self.address!r}"
                ) from error
        self._started = True
        self.startup_s = time.perf_counter() - t
        return None

    def _check_resources(self, ray):
        total = ray.cluster_resources()
        for key, name, need in (
            ("CPU", "cpus", self.resources.cpus),
            ("GPU", "gpus", self.resources.gpus),
        ):
            have = total.get(key, 0)
            if need and have < need and self.address is None:
                raise ConfigError(
                    f"Each trial asks for {need} {key}s (`{name}`), but the "
                    f"local Ray instance has {have:g}. Received: "
                    f"{name}={need!r}"
                )

    def _runtime_env(self, specs, folders):
        plan = shipping.plan([s.to_dict() for s in specs], folders)
        folder = None
        if plan.files:
            self._staging = tempfile.mkdtemp(prefix="reluplug-ray-")
            folder = self._staging
        paths = plan.stage(folder) if folder else {}
        env = plan.runtime_env(folder)
        env["env_vars"] = thread_env(self.resources.threads, environ={})
        if not self.resources.gpus:  # Ray leaves GPUs visible to such tasks
            env["env_vars"]["CUDA_VISIBLE_DEVICES"] = ""
        self._shipped_files = [path for _, path, _ in plan.files]
        return env, paths

    def map(self, specs, *, on_retry=None, folders=()):
        """Yields ``(spec, record)`` as trials finish."""
        specs = list(specs)
        if not specs:
            return
        ray = _import_ray()
        env, paths = self._runtime_env(specs, folders)
        try:
            task_env = self._connect(ray, env)
        finally:  # ray.init has uploaded the working_dir (or failed)
            self._remove_staging()
        self._check_resources(ray)
        options = {
            "num_cpus": self.resources.cpus,
            "num_gpus": self.resources.gpus,
            "max_retries": 0,  # retried here, so the run can report it
        }
        if task_env is not None:
            options["runtime_env"] = task_env
        remote = ray.remote(_ray_trial)
        threads = self.resources.threads
        died = tuple(
            getattr(ray.exceptions, n)
            for n in _RAY_DIED
            if hasattr(ray.exceptions, n)
        )
        queue = collections.deque((spec, 1) for spec in specs)
        pending = self._pending
        while queue or pending:
            while queue and (
                self.workers is None
                or self.address is None
                or len(pending) < self.workers
            ):
                spec, attempt = queue.popleft()
                ref = remote.options(
                    name=f"reluplug:{spec.title}", **options
                ).remote(spec.to_dict(), paths, threads)
                pending[ref] = (spec, attempt)
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                spec, attempt = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except died as error:
                    if attempt <= self.retries:
                        if on_retry is not None:
                            on_retry(spec, error, attempt)
                        queue.appendleft((spec, attempt + 1))
                        continue
                    record = failed_record(spec, error, attempt)
                except ray.exceptions.RayError as error:
                    record = failed_record(spec, error, attempt)
                record["trial_id"] = spec.trial_id
                record["attempts"] = attempt
                yield spec, record

    def close(self):
        """Cancels unfinished trials; stops Ray if this executor started it."""
        if self._pending or self._started:
            ray = _import_ray()
            for ref in list(self._pending):
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            self._pending.clear()
            if self._started:
                ray.shutdown()
                self._started = False
        self._remove_staging()

    def _remove_staging(self):
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


def make_executor(
    name, workers=None, *, resources=None, retries=1, ray_address=None
):
    """An executor by name: ``sequential``, ``processes`` or ``ray``.

    Raises:
        ConfigError: an unknown name, or an option that does not fit it.
    """
    if name not in EXECUTORS:
        raise ConfigError(
            f"The value for `--executor` must be one of {list(EXECUTORS)}, "
            f"but {name!r} was passed."
        )
    if ray_address is not None and name != "ray":
        raise ConfigError(
            "`--ray-address` needs `--executor ray`. Received: "
            f"--executor={name!r}, --ray-address={ray_address!r}"
        )
    if ray_address is not None and (
        not isinstance(ray_address, str) or not ray_address.strip()
    ):
        raise ConfigError(
            "`--ray-address` must be 'auto', 'HOST:PORT' or "
            f"'ray://HOST:PORT'. Received: --ray-address={ray_address!r}"
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigError(
            f"`--retries` must be an integer >= 0. Received: --retries="
            f"{retries!r}"
        )
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConfigError(
            f"`--workers` must be an integer >= 1. Received: --workers="
            f"{workers!r}"
        )
    if name == "sequential":
        return SequentialExecutor(resources, retries)
    if name == "processes":
        return ProcessExecutor(workers, resources, retries)
    return RayExecutor(workers, resources, retries, ray_address)


# -------------------------------------------------------------- selection


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which trials of a suite to run now (all by default).

    Attributes:
        tasks: task names or labels (``deep_mlp[depth=5]``) to keep
            (empty = all).
        activations: activation labels to keep (empty = all).
        seeds: seeds to keep (empty = all).
        patterns: ``fnmatch`` patterns on ``task/activation/seed``; a trial
            is kept if it matches any (empty = all).
        max_trials: run at most this many pending trials (None = all).
    """

    tasks: tuple = ()
    activations: tuple = ()
    seeds: tuple = ()
    patterns: tuple = ()
    max_trials: int | None = None

    def validate(self, suite):
        """Raises ``ConfigError`` for a name the suite does not have."""
        names = list(
            dict.fromkeys(
                [t.name for t in suite.tasks] + [t.label for t in suite.tasks]
            )
        )
        labels = [a.label for a in suite.activations]
        for option, values, allowed in (
            ("--task", self.tasks, names),
            ("--activation", self.activations, labels),
            ("--seed", self.seeds, list(suite.seeds)),
        ):
            for value in values:
                if value not in allowed:
                    hint = did_you_mean(value, allowed)
                    raise ConfigError(
                        f"{suite.path or suite.name}: `{option}` must be one "
                        f"of the suite's {allowed}{hint} Received: "
                        f"{option}={value!r}"
                    )
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError(
                "`--max-trials` must be an integer >= 1. Received: "
                f"--max-trials={self.max_trials!r}"
            )

    def keep(self, spec):
        """True if ``spec`` passes the task/activation/seed/pattern filters."""
        if self.tasks and not {spec.task, spec.label} & set(self.tasks):
            return False
        if self.activations and spec.activation not in self.activations:
            return False
        if self.seeds and spec.seed not in self.seeds:
            return False
        if self.patterns:
            return any(fnmatch.fnmatch(spec.title, p) for p in self.patterns)
        return True


# -------------------------------------------------------------------- run


@dataclasses.dataclass
class RunSummary:
    """What ``run_suite`` did."""

    run_dir: str
    n_expected: int
    n_skipped: int
    n_run: int
    counts: dict
    elapsed_s: float
    trial_wall_s: float
    fit_s: float
    write_s: float
    timings: dict
    n_rows: int
    resumed: bool = False
    n_kept: int = 0
    n_added: int = 0
    n_left_out: int = 0

    @property
    def overhead_fraction(self):
        """Share of trial time spent outside ``model.fit`` (incl. writing)."""
        total = self.trial_wall_s + self.write_s
        if total <= 0:
            return 0.0
        return (total - self.fit_s) / total

    @property
    def resume_line(self):
        """What a resume kept, added and left out (None for a new folder).

        ``kept``: finished trials of the folder the suite still lists;
        ``added``: trials of the suite the folder had no file for;
        ``left out``: trial files of the folder the suite no longer lists
        (they stay in ``trials/``, out of every table).
        """
        if not self.resumed:
            return None
        line = (
            f"Resumed {self.run_dir}: kept {self.n_kept} finished trials, "
            f"{self.n_added} added by the suite"
        )
        if self.n_left_out:
            line += (
                f", {self.n_left_out} left out (no longer in the suite; "
                "their files stay in trials/, out of the tables)"
            )
        return line + "."

    @property
    def n_failed(self):
        """Trials that failed in this run."""
        return self.counts.get(schema.FAILED, 0)


def check_identical(groups, record):
    """Records ``record``'s ``init_sha256`` and checks it against its group.

    Args:
        groups: dict ``schema.group_key -> (label, sha)`` updated in place.
        record: a trial record.

    Raises:
        IdenticalModelError: another activation of the same group (task
            label, seed) started from different weights.
    """
    sha = record.get("init_sha256")
    if not sha:
        return
    key = schema.group_key(record)
    if key not in groups:
        groups[key] = (record["activation"], sha)
        return
    label, other = groups[key]
    if other != sha:
        raise IdenticalModelError(
            f"Identical-model check failed for task {record['task']!r} "
            f"seed {record['seed']}: activation {record['activation']!r} "
            f"started from init_sha256 {sha[:16]}..., but {label!r} "
            f"from {other[:16]}.... "
            "The layers that are not activations must get the same weights "
            "for every activation (does an activation change the shape of "
            "its output?)."
        )


def run_suite(
    suite,
    out,
    *,
    overwrite=False,
    selection=None,
    executor="sequential",
    workers=None,
    resources=None,
    retries=1,
    ray_address=None,
    reporter=None,
):
    """Runs (or resumes) ``suite`` into the folder ``out``.

    A folder holding an earlier run is resumed, even of an edited suite:
    trials are matched by id (``TrialSpec.identity``: what they train), so
    every finished trial the suite still lists is kept (relabelled if the
    suite renamed it), only the others run, and trial files the suite no
    longer lists stay on disk, left out of the tables.

    Args:
        suite: a ``config.Suite``.
        out: run folder; resumed if it holds a run.
        overwrite: delete a previous run folder first.
        selection: a ``Selection`` (all trials by default).
        executor: ``"sequential"``, ``"processes"``, ``"ray"`` or an
            executor object.
        workers: processes/CPUs for the parallel executors.
        resources: ``Resources`` per trial; defaults to the suite's
            ``[resources]``.
        retries: runs of a trial after its worker process died.
        ray_address: Ray cluster to join (``--executor ray`` only).
        reporter: object with ``start(n_total, n_pending, n_skipped)``,
            ``trial(spec, record)``, ``stop()`` and optionally
            ``retry(spec, error, attempt, retries)`` (progress display), or
            None.

    Returns:
        A ``RunSummary``.

    Raises:
        ConfigError: bad selection or executor (before any training).
        RunFolderError: ``out`` holds something else.
        IdenticalModelError: see ``check_identical``; the trial is written
            before this is raised.
    """
    selection = selection or Selection()
    selection.validate(suite)
    if isinstance(executor, str):
        executor = make_executor(
            executor,
            workers,
            resources=resources or getattr(suite, "resources", None),
            retries=retries,
            ray_address=ray_address,
        )
    folders = (
        [os.path.dirname(os.path.abspath(suite.path))] if suite.path else []
    )
    folders.append(os.getcwd())
    on_retry = None
    if reporter is not None and hasattr(reporter, "retry"):
        retries = getattr(executor, "retries", retries)

        def on_retry(spec, error, attempt):
            reporter.retry(spec, error, attempt, retries)

    t_run = time.perf_counter()
    specs = suite.expand()
    ids = [s.trial_id for s in specs]
    store = RunStore(out)
    previous = store.prepare(suite, overwrite=overwrite)
    on_disk = set(store.trial_ids_on_disk())
    store.write_suite(suite)
    env = environment()[:2]
    store.write_manifest(suite, ids, previous, environment=env)

    groups = {}
    done = set()
    by_id = {s.trial_id: s for s in specs}
    for record in store.records(ids):
        if by_id[record["trial_id"]].rename(record):
            store.write_trial(record)  # the suite renamed it: same training
        check_identical(groups, record)
        if record["status"] in DONE:
            done.add(record["trial_id"])
    pending = [s for s in specs if selection.keep(s) and s.trial_id not in done]
    n_skipped = sum(1 for s in specs if selection.keep(s)) - len(pending)
    if selection.max_trials is not None:
        pending = pending[: selection.max_trials]

    counts = {}
    totals = {"wall": 0.0, "fit": 0.0, "write": 0.0}
    timings = {}
    if reporter is not None:
        reporter.start(len(specs), len(pending), n_skipped)
    try:
        trials = executor.map(pending, on_retry=on_retry, folders=folders)
        for spec, record in trials:
            t = time.perf_counter()
            store.write_trial(record)
            totals["write"] += time.perf_counter() - t
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            totals["wall"] += record.get("wall_time_s") or 0.0
            totals["fit"] += record.get("fit_time_s") or 0.0
            for key, value in (record.get("timings") or {}).items():
                timings[key] = timings.get(key, 0.0) + value
            if reporter is not None:
                reporter.trial(spec, record)
            check_identical(groups, record)
    finally:
        executor.close()
        if reporter is not None:
            reporter.stop()
        store.write_manifest(suite, ids, store.read_manifest(), environment=env)
        n_rows = store.write_tables(ids)
    timings["write_s"] = totals["write"]
    return RunSummary(
        run_dir=store.path,
        n_expected=len(specs),
        n_skipped=n_skipped,
        n_run=sum(counts.values()),
        counts=counts,
        elapsed_s=time.perf_counter() - t_run,
        trial_wall_s=totals["wall"],
        fit_s=totals["fit"],
        write_s=totals["write"],
        timings=timings,
        n_rows=n_rows,
        resumed=previous is not None,
        n_kept=len(done),
        n_added=len(set(ids) - on_disk),
        n_left_out=len(on_disk - set(ids)),
    )
