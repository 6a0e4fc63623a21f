"""Suites: a dict or a TOML file -> a validated, frozen ``Suite``.

``config`` holds the dataclasses and the checks, ``schema`` the one table of
statuses, columns and the group key, ``resources`` the ``[resources]``
table. Nothing here imports Keras.
"""

from reluplug.bench.suite.config import ConfigError
from reluplug.bench.suite.config import Suite
from reluplug.bench.suite.config import TrialSpec
from reluplug.bench.suite.config import load
from reluplug.bench.suite.config import loads

__all__ = ["ConfigError", "Suite", "TrialSpec", "load", "loads"]
