"""Argument checks shared by layers and callbacks.

Every message names the owner, the argument, what is allowed, and ends with
``Received: name=value`` (or, for choices, seaborn's wording).
"""

import difflib
import math
import numbers

import numpy as np


def is_real(value):
    """Whether ``value`` is a real number: a Python or NumPy int or float.

    ``bool`` (Python or NumPy) is not a number here, and neither are arrays:
    a 0-d array is not a scalar argument.
    """
    return isinstance(value, numbers.Real) and not isinstance(
        value, (bool, np.bool_)
    )


def is_integer(value):
    """Whether ``value`` is a Python or NumPy int (``bool`` excluded)."""
    return isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_)
    )


def shape_fits(shape, expected):
    """Whether ``shape`` matches ``expected``, where ``None`` in ``expected``
    (an unknown size of a symbolic input) matches any size."""
    return len(shape) == len(expected) and all(
        e is None or e == s for e, s in zip(expected, shape)
    )


def did_you_mean(value, choices, *, n=1):
    """The close-match hint of an error message, or ``""``.

    The one "did you mean" helper of the package: ``"; did you mean
    'epochs'?"`` for the choice closest to ``value`` (``difflib``, case
    ignored), ``"; did you mean 'prelu' or 'pelu'?"`` with ``n=2``, and
    ``""`` when no choice is close.

    Args:
        value: what was passed.
        choices: what is allowed (any values; compared as strings).
        n: at most this many suggestions.
    """
    names = {str(c).lower(): str(c) for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(names), n=n)
    if not close:
        return ""
    quoted = [repr(names[c]) for c in close]
    words = quoted[0]
    if len(quoted) > 1:
        words = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return f"; did you mean {words}?"


def check_choice(name, value, choices):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(
            f"The value for `{name}` must be one of {list(choices)}, "
            f"but {value!r} was passed."
        )
    return value


def check_number(
    owner, name, value, *, low=None, high=None, low_open=False, high_open=False
):
    """Raise ``ValueError`` unless ``value`` is a finite real number in range.

    Python and NumPy scalars are accepted (``np.float32(0.7)``); the value is
    returned as a Python ``float``. ``low``/``high`` bound the range
    (``None`` = unbounded); ``*_open`` makes that bound exclusive.
    """
    ok = is_real(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(
            f"{owner}: argument `{name}` must be a finite number in "
            f"{left}{lo}, {hi}{right}. Received: {name}={value!r}"
        )
    return float(value)
