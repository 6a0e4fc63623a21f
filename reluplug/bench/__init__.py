"""Benchmark runner: suite file in, run folder with tidy results out.

Needs the ``[bench]`` extra. See ``reluplug-bench --help`` and
``docs/run-folder.md``. The names below load on first use (PEP 562): the
report (``reluplug.bench.report``) and the run folder
(``reluplug.bench.store``) import without Keras; the runner needs it.
"""

import importlib

# Public name -> (module, attribute).
_LAZY = {
    "CompareResult": ("reluplug.bench.compare", "CompareResult"),
    "ConfigError": ("reluplug.bench.suite.config", "ConfigError"),
    "IdenticalModelError": ("reluplug.bench.engine.run", "IdenticalModelError"),
    "RunStore": ("reluplug.bench.store", "RunStore"),
    "Selection": ("reluplug.bench.engine.run", "Selection"),
    "Suite": ("reluplug.bench.suite.config", "Suite"),
    "TrialSpec": ("reluplug.bench.suite.config", "TrialSpec"),
    "compare": ("reluplug.bench.compare", "compare"),
    "load_suite": ("reluplug.bench.suite.config", "load"),
    "run_suite": ("reluplug.bench.engine.run", "run_suite"),
    "run_trial": ("reluplug.bench.engine.fit", "run_trial"),
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(
            f"module 'reluplug.bench' has no attribute {name!r}"
        )
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
