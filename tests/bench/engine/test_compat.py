"""Run folders written before the package was restructured still work.

``data/pre_house_tiny`` is the run folder of ``SUITE.toml`` (4 trials)
written by commit 8725b0f, the last one before ``bench`` became
``suite/``, ``engine/``, ``store``, ``report/``. The same suite must give
the same ``runs.csv`` today (timings aside), and that folder must resume
with nothing trained again. ``SUITE.toml`` is that suite with
``init = "same"`` (Glorot for every activation, what 8725b0f did): the
default became each activation's recommended initialisation, which trains
other models, so other trials.
"""

import json
import pathlib
import shutil

import pandas as pd
import pytest

from reluplug.bench.engine import run_suite
from reluplug.bench.suite import config

DATA = pathlib.Path(__file__).parents[1] / "data" / "pre_house_tiny"


def _timing(column):
    return column.endswith("_s") or "time" in column


def _runs(folder):
    runs = pd.read_csv(folder / "runs.csv")
    runs = runs.drop(columns=[c for c in runs.columns if _timing(c)])
    return runs.sort_values("trial_id").reset_index(drop=True)


@pytest.mark.slow
def test_same_suite_gives_the_same_runs_csv(tmp_path):
    suite = config.load(DATA / "SUITE.toml")
    summary = run_suite(suite, tmp_path / "run")
    assert summary.n_run == 4
    pd.testing.assert_frame_equal(_runs(tmp_path / "run"), _runs(DATA))


def test_folder_written_before_resumes_without_training(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(DATA, run)
    before = {p.name: _record(p) for p in (run / "trials").iterdir()}
    suite = config.load(DATA / "SUITE.toml")
    summary = run_suite(suite, run)
    assert (summary.n_run, summary.n_kept, summary.n_added) == (0, 4, 0)
    after = {p.name: _record(p) for p in (run / "trials").iterdir()}
    assert set(after) == set(before)
    for name, old in before.items():
        new = after[name]
        # Only the names moved to today's form (task = the label, task_name
        # = the registered task); every result is the one trained before.
        assert (new["task"], new["task_name"]) == ("spirals", "spirals")
        assert "task_label" not in new
        assert {k: v for k, v in new.items() if k not in NAMES} == {
            k: v for k, v in old.items() if k not in NAMES
        }
    pd.testing.assert_frame_equal(_runs(run), _runs(DATA))


NAMES = ("task", "task_name", "task_label")


def _record(path):
    return json.loads(path.read_text())
