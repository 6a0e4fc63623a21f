"""One training run: ``run_trial(spec) -> record`` (a JSON-ready dict).

The record follows ``docs/run-folder.md``. ``run_trial`` never raises for a
problem of the trial itself: an exception becomes a ``failed`` record with
its traceback, a non-finite loss a ``diverged`` one.

Determinism. For one (task, seed), every activation gets:

* the same initial weights in every non-activation layer: each of those
  layers has an initializer seeded from ``(seed, layer index)``; the record
  holds their SHA-256 (``init_sha256``) and the runner refuses a (task,
  seed) whose activations differ;
* the same data order: batches come from ``EpochOrder``, a permutation per
  epoch drawn from ``numpy.random.default_rng([seed, epoch])``, independent
  of any global random state;
* the same optimizer state (a fresh optimizer from the suite's settings) and
  the same global random state (``keras.utils.set_random_seed(seed)`` before
  building and again before ``fit``).

On the TensorFlow backend, ``tf.config.experimental.enable_op_determinism()``
is switched on once per process, so re-running a trial alone on the same
machine (same Keras/TF versions, same executor) gives an identical record,
timings aside.
"""

import datetime
import functools
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback

import keras
import numpy as np

from reluplug.bench.tasks import registry

_OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}
_MONITOR_QUANTITIES = (
    "dead_fraction",
    "inactive_fraction",
    "saturated_fraction",
    "grad_norm",
)


# ------------------------------------------------------------- environment


@functools.cache
def configure_determinism():
    """Switches on deterministic ops for the backend (once per process)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return True


@functools.cache
def _git_commit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@functools.cache
def _environment():
    import reluplug

    backend = keras.backend.backend()
    versions = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        "numpy": np.__version__,
        "reluplug": getattr(reluplug, "__version__", None),
    }
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    if backend in module:
        lib = sys.modules.get(module[backend]) or __import__(module[backend])
        versions[backend] = getattr(lib, "__version__", None)
    device = "cpu"
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
        elif backend == "jax":
            import jax

            device = jax.default_backend()
    except Exception:  # device detection is informative only
        pass
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": device,
    }
    return machine, versions


def environment():
    """``(machine, versions, git_commit)`` of this process."""
    machine, versions = _environment()
    return dict(machine), dict(versions), _git_commit()


def utc_now():
    """Current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------- data

_SPLITS = {}


def load_splits(spec):
    """The task's splits for ``spec`` (cached per process)."""
    task = registry.get(spec.task)
    data = {k: spec.task_params[k] for k in task.data_params}
    key = (spec.task, json.dumps(data, sort_keys=True), spec.seed)
    if key not in _SPLITS:
        _SPLITS[key] = task.load(spec.seed, **data)
    return _SPLITS[key]


class EpochOrder(keras.utils.PyDataset):
    """Training batches in a seeded order: a fresh permutation per epoch.

    The order of epoch ``e`` is ``default_rng([seed, e]).permutation(n)``,
    so it depends only on ``seed`` and ``e``: identical for every
    activation, independent of global random state.
    """

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.order = self.permutation(0)

    def permutation(self, epoch):
        """Example indices of ``epoch`` (0-based), in training order."""
        rng = np.random.default_rng([self.seed, epoch])
        return rng.permutation(len(self.x))

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        start = index * self.batch_size
        idx = self.order[start : start + self.batch_size]
        return self.x[idx], self.y[idx]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self.permutation(self.epoch)


# -------------------------------------------------------------------- model


def make_activation(spec, index):
    """A fresh activation layer for ``spec``, named ``act_<index>``."""
    import reluplug

    layer = reluplug.get(spec.activation_name, **dict(spec.activation_params))
    try:
        config = layer.get_config()
        config["name"] = f"act_{index}"
        layer = layer.__class__.from_config(config)
    except Exception:  # keep the layer's own name if it cannot be renamed
        pass
    return layer


def _leaf_layers(model):
    """The layers of ``model`` in order, nested models entered."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def init_sha256(model, activation_layers):
    """SHA-256 of the weights of every layer that is not an activation
    (layers of nested models included)."""
    skip = {id(layer) for layer in activation_layers}
    digest = hashlib.sha256()
    for layer in _leaf_layers(model):
        if id(layer) in skip:
            continue
        for weight in layer.weights:
            value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
            header = f"{layer.name}|{value.dtype}|{value.shape}|"
            digest.update(header.encode())
            digest.update(value.tobytes())
    return digest.hexdigest()


def build_model(spec, splits=None):
    """Builds the (uncompiled) model of ``spec``.

    Returns:
        ``(model, activation_layers, init_sha256)``.
    """
    configure_determinism()
    task = registry.get(spec.task)
    splits = load_splits(spec) if splits is None else splits
    created = []

    def act():
        layer = make_activation(spec, len(created) + 1)
        created.append(layer)
        return layer

    keras.utils.set_random_seed(spec.seed)
    model = task.build(splits, act, spec.seed, **dict(spec.task_params))
    return model, created, init_sha256(model, created)


def _compile(model, spec, task):
    training = spec.training
    optimizer = getattr(keras.optimizers, _OPTIMIZERS[training.optimizer])
    if task.problem == "regression":
        loss = keras.losses.MeanSquaredError()
        metric = keras.metrics.MeanSquaredError(name=task.metric)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metric = keras.metrics.SparseCategoricalAccuracy(name=task.metric)
    model.compile(
        optimizer=optimizer(learning_rate=training.learning_rate),
        loss=loss,
        metrics=[metric],
        jit_compile=training.jit_compile,
    )


# ---------------------------------------------------------------- callbacks


def _finite(value):
    return value is not None and math.isfinite(value)


class TrialRecorder(keras.callbacks.Callback):
    """Records epochs and monitor values; selects, stops, detects NaN.

    Put it after the monitor callbacks: it reads what they publish into
    ``logs`` (``<quantity>/<layer>`` keys and the ``dead_fraction`` /
    ``inactive_fraction`` aggregates), at train begin (epoch 0) and at each
    epoch end.

    Args:
        metric: metric name in ``logs`` (``val_<metric>`` is selected on).
        mode: ``"max"`` or ``"min"``.
        early_stopping: ``config.EarlyStopping`` or None.
    """

    def __init__(self, metric, mode, early_stopping=None):
        super().__init__()
        self.metric = metric
        self.mode = mode
        self.early_stopping = early_stopping
        self.history = []
        self.monitor_rows = []
        self.best_epoch = None
        self.best_value = None
        self.best_weights = None
        self.diverged = False
        self._ref = None
        self._wait = 0
        self._t0 = None

    def _better(self, value, ref, delta=0.0):
        if ref is None:
            return True
        if self.mode == "max":
            return value > ref + delta
        return value < ref - delta

    def _collect(self, epoch, logs):
        for key, value in (logs or {}).items():
            quantity, sep, layer = key.partition("/")
            if sep and quantity in _MONITOR_QUANTITIES:
                self.monitor_rows.append(
                    {
                        "epoch": epoch,
                        "quantity": quantity,
                        "layer": layer,
                        "value": float(value),
                    }
                )

    def on_train_begin(self, logs=None):
        self._collect(0, logs)

    def collect_initial(self, monitors):
        """Adds epoch-0 rows from the monitors' ``initial`` dicts.

        The monitors measure at train begin, when Keras has no ``logs`` to
        publish into; they keep those values in ``monitor.initial``.
        """
        have = {
            (r["quantity"], r["layer"])
            for r in self.monitor_rows
            if r["epoch"] == 0
        }
        rows = []
        for monitor in monitors:
            initial = getattr(monitor, "initial", None) or {}
            for key, value in initial.items():
                quantity, sep, layer = key.partition("/")
                if not sep or quantity not in _MONITOR_QUANTITIES:
                    continue
                if (quantity, layer) in have:
                    continue
                have.add((quantity, layer))
                rows.append(
                    {
                        "epoch": 0,
                        "quantity": quantity,
                        "layer": layer,
                        "value": float(value),
                    }
                )
        self.monitor_rows = rows + self.monitor_rows

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        elapsed = time.perf_counter() - self._t0
        e = epoch + 1

        def get(key):
            value = logs.get(key)
            return None if value is None else float(value)

        row = {
            "epoch": e,
            "loss": get("loss"),
            "metric": get(self.metric),
            "val_loss": get("val_loss"),
            "val_metric": get(f"val_{self.metric}"),
            "epoch_time_s": elapsed,
        }
        for key in ("dead_fraction", "inactive_fraction"):
            if key in logs:
                row[key] = get(key)
        self.history.append(row)
        self._collect(e, logs)
        if not (_finite(row["loss"]) and _finite(row["val_loss"])):
            self.diverged = True
            self.model.stop_training = True
            return
        value = row["val_metric"]
        if not _finite(value):
            return
        if self._better(value, self.best_value):
            self.best_epoch, self.best_value = e, value
            self.best_weights = self.model.get_weights()
        stop = self.early_stopping
        if stop is None:
            return
        if self._better(value, self._ref, stop.min_delta):
            self._ref, self._wait = value, 0
        else:
            self._wait += 1
            if self._wait >= stop.patience:
                self.model.stop_training = True


def make_monitors(spec, splits):
    """The monitor callbacks the spec asks for (maybe none).

    Raises:
        RuntimeError: a monitor is asked for but ``reluplug.callbacks`` lacks
            it, or its constructor does not accept these arguments.
    """
    m = spec.monitors
    if not m.enabled:
        return []
    try:
        import reluplug.callbacks as callbacks
    except ImportError as error:
        raise RuntimeError(
            "The suite turns monitors on, but reluplug.callbacks cannot be "
            f"imported ({error}); set monitors = false."
        ) from error
    out = []
    probe = splits.x_train[: m.max_samples]
    try:
        if m.dead_units:
            out.append(
                callbacks.DeadUnitMonitor(
                    probe,
                    every_n_epochs=m.every_n_epochs,
                    max_samples=m.max_samples,
                    saturation_eps=m.saturation_eps,
                    revive=m.revive,
                    on_no_sites="skip",  # e.g. a custom activation
                )
            )
        if m.gradient_flow:
            batch = spec.training.batch_size
            out.append(
                callbacks.GradientFlowMonitor(
                    (splits.x_train[:batch], splits.y_train[:batch]),
                    every_n_epochs=m.every_n_epochs,
                )
            )
    except (AttributeError, TypeError) as error:
        raise RuntimeError(
            f"Cannot create the monitors this suite asks for: {error}"
        ) from error
    return out


def _with_depth(rows, model):
    order = {layer.name: i for i, layer in enumerate(model.layers)}
    depth = {}
    for quantity in {r["quantity"] for r in rows}:
        layers = {r["layer"] for r in rows if r["quantity"] == quantity}
        ranked = sorted(layers, key=lambda n: (order.get(n, len(order)), n))
        for i, name in enumerate(ranked, start=1):
            depth[(quantity, name)] = i
    out = []
    for r in rows:
        out.append(
            {
                "epoch": r["epoch"],
                "quantity": r["quantity"],
                "layer": r["layer"],
                "depth": depth[(r["quantity"], r["layer"])],
                "value": r["value"],
            }
        )
    return out


# -------------------------------------------------------------------- trial


def base_record(spec, status="failed"):
    """A record for ``spec`` with no results yet (everything null)."""
    task = registry.get(spec.task)
    machine, versions, commit = environment()
    record = spec.to_dict()
    record["monitor_settings"] = record.pop("monitors")
    record.update(
        trial_id=spec.trial_id,
        status=status,
        metric=task.metric,
        metric_mode=task.metric_mode,
        history=[],
        monitors=[],
        best_epoch=None,
        best_val_metric=None,
        test_metric=None,
        test_loss=None,
        epochs_run=0,
        wall_time_s=None,
        fit_time_s=None,
        overhead_s=None,
        init_sha256=None,
        n_params=None,
        splits={
            "resplit": bool(getattr(task, "resplit", False)),
            "n_train": None,
            "n_val": None,
            "n_test": None,
        },
        machine=machine,
        versions=versions,
        git_commit=commit,
        utc_time=utc_now(),
        error=None,
    )
    return record


def error_info(error):
    """``{"type", "message", "traceback"}`` of an exception."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(
            traceback.format_exception(type(error), error, error.__traceback__)
        ),
    }


def run_trial(spec):
    """Trains the trial ``spec`` and returns its record (a plain dict).

    Exceptions inside the trial become a ``failed`` record; a non-finite
    loss stops training and gives a ``diverged`` record.
    """
    t_start = time.perf_counter()
    task = registry.get(spec.task)
    record = base_record(spec)
    timings = {"data_s": 0.0, "build_s": 0.0, "fit_s": 0.0, "evaluate_s": 0.0}
    recorder = None
    model = None
    try:
        t = time.perf_counter()
        splits = load_splits(spec)
        timings["data_s"] = time.perf_counter() - t
        record["splits"].update(
            n_train=len(splits.y_train),
            n_val=len(splits.y_val),
            n_test=len(splits.y_test),
        )

        t = time.perf_counter()
        model, _, sha = build_model(spec, splits)
        record["init_sha256"] = sha
        record["n_params"] = int(model.count_params())
        _compile(model, spec, task)
        recorder = TrialRecorder(
            task.metric, task.metric_mode, spec.training.early_stopping
        )
        monitors = make_monitors(spec, splits)
        callbacks = monitors + [recorder]
        data = EpochOrder(
            splits.x_train,
            splits.y_train,
            spec.training.batch_size,
            spec.seed,
        )
        eval_batch = max(spec.training.batch_size, 256)
        keras.utils.set_random_seed(spec.seed)
        timings["build_s"] = time.perf_counter() - t

        t = time.perf_counter()
        model.fit(
            data,
            epochs=spec.training.epochs,
            validation_data=(splits.x_val, splits.y_val),
            validation_batch_size=eval_batch,
            callbacks=callbacks,
            shuffle=False,
            verbose=0,
        )
        timings["fit_s"] = time.perf_counter() - t
        recorder.collect_initial(monitors)

        t = time.perf_counter()
        if recorder.diverged:
            record["status"] = "diverged"
        elif recorder.best_weights is None:
            record["status"] = "diverged"  # no finite validation metric
        else:
            model.set_weights(recorder.best_weights)
            result = model.evaluate(
                splits.x_test,
                splits.y_test,
                batch_size=eval_batch,
                verbose=0,
                return_dict=True,
            )
            record["status"] = "completed"
            record["test_metric"] = float(result[task.metric])
            record["test_loss"] = float(result["loss"])
            record["best_epoch"] = recorder.best_epoch
            record["best_val_metric"] = recorder.best_value
        timings["evaluate_s"] = time.perf_counter() - t
    except Exception as error:
        record["status"] = "failed"
        record["error"] = error_info(error)
    if recorder is not None:
        record["history"] = recorder.history
        record["epochs_run"] = len(recorder.history)
        if model is not None:
            record["monitors"] = _with_depth(recorder.monitor_rows, model)
    wall = time.perf_counter() - t_start
    record["wall_time_s"] = wall
    record["fit_time_s"] = timings["fit_s"]
    record["overhead_s"] = wall - timings["fit_s"]
    record["timings"] = timings
    return record


def run_trial_dict(spec_dict):
    """``run_trial`` for a ``TrialSpec.to_dict()`` (for worker processes)."""
    from reluplug.bench.config import TrialSpec

    return run_trial(TrialSpec.from_dict(spec_dict))
