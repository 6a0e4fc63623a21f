"""Run folder, resume, failures, identical-model check and the CLI."""

import json
import os
import re

import pandas as pd
import pytest
from runner_fixtures import TINY
from runner_fixtures import write_suite

from reluplug.bench import IdenticalModelError
from reluplug.bench import Selection
from reluplug.bench import cli
from reluplug.bench import run_suite
from reluplug.bench import store
from reluplug.bench.suite import config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 3))
TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")


def _contract_columns(section):
    """Column names listed in docs/run-folder.md under ``## <section>``."""
    with open(os.path.join(REPO, "docs", "run-folder.md")) as f:
        text = f.read()
    body = text.split(f"## {section}", 1)[1].split("##", 1)[0]
    body = body.split("\n", 1)[1].strip().split("\n\n")[0].split("(")[0]
    lines = [ln for ln in body.splitlines() if not ln.startswith("quantity")]
    text = "\n".join(lines)
    return [c.strip() for c in re.split(r"[,\n]", text) if c.strip()]


def _swap(name):
    return TINY.replace('name = "relu"\n', f'name = "{name}"\nlabel = "relu"\n')


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    path = write_suite(str(folder))
    summary = run_suite(config.load(path), str(folder / "out"))
    return path, folder / "out", summary


def test_run_folder_layout(finished_run):
    path, out, summary = finished_run
    assert summary.counts == {"completed": 4} and summary.n_rows == 4
    names = set(os.listdir(out))
    assert {
        "suite.toml",
        "manifest.json",
        "trials",
        "runs.csv",
        "history.csv",
        "monitors.csv",
    } <= names
    with open(path) as f, open(out / "suite.toml") as g:
        assert f.read() == g.read()
    specs = config.load(path).expand()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == 1 and manifest["suite"] == "tiny"
    assert manifest["trial_ids"] == [s.trial_id for s in specs]
    for key in (
        "suite_sha256",
        "created_utc",
        "updated_utc",
        "reluplug_version",
        "machine",
        "versions",
    ):
        assert key in manifest
    files = sorted(os.listdir(out / "trials"))
    assert files == sorted(f"{s.trial_id}.json" for s in specs)


def test_csv_files_follow_the_contract(finished_run):
    _, out, _ = finished_run
    runs = pd.read_csv(out / "runs.csv")
    history = pd.read_csv(out / "history.csv")
    monitors = pd.read_csv(out / "monitors.csv")
    assert list(runs.columns) == _contract_columns("runs.csv")
    assert list(history.columns) == _contract_columns("history.csv")
    assert list(monitors.columns) == _contract_columns("monitors.csv")
    assert len(runs) == 4 and len(history) == 8 and len(monitors) == 0
    assert runs["trial_id"].is_unique
    assert set(runs["status"]) == {"completed"}
    assert runs["is_baseline"].tolist() == [True, False, True, False]
    # Values agree with the trial files.
    for row in runs.itertuples():
        record = json.loads(
            (out / "trials" / f"{row.trial_id}.json").read_text()
        )
        assert row.test_metric == record["test_metric"]
        assert row.init_sha256 == record["init_sha256"]
        assert row.epochs_run == len(record["history"])


def test_identical_init_within_task_and_seed(finished_run):
    _, out, _ = finished_run
    runs = pd.read_csv(out / "runs.csv")
    per_seed = runs.groupby("seed")["init_sha256"].nunique()
    assert per_seed.tolist() == [1, 1]
    assert runs.groupby("seed")["init_sha256"].first().nunique() == 2


def test_resume_skips_finished_trials(finished_run):
    path, out, _ = finished_run
    before = pd.read_csv(out / "runs.csv")
    summary = run_suite(config.load(path), str(out))
    assert summary.n_run == 0 and summary.n_skipped == 4
    after = pd.read_csv(out / "runs.csv")
    pd.testing.assert_frame_equal(before, after)


def test_failed_trial_is_recorded_and_run_continues(tmp_path):
    text = TINY.replace(
        '[[activations]]\nname = "relu"\n',
        '[[activations]]\nname = "relu"\n\n[[activations]]\n'
        'name = "bench_helpers:Boom"\nlabel = "boom"\n',
    )
    path = write_suite(str(tmp_path), text)
    out = tmp_path / "out"
    code = cli.main(["run", path, "--out", str(out), "--no-report"])
    assert code == cli.EXIT_TRIAL_FAILED
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 6
    failed = runs[runs["activation"] == "boom"]
    assert set(failed["status"]) == {"failed"}
    assert set(failed["error_type"]) == {"RuntimeError"}
    assert set(runs[runs["activation"] != "boom"]["status"]) == {"completed"}


def test_identical_model_check_fails_loudly(tmp_path, capsys):
    path = write_suite(str(tmp_path), _swap("bench_helpers:CReLU"))
    out = tmp_path / "out"
    with pytest.raises(IdenticalModelError, match="init_sha256"):
        run_suite(config.load(path), str(out))
    assert len(os.listdir(out / "trials")) == 2  # stopped at the 2nd trial
    code = cli.main(["run", path, "--out", str(out), "--no-report"])
    assert code == cli.EXIT_NOT_IDENTICAL
    assert "Identical-model check failed" in capsys.readouterr().out


def test_selection_and_max_trials(tmp_path, tiny_suite):
    suite = config.load(tiny_suite)
    out = str(tmp_path / "out")
    s = run_suite(suite, out, selection=Selection(activations=("lrelu",)))
    assert s.n_run == 2
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert set(runs["activation"]) == {"lrelu"}
    s = run_suite(suite, out, selection=Selection(max_trials=1))
    assert s.n_run == 1 and s.n_skipped == 2
    s = run_suite(suite, out, selection=Selection(patterns=("*/relu/1",)))
    assert s.n_run == 1
    assert len(pd.read_csv(os.path.join(out, "runs.csv"))) == 4
    with pytest.raises(config.ConfigError, match="`tasks`.*tasks=.digits"):
        run_suite(suite, out, selection=Selection(tasks=("digits",)))


def test_new_recipe_leaves_old_trials_out_and_overwrite_starts_over(
    tmp_path, tiny_suite
):
    out = str(tmp_path / "out")
    run_suite(config.load(tiny_suite), out, selection=Selection(max_trials=1))
    other = config.loads(TINY.replace("epochs = 2", "epochs = 1"))
    s = run_suite(other, out, selection=Selection(max_trials=1))
    # Another recipe trains other trials: nothing stale is kept.
    assert (s.n_run, s.n_kept, s.n_added, s.n_left_out) == (1, 0, 4, 1)
    assert "1 left out" in s.resume_line
    assert len(os.listdir(os.path.join(out, "trials"))) == 2
    assert len(pd.read_csv(os.path.join(out, "runs.csv"))) == 1
    s = run_suite(other, out, overwrite=True, selection=Selection(max_trials=1))
    assert s.n_run == 1 and not s.resumed
    assert len(os.listdir(os.path.join(out, "trials"))) == 1


def test_comment_edit_is_the_same_suite(tmp_path, tiny_suite):
    out = str(tmp_path / "out")
    run_suite(config.load(tiny_suite), out, selection=Selection(max_trials=1))
    edited = config.loads("# a new comment\n\n" + TINY)
    assert edited.sha256 == config.load(tiny_suite).sha256
    s = run_suite(edited, out, selection=Selection(max_trials=1))
    assert s.n_skipped == 1 and s.n_run == 1  # resumed, not refused


def test_not_a_run_folder_is_refused(tmp_path, tiny_suite):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(store.RunFolderError):
        run_suite(config.load(tiny_suite), str(tmp_path), overwrite=True)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_broken_and_temp_files_are_rerun(finished_run, tmp_path):
    path, out, _ = finished_run
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    victim = sorted(os.listdir(copy / "trials"))[0]
    (copy / "trials" / victim).write_text('{"status": "compl')  # torn file
    (copy / "trials" / ".x.json.123.tmp").write_text("junk")
    summary = run_suite(config.load(path), str(copy))
    assert summary.n_run == 1
    assert ".x.json.123.tmp" not in os.listdir(copy / "trials")
    a = pd.read_csv(out / "runs.csv").drop(columns=list(TIMING))
    b = pd.read_csv(copy / "runs.csv").drop(columns=list(TIMING))
    pd.testing.assert_frame_equal(a, b)


def test_atomic_write_leaves_no_temp(tmp_path):
    target = tmp_path / "a.json"
    store.atomic_write(str(target), "one")
    store.atomic_write(str(target), "two")
    assert target.read_text() == "two"
    assert os.listdir(tmp_path) == ["a.json"]


def test_cli_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("digits_mlp", "deep_mlp", "cifar10", "prelu", "tanh"):
        assert word in out


def test_cli_report_rewrites_tables(finished_run, tmp_path, capsys):
    _, out, _ = finished_run
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    os.remove(copy / "runs.csv")
    assert cli.main(["report", str(copy)]) == 0
    assert len(pd.read_csv(copy / "runs.csv")) == 4
    assert cli.main(["report", str(tmp_path / "nothing")]) == cli.EXIT_CONFIG


def test_cli_report_that_cannot_be_written_exits_1(
    finished_run, tmp_path, capsys
):
    _, out, _ = finished_run
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "summary.csv").mkdir()  # the report cannot replace a folder
    assert cli.main(["report", str(copy)]) == cli.EXIT_TRIAL_FAILED == 1
    assert "Report failed: IsADirectoryError" in capsys.readouterr().out


def test_cli_run_by_suite_name_resolves():
    assert cli.resolve_suite("quick").endswith(
        os.path.join("benchmarks", "suites", "quick.toml")
    )


@pytest.mark.slow
def test_process_executor_matches_sequential(finished_run, tmp_path):
    path, out, _ = finished_run
    summary = run_suite(
        config.load(path),
        str(tmp_path / "p"),
        executor="processes",
        workers=2,
    )
    assert summary.counts == {"completed": 4}
    a = pd.read_csv(out / "runs.csv").drop(columns=list(TIMING))
    b = pd.read_csv(tmp_path / "p" / "runs.csv").drop(columns=list(TIMING))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
@pytest.mark.ray
def test_ray_executor_matches_sequential(finished_run, tmp_path):
    pytest.importorskip("ray")
    path, out, _ = finished_run
    summary = run_suite(
        config.load(path), str(tmp_path / "r"), executor="ray", workers=2
    )
    assert summary.counts == {"completed": 4}
    a = pd.read_csv(out / "runs.csv").drop(columns=list(TIMING))
    b = pd.read_csv(tmp_path / "r" / "runs.csv").drop(columns=list(TIMING))
    pd.testing.assert_frame_equal(a, b)
