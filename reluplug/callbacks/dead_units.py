"""DeadUnitMonitor: counts dead ReLU units during `model.fit`."""

import math

import keras
import numpy as np

from reluplug.callbacks import _checks
from reluplug.callbacks import _data
from reluplug.callbacks import _gradients
from reluplug.callbacks import _sites
from reluplug.callbacks import _warn
from reluplug.callbacks._probe import Probe
from reluplug.callbacks._probe import Site
from reluplug.callbacks._records import Records

_OWNER = "DeadUnitMonitor"
_METRIC = {
    _sites.DEAD: "dead_fraction",
    _sites.INACTIVE: "inactive_fraction",
    _sites.SATURATING: "saturated_fraction",
}
_REVIVABLE = (
    keras.layers.Dense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)


class DeadUnitMonitor(Records, keras.callbacks.Callback):
    """Reports dead and inactive units of ReLU-family activations.

    Add it to `fit(callbacks=[...])` with a fixed probe set; it finds every
    activation site by itself and publishes plain floats into `logs`, so
    `History`, `CSVLogger` and `TensorBoard` record them (list this monitor
    *before* those callbacks, since Keras runs callbacks in order).

    Semantics:
        The probe (at most `max_samples` samples) is run in inference mode
        (dropout off, batch-norm moving statistics). A *unit* is a channel
        (`granularity="channel"`: the last axis, or axis 1 for layers with
        `data_format="channels_first"`; for Dense layers a channel is a
        neuron) or a single output position (`granularity="unit"`). A unit
        is *dead* when its output is `<= threshold` for every probe sample
        (and, for channels, every position).

        * Sites whose negative side has zero gradient (ReLU, ReLU6,
          thresholded or capped ReLU, `activation="relu"` fused into
          Dense/Conv layers) report `dead_fraction/<layer>`: such a unit gets
          no gradient from the probe and cannot recover.
        * Sites that still pass gradient on the negative side (Leaky,
          Parametric and Randomized ReLU, ELU, CELU, SELU, PELU, SReLU,
          Swish/SiLU, GELU, Mish, and Keras' `ReLU(negative_slope>0)`)
          report the same test as `inactive_fraction/<layer>`: they are
          idle, not dead.
        * With `saturation_eps`, sigmoid/tanh/hard-sigmoid/hard-tanh sites
          report `saturated_fraction/<layer>`: the share of units whose
          derivative is `< saturation_eps` for every probe sample.
        * Totals `dead_fraction`, `inactive_fraction` (and
          `saturated_fraction`) are over all sites of that kind, weighted by
          unit count (number of flagged units / number of units).

        The monitor measures once when training starts (recorded as epoch 0;
        `logs` do not exist yet there, so it is only in `history`/`initial`)
        and after every `every_n_epochs`-th epoch and the last one (recorded
        as epoch `e + 1` after Keras' 0-based epoch `e`). Per-batch hooks are
        not used. All reductions run inside one compiled probe function; only
        one value per unit reaches the host.

        A *diverged* model (a site's or the model's output on the probe is
        NaN or inf) has no meaningful dead units: every fraction is then
        `nan` and no unit is flagged.

    Actions, after a measurement at epoch end (dead sites only):

    * `warn_above`: a `UserWarning` naming every layer whose dead fraction
      is above it, with the fractions; or, once per `fit`, a "training
      diverged" `UserWarning` instead when the loss or the probe's outputs
      are not finite (the cause then is divergence, not dead units).
      Warnings name the line of the caller's `fit(...)`.
    * `stop_above`: sets `model.stop_training` when a layer's dead fraction
      is above it, or when training diverged.
    * `revive=True`: re-draws the incoming kernel slices and bias entries of
      each dead unit with the producing layer's own `kernel_initializer` and
      `bias_initializer`, and logs `revived/<layer>` (number of units). The
      producer is the site itself (fused activation) or the Dense/Conv1D/2D/3D
      layer whose output is the activation layer's input; sites fed by
      anything else (e.g. BatchNormalization) are not revived. Optimizer
      slots (momentum) of the revived weights are left as they are.

    Example:

    ```python
    monitor = reluplug.callbacks.DeadUnitMonitor(x_val[:1024])
    history = model.fit(x, y, epochs=10, callbacks=[monitor])
    history.history["dead_fraction"]     # after each epoch
    monitor.initial["dead_fraction"]     # at initialisation
    monitor.to_frame()                   # pandas, one row per measurement
    ```

    Args:
        probe: the inputs to examine: a NumPy array (a list/dict of arrays
            for several inputs), a tuple `(x, y)` or `(x, y, sample_weight)`
            (targets are ignored), a `tf.data.Dataset` or a
            `keras.utils.PyDataset` yielding such batches. Read once, here.
        layers: optional list of layers (objects or names) to monitor instead
            of the automatically found sites. Required for subclassed models.
        threshold: float; a unit is dead/inactive when its output is
            `<= threshold` for all samples. Defaults to `0.0`.
        granularity: `"channel"` or `"unit"`. Defaults to `"channel"`.
        max_samples: int >= 1; use at most this many probe samples.
            Defaults to `1024`.
        batch_size: int >= 1; samples per compiled probe call (lower it to
            bound memory for large inputs). Defaults to `1024`, so that the
            default probe runs as one call.
        every_n_epochs: int >= 1; measure after every n-th epoch (and the
            last). Defaults to `1`.
        saturation_eps: float > 0 or `None`; when set, also report saturated
            sigmoid-like sites. Defaults to `None`.
        warn_above: float in [0, 1] or `None`. Defaults to `None`.
        stop_above: float in [0, 1] or `None`. Defaults to `None`.
        revive: bool. Defaults to `False`.
        on_no_sites: `"raise"` (a `ValueError` at train begin when the model
            has no activation site the monitor knows) or `"skip"` (then the
            monitor measures and logs nothing; e.g. for a benchmark over
            custom activations). Defaults to `"raise"`.

    Attributes:
        history: dict key -> list of floats, one entry per measurement.
        epochs: list of the epochs of those measurements (0 = start).
        initial: dict of the values measured when training started.
        unit_masks: dict layer name -> bool array, the flagged (dead,
            inactive or saturated) units of the latest measurement.
        not_finite: names of the sites (and `"<model output>"`) whose
            output on the probe had NaN or inf at the latest measurement.
        probe_model: the compiled probe, a `keras.Model` sharing the
            monitored model's variables: `probe_model(x)` is one row of
            per-unit maxima of every site, then one not-finite flag per
            site and one for the model's output (set by `prepare`; `None`
            when the model has no site and `on_no_sites="skip"`).

    Measuring many models at once (the benchmark's population engine):
    `prepare(model)` finds the sites and builds `probe_model`,
    `probe_batches` reads a probe into the batches `measure()` feeds it,
    and `values_from_outputs` turns its outputs on those batches (e.g.
    from `probe_model.stateless_call` with another model's weights) into
    the values `measure()` returns.
    """

    def __init__(
        self,
        probe,
        *,
        layers=None,
        threshold=0.0,
        granularity="channel",
        max_samples=1024,
        batch_size=1024,
        every_n_epochs=1,
        saturation_eps=None,
        warn_above=None,
        stop_above=None,
        revive=False,
        on_no_sites="raise",
    ):
        super().__init__()
        self.threshold = _checks.check_number(_OWNER, "threshold", threshold)
        self.granularity = _checks.check_choice(
            "granularity", granularity, ["channel", "unit"]
        )
        self.max_samples = _checks.check_int(_OWNER, "max_samples", max_samples)
        self.batch_size = _checks.check_int(_OWNER, "batch_size", batch_size)
        self.every_n_epochs = _checks.check_int(
            _OWNER, "every_n_epochs", every_n_epochs
        )
        self.saturation_eps = _checks.check_optional(
            _OWNER, "saturation_eps", saturation_eps, low=0, low_open=True
        )
        self.warn_above = _checks.check_optional(
            _OWNER, "warn_above", warn_above, low=0, high=1
        )
        self.stop_above = _checks.check_optional(
            _OWNER, "stop_above", stop_above, low=0, high=1
        )
        self.revive = _checks.check_bool(_OWNER, "revive", revive)
        self.on_no_sites = _checks.check_choice(
            "on_no_sites", on_no_sites, ["raise", "skip"]
        )
        self.layers = _checks.check_layers(_OWNER, layers)
        self._x = _data.load_probe(probe, _OWNER, max_samples=max_samples)[0]
        self._probe = None
        self._forward = None
        self._batches = None
        self._sites = []
        self._producers = {}
        self.unit_masks = {}
        self.not_finite = []
        self._warned_divergence = False
        self._reset_records()

    # Keras hooks -----------------------------------------------------------

    def on_train_begin(self, logs=None):
        model = self.model
        self._reset_records()
        if self._probe is None or self._probe.target is not model:
            self.prepare(model)
        if self._probe is None:  # No sites and on_no_sites="skip".
            return
        try:
            values = self.measure()
        except ValueError:
            raise
        except Exception as error:  # The probe does not fit the model.
            raise ValueError(
                f"{_OWNER}: running the model on the probe failed before "
                f"training started; check the probe's shape and dtype "
                f"(samples of shape {self._sample_shapes()}). "
                f"{type(error).__name__}: {error}"
            ) from error
        self._record(0, values)
        self._warned_divergence = False
        self._warn(values, epoch=0, logs=None)

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last:
            return
        if self._probe is None:  # No sites and on_no_sites="skip".
            return
        model = self.model  # On JAX this syncs the training state.
        values = self.measure()
        diverged = self._diverged(logs)
        self._warn(values, epoch=epoch + 1, logs=logs)
        if self.stop_above is not None and (
            diverged or self._worst(values, self.stop_above)
        ):
            model.stop_training = True
        if self.revive:
            values.update(self._revive())
        if logs is not None:
            logs.update(values)
        self._record(epoch + 1, values)

    # Measuring ------------------------------------------------------------

    def measure(self):
        """Runs the probe now and returns the values published into `logs`.

        Also updates `unit_masks`. Available once training has started.
        """
        if self._probe is None:
            raise ValueError(
                f"{_OWNER}.measure() needs a model: call it after "
                "`model.fit(..., callbacks=[monitor])` has started."
            )
        if self._batches is None:  # Backend tensors, converted once.
            self._batches = [
                keras.tree.map_structure(keras.ops.convert_to_tensor, batch)
                for batch in self._split(self._x)
            ]
        outputs = []
        for batch in self._batches:
            if self._forward is not None:
                outputs.append(self._forward(batch))
            else:  # A backend without a compiled path in _gradients.
                outputs.append(self._probe.predict_on_batch(batch))
        return self.values_from_outputs(outputs)

    @property
    def probe_model(self):
        """The compiled probe (see the class docstring), or `None`."""
        return self._probe

    def probe_batches(self, probe):
        """The batches of NumPy inputs `measure()` would feed `probe_model`
        for `probe` (read as the constructor reads it: at most
        `max_samples` samples, in batches of `batch_size` of one shape)."""
        x = _data.load_probe(probe, _OWNER, max_samples=self.max_samples)[0]
        return self._split(x)

    def _split(self, x):
        count = len(keras.tree.flatten(x)[0])
        return [
            keras.tree.map_structure(lambda a, i=index: a[i], x)
            for index in _data.batch_indices(count, self.batch_size)
        ]

    def values_from_outputs(self, outputs):
        """The values `measure()` publishes, from the outputs of
        `probe_model` on the probe's batches (one `(1, n)` array per batch,
        in `probe_batches` order). Updates `unit_masks` and `not_finite`
        as `measure()` does. Needs the unit counts of the sites, which the
        first call of `probe_model` (or `measure()`) sets."""
        if any(site.units is None for site in self._sites):
            raise ValueError(
                f"{_OWNER}.values_from_outputs() needs the sites' unit "
                "counts: run `probe_model` (or `measure()`) once first."
            )
        maxima = None
        for out in outputs:
            out = np.asarray(out, dtype=np.float64)[0]
            maxima = out if maxima is None else np.maximum(maxima, out)
        values, totals, offset = {}, {}, 0
        flags = maxima[sum(site.units for site in self._sites) :] > 0
        self.not_finite = [s.name for s, f in zip(self._sites, flags) if f]
        if flags[-1]:
            self.not_finite.append("<model output>")
        for site in self._sites:
            unit_max = maxima[offset : offset + site.units]
            offset += site.units
            if self.not_finite:  # Diverged: nothing is known to be dead.
                self.unit_masks[site.name] = np.zeros(site.units, bool)
                values[f"{_METRIC[site.kind]}/{site.name}"] = math.nan
                totals[_METRIC[site.kind]] = (math.nan, 1)
                continue
            if site.kind == _sites.SATURATING:
                flagged = unit_max < self.saturation_eps
            else:
                flagged = unit_max <= self.threshold
            self.unit_masks[site.name] = flagged
            metric = _METRIC[site.kind]
            values[f"{metric}/{site.name}"] = float(flagged.sum() / site.units)
            count, units = totals.get(metric, (0, 0))
            totals[metric] = (count + int(flagged.sum()), units + site.units)
        for metric, (count, units) in totals.items():
            values[metric] = float(count / units)
        return values

    def _sample_shapes(self):
        arrays = keras.tree.flatten(self._x)
        shapes = [tuple(a.shape[1:]) for a in arrays]
        return shapes[0] if len(shapes) == 1 else shapes

    # Building -------------------------------------------------------------

    def prepare(self, model):
        """Finds the activation sites of `model` and builds `probe_model`
        (done by `on_train_begin`; call it to measure a model outside
        `fit`).

        Raises:
            ValueError: the probe does not fit the model, or the model has
                no site (unless `on_no_sites="skip"`).
        """
        _data.check_against_model(self._x, model, _OWNER)
        found = _sites.candidates(model, self.layers, _OWNER)
        names = _sites.unique_names(found)
        self._sites = []
        for (layer, _), name in zip(found, names):
            kind = _sites.layer_kind(layer)
            if kind is None and self.layers is not None:
                raise ValueError(
                    f"{_OWNER}: layer {layer.name!r} ({type(layer).__name__}) "
                    "in `layers` applies no activation the monitor knows. "
                    f"It knows {_sites.KNOWN}."
                )
            if kind is None or (
                kind == _sites.SATURATING and self.saturation_eps is None
            ):
                continue
            transform = None
            if kind == _sites.SATURATING:
                transform = _sites.saturation_derivative(layer)
            self._sites.append(
                Site(layer, name, kind, _sites.channel_axis(layer), transform)
            )
        if not self._sites and self.on_no_sites == "skip":
            self._probe = None
            return
        if not self._sites:
            raise ValueError(
                f"{_OWNER}: found no activation sites to monitor in model "
                f"{model.name!r}. It knows {_sites.KNOWN} (sigmoid-like "
                "ones only with `saturation_eps=`). Pass the "
                "layers to monitor with `layers=[...]`."
            )
        self._producers = self._find_producers(model) if self.revive else {}
        self._probe = Probe(model, self._sites, self.granularity)
        self._probe.jit_compile = keras.backend.backend() == "jax"
        self._forward = _gradients.make_forward_fn(self._probe)
        self._batches = None

    def _find_producers(self, model):
        try:
            layers = [layer for layer, _ in _sites.walk(model)]
        except ValueError:
            layers = [site.layer for site in self._sites]
        producers = {}
        for site in self._sites:
            if site.kind != _sites.DEAD:
                continue
            if isinstance(site.layer, _REVIVABLE):
                producers[site.name] = site.layer
                continue
            try:
                source = site.layer.input
            except (AttributeError, ValueError):
                continue
            for layer in layers:
                if not isinstance(layer, _REVIVABLE):
                    continue
                try:
                    if layer.output is source:
                        producers[site.name] = layer
                except (AttributeError, ValueError):
                    continue
        return producers

    # Actions --------------------------------------------------------------

    def _worst(self, values, limit):
        return {
            site.name: values[f"dead_fraction/{site.name}"]
            for site in self._sites
            if site.kind == _sites.DEAD
            and values[f"dead_fraction/{site.name}"] > limit
        }

    def _diverged(self, logs):
        """What is not finite (a list of phrases; empty if nothing)."""
        reasons = []
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            reasons.append(f"the loss is {float(loss)}")
        layers = [n for n in self.not_finite if n != "<model output>"]
        if layers:
            reasons.append(f"the outputs of {layers} are not finite")
        elif self.not_finite:
            reasons.append("the model's output is not finite")
        return reasons

    def _warn(self, values, epoch, logs):
        if self.warn_above is None:
            return
        diverged = self._diverged(logs)
        if diverged:
            if not self._warned_divergence:
                self._warned_divergence = True
                _warn.warn(
                    f"{_OWNER}: training diverged at epoch {epoch}: "
                    f"{' and '.join(diverged)} (NaN or inf). This is not "
                    "dead units: the dead fractions of a diverged model are "
                    "logged as NaN. Lower the learning rate or clip the "
                    "gradients (e.g. `keras.optimizers.SGD(..., "
                    "clipnorm=1.0)`); `keras.callbacks.TerminateOnNaN()` "
                    "stops such a run."
                )
            return
        worst = self._worst(values, self.warn_above)
        if worst:
            listed = ", ".join(f"{k}={v:.3f}" for k, v in worst.items())
            _warn.warn(
                f"{_OWNER}: dead fraction above warn_above={self.warn_above} "
                f"at epoch {epoch}: {listed}"
            )

    def _revive(self):
        revived = {}
        for site in self._sites:
            layer = self._producers.get(site.name)
            if layer is None:
                continue
            dead = self._channel_mask(site, layer)
            count = 0
            if dead is not None and dead.any():
                _reinit(layer.kernel, layer.kernel_initializer, dead)
                if getattr(layer, "bias", None) is not None:
                    _reinit(layer.bias, layer.bias_initializer, dead)
                count = int(dead.sum())
            revived[f"revived/{site.name}"] = float(count)
        return revived

    def _channel_mask(self, site, layer):
        """The site's flagged units as one bool per output channel of layer."""
        mask = self.unit_masks[site.name]
        channels = layer.kernel.shape[-1]
        if mask.size % channels:
            return None
        if _sites.channel_axis(layer) == 1:
            return mask.reshape(channels, -1).all(axis=1)
        return mask.reshape(-1, channels).all(axis=0)


def _reinit(variable, initializer, mask):
    """Re-draws the entries of `variable` whose last index is in `mask`.

    A Keras initializer holds a fixed seed and would repeat the initial
    values, so a seeded copy is drawn with a seed from NumPy's global
    generator (which `keras.utils.set_random_seed` seeds).
    """
    config = getattr(initializer, "get_config", dict)()
    if "seed" in config:
        config["seed"] = int(np.random.randint(0, 2**31 - 1))
        initializer = type(initializer).from_config(config)
    old = keras.ops.convert_to_numpy(variable)
    fresh = initializer(shape=old.shape, dtype=variable.dtype)
    fresh = keras.ops.convert_to_numpy(fresh)
    variable.assign(np.where(mask, fresh, old))
