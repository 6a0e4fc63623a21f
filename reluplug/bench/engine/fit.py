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

The jobs live in their own modules: ``environment`` (machine, versions,
determinism), ``data`` (splits, batch order), ``model`` (build, hash,
compile), ``monitors`` and ``recorder`` (callbacks, epoch selection); this
module resolves the task once and assembles the record.
"""

import time
import traceback

import keras

from reluplug.bench.engine.data import EpochOrder
from reluplug.bench.engine.data import load_splits
from reluplug.bench.engine.data import test_digest
from reluplug.bench.engine.environment import environment
from reluplug.bench.engine.model import build_model
from reluplug.bench.engine.model import compile_model
from reluplug.bench.engine.monitors import make_monitors
from reluplug.bench.engine.monitors import with_depth
from reluplug.bench.engine.recorder import callbacks
from reluplug.bench.engine.recorder import selected
from reluplug.bench.suite import schema
from reluplug.bench.suite import tuning
from reluplug.bench.tasks import registry


def base_record(spec, task=None, status=schema.FAILED):
    """A record for ``spec`` with no results yet (everything null).

    Args:
        spec: a ``config.TrialSpec``.
        task: its resolved ``Task`` (looked up when None).
        status: the record's status.
    """
    task = registry.get(spec.task_name) if task is None else task
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
            "test_sha256": None,
        },
        machine=machine,
        versions=versions,
        git_commit=commit,
        utc_time=schema.utc_now(),
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
    task = registry.get(spec.task_name)
    record = base_record(spec, task)
    timings = {"data_s": 0.0, "build_s": 0.0, "fit_s": 0.0, "evaluate_s": 0.0}
    recorder = None
    model = None
    try:
        t = time.perf_counter()
        splits = load_splits(task, spec)
        timings["data_s"] = time.perf_counter() - t
        record["splits"].update(
            n_train=len(splits.y_train),
            n_val=len(splits.y_val),
            n_test=len(splits.y_test),
            test_sha256=test_digest(splits),
        )

        t = time.perf_counter()
        model, _, sha = build_model(task, spec, splits)
        record["init_sha256"] = sha
        record["n_params"] = int(model.count_params())
        compile_model(model, task, spec.training)
        monitors = make_monitors(spec, splits)
        recorder, selector, fit_callbacks = callbacks(
            task, spec.training, monitors
        )
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
            callbacks=fit_callbacks,
            shuffle=False,
            verbose=0,
        )
        timings["fit_s"] = time.perf_counter() - t
        recorder.collect_initial(monitors)

        t = time.perf_counter()
        best_epoch, best_value = selected(selector)
        if recorder.diverged or best_epoch is None:
            record["status"] = schema.DIVERGED
        else:  # EarlyStopping restored the best epoch's weights
            record["status"] = schema.COMPLETED
            if spec.role != tuning.ROLE:  # a tuning trial never sees test
                result = model.evaluate(
                    splits.x_test,
                    splits.y_test,
                    batch_size=eval_batch,
                    verbose=0,
                    return_dict=True,
                )
                record["test_metric"] = float(result[task.metric])
                record["test_loss"] = float(result["loss"])
            record["best_epoch"] = best_epoch
            record["best_val_metric"] = best_value
        timings["evaluate_s"] = time.perf_counter() - t
    except Exception as error:
        record["status"] = schema.FAILED
        record["error"] = error_info(error)
    if recorder is not None:
        record["history"] = recorder.history
        record["epochs_run"] = len(recorder.history)
        if model is not None:
            record["monitors"] = with_depth(recorder.monitor_rows, model)
    wall = time.perf_counter() - t_start
    record["wall_time_s"] = wall
    record["fit_time_s"] = timings["fit_s"]
    record["overhead_s"] = wall - timings["fit_s"]
    record["timings"] = timings
    return record


def run_trial_dict(spec_dict):
    """``run_trial`` for a ``TrialSpec.to_dict()`` (for worker processes)."""
    from reluplug.bench.suite.config import TrialSpec

    return run_trial(TrialSpec.from_dict(spec_dict))
