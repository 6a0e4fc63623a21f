"""The population engine: every seed of a trial cell in one JAX program.

A *cell* is a set of pending trials that differ only in their seed (same
task and params, activation, training recipe and monitors). ``run_cell``
trains a cell as one ``jax.jit``-ed program ``jax.vmap``-ed over its
members (``engine.population_program``) and returns one record per member,
with the fields ``engine.fit.run_trial`` writes, plus ``engine =
"population"`` and ``population`` (size, chunk, compile time).

Same trials as the fit engine:

* each member is built by ``engine.model.build_model`` (same initial
  weights, same ``init_sha256``), its data by ``engine.data.load_splits``
  and its batch order by ``engine.data.EpochOrder``;
* every step is the model's own ``train_step`` (the step ``model.fit``
  jits on JAX), with the suite's optimizer, loss and metric; validation
  and test are ``test_step`` over batches of ``max(batch_size, 256)``;
* early stopping with restored best weights, ``TerminateOnNaN`` and the
  runner's divergence rule act per member, by masking;
* the monitors are ``DeadUnitMonitor`` and ``GradientFlowMonitor``
  themselves (``engine.population_monitors``).

It runs under the JAX backend only: the executors start JAX worker
processes for it (``KERAS_BACKEND=jax``) when the driver's backend is
another. Members per program come from a memory budget (``[resources]
memory``, default a quarter of the free memory); a larger cell runs in
chunks of equal size.

What it cannot train (a custom ``train_step``/``test_step``/
``compute_loss``, a model whose ``call`` branches in Python on tensor
values, ``[monitors] revive``) fails before training, with a message that
names the fit engine.

This module and its two helpers are the one place reluplug imports JAX.
"""

import json
import math
import os
import time

import keras
import numpy as np

from reluplug.bench.engine.data import EpochOrder
from reluplug.bench.engine.data import load_splits
from reluplug.bench.engine.data import test_digest
from reluplug.bench.engine.fit import base_record
from reluplug.bench.engine.fit import error_info
from reluplug.bench.engine.model import build_model
from reluplug.bench.engine.model import compile_model
from reluplug.bench.engine.model import leaf_layers
from reluplug.bench.engine.monitors import with_depth
from reluplug.bench.suite import schema
from reluplug.bench.suite import tuning
from reluplug.bench.suite.config import ConfigError
from reluplug.bench.tasks import registry
from reluplug.bench.tasks import user

ENGINE = "population"
_FIT_HINT = (
    "Train it with the fit engine: `--engine fit` on the command line, "
    "`engine='fit'` in compare()."
)
_STEPS = ("train_step", "test_step", "compute_loss", "compute_metrics")


class PopulationError(ValueError):
    """A model or setting the population engine cannot train."""


def check_steps(model, error=PopulationError, received=""):
    """Raises ``error`` if ``model``'s class overrides a step of
    ``keras.Model`` (``train_step``, ``test_step``, ``compute_loss``,
    ``compute_metrics``): the population engine runs Keras' own steps.

    The one step check: the driver (``check_specs``, ``compare()``) calls
    it on a probe of a user's model before any training, a worker on the
    model it builds. ``received`` ends the message (``" Received: ..."``).
    """
    for name in _STEPS:
        if getattr(type(model), name) is not getattr(keras.Model, name):
            raise error(
                f"Model {model.name!r} overrides `{name}`, which the "
                "population engine does not run (it trains with "
                f"keras.Model.{name}). {_FIT_HINT}{received}"
            )


def check_specs(specs):
    """Raises ``ConfigError`` (before any training) for a setting or a
    user's model the population engine does not support.

    A user task's model (``tasks.user``) is probed once per distinct
    model file or builder; built-in tasks are not built here.
    """
    probed = set()
    for spec in specs:
        if spec.monitors.revive:
            raise ConfigError(
                "`[monitors] revive = true` re-initialises weights during "
                "training, which the population engine does not do. "
                f"{_FIT_HINT} Received: revive=True, engine='population'"
            )
        if spec.task_name not in user.TASK_NAMES:
            continue
        ref = spec.task_params["model"]
        sha256 = spec.task_params.get("model_sha256", "")
        if (ref, sha256) in probed:
            continue
        probed.add((ref, sha256))
        try:
            model, _ = user.probe_model(ref, sha256)
        except ValueError as error:
            raise ConfigError(f"task {spec.task!r}: {error}") from None
        check_steps(
            model,
            ConfigError,
            f" Received: task {spec.task!r} with model={ref!r}, "
            "engine='population'",
        )


def cell_key(spec):
    """What the members of a cell share: the spec without its seed and
    learning rate (the rate is an optimizer variable, so members with
    different rates train in one program: a tuning grid is one cell)."""
    data = spec.to_dict()
    del data["seed"]
    data["training"] = dict(data["training"])
    del data["training"]["learning_rate"]
    return json.dumps(data, sort_keys=True, default=str)


def cells(specs):
    """Groups specs into cells (lists, in order of first appearance)."""
    groups = {}
    for spec in specs:
        groups.setdefault(cell_key(spec), []).append(spec)
    return list(groups.values())


# ------------------------------------------------------------------ memory


def default_budget():
    """A quarter of the free memory: the accelerator's if JAX has one,
    else the machine's (``MemAvailable``), in bytes."""
    import jax

    device = jax.devices()[0]
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        limit = stats.get("bytes_limit")
        if limit:
            return int((limit - stats.get("bytes_in_use", 0)) / 4)
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 4
    except OSError:
        pass
    pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(pages // 4)


def member_bytes(model, training, data, shared):
    """An estimate of the memory one member of a program needs, in bytes.

    Weights four times (current, best, gradients, update) plus optimizer
    slots, the member's own data arrays, and the activations of a batch
    (forward values kept for the backward pass, three copies) or of an
    evaluation batch.
    """
    weights = sum(
        math.prod(v.shape) * 4 for v in model.trainable_variables
    ) + sum(math.prod(v.shape) * 4 for v in model.non_trainable_variables)
    slots = sum(math.prod(v.shape) * 4 for v in model.optimizer.variables)
    own = sum(a.nbytes for k, a in data.items() if not shared[k])
    per_sample = 0
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        per_sample += math.prod(d for d in shape[1:] if d) * 4
    batch = max(3 * training.batch_size, max(training.batch_size, 256))
    return 4 * weights + slots + own + batch * per_sample


def chunks(n, per_program):
    """Splits ``n`` members into equal chunks of at most ``per_program``:
    ``(size, count)``, the last chunk padded to ``size``."""
    per_program = max(1, min(n, per_program))
    count = -(-n // per_program)
    return -(-n // count), count


def map_batch(model):
    """How a program maps its members (``population_program.member_map``):
    one at a time (``1``) for a model with a convolution on CPU, else all
    at once (``None``: ``jax.vmap``).

    ``jax.vmap`` turns a convolution over stacked kernels into one grouped
    convolution, which XLA runs slowly on CPU: a digits CNN cell of 10
    members, 28 epochs, trained in 82 s vmapped, 57 s one member at a time
    (85 s two at a time; 2-core machine). Dense layers gain from vmap.
    """
    import jax

    if jax.default_backend() != "cpu":
        return None
    convolutional = any(
        "Conv" in type(layer).__name__ for layer in leaf_layers(model)
    )
    return 1 if convolutional else None


def use_compilation_cache():
    """Turns on JAX's persistent compilation cache (once per process).

    The programs of a cell's later looks (``--until-decided``) and of a
    resumed run are the same XLA programs as before: with the cache a
    digits MLP cell compiles in 1.2 s instead of 3.6 s (tracing remains).
    The folder is ``$RELUPLUG_JAX_CACHE``, default
    ``$XDG_CACHE_HOME/reluplug/jax`` (``~/.cache/reluplug/jax``);
    ``RELUPLUG_JAX_CACHE=off`` turns it off. The cache never changes
    results: an entry is the compiled form of the same program.
    """
    import jax

    folder = os.environ.get("RELUPLUG_JAX_CACHE")
    if folder == "off" or jax.config.jax_compilation_cache_dir:
        return
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        folder = os.path.join(base, "reluplug", "jax")
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


# --------------------------------------------------------------- checking


def _check_model(model, members):
    check_steps(model)
    shapes = [
        (tuple(v.shape), str(v.dtype))
        for v in model.trainable_variables + model.non_trainable_variables
    ]
    for other in members[1:]:
        mine = [
            (tuple(v.shape), str(v.dtype))
            for v in other.trainable_variables + other.non_trainable_variables
        ]
        if mine != shapes:
            raise PopulationError(
                "The members of a cell built models with different "
                f"variables ({mine} vs {shapes}), so they cannot be "
                f"stacked. {_FIT_HINT}"
            )


def prepare_template(model, x, y):
    """Readies a compiled model to be the template of a program: builds
    its optimizer, compiled loss and metrics (on one sample), then resets
    the metrics."""
    x, y = x[:1], y[:1]
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    for metric in model.metrics:
        metric.reset_state()
    model.optimizer.build(model.trainable_variables)


def batch_orders(orders, epoch):
    """The members' example orders of ``epoch`` (0-based): an int32 array
    ``(members, n)``.

    ``orders`` are the members' ``EpochOrder``. ``model.fit`` reads batch 0
    of an ``EpochOrder`` once before training (Keras peeks at the data, on
    TensorFlow and JAX alike) and then calls its ``on_epoch_end``, so fit's
    epoch ``e`` trains on ``permutation(e + 1)``; the same here.
    """
    return np.stack([o.permutation(epoch + 1) for o in orders]).astype("int32")


# -------------------------------------------------------------------- run


class _Cell:
    """A cell being trained: its specs, splits, models and records."""

    def __init__(self, specs, memory):
        if keras.backend.backend() != "jax":
            raise PopulationError(
                "The population engine runs under the JAX backend; this "
                f"process runs {keras.backend.backend()!r} (the executors "
                "start JAX worker processes for it)."
            )
        self.specs = list(specs)
        self.memory = memory
        self.task = registry.get(self.specs[0].task_name)
        self.training = self.specs[0].training
        self.records = [base_record(s, self.task) for s in self.specs]
        for record in self.records:
            record["engine"] = ENGINE
        self.timings = {
            "data_s": 0.0,
            "build_s": 0.0,
            "compile_s": 0.0,
            "fit_s": 0.0,
            "evaluate_s": 0.0,
        }
        self.done = [False] * len(self.specs)

    def prepare(self):
        t = time.perf_counter()
        self.splits = [load_splits(self.task, s) for s in self.specs]
        self.timings["data_s"] += time.perf_counter() - t
        t = time.perf_counter()
        self.models = []
        for spec, splits, record in zip(self.specs, self.splits, self.records):
            model, _, sha = build_model(self.task, spec, splits)
            self.models.append(model)
            record["init_sha256"] = sha
            record["n_params"] = int(model.count_params())
            record["splits"].update(
                n_train=len(splits.y_train),
                n_val=len(splits.y_val),
                n_test=len(splits.y_test),
                test_sha256=test_digest(splits),
            )
        self.template = self.models[0]
        compile_model(self.template, self.task, self.training)
        _check_model(self.template, self.models)
        prepare_template(
            self.template, self.splits[0].x_train, self.splits[0].y_train
        )
        names = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
        self.shared = {
            k: all(
                np.array_equal(getattr(s, k), getattr(self.splits[0], k))
                for s in self.splits[1:]
            )
            for k in names
        }
        self.arrays = {k: getattr(self.splits[0], k) for k in names}
        self.timings["build_s"] += time.perf_counter() - t

    def plan(self):
        """``(size, count)`` of the chunks, from the memory budget."""
        budget = self.memory or default_budget()
        need = member_bytes(
            self.template, self.training, self.arrays, self.shared
        )
        return chunks(len(self.specs), budget // max(1, need))

    def data(self, index):
        import jax.numpy as jnp

        out = {}
        for key, shared in self.shared.items():
            if shared:
                out[key] = jnp.asarray(self.arrays[key])
            else:
                out[key] = jnp.asarray(
                    np.stack([getattr(self.splits[i], key) for i in index])
                )
        return out

    def run(self):
        from reluplug.bench.engine.population_program import Program

        use_compilation_cache()
        self.prepare()
        size, count = self.plan()
        self.program = Program(
            self.template,
            self.task.metric,
            self.task.metric_mode,
            self.training,
            self.shared,
            map_batch=map_batch(self.template),
        )
        n = len(self.specs)
        for c in range(count):
            index = list(range(c * size, min(n, (c + 1) * size)))
            padded = index + [index[-1]] * (size - len(index))
            self.train_chunk(index, padded, (size, count))

    def train_chunk(self, index, padded, plan):
        import jax

        from reluplug.bench.engine.population_monitors import PopulationMonitors
        from reluplug.bench.engine.population_monitors import rows
        from reluplug.bench.engine.population_program import initial_state

        program = self.program
        specs = [self.specs[i] for i in padded]
        k = len(padded)
        state = initial_state(
            [self.models[i] for i in padded],
            self.template,
            [spec.training.learning_rate for spec in specs],
        )
        data = self.data(padded)
        train = {k: data[k] for k in ("x_train", "y_train", "x_val", "y_val")}
        histories = [[] for _ in range(k)]
        monitor_rows = [[] for _ in range(k)]
        monitors = None
        if specs[0].monitors.enabled:
            monitors = PopulationMonitors(
                specs,
                [self.splits[i] for i in padded],
                self.template,
                program.metrics_init,
            )
            self._measure(monitors, state, 0, None, monitor_rows, rows)
        orders = [
            EpochOrder(self.splits[i].x_train, None, 1, spec.seed)
            for i, spec in zip(padded, specs)
        ]

        def order(epoch):
            return batch_orders(orders, epoch)

        t = time.perf_counter()
        try:
            epoch_fn = program.epoch.lower(
                state, np.int32(0), train, order(0)
            ).compile()
        except Exception as error:
            raise PopulationError(
                "The population engine cannot compile the training of "
                f"{specs[0].task}/{specs[0].activation} as one JAX program "
                f"({type(error).__name__}: {error}). Models whose `call` "
                "branches in Python on tensor values, or that are not "
                f"traceable by jax.jit, cannot be stacked. {_FIT_HINT}"
            ) from error
        compile_s = time.perf_counter() - t
        self.timings["compile_s"] += compile_s

        t_fit = time.perf_counter()
        for epoch in range(self.training.epochs):
            t = time.perf_counter()
            state, logs = epoch_fn(state, np.int32(epoch), train, order(epoch))
            logs = jax.device_get(logs)
            elapsed = (time.perf_counter() - t) / k
            for m in range(k):
                if not logs["ran"][m]:
                    continue
                histories[m].append(
                    {
                        "epoch": epoch + 1,
                        "loss": float(logs["loss"][m]),
                        "metric": float(logs["metric"][m]),
                        "val_loss": float(logs["val_loss"][m]),
                        "val_metric": float(logs["val_metric"][m]),
                        "epoch_time_s": elapsed,
                    }
                )
            if monitors is not None and monitors.measured(epoch + 1):
                self._measure(
                    monitors,
                    state,
                    epoch + 1,
                    logs,
                    monitor_rows,
                    rows,
                    histories,
                )
            if not np.asarray(state["active"]).any():
                break
        fit_s = time.perf_counter() - t_fit
        self.timings["fit_s"] += fit_s

        t = time.perf_counter()
        test_loss, test_metric = jax.device_get(
            program.evaluate(
                state["best_trainable"],
                state["best_non_trainable"],
                data["x_test"],
                data["y_test"],
            )
        )
        best, best_epoch, has_best = jax.device_get(
            (state["best"], state["best_epoch"], state["has_best"])
        )
        evaluate_s = time.perf_counter() - t
        self.timings["evaluate_s"] += evaluate_s

        seen = set()
        for m, i in enumerate(padded):
            if i in seen:
                continue
            seen.add(i)
            record = self.records[i]
            history = histories[m]
            diverged = any(
                not (_finite(h["loss"]) and _finite(h["val_loss"]))
                for h in history
            )
            if diverged or not has_best[m] or not _finite(best[m]):
                record["status"] = schema.DIVERGED
            else:
                record["status"] = schema.COMPLETED
                if self.specs[i].role != tuning.ROLE:  # tuning: no test
                    record["test_metric"] = float(test_metric[m])
                    record["test_loss"] = float(test_loss[m])
                record["best_epoch"] = int(best_epoch[m]) + 1
                record["best_val_metric"] = float(best[m])
            record["history"] = history
            record["epochs_run"] = len(history)
            record["monitors"] = with_depth(monitor_rows[m], self.template)
            record["population"] = {
                "size": len(self.specs),
                "chunk_size": plan[0],
                "chunks": plan[1],
                "member": i,
                "compile_s": compile_s,
            }
            self.done[i] = True

    def _measure(self, monitors, state, epoch, logs, out, rows, histories=None):
        values = monitors.measure(state["trainable"], state["non_trainable"])
        for m, member in enumerate(values):
            if logs is not None and not logs["ran"][m]:
                continue
            out[m].extend(rows(epoch, member))
            if histories is not None:
                row = histories[m][-1]
                for key in schema.HISTORY_FRACTIONS:
                    if key in member:
                        row[key] = float(member[key])

    def finish(self, error, wall):
        """Fills timings (the cell's, shared equally) and failures."""
        n = len(self.specs)
        for done, record in zip(self.done, self.records):
            if not done:
                record["status"] = schema.FAILED
                record["error"] = error_info(error) if error else None
            timings = {k: v / n for k, v in self.timings.items()}
            record["timings"] = timings
            record["wall_time_s"] = wall / n
            record["fit_time_s"] = timings["fit_s"]
            record["overhead_s"] = wall / n - timings["fit_s"]
        return self.records


def _finite(value):
    return value is not None and math.isfinite(value)


def run_cell(specs, memory=None):
    """Trains the cell ``specs`` (trial specs differing only in seed).

    Never raises for a problem of the trials themselves: an exception
    becomes a ``failed`` record (with its traceback) for every member not
    finished yet.

    Args:
        specs: ``TrialSpec`` objects of one cell.
        memory: memory budget in bytes for the members of one program
            (None: ``default_budget()``).

    Returns:
        One record (a dict) per spec, in the order of ``specs``.
    """
    t = time.perf_counter()
    cell = _Cell(specs, memory)
    error = None
    try:
        cell.run()
    except Exception as caught:
        error = caught
    return cell.finish(error, time.perf_counter() - t)


def run_cell_dicts(spec_dicts, memory=None):
    """``run_cell`` for ``TrialSpec.to_dict()`` dicts (worker processes)."""
    from reluplug.bench.suite.config import TrialSpec

    return run_cell([TrialSpec.from_dict(d) for d in spec_dicts], memory)
