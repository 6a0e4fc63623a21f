"""Fixtures for the runner tests: tiny suites that train in a second.

Helper modules of this folder (``runner_fixtures``, ``bench_helpers``,
``report_fixtures``, ...) import by name: ``setup.cfg`` puts ``tests`` and
``tests/bench`` on pytest's ``pythonpath``.
"""

import pytest
from runner_fixtures import write_suite


@pytest.fixture
def tiny_suite(tmp_path):
    """Path of a 4-trial suite (spirals, relu + leaky relu, 2 seeds)."""
    return write_suite(tmp_path)
