"""``compare()``: a clear message for ``seeds=0``, and a warning when there
is a single activation (nothing to compare). TensorFlow and JAX."""

import os

import keras
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from reluplug.bench import compare


def _data(n=120):
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n]


def _model():
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="mine",
    )


@pytest.mark.parametrize("seeds", [0, [], "0"])
def test_seeds_not_a_list_says_how(seeds, tmp_path):
    out = tmp_path / "r"
    with pytest.raises(ValueError) as info:
        compare(
            _model(),
            _data(),
            ["relu", "elu"],
            seeds=seeds,
            epochs=1,
            out=str(out),
        )
    assert str(info.value) == (
        "compare: `seeds` must be a non-empty list of distinct non-negative "
        "integers, e.g. seeds=[0] for one seed or seeds=[0, 1, 2]. "
        f"Received: seeds={seeds!r}"
    )
    assert not out.exists()  # refused before anything was written


def test_one_activation_warns_that_there_is_nothing_to_compare(tmp_path):
    out = str(tmp_path / "r")
    with pytest.warns(UserWarning) as caught:
        compare(_model(), _data(), ["relu"], seeds=[0], epochs=1, out=out)
    (warning,) = [w for w in caught if "compare:" in str(w.message)]
    assert str(warning.message) == (
        "compare: one activation ('relu'): nothing to compare it with, so "
        "the summary has no paired comparison. Pass two or more, e.g. "
        "activations=['relu', 'elu']."
    )
    assert warning.filename == __file__
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert list(runs["status"]) == ["completed"]  # it still runs
