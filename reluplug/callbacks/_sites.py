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

A layer says its kind itself through its class attribute ``negative_side``
(``"zero"`` -> dead, ``"leaky"`` or ``"saturating"`` -> inactive; see
``reluplug.layers._contract``): every reluplug layer does, and so can a
user's layer, registered with ``reluplug.register`` or not. Keras' own
layers and activation functions declare nothing; they keep the small
tables below.
"""

import typing

import keras

from reluplug import registry
from reluplug.layers._contract import check_negative_side

DEAD = "dead"
INACTIVE = "inactive"
SATURATING = "saturating"

# What a declared `negative_side` means for the monitor.
SIDE_KINDS = {"zero": DEAD, "leaky": INACTIVE, "saturating": INACTIVE}

# Keras' activation functions (matched by identity with
# `keras.activations.<name>`, then by `__name__`), for `Activation` layers
# and fused `activation=` arguments. Keras' activation layers are classified
# in `layer_kind`. reluplug's own functions (`reluplug.activations.elu`...)
# take the `negative_side` of the layer registered under their name.
KINDS = {
    "relu": DEAD,
    "relu6": DEAD,
    "leaky_relu": INACTIVE,
    "elu": INACTIVE,
    "celu": INACTIVE,
    "selu": INACTIVE,
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

KNOWN = (
    f"layers that declare `negative_side` (every reluplug layer), Keras' "
    f"ReLU, LeakyReLU, PReLU and ELU layers, and the activation functions "
    f"{sorted(KINDS)}"
)


def declared_kind(obj):
    """The kind declared by ``obj.negative_side``, or None if it has none.

    Raises:
        ValueError: if ``negative_side`` is not one of the allowed values.
    """
    side = getattr(obj, "negative_side", None)
    if side is None:
        return None
    return SIDE_KINDS[check_negative_side(side)]


def activation_kind(fn):
    """Returns the kind of an activation function, or None."""
    if not callable(fn):
        return None
    for name, kind in KINDS.items():
        if getattr(keras.activations, name, None) is fn:
            return kind
    name = getattr(fn, "__name__", None)
    if getattr(fn, "__module__", None) == "reluplug.activations":
        cls = registry.registered_class(name)
        if cls is not None:
            return declared_kind(cls)
    return KINDS.get(name)


def layer_kind(layer):
    """Returns the kind of the activation applied by `layer`, or None."""
    kind = declared_kind(layer)
    if kind is not None:
        return kind
    if isinstance(layer, (keras.layers.ReLU, keras.layers.LeakyReLU)):
        return INACTIVE if layer.negative_slope > 0 else DEAD
    if isinstance(layer, (keras.layers.PReLU, keras.layers.ELU)):
        return INACTIVE
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


class Located(typing.NamedTuple):
    """A layer of a model, found by `locate`."""

    layer: keras.layers.Layer
    name: str  # as the monitors name it in their keys (`unique_names`)
    path: str  # the user's layer path, e.g. "block/conv2d"


# An activation layer that `reluplug.swap_activations` put in the place of a
# site carries the user path of that site here, so that the monitors' rows
# of the swapped model name the user's layer.
SOURCE = "_reluplug_source"


def locate(model):
    """Every layer of `model`, in data-flow order, with names and paths.

    The order is the order in which the layers run: a nested model's layers
    come where the nested model is called, before the layers that follow it
    (`model.layers` of a functional model is in topological order). The
    *path* of a layer is the names of the nested models that hold it and
    its own name, joined by "/", without the outer model's name
    (`"block/conv2d"`); an activation layer that `swap_activations` put in
    the place of a site has that site's path. The *name* is the one the
    monitors publish (`dead_fraction/<name>`, `grad_norm/<name>`).

    Raises:
        ValueError: as `walk`, for a subclassed model.
    """
    found = list(walk(model))
    names = unique_names(found)
    located = []
    for (layer, parent), name in zip(found, names):
        inner = parent.partition("/")[2]
        path = f"{inner}/{layer.name}" if inner else layer.name
        path = getattr(layer, SOURCE, None) or path
        located.append(Located(layer, name, path))
    return located


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
