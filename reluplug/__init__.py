"""reluplug: ReLU-family activation layers for Keras 3, with tools to see them.

Doors:

* ``from reluplug import layers``: drop-in activation layers.
* ``reluplug.callbacks.DeadUnitMonitor``: dead-unit monitor for ``fit``.
* ``reluplug.swap_activations(model, "prelu")``: your model, another
  activation.
* ``reluplug-bench run SUITE.toml``: fair activation benchmarks.
"""

from reluplug import activations
from reluplug import callbacks
from reluplug import constraints
from reluplug import layers
from reluplug.registry import available
from reluplug.registry import get
from reluplug.registry import register
from reluplug.swap import swap_activations

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
