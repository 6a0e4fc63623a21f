"""What a trial records during ``fit``, and how it picks its epoch.

Keras' own callbacks do what they can: ``EarlyStopping`` with
``restore_best_weights=True`` selects the epoch on the validation metric
(and stops after ``patience`` epochs without improvement, when the suite
asks) and restores that epoch's weights at the end of ``fit``;
``TerminateOnNaN`` stops at the first non-finite training-batch loss.
``TrialRecorder`` is hand-written only for what Keras lacks:

* a per-epoch history with each epoch's wall time (``History`` keeps no
  times);
* the monitors' ``<quantity>/<layer>`` values collected in long form,
  with epoch 0 (at initialisation) from the monitors' ``initial`` dicts;
* a ``diverged`` flag when an epoch's training *or validation* loss is not
  finite (``TerminateOnNaN`` sees only training-batch losses and keeps no
  flag).
"""

import math
import time

import keras

from reluplug.bench.suite import schema


def _finite(value):
    return value is not None and math.isfinite(value)


def make_selector(task, training):
    """Keras ``EarlyStopping`` that selects the epoch on validation.

    Without early stopping in the suite, its patience is the number of
    epochs, so it never stops training but still restores the best epoch's
    weights. An epoch is "best" when its validation metric beats the best
    so far by more than ``min_delta`` (Keras' rule; the first best epoch
    wins ties).
    """
    stop = training.early_stopping
    return keras.callbacks.EarlyStopping(
        monitor=f"val_{task.metric}",
        mode=task.metric_mode,
        patience=stop.patience if stop else training.epochs,
        min_delta=stop.min_delta if stop else 0.0,
        restore_best_weights=True,
    )


def selected(selector):
    """``(best_epoch, best_val_metric)`` (1-based epoch) or ``(None, None)``
    when no epoch had a finite validation metric."""
    best = selector.best
    if best is None or not math.isfinite(float(best)):
        return None, None
    return selector.best_epoch + 1, float(best)


def callbacks(task, training, monitors):
    """``(recorder, selector, callback list)`` for ``model.fit``.

    The monitors come first: the recorder reads what they publish into
    ``logs``.
    """
    recorder = TrialRecorder(task.metric)
    selector = make_selector(task, training)
    return (
        recorder,
        selector,
        [*monitors, recorder, selector, keras.callbacks.TerminateOnNaN()],
    )


class TrialRecorder(keras.callbacks.Callback):
    """Records epochs and monitor values; flags divergence.

    Args:
        metric: the task's metric name in ``logs``.
    """

    def __init__(self, metric):
        super().__init__()
        self.metric = metric
        self.history = []
        self.monitor_rows = []
        self.diverged = False
        self._t0 = None

    def _collect(self, epoch, logs):
        for key, value in (logs or {}).items():
            quantity, sep, layer = key.partition("/")
            if sep and quantity in schema.MONITOR_QUANTITIES:
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
            for key, value in monitor.initial.items():
                quantity, sep, layer = key.partition("/")
                if not sep or quantity not in schema.MONITOR_QUANTITIES:
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
        for key in schema.HISTORY_FRACTIONS:
            if key in logs:
                row[key] = get(key)
        self.history.append(row)
        self._collect(e, logs)
        if not (_finite(row["loss"]) and _finite(row["val_loss"])):
            self.diverged = True
            self.model.stop_training = True
