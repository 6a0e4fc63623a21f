"""Suites naming the user's model and data: ``.keras`` + ``.npz`` files or
``package.module:object`` import paths."""

import hashlib
import json
import os
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from reluplug.bench import cli
from reluplug.bench.suite import config
from reluplug.bench.tasks import registry
from reluplug.bench.tasks import user

SUITE = """\
version = 1
name = "mine"
seeds = [0]

[training]
epochs = 1
batch_size = 32

[[tasks]]
model = "files/model.keras"
data = "files/data.npz"

[[activations]]
name = "relu"

[[activations]]
name = "elu"
"""


def _digits(n=200):
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n]


class DigitsTask:
    """A builder plus a data loader, named ``test_user_tasks:DigitsTask``."""

    @staticmethod
    def build(act):
        inputs = keras.Input((64,))
        h = act()(keras.layers.Dense(8)(inputs))
        outputs = keras.layers.Dense(10, activation="softmax")(h)
        return keras.Model(inputs, outputs)

    @staticmethod
    def load():
        return _digits()


def _files(folder, **arrays):
    os.makedirs(os.path.join(folder, "files"), exist_ok=True)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ]
    )
    model.save(os.path.join(folder, "files", "model.keras"))
    if not arrays:
        x, y = _digits()
        arrays = {"x": x, "y": y}
    np.savez(os.path.join(folder, "files", "data.npz"), **arrays)
    path = os.path.join(folder, "suite.toml")
    with open(path, "w") as f:
        f.write(SUITE)
    return path


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_keras_and_npz_suite_runs_from_the_cli(tmp_path, capsys):
    suite = _files(str(tmp_path))
    out = str(tmp_path / "run")
    status = cli.main(["run", suite, "--out", out, "--no-report"])
    assert status == cli.EXIT_OK, capsys.readouterr().out
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert sorted(runs["status"]) == ["completed", "completed"]
    assert runs["init_sha256"].nunique() == 1
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    files = {os.path.basename(k): v for k, v in manifest["files"].items()}
    assert files == {
        "model.keras": _sha(tmp_path / "files" / "model.keras"),
        "data.npz": _sha(tmp_path / "files" / "data.npz"),
    }
    record = json.load(
        open(os.path.join(out, "trials", runs["trial_id"][0] + ".json"))
    )
    assert record["task_params"]["data_sha256"] == files["data.npz"]
    assert record["task_params"]["problem"] == "classification"


def test_changed_file_is_an_error_before_training(tmp_path, capsys):
    suite = _files(str(tmp_path))
    out = str(tmp_path / "run")
    assert cli.main(["run", suite, "--out", out, "--no-report"]) == 0
    x, y = _digits()
    np.savez(tmp_path / "files" / "data.npz", x=x[::-1], y=y[::-1])
    before = sorted(os.listdir(os.path.join(out, "trials")))
    capsys.readouterr()
    status = cli.main(["run", suite, "--out", out, "--no-report"])
    text = capsys.readouterr().out
    assert status == cli.EXIT_CONFIG
    assert "data.npz changed since the run" in text
    assert sorted(os.listdir(os.path.join(out, "trials"))) == before


@pytest.mark.parametrize(
    "arrays, where, match",
    [
        (
            lambda x, y: {"x_train": x},
            "tasks[0].data",
            "missing data key 'y_train'",
        ),
        (
            lambda x, y: {"x": x, "y": y, "x_val": x},
            "tasks[0].data",
            "either x, y or x_train",
        ),
        (
            lambda x, y: {"x": x, "labels": y},
            "tasks[0].data",
            r"unknown data key\(s\) \['labels'\]",
        ),
        (
            lambda x, y: {"x": x[:, :60], "y": y},
            "tasks[0]",
            r"x has examples of shape \(60,\), but model .* expects inputs "
            r"of shape \(64,\)",
        ),
        (
            lambda x, y: {"x": x, "y": y + 3},
            "tasks[0]",
            "labels must be integers 0..9",
        ),
    ],
)
def test_bad_data_is_a_config_error(tmp_path, arrays, where, match):
    x, y = _digits()
    suite = _files(str(tmp_path), **arrays(x, y))
    with pytest.raises(config.ConfigError, match=match) as info:
        config.load(suite)
    assert f"at `{where}`" in str(info.value)
    assert str(info.value).startswith(suite)


def test_missing_file_and_wrong_suffix(tmp_path):
    suite = _files(str(tmp_path))
    os.remove(tmp_path / "files" / "model.keras")
    with pytest.raises(
        config.ConfigError,
        match=r"tasks\[0\].model.*no "
        "such file",
    ):
        config.load(suite)
    text = SUITE.replace("files/model.keras", "files/data.npz")
    with pytest.raises(config.ConfigError, match=r"must be a \.keras file"):
        config.loads(text, source=suite)


def test_cli_exit_status_for_a_bad_file(tmp_path, capsys):
    x, _ = _digits()
    suite = _files(str(tmp_path), x_train=x)
    assert cli.main(["run", suite, "--out", str(tmp_path / "o")]) == 2
    assert "missing data key 'y_train'" in capsys.readouterr().out
    assert not os.path.exists(tmp_path / "o")


def test_import_path_task_with_build_and_load(tmp_path):
    text = textwrap.dedent(SUITE).split("[[tasks]]")[0] + textwrap.dedent(
        """\
        [[tasks]]
        name = "test_user_tasks:DigitsTask"
        params = {val_fraction = 0.25}

        [[activations]]
        name = "relu"
        """
    )
    suite = config.loads(text)
    (task,) = suite.tasks
    assert task.params["model"] == "test_user_tasks:DigitsTask.build"
    assert task.params["val_fraction"] == 0.25
    (spec,) = suite.expand()
    from reluplug.bench.engine.fit import run_trial

    record = run_trial(spec)
    assert record["status"] == "completed", record["error"]
    # 200 examples: 40 in test, 50 in validation (0.25), 110 for training.
    assert len(record["history"]) == 1
    splits = user.make_splits(
        user.read_arrays("test_user_tasks:DigitsTask.load"),
        0,
        "classification",
        0.25,
        0.2,
    )
    assert (len(splits.x_train), len(splits.x_val), len(splits.x_test)) == (
        110,
        50,
        40,
    )


def test_import_path_must_name_a_task_or_build_and_load():
    text = SUITE.replace(
        'model = "files/model.keras"\ndata = "files/data.npz"',
        'name = "test_user_tasks:_digits"',
    )
    with pytest.raises(config.ConfigError, match="build.*load"):
        config.loads(text)
    with pytest.raises(ValueError, match="must name a reluplug"):
        registry.get("test_user_tasks:_digits")
    assert registry.get("reluplug.bench.tasks.user:REGRESSION").problem == (
        "regression"
    )


def test_cli_list_says_how_to_name_a_user_task(capsys):
    assert cli.main(["list"]) == 0
    text = capsys.readouterr().out
    assert 'model = "my_model.keras"' in text
    assert 'data = "my_data.npz"' in text
    assert "package.module:object" in text


def test_labels_default_to_the_file_stem_and_must_be_unique(tmp_path):
    suite = _files(str(tmp_path))
    (task,) = config.load(suite).tasks
    assert task.label == "model"
    entry = '[[tasks]]\nmodel = "files/model.keras"\ndata = "files/data.npz"\n'
    twice = SUITE.replace("[[tasks]]", entry + "\n[[tasks]]", 1)
    with pytest.raises(config.ConfigError, match="two tasks have the label"):
        config.loads(twice, source=suite)
    labelled = twice.replace(entry, entry + 'label = "again"\n', 1)
    tasks = config.loads(labelled, source=suite).tasks
    assert [t.label for t in tasks] == ["again", "model"]


def test_training_sweep_keeps_the_user_label(tmp_path):
    suite = _files(str(tmp_path))
    text = SUITE.replace(
        "epochs = 1", "epochs = 1\nlearning_rate = [0.001, 0.01]"
    )
    labels = [t.label for t in config.loads(text, source=suite).tasks]
    assert labels == ["model[learning_rate=0.001]", "model[learning_rate=0.01]"]
