"""Where trials run: sequential, local processes, Ray.

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

Engines. Executors run *jobs* (``engine.jobs``): one trial with the fit
engine, one cell (the trials that differ only in seed) with the population
engine, whose workers run the JAX backend (``KERAS_BACKEND=jax``). A job
whose worker dies is retried whole.

Each record gets ``attempts`` (1, or 2 after a retry) and ``worker``
(executor, host, process id, threads; the Ray node id), which differ
between executors; everything else in it does not.
"""

import collections
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time

from reluplug.bench.engine import jobs
from reluplug.bench.engine import shipping
from reluplug.bench.engine.fit import base_record
from reluplug.bench.engine.fit import error_info
from reluplug.bench.suite import schema
from reluplug.bench.suite.config import ConfigError
from reluplug.bench.suite.resources import Resources
from reluplug.bench.suite.resources import cap_threads
from reluplug.bench.suite.resources import thread_env

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

    def __init__(self, resources=None, retries=1, engine="fit"):
        self.resources = resources or Resources()
        self.retries = retries
        self.engine = engine
        self._jax = None

    def map(self, specs, *, on_retry=None, folders=()):
        """Yields ``(spec, record)`` in order.

        The population engine needs the JAX backend: under another one,
        its cells run one after the other in one JAX worker process.
        """
        import keras

        if jobs.worker_env(self.engine) and keras.backend.backend() != "jax":
            self._jax = ProcessExecutor(
                1, self.resources, self.retries, engine=self.engine
            )
            yield from self._jax.map(specs, on_retry=on_retry)
            return
        memory = getattr(self.resources, "memory", None)
        for job in jobs.make_jobs(specs, self.engine, memory):
            for spec, record in zip(job.specs, jobs.run_payload(job.payload)):
                record["attempts"] = 1
                record["worker"] = worker_info(self.name, None)
                yield spec, record

    def close(self):
        """Stops the JAX worker process, if one was started."""
        if self._jax is not None:
            self._jax.close()
            self._jax = None


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


def _process_main(conn, threads, cpu=None):
    """A ``processes`` worker: trial specs in, records out, until None.

    ``cpu``: the core this worker is pinned to (``os.sched_setaffinity``),
    set before the backend starts: XLA sizes its CPU thread pool from the
    process's affinity, not from ``XLA_FLAGS``, so an unpinned one-thread
    JAX worker still runs two or more compute threads per process.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles ^C
    if cpu is not None:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {cpu})
    threads = cap_threads(threads)  # as the backend reports it
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        records = jobs.run_payload(message)
        for record in records:
            record["worker"] = worker_info("processes", threads)
        conn.send(records)


class _Process:
    """One worker process of ``ProcessExecutor`` and its pipe."""

    def __init__(self, context, threads, env=None, cpu=None):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_process_main, args=(child, threads, cpu), daemon=True
        )
        env = {**thread_env(threads), **(env or {})}
        with _environ(env):  # before TF/JAX are imported
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

    def __init__(self, workers=None, resources=None, retries=1, engine="fit"):
        self.resources = resources or Resources()
        default = max(1, int((os.cpu_count() or 1) // self.resources.cpus))
        self.workers = workers or default
        self.retries = retries
        self.engine = engine
        self._processes = []
        self._idle = []  # kept between map() calls (tuning, then evaluation)
        self._pinned = 0  # workers pinned so far (round robin over cores)

    def _cpu(self):
        """The core for the next one-thread worker (round robin over the
        cores this process may use), or None: workers with more threads,
        or more workers than cores, are not pinned."""
        try:
            cores = sorted(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            return None
        if self.resources.threads != 1 or self.workers > len(cores):
            return None
        self._pinned += 1
        return cores[(self._pinned - 1) % len(cores)]

    def map(self, specs, *, on_retry=None, folders=()):
        """Yields ``(spec, record)`` as trials finish."""
        context = multiprocessing.get_context("spawn")
        threads = self.resources.threads
        memory = getattr(self.resources, "memory", None)
        todo = jobs.make_jobs(specs, self.engine, memory)
        queue = collections.deque((job, 1) for job in todo)
        idle, busy = self._idle, {}
        while queue or busy:
            while queue and len(busy) < self.workers:
                if idle:
                    worker = idle.pop()
                else:
                    env = jobs.worker_env(self.engine)
                    worker = _Process(context, threads, env, self._cpu())
                    self._processes.append(worker)
                job, attempt = queue.popleft()
                try:
                    worker.conn.send(job.payload)
                except OSError:  # died while idle: not the trial's fault
                    self._discard(worker)
                    queue.appendleft((job, attempt))
                    continue
                busy[worker] = (job, attempt)
            waitables = [w.conn for w in busy] + [
                w.process.sentinel for w in busy
            ]
            ready = set(multiprocessing.connection.wait(waitables))
            for worker in list(busy):
                if not ready & {worker.conn, worker.process.sentinel}:
                    continue
                job, attempt = busy.pop(worker)
                records = None
                try:
                    if worker.conn.poll():
                        records = worker.conn.recv()
                except (EOFError, OSError):
                    records = None
                if records is not None:
                    if worker.process.is_alive():
                        idle.append(worker)
                    else:
                        self._discard(worker)
                    for spec, record in zip(job.specs, records):
                        record["attempts"] = attempt
                        yield spec, record
                    continue
                worker.process.join()
                cause = _death_cause(worker.process)
                self._discard(worker)
                if attempt <= self.retries:
                    if on_retry is not None:
                        for spec in job.specs:
                            on_retry(spec, cause, attempt)
                    queue.appendleft((job, attempt + 1))
                else:
                    for spec in job.specs:
                        yield spec, failed_record(spec, cause, attempt)

    def _discard(self, worker):
        worker.stop(timeout=1.0)
        if worker in self._processes:
            self._processes.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)

    def close(self):
        """Stops every worker process (trials not finished are dropped)."""
        for worker in self._processes:
            worker.stop()
        self._processes = []
        self._idle.clear()


def _ray_trial(payload, worker_paths, threads):
    """A job (a trial or a cell) as a Ray task: ships files in, the
    records back."""
    import ray

    threads = cap_threads(threads)  # as the backend reports it
    shipped = [
        shipping.localize(d, worker_paths) for d in jobs.spec_dicts(payload)
    ]
    local = jobs.with_spec_dicts(payload, [d for d, _ in shipped])
    records = [
        shipping.restore(record, back)
        for record, (_, back) in zip(jobs.run_payload(local), shipped)
    ]
    node = ray.get_runtime_context().get_node_id()
    for record in records:
        record["worker"] = worker_info("ray", threads, node_id=node)
    return records


def _import_ray():
    try:
        import ray
    except ImportError as error:
        raise ConfigError(
            "--executor ray needs the `ray` package (pip install "
            "'reluplug[ray]'). Received: executor=ray"
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

    def __init__(
        self,
        workers=None,
        resources=None,
        retries=1,
        address=None,
        engine="fit",
    ):
        self.resources = resources or Resources()
        self.engine = engine
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
                    "Cannot join the Ray cluster at `ray_address`: "
                    f"{error} Allowed: 'auto', 'HOST:PORT', "
                    f"'ray://HOST:PORT'. Received: ray_address="
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
        env["env_vars"].update(jobs.worker_env(self.engine))
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
        memory = getattr(self.resources, "memory", None)
        todo = jobs.make_jobs(specs, self.engine, memory)
        queue = collections.deque((job, 1) for job in todo)
        pending = self._pending
        while queue or pending:
            while queue and (
                self.workers is None
                or self.address is None
                or len(pending) < self.workers
            ):
                job, attempt = queue.popleft()
                ref = remote.options(
                    name=f"reluplug:{job.title}", **options
                ).remote(job.payload, paths, threads)
                pending[ref] = (job, attempt)
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job, attempt = pending.pop(ref)
                try:
                    records = ray.get(ref)
                except died as error:
                    if attempt <= self.retries:
                        if on_retry is not None:
                            for spec in job.specs:
                                on_retry(spec, error, attempt)
                        queue.appendleft((job, attempt + 1))
                        continue
                    records = [
                        failed_record(s, error, attempt) for s in job.specs
                    ]
                except ray.exceptions.RayError as error:
                    records = [
                        failed_record(s, error, attempt) for s in job.specs
                    ]
                for spec, record in zip(job.specs, records):
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
    name,
    workers=None,
    *,
    resources=None,
    retries=1,
    ray_address=None,
    engine="fit",
):
    """An executor by name: ``sequential``, ``processes`` or ``ray``.

    Raises:
        ConfigError: an unknown name, or an option that does not fit it.
    """
    if name not in EXECUTORS:
        raise ConfigError(
            f"The value for `executor` must be one of {list(EXECUTORS)}, "
            f"but {name!r} was passed."
        )
    if ray_address is not None and name != "ray":
        raise ConfigError(
            "`ray_address` needs `executor='ray'`. Received: "
            f"executor={name!r}, ray_address={ray_address!r}"
        )
    if ray_address is not None and (
        not isinstance(ray_address, str) or not ray_address.strip()
    ):
        raise ConfigError(
            "`ray_address` must be 'auto', 'HOST:PORT' or "
            f"'ray://HOST:PORT'. Received: ray_address={ray_address!r}"
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigError(
            f"`retries` must be an integer >= 0. Received: retries={retries!r}"
        )
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConfigError(
            f"`workers` must be an integer >= 1. Received: workers={workers!r}"
        )
    jobs.check_engine(engine)
    if name == "sequential":
        return SequentialExecutor(resources, retries, engine)
    if name == "processes":
        return ProcessExecutor(workers, resources, retries, engine)
    return RayExecutor(workers, resources, retries, ray_address, engine)
