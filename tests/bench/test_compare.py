"""``reluplug.bench.compare``: a user model from this module, in and out.

The model and builder below are module-level so that worker processes can
import them (``test_compare:build``); the data are 300 real scikit-learn
digits. Trainings are one epoch.
"""

import json
import os
import re

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from reluplug.bench import compare
from reluplug.bench.store import RunFolderError
from reluplug.bench.suite import config
from reluplug.bench.tasks import user

TIMING = ("wall_time_s", "fit_time_s", "overhead_s", "mean_epoch_time_s")
KNOBS = {"epochs": 1, "batch_size": 32}


def digits(n=300):
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n].astype("int64")


def build(act):
    """A user builder: ``act()`` at each activation site."""
    inputs = keras.Input((64,))
    h = keras.layers.Dense(12, name="hidden")(inputs)
    h = act()(h)
    outputs = keras.layers.Dense(10, activation="softmax", name="out")(h)
    return keras.Model(inputs, outputs, name="digits_builder")


def user_model():
    """A user model with a fused ReLU and a standalone tanh."""
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(12, activation="relu", name="d1"),
            keras.layers.Dense(8, name="d2"),
            keras.layers.Activation("tanh", name="t2"),
            keras.layers.Dense(10, activation="softmax", name="out"),
        ],
        name="mine",
    )


def _runs(out):
    return pd.read_csv(os.path.join(out, "runs.csv")).drop(columns=list(TIMING))


def _compare_relu_leaky(out):
    """The user model on digits: relu against leaky relu (slope 0.2),
    seeds 0 and 1, written to ``out``."""
    return compare(
        user_model(),
        digits(),
        ["relu", {"name": "leaky_relu", "params": {"negative_slope": 0.2}}],
        seeds=[0, 1],
        out=out,
        **KNOBS,
    )


@pytest.fixture(scope="module")
def sequential_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("cmp") / "run")
    result = _compare_relu_leaky(out)
    return out, result


def test_result_frames_and_run_folder(sequential_run):
    out, result = sequential_run
    runs = result.runs
    assert sorted(runs["status"]) == ["completed"] * 4
    assert sorted(runs["activation"].unique()) == ["leaky_relu", "relu"]
    # The same rows as the run folder's runs.csv.
    on_disk = pd.read_csv(os.path.join(out, "runs.csv"))
    assert sorted(on_disk["trial_id"]) == sorted(runs["trial_id"])
    assert len(result.history) == 4  # one epoch each
    summary = result.summary
    assert sorted(summary["activation"]) == ["leaky_relu", "relu"]
    relu = runs[runs["activation"] == "relu"]["test_metric"]
    got = summary.set_index("activation").loc["relu", "mean"]
    assert got == pytest.approx(relu.mean())
    # Reading order: the baseline first, the verdict before the numbers.
    assert summary["activation"].tolist() == ["relu", "leaky_relu"]
    cols = list(summary.columns)
    assert cols[:4] == ["task", "activation", "is_baseline", "verdict"]
    assert cols.index("diff_mean") < cols.index("mean") < cols.index("rope")
    assert str(runs["seed"].dtype) == "Int64"
    assert sorted(runs["seed"].unique()) == [0, 1]
    html = result._repr_html_()
    assert "<table" in html and "relu" in html
    # The generated recommendation, first.
    from reluplug.bench.report import recommend

    (line,) = recommend.recommend(summary)["text"]
    assert html.index("Recommendation") < html.index("<table")
    assert line.replace("'", "&#39;") in html
    # The suite compare() wrote is a real suite, runnable from the CLI.
    suite = config.load(os.path.join(out, "suite.toml"))
    assert [a.label for a in suite.activations] == ["relu", "leaky_relu"]
    assert suite.training.epochs == 1 and suite.training.batch_size == 32
    # Default monitors: dead/inactive units on (cheap), gradient flow off.
    assert suite.monitors.dead_units and not suite.monitors.gradient_flow
    dead = summary.set_index("activation")["final_dead_fraction"]
    assert 0 <= dead["relu"] <= 1


def test_same_initial_weights_per_seed_different_across_seeds(sequential_run):
    _, result = sequential_run
    runs = result.runs
    per_seed = runs.groupby("seed")["init_sha256"].nunique()
    assert per_seed.tolist() == [1, 1]
    assert runs.groupby("seed")["init_sha256"].first().nunique() == 2
    # Independent check: build seed 0 twice with different activations and
    # compare the weights of the non-activation layers directly.
    out, _ = sequential_run
    path = os.path.join(out, "inputs", "model.keras")
    models = [
        user.build(
            None,
            lambda a=a: keras.layers.Activation(a),
            0,
            model=path,
            model_sha256="",
        )
        for a in ("relu", "elu")
    ]
    names = ["d1", "d2", "out"]
    for name in names:
        a, b = (m.get_layer(name).get_weights() for m in models)
        for wa, wb in zip(a, b):
            np.testing.assert_array_equal(wa, wb)
    assert models[0].get_layer("d1").activation.__name__ == "linear"


def test_rerun_resumes_and_trains_only_what_is_missing(sequential_run):
    out, _ = sequential_run
    before = _runs(out)
    trials = os.path.join(out, "trials")
    victim = sorted(os.listdir(trials))[0]
    kept = sorted(os.listdir(trials))[1]
    kept_text = open(os.path.join(trials, kept)).read()
    os.remove(os.path.join(trials, victim))  # as if killed before it ended
    result = _compare_relu_leaky(out)
    assert os.path.exists(os.path.join(trials, victim))
    assert open(os.path.join(trials, kept)).read() == kept_text  # not rerun
    pd.testing.assert_frame_equal(before, _runs(out))
    assert len(result.runs) == 4


@pytest.mark.slow
def test_processes_give_the_same_rows_as_sequential(tmp_path):
    out = str(tmp_path / "run")
    args = (build, digits(), ["relu", "elu"])
    kw = dict(seeds=[0, 1], out=out, **KNOBS)
    compare(*args, **kw)
    sequential = _runs(out)
    compare(*args, executor="processes", workers=2, overwrite=True, **kw)
    processes = _runs(out)
    assert (processes["status"] == "completed").all()
    pd.testing.assert_frame_equal(sequential, processes)


def test_data_dict_splits_and_report(tmp_path, capsys):
    x, y = digits(200)
    data = {
        "x_train": x[:150],
        "y_train": y[:150],
        "x_test": x[150:],
        "y_test": y[150:],
    }
    result = compare(
        build, data, ["relu"], seeds=[3], out=str(tmp_path / "r"), **KNOBS
    )
    (record,) = [
        json.load(open(os.path.join(tmp_path, "r", "trials", f)))
        for f in os.listdir(os.path.join(tmp_path, "r", "trials"))
    ]
    assert record["status"] == "completed"
    # The fixed test split is scored: accuracy is a multiple of 1/50.
    assert (record["test_metric"] * 50) == pytest.approx(
        round(record["test_metric"] * 50), abs=1e-4
    )
    assert capsys.readouterr().out == ""  # quiet unless verbose=True
    path = result.report(tmp_path / "copy" / "report.html")
    assert os.path.getsize(path) > 1000
    assert os.path.exists(os.path.join(tmp_path, "r", "report.html"))


def _no_site_model():
    return keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(10, activation="softmax")]
    )


def _logits_model():
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


@pytest.mark.parametrize(
    "case, match",
    [
        (
            "shape",
            r"data x has examples of shape \(63,\), but model 'mine' "
            r"expects inputs of shape \(64,\)",
        ),
        ("labels", r"labels must be integers 0..9"),
        (
            "float_labels_softmax",
            r"regression targets must be numbers of "
            r"shape \(10,\)",
        ),
        ("no_site", r"has no activation site"),
        (
            "unknown",
            r"activations\[1\] is not a usable activation: Unknown "
            r"activation 'preluu'",
        ),
        ("missing_key", r"missing data key 'y_train'"),
        ("logits", r"must end in a softmax"),
        ("lambda_processes", r"cannot import the builder"),
        ("knob", r"optimizer.*must be one of"),
    ],
)
def test_bad_input_fails_before_training(tmp_path, case, match):
    x, y = digits(60)
    model, data, acts = user_model(), (x, y), ["relu", "prelu"]
    kw = dict(seeds=[0], out=str(tmp_path / "r"), **KNOBS)
    if case == "shape":
        data = (x[:, :63], y)
    elif case == "labels":
        data = (x, y + 5)
    elif case == "float_labels_softmax":
        data = (x, y.astype("float32") / 10)
    elif case == "no_site":
        model = _no_site_model()
    elif case == "unknown":
        acts = ["relu", "preluu"]
    elif case == "missing_key":
        data = {"x_train": x}
    elif case == "logits":
        model = _logits_model()
    elif case == "lambda_processes":
        model = lambda act: build(act)  # noqa: E731
        kw["executor"] = "processes"
    elif case == "knob":
        kw["optimizer"] = "adamm"
    with pytest.raises(ValueError, match=match):
        compare(model, data, acts, **kw)
    trials = os.path.join(tmp_path, "r", "trials")
    assert not os.path.isdir(trials) or not os.listdir(trials)


def test_other_data_in_the_same_folder_is_refused(tmp_path, capsys):
    x, y = digits(80)
    out = str(tmp_path / "r")
    compare(build, (x, y), ["relu"], seeds=[0], out=out, verbose=True, **KNOBS)
    printed = capsys.readouterr().out
    assert "1 trials: 0 done already, 1 to run now." in printed
    assert re.search(r"ok  digits_builder/relu/0 +test accuracy", printed)
    with pytest.raises(
        RunFolderError, match="holds a comparison of another data"
    ):
        compare(
            build, (x[::-1], y[::-1]), ["relu"], seeds=[0], out=out, **KNOBS
        )


@pytest.mark.slow
@pytest.mark.ray
def test_ray_gives_the_same_rows_as_sequential(tmp_path):
    pytest.importorskip("ray")
    out = str(tmp_path / "run")
    args = (build, digits(), ["relu", "elu"])
    kw = dict(seeds=[0], out=out, **KNOBS)
    compare(*args, **kw)
    sequential = _runs(out)
    compare(*args, executor="ray", workers=2, overwrite=True, **kw)
    on_ray = _runs(out)
    assert (on_ray["status"] == "completed").all(), on_ray["error_message"]
    pd.testing.assert_frame_equal(sequential, on_ray)
