"""reluplug: ReLU-family activation layers for Keras 3, with tools to see them.

Doors:

* ``from reluplug import layers``: drop-in activation layers.
* ``reluplug.callbacks.DeadUnitMonitor``: dead-unit monitor for ``fit``.
* ``reluplug.swap_activations(model, "prelu")``: your model, another
  activation.
* ``reluplug-bench run SUITE.toml``: fair activation benchmarks.
"""

from reluplug._backend import import_keras

import_keras()  # A missing backend: an error naming the extra to install.

from reluplug import activations  # noqa: E402
from reluplug import callbacks  # noqa: E402
from reluplug import constraints  # noqa: E402
from reluplug import layers  # noqa: E402
from reluplug.registry import available  # noqa: E402
from reluplug.registry import get  # noqa: E402
from reluplug.registry import register  # noqa: E402
from reluplug.swap import swap_activations  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "activations",
    "available",
    "callbacks",
    "constraints",
    "get",
    "layers",
    "register",
    "swap_activations",
]
