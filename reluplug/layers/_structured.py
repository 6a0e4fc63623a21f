"""Argument checks and shapes shared by the structured linear layers."""

import numpy as np

from reluplug._validation import is_integer


def check_units(owner, units, *, optional=False):
    """``units`` must be an int >= 1 (or ``None`` when ``optional``)."""
    if units is None and optional:
        return None
    if not is_integer(units) or units < 1:
        allowed = "an int >= 1 or None" if optional else "an int >= 1"
        raise ValueError(
            f"{owner}: argument `units` must be {allowed}. "
            f"Received: units={units!r}"
        )
    return int(units)


def check_seed(owner, seed):
    """An int seed; ``None`` draws one now, so the layer's fixed random
    structure (signs, permutations) is recorded in its config and a saved
    model reloads with the same structure."""
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if not is_integer(seed) or seed < 0:
        raise ValueError(
            f"{owner}: argument `seed` must be an int >= 0 or None. "
            f"Received: seed={seed!r}"
        )
    return int(seed)


def input_dim(owner, input_shape):
    """The known size of the last axis (the features)."""
    if len(input_shape) < 2 or input_shape[-1] is None:
        raise ValueError(
            f"{owner}: the input must have rank >= 2 and a known last "
            f"(feature) dimension. Received: input_shape={tuple(input_shape)}"
        )
    return int(input_shape[-1])
