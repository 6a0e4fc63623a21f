"""The engine: trial specs in, records out, written to a run folder.

``run_suite`` (``engine.run``) selects and resumes; the executors
(``engine.executors``) decide where trials run; ``engine.fit`` trains one
trial with ``model.fit``; ``engine.progress`` prints what happens. The
names below load on first use (PEP 562), so ``engine.progress`` imports
without Keras.
"""

import importlib

_LAZY = {
    "EXECUTORS": "executors",
    "make_executor": "executors",
    "IdenticalModelError": "run",
    "RunSummary": "run",
    "Selection": "run",
    "run_suite": "run",
    "run_until_decided": "until_decided",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(
            f"module 'reluplug.bench.engine' has no attribute {name!r}"
        )
    module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value
