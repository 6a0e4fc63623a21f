"""Finding activation sites in a model and classifying them.

A *site* is a layer whose output is an activation: a standalone activation
layer, or a layer with a fused `activation=` (its output is post-activation).
Each site has a *kind*:

* ``"dead"``: the negative side has zero gradient (ReLU, ReLU6, capped or
  thresholded ReLU). A unit that is never positive cannot recover.
* ``"inactive"``: never positive, but the negative side still passes gradient
  (Leaky, Parametric, Randomized ReLU, ELU, CELU, SELU, PELU, SReLU, Swish,
  GELU, ...). Such a unit is idle, not dead.
* ``"saturating"``: sigmoid-like; the monitor checks the derivative instead.
"""

import keras

DEAD = "dead"
INACTIVE = "inactive"
SATURATING = "saturating"

# The one classification table. CamelCase keys are layer classes (looked up in
# `reluplug.layers` first, then `keras.layers`, and matched with isinstance);
# snake_case keys are activation functions (matched by identity with
# `keras.activations.<name>`, then by `__name__`), used for `Activation`
# layers and fused `activation=` arguments.
KINDS = {
    # Layer classes.
    "ReLU": DEAD,  # Keras' ReLU with negative_slope > 0 is INACTIVE.
    "LeakyReLU": INACTIVE,  # Keras' LeakyReLU with negative_slope == 0: DEAD.
    "PReLU": INACTIVE,
    "RReLU": INACTIVE,
    "ELU": INACTIVE,
    "CELU": INACTIVE,
    "SELU": INACTIVE,
    "PELU": INACTIVE,
    "SReLU": INACTIVE,
    "Swish": INACTIVE,
    # Activation functions.
    "relu": DEAD,
    "relu6": DEAD,
    "leaky_relu": INACTIVE,
    "prelu": INACTIVE,
    "rrelu": INACTIVE,
    "elu": INACTIVE,
    "celu": INACTIVE,
    "selu": INACTIVE,
    "pelu": INACTIVE,
    "srelu": INACTIVE,
    "silu": INACTIVE,
    "swish": INACTIVE,
    "hard_silu": INACTIVE,
    "hard_swish": INACTIVE,
    "gelu": INACTIVE,
    "mish": INACTIVE,
    "sigmoid": SATURATING,
    "hard_sigmoid": SATURATING,
    "tanh": SATURATING,
    "hard_tanh": SATURATING,
}


def _reluplug_layer_classes():
    """Returns {class name: class} for the reluplug layers that exist."""
    try:
        from reluplug import layers as rp_layers
    except ImportError:  # Layers not installed (yet): Keras classes only.
        return {}
    found = {name: getattr(rp_layers, name, None) for name in KINDS}
    return {
        name: cls
        for name, cls in found.items()
        if name[0].isupper() and isinstance(cls, type)
    }


def activation_kind(fn):
    """Returns the kind of an activation function, or None."""
    for name, kind in KINDS.items():
        if name[0].islower() and getattr(keras.activations, name, None) is fn:
            return kind
    return KINDS.get(getattr(fn, "__name__", None)) if callable(fn) else None


def layer_kind(layer):
    """Returns the kind of the activation applied by `layer`, or None."""
    for name, cls in _reluplug_layer_classes().items():
        if isinstance(layer, cls):
            return KINDS[name]
    if isinstance(layer, keras.layers.ReLU):
        return INACTIVE if layer.negative_slope > 0 else DEAD
    if isinstance(layer, keras.layers.LeakyReLU):
        return INACTIVE if layer.negative_slope > 0 else DEAD
    for name in ("PReLU", "ELU"):
        if isinstance(layer, getattr(keras.layers, name)):
            return KINDS[name]
    if isinstance(layer, keras.Model):
        return None
    activation = getattr(layer, "activation", None)
    if isinstance(activation, keras.layers.Layer):
        return layer_kind(activation)
    return activation_kind(activation) if activation is not None else None


def saturation_derivative(layer):
    """Returns f(output) -> derivative for a saturating site's activation."""
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", "")
    ops = keras.ops
    if name == "tanh":
        return lambda y: 1.0 - ops.square(y)
    if name == "hard_sigmoid":
        return lambda y: ops.cast((y > 0) & (y < 1), y.dtype) / 6.0
    if name == "hard_tanh":
        return lambda y: ops.cast(ops.abs(y) < 1, y.dtype)
    return lambda y: y * (1.0 - y)  # sigmoid


def walk(model):
    """Yields (layer, parent path) for all layers, entering nested models.

    Raises:
        ValueError: if `model` or a nested model has no symbolic graph
            (a subclassed model), since its `call` may apply activations the
            monitor cannot see.
    """
    if not _is_graph_model(model):
        raise ValueError(
            f"Cannot find the activation sites of model {model.name!r} "
            f"({type(model).__name__}): it is a subclassed model without a "
            "symbolic graph, so activations applied inside its `call()` are "
            "invisible. Pass the layers to monitor explicitly with "
            "`layers=[...]`, or build the model with the functional API "
            "(`keras.Input(...)` -> `keras.Model(inputs, outputs)`) or as a "
            "`keras.Sequential`."
        )
    for layer in model.layers:
        yield layer, model.name
        if isinstance(layer, keras.Model):
            for sub, parent in walk(layer):
                yield sub, f"{model.name}/{parent}"


def _is_graph_model(model):
    if isinstance(model, keras.Sequential):
        return True
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        return False


def candidates(model, layers, owner):
    """(layer, parent path) pairs to examine: every layer of `model`
    (nested models entered), or the explicit `layers` (objects or names)."""
    if layers is None:
        return list(walk(model))
    return [(resolve(model, v, owner), model.name) for v in layers]


def unique_names(layers_with_parents):
    """Returns a display name per layer: its name, or parent/name if reused."""
    counts = {}
    for layer, _ in layers_with_parents:
        counts[layer.name] = counts.get(layer.name, 0) + 1
    return [
        layer.name if counts[layer.name] == 1 else f"{parent}/{layer.name}"
        for layer, parent in layers_with_parents
    ]


def channel_axis(layer):
    """Returns the channel axis of a site output (1 if channels_first)."""
    return 1 if getattr(layer, "data_format", None) == "channels_first" else -1


def resolve(model, layer, owner):
    """Returns `layer` itself, or the layer of `model` named `layer`."""
    if isinstance(layer, keras.layers.Layer):
        return layer
    try:
        candidates = [candidate for candidate, _ in walk(model)]
    except ValueError:  # Subclassed: only its direct layers.
        candidates = model.layers
    for candidate in candidates:
        if candidate.name == layer:
            return candidate
    raise ValueError(
        f"{owner}: no layer named {layer!r} in model {model.name!r}. Pass "
        "layer objects for layers inside subclassed models."
    )
