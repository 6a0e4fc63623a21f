"""Run folder -> tidy tables, including partial runs."""

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from bench.report_fixtures import XSS
from bench.report_fixtures import known_run
from bench.report_fixtures import partial_run
from bench.report_fixtures import trial_record
from bench.report_fixtures import write_run

import reluplug.bench.report as report
from reluplug.bench.report import frames


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


def test_report_package_never_imports_keras_or_tensorflow():
    # `reluplug-bench report` must stay fast: only pandas, seaborn,
    # matplotlib, scipy, numpy and the report's own modules.
    pkg = Path(report.__file__).parent
    banned = {"keras", "tensorflow", "jax", "torch"}
    seen = set()
    for path in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                seen |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                seen.add(node.module.split(".")[0])
                if node.module.startswith("reluplug"):
                    assert (
                        node.module.startswith(
                            ("reluplug.bench.report", "reluplug.bench.schema")
                        )
                        or node.module == "reluplug.bench"
                        and all(
                            a.name in ("schema", "config") for a in node.names
                        )
                    ), f"{path.name} imports {node.module}"
    assert "pandas" in seen and "seaborn" in seen
    assert not seen & banned, seen & banned
    # The report reads `[report]` through config.report_options: config's
    # module-level imports (and those of the reluplug modules it imports)
    # must be the standard library only.
    todo, done = ["reluplug.bench.config"], set()
    while todo:
        module = todo.pop()
        done.add(module)
        path = pkg.parent.parent.parent / (module.replace(".", "/") + ".py")
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module]
            for name in names:
                if name.startswith("reluplug"):
                    assert name.startswith("reluplug.bench."), name
                    if name not in done:
                        todo.append(name)
                else:
                    top = name.split(".")[0]
                    assert top in sys.stdlib_module_names, (module, name)
