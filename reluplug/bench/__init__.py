"""Benchmark runner: suite file in, run folder with tidy results out.

Needs the ``[bench]`` extra. See ``reluplug-bench --help`` and
``docs/run-folder.md``.
"""

from reluplug.bench.compare import CompareResult
from reluplug.bench.compare import compare
from reluplug.bench.config import ConfigError
from reluplug.bench.config import Suite
from reluplug.bench.config import TrialSpec
from reluplug.bench.config import load as load_suite
from reluplug.bench.executors import IdenticalModelError
from reluplug.bench.executors import Selection
from reluplug.bench.executors import run_suite
from reluplug.bench.store import RunStore
from reluplug.bench.trial import run_trial

__all__ = [
    "CompareResult",
    "ConfigError",
    "IdenticalModelError",
    "RunStore",
    "Selection",
    "Suite",
    "TrialSpec",
    "compare",
    "load_suite",
    "run_suite",
    "run_trial",
]
