"""reluplug: ReLU-family activation layers for Keras 3, with tools to see them.

Doors:

* ``from reluplug import layers``: drop-in activation layers.
* ``reluplug.callbacks.DeadUnitMonitor``: dead-unit monitor for ``fit``.
* ``reluplug.swap_activations(model, "prelu")``: your model, another
  activation.
* ``reluplug-bench run SUITE.toml``: fair activation benchmarks.

The names below load on first use (PEP 562), so ``reluplug.bench.report``
and ``reluplug.bench.store`` import without Keras. The layers are
registered with Keras' serialization as soon as Keras is imported (at
once if it already is, otherwise right after ``import keras`` finishes),
so ``keras.models.load_model`` finds them after a plain ``import
reluplug`` in either order. The first name that needs
Keras imports it through ``_backend.import_keras``: a missing backend is
an ``ImportError`` naming the extra to install.
"""

import importlib
import importlib.abc
import importlib.util
import sys

from reluplug._backend import import_keras

__version__ = "0.1.0"

# Public name -> (module, attribute or None for the module itself).
_LAZY = {
    "activations": ("reluplug.activations", None),
    "available": ("reluplug.registry", "available"),
    "bench": ("reluplug.bench", None),
    "callbacks": ("reluplug.callbacks", None),
    "constraints": ("reluplug.constraints", None),
    "get": ("reluplug.registry", "get"),
    "layers": ("reluplug.layers", None),
    "register": ("reluplug.registry", "register"),
    "swap_activations": ("reluplug.swap", "swap_activations"),
}

__all__ = sorted(set(_LAZY) - {"bench"})


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'reluplug' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    if name != "bench":  # the bench imports Keras only where it trains
        import_keras()
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _RegisterWhenKerasLoads(importlib.abc.MetaPathFinder):
    """Imports ``reluplug.layers`` right after ``keras`` finishes loading.

    It finds nothing itself: on the first lookup of ``keras`` it removes
    itself, asks the other finders for the real spec and wraps that
    loader's ``exec_module``, so Keras loads exactly as it would without
    reluplug and the layers register with its serialization afterwards.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            importlib.import_module("reluplug.layers")

        spec.loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:
    # Registers the layers with Keras' serialization (for load_model).
    importlib.import_module("reluplug.layers")
else:
    sys.meta_path.insert(0, _RegisterWhenKerasLoads())
