"""A compiled probe that returns one reduced value per unit of each site.

The probe is a `keras.Model` wrapping the monitored model (sharing its
variables, so it always sees the current weights). Its `call` runs the model
in inference mode while each site layer's `call` is briefly wrapped to
capture its output; inside the same compiled function every captured output
is reduced to one value per unit (a max over the batch, and over spatial
positions for channel granularity). Only the concatenated per-unit vector
reaches the host. This works the same for Sequential, functional, nested and
(with explicit layers) subclassed models, and on every backend.
"""

import keras
from keras import ops


class Site:
    """One monitored layer: what to reduce and how."""

    def __init__(self, layer, name, kind, channel_axis=-1, transform=None):
        self.layer = layer
        self.name = name
        self.kind = kind
        self.channel_axis = channel_axis
        self.transform = transform  # f(output) -> value whose max is taken
        self.units = None  # set by the first probe call


class _Capture:
    """Wraps `layer.call` while active, recording every output."""

    def __init__(self, layers):
        self.layers = layers
        self.outputs = {id(layer): [] for layer in layers}

    def __enter__(self):
        for layer in self.layers:
            original = layer.call
            store = self.outputs[id(layer)]

            def wrapped(*args, _original=original, _store=store, **kwargs):
                output = _original(*args, **kwargs)
                _store.append(output)
                return output

            object.__setattr__(layer, "call", wrapped)
        return self

    def __exit__(self, *exc):
        for layer in self.layers:
            object.__delattr__(layer, "call")
        return False


class Probe(keras.Model):
    """Model returning the concatenated per-unit maxima of all sites.

    After the maxima (``site.units`` values per site, in site order) come
    one flag per site and one for the model's output: 1.0 where some value
    was not finite (NaN or inf), else 0.0.
    """

    def __init__(self, target, sites, granularity):
        super().__init__(name="reluplug_probe")
        self.target = target
        self._sites = sites
        self._granularity = granularity
        self.built = True

    def _reduce(self, site, output):
        value = ops.cast(output, "float32")
        if site.transform is not None:
            value = site.transform(value)
        if self._granularity == "channel" and len(value.shape) > 2:
            axis = 1 if site.channel_axis == 1 else len(value.shape) - 1
            value = ops.moveaxis(value, axis, -1)
            value = ops.reshape(value, (-1, value.shape[-1]))
        else:
            units = 1
            for dim in value.shape[1:]:
                units *= dim
            value = ops.reshape(value, (-1, units))
        return ops.max(value, axis=0)

    def call(self, x):
        layers = []
        for site in self._sites:
            if all(site.layer is not other for other in layers):
                layers.append(site.layer)
        with _Capture(layers) as capture:
            output = self.target(x, training=False)
        reduced, flags = [], []
        for site in self._sites:
            outputs = capture.outputs[id(site.layer)]
            if not outputs:
                raise ValueError(
                    f"Layer {site.name!r} was not called when running the "
                    "model on the probe, so it cannot be monitored. Remove "
                    "it from `layers=` or connect it to the model outputs."
                )
            values = [self._reduce(site, output) for output in outputs]
            value = values[0]
            for other in values[1:]:  # A shared layer: max over all calls.
                value = ops.maximum(value, other)
            site.units = int(value.shape[0])
            reduced.append(value)
            flags.append(_not_finite(outputs))
        flags.append(_not_finite(keras.tree.flatten(output)))
        flags = ops.stack(flags)
        return ops.concatenate([*reduced, flags], axis=0)[None, :]


def _not_finite(tensors):
    """1.0 (float32) if any value of `tensors` is NaN or inf, else 0.0."""
    flag = None
    for tensor in tensors:
        finite = ops.isfinite(ops.cast(tensor, "float32"))
        bad = ops.any(ops.logical_not(finite))
        flag = bad if flag is None else ops.logical_or(flag, bad)
    return ops.cast(flag, "float32")
