"""GradientFlowMonitor: per-layer gradient norms on a fixed probe batch."""

import math

import keras
import numpy as np

from reluplug.callbacks import _checks
from reluplug.callbacks import _data
from reluplug.callbacks import _gradients
from reluplug.callbacks import _sites
from reluplug.callbacks import _warn
from reluplug.callbacks._records import Records

_OWNER = "GradientFlowMonitor"


class GradientFlowMonitor(Records, keras.callbacks.Callback):
    """Reports the loss gradient norm of each layer's kernel during `fit`.

    A vanishing gradient shows as early layers receiving gradients orders of
    magnitude smaller than late ones (a deep sigmoid net); this callback
    makes that visible per layer, next to the loss in `History`.

    Semantics:
        On a fixed probe batch `(x, y)` (at most `max_samples` samples, used
        as one batch), the loss is `model.compute_loss` (the compiled loss
        plus regularization losses) with the model in inference mode
        (`training=False`: no dropout, batch-norm moving statistics), at the
        current weights. For each layer that has a trainable `kernel`
        (Dense, Conv*, ..., in nested models too, in graph order) it logs
        `grad_norm/<layer>`: the L2 norm of d loss / d kernel. It also logs
        `grad_norm_ratio`: the first layer's norm divided by the last one's
        (`inf` when the last norm is 0; `nan` when both are).

        It measures once when training starts (epoch 0, kept in `history`
        and `initial` only, since there are no `logs` yet) and after every
        `every_n_epochs`-th epoch and the last one (recorded as epoch
        `e + 1` after Keras' 0-based epoch `e`), publishing plain floats
        into `logs`. Works on the TensorFlow and JAX backends (PyTorch
        code exists but is untested).

    Actions, after a measurement:

    * `warn_below`: a `UserWarning` naming every layer whose gradient norm
      is at or below it (vanishing gradients), with the norms; when every
      norm is exactly 0 it says that training has stalled. Once per `fit`,
      a "training diverged" `UserWarning` instead when the loss or a
      gradient norm is not finite (NaN or inf). Warnings name the line of
      the caller's `fit(...)`.
    * `stop_below`: sets `model.stop_training` at the end of an epoch when
      a layer's gradient norm is at or below it, or when training diverged.

    Example:

    ```python
    monitor = reluplug.callbacks.GradientFlowMonitor((x_val[:256], y_val[:256]))
    model.fit(x, y, epochs=5, callbacks=[monitor])
    monitor.initial["grad_norm_ratio"]   # at initialisation
    ```

    Args:
        probe_batch: `(x, y)` or `(x, y, sample_weight)` NumPy arrays, or a
            `tf.data.Dataset` / `keras.utils.PyDataset` yielding such
            batches (read once, here).
        layers: optional list of layers (objects or names) with a `kernel`,
            in the order first -> last. Defaults to every such layer.
        max_samples: int >= 1; use at most this many samples.
            Defaults to `256`.
        every_n_epochs: int >= 1. Defaults to `1`.
        warn_below: float >= 0 or `None`. Defaults to `None`.
        stop_below: float >= 0 or `None`. Defaults to `None`.

    Attributes:
        history: dict key -> list of floats, one entry per measurement.
        epochs: list of the epochs of those measurements (0 = start).
        initial: dict of the values measured when training started.
        kernels: the monitored kernel variables, first -> last (set by
            `prepare`).

    Measuring many models at once (the benchmark's population engine):
    `prepare(model)` finds the layers, `probe_batch` reads a probe batch
    as the constructor does, `loss_fn()` is the loss as a pure function of
    the variables' values (differentiate it with respect to the monitored
    `kernels`), and `values_from_gradients` turns their gradients into the
    values `measure()` returns.
    """

    def __init__(
        self,
        probe_batch,
        *,
        layers=None,
        max_samples=256,
        every_n_epochs=1,
        warn_below=None,
        stop_below=None,
    ):
        super().__init__()
        self.warn_below = _checks.check_optional(
            _OWNER, "warn_below", warn_below, low=0
        )
        self.stop_below = _checks.check_optional(
            _OWNER, "stop_below", stop_below, low=0
        )
        self.max_samples = _checks.check_int(_OWNER, "max_samples", max_samples)
        self.every_n_epochs = _checks.check_int(
            _OWNER, "every_n_epochs", every_n_epochs
        )
        self.layers = _checks.check_layers(_OWNER, layers)
        self._batch = _data.load_probe(
            probe_batch, _OWNER, max_samples=max_samples, need_y=True
        )
        self._grad_fn = None
        self._built_for = None
        self._names = []
        self.kernels = []
        self._warned_divergence = False
        self._reset_records()

    def on_train_begin(self, logs=None):
        model = self.model
        self._reset_records()
        self._warned_divergence = False
        if self._grad_fn is None or self._built_for is not model:
            self.prepare(model)
        try:
            values = self.measure()
        except Exception as error:  # The probe does not fit model or loss.
            raise ValueError(
                f"{_OWNER}: computing the loss gradient on the probe batch "
                f"failed before training started: {self._shapes(model)}; "
                "check that they fit each other. "
                f"{type(error).__name__}: {error}"
            ) from error
        self._record(0, values)
        self._act(values, 0, None)

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last:
            return
        model = self.model  # On JAX, reading it syncs the state.
        values = self.measure()
        if self._act(values, epoch + 1, logs) and self.stop_below is not None:
            model.stop_training = True
        if logs is not None:
            logs.update(values)
        self._record(epoch + 1, values)

    def _act(self, values, epoch, logs):
        """Warns as asked; True if training should stop (`stop_below`)."""
        norms = {n: values[f"grad_norm/{n}"] for n in self._names}
        loss = (logs or {}).get("loss")
        what = []
        if loss is not None and not math.isfinite(float(loss)):
            what.append(f"the loss is {float(loss)}")
        bad = [n for n, v in norms.items() if not math.isfinite(v)]
        if what or bad:
            if self.warn_below is not None and not self._warned_divergence:
                self._warned_divergence = True
                if bad:
                    what.append(f"the gradient norms of {bad} are not finite")
                _warn.warn(
                    f"{_OWNER}: training diverged at epoch {epoch}: "
                    f"{' and '.join(what)} (NaN or inf). Lower the learning "
                    "rate or clip the gradients (e.g. `keras.optimizers."
                    "SGD(..., clipnorm=1.0)`); `keras.callbacks."
                    "TerminateOnNaN()` stops such a run."
                )
            return True
        if self.warn_below is not None:
            self._warn_small(norms, epoch)
        return self.stop_below is not None and any(
            v <= self.stop_below for v in norms.values()
        )

    def _warn_small(self, norms, epoch):
        small = {n: v for n, v in norms.items() if v <= self.warn_below}
        if not small:
            return
        listed = ", ".join(f"{n}={v:.3g}" for n, v in small.items())
        if all(v == 0 for v in norms.values()):
            cause = (
                " Every gradient is exactly 0: training has stalled (no "
                "gradient reaches any kernel, e.g. every unit of a ReLU "
                "layer is dead or the output saturated). Lower the learning "
                "rate, or use an activation whose negative side passes "
                "gradient (leaky_relu, elu)."
            )
        else:
            cause = (
                " Vanishing gradients: these layers barely learn (compare "
                "`grad_norm_ratio`)."
            )
        _warn.warn(
            f"{_OWNER}: gradient norm at or below warn_below="
            f"{self.warn_below} at epoch {epoch}: {listed}.{cause}"
        )

    def _shapes(self, model):
        x, y, _ = self._batch
        try:
            out = [tuple(t.shape) for t in model.outputs]
            out = out[0] if len(out) == 1 else out
        except (AttributeError, ValueError):
            out = "unknown"
        y_shapes = [a.shape for a in keras.tree.flatten(y)]
        y_shapes = y_shapes[0] if len(y_shapes) == 1 else y_shapes
        return (
            f"the probe's y has shape {y_shapes}, the model's output has "
            f"shape {out}, and the loss is {_loss_name(model.loss)!r}"
        )

    def measure(self):
        """Computes the gradient norms now; returns the values for `logs`."""
        if self._grad_fn is None:
            raise ValueError(
                f"{_OWNER}.measure() needs a model: call it after "
                "`model.fit(..., callbacks=[monitor])` has started."
            )
        return self.values_from_gradients(self._grad_fn(*self._batch))

    def values_from_gradients(self, grads):
        """The values `measure()` publishes, from the loss gradients with
        respect to `kernels` (arrays, in that order)."""
        norms = [
            float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
            for g in grads
        ]
        values = {f"grad_norm/{n}": v for n, v in zip(self._names, norms)}
        first, last = norms[0], norms[-1]
        if last == 0:
            ratio = math.nan if first == 0 else math.inf
        else:
            ratio = first / last
        values["grad_norm_ratio"] = ratio
        return values

    def probe_batch(self, probe_batch):
        """`(x, y, sample_weight)` NumPy arrays of a probe batch, read as
        the constructor reads `probe_batch` (at most `max_samples`)."""
        return _data.load_probe(
            probe_batch, _OWNER, max_samples=self.max_samples, need_y=True
        )

    def loss_fn(self):
        """The loss whose gradients `measure()` takes, as a pure function.

        Returns `fn(trainable, non_trainable, metrics, x, y, sample_weight)
        -> scalar`: `model.compute_loss` in inference mode, from the values
        of the prepared model's `trainable_variables`,
        `non_trainable_variables` and `metrics_variables` (lists, in that
        order). On JAX, `measure()` differentiates this very function.
        """
        if self._built_for is None:
            raise ValueError(
                f"{_OWNER}.loss_fn() needs a model: call `prepare(model)` "
                "first."
            )
        return _gradients.stateless_loss(self._built_for)

    def prepare(self, model):
        """Finds the layers of `model` to monitor and builds the gradient
        function (done by `on_train_begin`; call it to measure a model
        outside `fit`).

        Raises:
            ValueError: the probe batch does not fit the model, the model
                has no loss or no layer with a trainable `kernel`.
        """
        x, y, _ = self._batch
        _data.check_against_model(x, model, _OWNER)
        if getattr(model, "loss", None) is None:
            raise ValueError(
                f"{_OWNER}: the model has no loss; call `model.compile(loss="
                "...)` before `fit`."
            )
        _check_sparse_labels(model, y)
        found = _sites.candidates(model, self.layers, _OWNER)
        trainable = {id(v) for v in model.trainable_variables}
        kept = [
            (layer, parent)
            for layer, parent in found
            if id(getattr(layer, "kernel", None)) in trainable
        ]
        if self.layers is not None and len(kept) != len(found):
            missing = [
                layer.name
                for layer, _ in found
                if id(getattr(layer, "kernel", None)) not in trainable
            ]
            raise ValueError(
                f"{_OWNER}: layers {missing} in `layers` have no trainable "
                "`kernel`."
            )
        if not kept:
            raise ValueError(
                f"{_OWNER}: model {model.name!r} has no layer with a "
                "trainable `kernel`; pass `layers=[...]`."
            )
        if self.layers is None:  # named as in `_sites.locate(model)`
            every = _sites.unique_names(found)
            names = {id(layer): n for (layer, _), n in zip(found, every)}
            self._names = [names[id(layer)] for layer, _ in kept]
        else:
            self._names = _sites.unique_names(kept)
        self.kernels = [layer.kernel for layer, _ in kept]
        self._grad_fn = _gradients.make_gradient_fn(model, self.kernels)
        self._built_for = model


def _loss_name(loss):
    """The name of a compiled loss (a string, function or `Loss`)."""
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return name or type(loss).__name__


def _check_sparse_labels(model, y):
    """Raises a clear ValueError for one-hot `y` with a sparse loss."""
    name = _loss_name(model.loss)
    if not isinstance(name, str) or "sparse" not in name.lower():
        return
    try:
        (output,) = model.outputs
    except (AttributeError, ValueError, TypeError):
        return
    arrays = keras.tree.flatten(y)
    if len(arrays) != 1:
        return
    shape, out = np.shape(arrays[0]), tuple(output.shape)
    if len(shape) == len(out) and len(shape) >= 2 and shape[-1] > 1:
        raise ValueError(
            f"{_OWNER}: the probe's y has shape {shape}, one row of "
            f"{shape[-1]} values per sample (one-hot labels?), but the loss "
            f"{name!r} takes one integer class index per sample (y of shape "
            f"{shape[:-1]}). Pass `y.argmax(axis=-1)` as the probe's y, or "
            "compile the model with a non-sparse loss "
            "(`loss='categorical_crossentropy'`)."
        )
