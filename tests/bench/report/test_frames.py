"""Run folder -> tidy tables, including partial runs."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from report_fixtures import XSS
from report_fixtures import known_run
from report_fixtures import partial_run
from report_fixtures import trial_record
from report_fixtures import write_run

import reluplug.bench.report as report
from reluplug.bench.report import frames

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 3))


def test_load_results_is_one_row_per_trial_in_long_form(tmp_path):
    run_dir, records = known_run(tmp_path)
    runs = report.load_results(run_dir)
    assert list(runs.columns) == frames.RUN_COLUMNS
    assert len(runs) == len(records) == 30
    assert set(runs["activation"]) == {"relu", "elu", "selu"}
    row = runs.set_index("trial_id").loc[records[7]["trial_id"]]
    assert row["test_metric"] == records[7]["test_metric"]
    assert row["best_epoch"] == records[7]["best_epoch"]
    assert row["final_dead_fraction"] == pytest.approx(
        records[7]["history"][-1]["dead_fraction"]
    )
    times = [h["epoch_time_s"] for h in records[7]["history"]]
    assert row["mean_epoch_time_s"] == pytest.approx(np.mean(times[1:]))


def test_history_and_monitor_frames(tmp_path):
    run_dir, records = known_run(tmp_path, epochs=4)
    data = frames.load_run(run_dir)
    assert list(data.history.columns) == frames.HISTORY_COLUMNS
    assert len(data.history) == 30 * 4
    assert sorted(data.history["epoch"].unique()) == [1, 2, 3, 4]
    assert list(data.monitors.columns) == frames.MONITOR_COLUMNS
    assert len(data.monitors) == sum(len(r["monitors"]) for r in records)
    assert data.monitors["epoch"].min() == 0
    assert set(data.monitors["quantity"]) == {
        "dead_fraction",
        "inactive_fraction",
        "grad_norm",
    }


def test_monitors_off_gives_empty_frames_not_errors(tmp_path):
    run_dir, _ = known_run(tmp_path, monitors=False)
    data = frames.load_run(run_dir)
    assert len(data.monitors) == 0
    assert list(data.monitors.columns) == frames.MONITOR_COLUMNS
    assert data.runs["final_dead_fraction"].isna().all()


def test_partial_run_lists_failed_diverged_missing_and_unreadable(tmp_path):
    run_dir, info = partial_run(tmp_path)
    (run_dir / "trials" / ".partial.json").write_text("{")  # temp file
    data = frames.load_run(run_dir)
    status = data.runs.set_index(["task", "activation", "seed"])["status"]
    task, act, seed = info["failed"]
    assert status.loc[(task, act, seed)] == "failed"
    task, act, seed = info["diverged"]
    assert status.loc[(task, act, seed)] == "diverged"
    assert data.missing_ids == info["missing_ids"]
    assert data.missing_cells.values.tolist() == [list(info["missing"])]
    assert [name for name, _ in data.unreadable] == ["truncated.json"]
    assert ".partial.json" not in str(data.unreadable)
    failed = data.runs[data.runs["status"] == "failed"].iloc[0]
    assert failed["error_type"] == "ValueError"
    assert np.isnan(failed["test_metric"])


def test_newer_duplicate_wins(tmp_path):
    old = trial_record(task="t", activation="relu", seed=0, test_metric=0.1)
    new = dict(old, trial_id="0" * 16, test_metric=0.2)
    new["utc_time"] = "2027-01-01T00:00:00Z"
    data = frames.load_run(write_run(tmp_path, [old, new]))
    assert data.runs["test_metric"].tolist() == [0.2]
    assert data.duplicates["trial_id"].tolist() == [old["trial_id"]]


def test_wrong_schema_version_is_skipped_and_named(tmp_path):
    rec = trial_record(task="t", activation="relu", seed=0)
    rec["schema_version"] = 2
    data = frames.load_run(write_run(tmp_path, [rec]))
    assert len(data.runs) == 0
    ((name, reason),) = data.unreadable
    assert name == f"{rec['trial_id']}.json"
    assert "schema_version must be 1" in reason and "2" in reason


def test_not_a_run_folder_raises_naming_the_path(tmp_path):
    with pytest.raises(ValueError, match="run_dir.*nope"):
        frames.load_run(tmp_path / "nope")


def test_empty_run_folder_loads(tmp_path):
    data = frames.load_run(tmp_path)
    assert len(data.runs) == 0 and len(data.history) == 0
    assert data.manifest == {}


def test_labels_are_kept_verbatim(tmp_path):
    run_dir, _ = partial_run(tmp_path)
    runs = frames.load_run(run_dir).runs
    assert XSS in set(runs["activation"])
    assert json.loads(runs["task_params"].iloc[0]) == {"note": XSS}


BACKENDS = ("keras", "tensorflow", "jax", "torch")


def _modules_after(code):
    """Top-level modules in ``sys.modules`` after ``code``, in a fresh
    interpreter (this one has Keras loaded already)."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": REPO},
        cwd=REPO,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "module",
    [
        "reluplug.bench.report",
        "reluplug.bench.store",
        "reluplug.bench.suite.schema",
        "reluplug.bench.cli",
    ],
)
def test_report_and_store_import_no_keras_or_backend(module):
    # `reluplug-bench report DIR` must stay fast and work with pandas alone.
    loaded = _modules_after(f"import {module}")
    assert module in loaded  # the probe is not vacuous
    assert not {m.split(".")[0] for m in loaded} & set(BACKENDS)
    assert "reluplug.bench.engine.fit" not in loaded


@pytest.mark.slow
def test_reluplug_imports_the_bench_lazily():
    loaded = _modules_after("import reluplug")
    assert "reluplug" in loaded
    assert not {m for m in loaded if m.startswith("reluplug.bench")}
    assert "keras" not in loaded
    # First use loads it.
    loaded = _modules_after("import reluplug\nreluplug.bench.RunStore")
    assert "reluplug.bench.store" in loaded
    assert "keras" not in loaded
    loaded = _modules_after("import reluplug\nreluplug.get('prelu')")
    assert "keras" in loaded and "reluplug.layers.prelu" in loaded


@pytest.mark.slow
def test_reluplug_after_keras_registers_its_layers_for_load_model():
    code = (
        "import keras\nimport reluplug\n"
        "assert keras.saving.get_registered_object('reluplug>PReLU')"
        " is not None"
    )
    assert "reluplug.layers" in _modules_after(code)
