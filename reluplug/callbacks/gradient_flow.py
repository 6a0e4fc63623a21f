"""GradientFlowMonitor: per-layer gradient norms on a fixed probe batch."""

import math

import keras
import numpy as np

from reluplug.callbacks import _checks
from reluplug.callbacks import _data
from reluplug.callbacks import _gradients
from reluplug.callbacks import _sites
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

    Attributes:
        history: dict key -> list of floats, one entry per measurement.
        epochs: list of the epochs of those measurements (0 = start).
        initial: dict of the values measured when training started.
    """

    def __init__(
        self, probe_batch, *, layers=None, max_samples=256, every_n_epochs=1
    ):
        super().__init__()
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
        self._reset_records()

    def on_train_begin(self, logs=None):
        model = self.model
        self._reset_records()
        if self._grad_fn is None or self._built_for is not model:
            self._build(model)
        self._record(0, self.measure())

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last:
            return
        self.model  # noqa: B018 -- On JAX, reading it syncs the state.
        values = self.measure()
        if logs is not None:
            logs.update(values)
        self._record(epoch + 1, values)

    def measure(self):
        """Computes the gradient norms now; returns the values for `logs`."""
        if self._grad_fn is None:
            raise ValueError(
                f"{_OWNER}.measure() needs a model: call it after "
                "`model.fit(..., callbacks=[monitor])` has started."
            )
        grads = self._grad_fn(*self._batch)
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

    def _build(self, model):
        x, y, _ = self._batch
        _data.check_against_model(x, model, _OWNER)
        if getattr(model, "loss", None) is None:
            raise ValueError(
                f"{_OWNER}: the model has no loss; call `model.compile(loss="
                "...)` before `fit`."
            )
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
        self._names = _sites.unique_names(kept)
        kernels = [layer.kernel for layer, _ in kept]
        self._grad_fn = _gradients.make_gradient_fn(model, kernels)
        self._built_for = model
