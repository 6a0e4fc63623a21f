"""Warnings attributed to the user's line (their `model.fit(...)` call).

A callback runs deep inside Keras' training loop; ``warnings.warn`` with a
fixed ``stacklevel`` would name a Keras or reluplug file. Python 3.12's
``skip_file_prefixes`` does this, but 3.11 lacks it, so the level is found
by walking the stack to the first frame outside the packages below.
"""

import os
import sys
import warnings

_PACKAGES = ("keras", "reluplug", "tensorflow", "jax", "jaxlib", "torch")


def _prefixes():
    prefixes = []
    for name in _PACKAGES:
        module = sys.modules.get(name)  # only the ones already imported
        path = getattr(module, "__file__", None)
        if path:
            prefixes.append(os.path.dirname(os.path.abspath(path)) + os.sep)
    return tuple(prefixes)


def user_stacklevel():
    """The ``stacklevel`` for a ``warnings.warn`` made by this function's
    caller that names the first frame outside keras, reluplug and the
    backends (2, the caller's caller, if every frame is inside)."""
    prefixes = _prefixes()
    frame = sys._getframe(1)  # the caller, who calls warnings.warn
    level = 1
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(prefixes):
            return level
        frame = frame.f_back
        level += 1
    return 2


def warn(message, category=UserWarning):
    """``warnings.warn(message)`` attributed to the user's code."""
    warnings.warn(message, category, stacklevel=user_stacklevel())
