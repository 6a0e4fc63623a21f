"""Name -> activation layer: ``get()``, ``available()``, ``register()``.

Registered names are the snake_case of the class names (``LeakyReLU`` ->
``leaky_relu``, ``PReLU`` -> ``prelu``); lookups are case-insensitive. Keras'
built-in activation functions are available under their own names, wrapped
in ``keras.layers.Activation`` so every identifier yields a layer.

The structured linear layers (``WalshHadamard``, ``HadamardDense``,
``CirculantDense``) are registered too, in their own table: ``get()`` builds
them by name (``get("hadamard_dense", units=64)``) and ``linear()`` lists
them, but ``available()`` lists activations only, so nothing that iterates
activations picks up a linear layer.
"""

import importlib
import inspect
import re

import keras

from reluplug import layers as _layers
from reluplug._validation import did_you_mean
from reluplug.layers._contract import NEGATIVE_SIDES


def snake_case(class_name):
    """``LeakyReLU`` -> ``leaky_relu``, ``PReLU`` -> ``prelu``."""
    name = class_name.replace("ReLU", "Relu")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


_LAYER_CLASSES = (
    _layers.LeakyReLU,
    _layers.PReLU,
    _layers.RReLU,
    _layers.ELU,
    _layers.CELU,
    _layers.SELU,
    _layers.PELU,
    _layers.SReLU,
    _layers.Swish,
    _layers.Heaviside,
)
_REGISTRY = {snake_case(cls.__name__): cls for cls in _LAYER_CLASSES}

_LINEAR_CLASSES = (
    _layers.WalshHadamard,
    _layers.HadamardDense,
    _layers.CirculantDense,
)
_LINEAR = {snake_case(cls.__name__): cls for cls in _LINEAR_CLASSES}

# Keras' built-in activation functions that reluplug does not shadow.
_KERAS_BUILTINS = (
    "relu",
    "relu6",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "gelu",
    "silu",
    "softplus",
    "softsign",
    "mish",
    "hard_silu",
    "linear",
    "exponential",
    "log_sigmoid",
)


def _keras_builtins():
    names = []
    for name in _KERAS_BUILTINS:
        try:
            keras.activations.get(name)
        except (ValueError, TypeError):
            continue
        names.append(name)
    return tuple(names)


def available():
    """Sorted names that ``get()`` accepts: reluplug layers + Keras built-ins.

    Example:

    >>> import reluplug
    >>> "prelu" in reluplug.available() and "tanh" in reluplug.available()
    True
    """
    return sorted(set(_REGISTRY) | set(_keras_builtins()))


def linear():
    """Sorted names of the structured linear layers that ``get()`` builds.

    Example:

    >>> import reluplug
    >>> reluplug.registry.linear()
    ['circulant_dense', 'hadamard_dense', 'walsh_hadamard']
    """
    return sorted(_LINEAR)


def register(cls, name=None, *, override=False):
    """Registers a layer class so ``get(name)`` builds it.

    An activation layer should declare what its negative side does, as a
    class attribute ``negative_side = "zero" | "leaky" | "saturating"``
    (`f' = 0` for `x < 0`; a non-zero linear slope; a smooth side that
    flattens out). ``DeadUnitMonitor`` reads it: ``"zero"`` sites report
    ``dead_fraction``, the others ``inactive_fraction``; a layer that
    declares nothing is not monitored.

    Args:
        cls: a subclass of ``keras.layers.Layer``.
        name: optional name; defaults to the snake_case of the class name.
        override: allow replacing an existing registration.

    Returns:
        ``cls``, so this works as a decorator via ``functools.partial``.

    Raises:
        ValueError: ``cls`` is not a layer class, declares a
            ``negative_side`` not in the list above, or ``name`` is taken.
    """
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        raise ValueError(
            "register: argument `cls` must be a subclass of "
            f"keras.layers.Layer. Received: cls={cls!r}"
        )
    side = getattr(cls, "negative_side", None)
    if side is not None and side not in NEGATIVE_SIDES:
        raise ValueError(
            f"register: {cls.__name__}.negative_side must be one of "
            f"{list(NEGATIVE_SIDES)} (or absent). Received: "
            f"negative_side={side!r}"
        )
    key = (name or snake_case(cls.__name__)).lower()
    if key in _REGISTRY and _REGISTRY[key] is not cls and not override:
        raise ValueError(
            f"register: name {key!r} is already registered to "
            f"{_REGISTRY[key].__name__}; pass override=True to replace it."
        )
    _REGISTRY[key] = cls
    return cls


def registered_class(name):
    """The layer class registered under ``name`` (any case), or None."""
    return _REGISTRY.get(str(name).lower())


def _unknown(identifier):
    names = available()
    hint = did_you_mean(identifier, names, n=3) or "."
    return ValueError(
        f"Unknown activation {identifier!r}{hint} Available: {names}, a "
        "{'class_name': ..., 'config': ...} dict, a keras Layer class or "
        "instance, or 'package.module:ClassName'."
    )


def _no_params(identifier, params):
    if params:
        raise ValueError(
            f"Activation {identifier!r} takes no parameters. Received: "
            f"{params!r}"
        )


def _from_path(identifier, params):
    module_name, _, attr = identifier.partition(":")
    try:
        module = importlib.import_module(module_name)
        obj = getattr(module, attr)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"Cannot import activation {identifier!r}: {error}. Expected "
            "'package.module:ClassName' naming a keras Layer class."
        ) from error
    return _from_class(obj, params, identifier)


def _from_class(cls, params, identifier):
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        raise ValueError(
            f"Activation {identifier!r} must be a keras.layers.Layer "
            f"subclass. Received: {cls!r}"
        )
    return cls(**params)


def _from_dict(identifier, params):
    _no_params(identifier, params)
    class_name = identifier.get("class_name")
    config = identifier.get("config", {})
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ValueError(
            "An activation dict needs a string 'class_name' and a dict "
            f"'config'. Received: {identifier!r}"
        )
    short = class_name.split(">")[-1]
    for cls in (*_REGISTRY.values(), *_LINEAR.values()):
        if cls.__name__ == short:
            return cls.from_config(config)
    if class_name.lower() in _REGISTRY:
        return _REGISTRY[class_name.lower()].from_config(config)
    try:
        return keras.layers.deserialize(identifier)
    except (ValueError, TypeError) as error:
        raise _unknown(class_name) from error


def get(identifier, **params):
    """Returns a new activation layer for ``identifier``.

    Args:
        identifier: a registered name (case-insensitive, see
            ``available()``), a Keras built-in activation name, a
            ``{"class_name": ..., "config": ...}`` dict, a
            ``keras.layers.Layer`` class or instance (a fresh copy is
            returned), or ``"package.module:ClassName"``.
        **params: constructor arguments for names, classes and paths.

    Returns:
        A new ``keras.layers.Layer`` on every call.

    Raises:
        ValueError: unknown name (listing close matches and ``available()``),
            parameters for a parameter-free identifier, or a bad object.

    Example:

    >>> import reluplug
    >>> reluplug.get("LeakyReLU", negative_slope=0.1).negative_slope
    0.1
    """
    if isinstance(identifier, keras.layers.Layer):
        _no_params(identifier, params)
        config = identifier.get_config()
        config.pop("name", None)  # a fresh layer gets a fresh unique name
        return identifier.__class__.from_config(config)
    if inspect.isclass(identifier):
        return _from_class(identifier, params, identifier)
    if isinstance(identifier, dict):
        return _from_dict(identifier, params)
    if not isinstance(identifier, str):
        raise ValueError(
            "Activation identifier must be a str, dict, keras Layer class or "
            f"instance. Received: {identifier!r}"
        )
    if ":" in identifier:
        return _from_path(identifier, params)
    key = identifier.lower()
    if key not in _REGISTRY and key not in _keras_builtins():
        key = snake_case(identifier)
    tables = {**_LINEAR, **_REGISTRY}
    if key not in tables:  # a class name in any case: "LEAKYRELU"
        by_class = {cls.__name__.lower(): k for k, cls in tables.items()}
        key = by_class.get(identifier.lower(), key)
    if key in tables:
        return tables[key](**params)
    if key in _keras_builtins():
        _no_params(identifier, params)
        return keras.layers.Activation(key)
    raise _unknown(identifier)
