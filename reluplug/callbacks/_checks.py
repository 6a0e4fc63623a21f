"""Argument checks for the callbacks (messages as in `reluplug._validation`)."""

import keras

from reluplug._validation import check_choice
from reluplug._validation import check_number

__all__ = [
    "check_bool",
    "check_choice",
    "check_int",
    "check_layers",
    "check_number",
    "check_optional",
]


def check_int(owner, name, value, *, low=1):
    """Raise ``ValueError`` unless ``value`` is an int >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"{owner}: argument `{name}` must be an integer >= {low}. "
            f"Received: {name}={value!r}"
        )
    return value


def check_optional(owner, name, value, **bounds):
    """Like `check_number`, but `None` is allowed and returned as is."""
    if value is None:
        return None
    return check_number(owner, name, value, **bounds)


def check_bool(owner, name, value):
    """Raise ``ValueError`` unless ``value`` is True or False."""
    if not isinstance(value, bool):
        raise ValueError(
            f"{owner}: argument `{name}` must be True or False. "
            f"Received: {name}={value!r}"
        )
    return value


def check_layers(owner, layers):
    """``None``, or a non-empty list of layers or layer names (as a list)."""
    if layers is None:
        return None
    if (
        isinstance(layers, (str, keras.layers.Layer))
        or not layers
        or not all(isinstance(v, (str, keras.layers.Layer)) for v in layers)
    ):
        raise ValueError(
            f"{owner}: argument `layers` must be None or a non-empty "
            f"list of layers or layer names. Received: layers={layers!r}"
        )
    return list(layers)
