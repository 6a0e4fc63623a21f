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
    "ConfigError": ("reluplug.bench.config", "ConfigError"),
    "IdenticalModelError": ("reluplug.bench.executors", "IdenticalModelError"),
    "RunStore": ("reluplug.bench.store", "RunStore"),
    "Selection": ("reluplug.bench.executors", "Selection"),
    "Suite": ("reluplug.bench.config", "Suite"),
    "TrialSpec": ("reluplug.bench.config", "TrialSpec"),
    "compare": ("reluplug.bench.compare", "compare"),
    "load_suite": ("reluplug.bench.config", "load"),
    "run_suite": ("reluplug.bench.executors", "run_suite"),
    "run_trial": ("reluplug.bench.trial", "run_trial"),
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
