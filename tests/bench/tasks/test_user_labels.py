"""Labels of a user task (``compare(model, (x, y))``, suite files): one-hot
labels train a classification, and messages about labels that do not fit
compare like with like and say the fix. TensorFlow and JAX."""

import os

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from reluplug.bench import compare
from reluplug.bench.tasks import user


def _digits(n=300):
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n].astype("int64")


def _model(outputs=10):
    """A user model with a fused ReLU and a softmax read-out."""
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(12, activation="relu", name="d1"),
            keras.layers.Dense(outputs, activation="softmax", name="out"),
        ],
        name="mine",
    )


def _check(model, y, problem=None, x=None):
    from reluplug import swap

    created = []

    def act(name):
        created.append(keras.layers.ReLU(name=name))
        return created[-1]

    probe = swap.swap_with(model, act)
    arrays = {"x": _digits()[0] if x is None else x, "y": y}
    return user.check_fit(probe, created, arrays, problem, 0.2, 0.2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_one_hot_labels_are_a_classification_with_the_same_splits(dtype):
    x, y = _digits()
    onehot = keras.utils.to_categorical(y, 10).astype(dtype)
    assert user.is_one_hot(onehot)
    assert _check(_model(), onehot) == "classification"
    by_index = user.make_splits({"x": x, "y": y}, 3, "classification", 0.2, 0.2)
    by_onehot = user.make_splits(
        {"x": x, "y": onehot}, 3, "classification", 0.2, 0.2
    )
    for field in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        got, want = getattr(by_onehot, field), getattr(by_index, field)
        np.testing.assert_array_equal(got, want)
    assert by_onehot.n_outputs == 10
    assert by_onehot.y_train.dtype == np.int32


def test_one_hot_with_explicit_regression_stays_regression():
    x, y = _digits()
    onehot = keras.utils.to_categorical(y, 10)
    assert _check(_model(), onehot, problem="regression") == "regression"
    splits = user.make_splits({"x": x, "y": onehot}, 0, "regression", 0.2, 0.2)
    assert splits.y_train.shape[1:] == (10,) and splits.n_outputs == 10


@pytest.mark.parametrize(
    "y",
    [
        np.array([[0.0, 1.0], [1.0, 1.0]]),  # two ones in a row
        np.array([[0.0, 0.5], [1.0, 0.0]]),  # not 0/1
        np.array([[0.0, 0.0], [1.0, 0.0]]),  # a row without a one
        np.array([[1.0], [1.0]]),  # one column
        np.array([0.0, 1.0]),
    ],
)
def test_is_one_hot_refuses_what_is_not(y):
    assert not user.is_one_hot(y)


def test_one_hot_of_the_wrong_width_says_so():
    _, y = _digits()
    with pytest.raises(ValueError) as info:
        _check(_model(), keras.utils.to_categorical(y, 12))
    assert str(info.value) == (
        "one-hot labels y have 12 columns, but model 'mine' has 10 outputs: "
        "give one column per output, y of shape (n, 10), or integer labels "
        "0..9 of shape (n,). Received: y.shape=(300, 12)"
    )


def test_float_class_labels_as_regression_say_the_fix():
    """Float labels 0..9 for a 10-way softmax were a regression whose
    message compared a per-example shape with the whole array."""
    _, y = _digits()
    with pytest.raises(ValueError) as info:
        _check(_model(), y.astype("float32"))
    assert str(info.value) == (
        "regression targets must be numbers of shape (10,) per example, the "
        "shape of model 'mine''s output (y of shape (n, 10)), to fit the "
        "mean squared error. Received: y of shape (300,), dtype float32: "
        "targets of shape () per example. They look like class labels 0..9 "
        "for the model's 10 outputs: for a classification pass "
        "problem='classification', or the labels as integers "
        "(y.astype('int64'))."
    )
    # Which works: the same labels as a classification.
    assert _check(_model(), y.astype("float32"), "classification") == (
        "classification"
    )


def test_regression_targets_that_are_not_labels_get_no_label_hint():
    y = np.linspace(-1.0, 1.0, 300)
    with pytest.raises(ValueError) as info:
        _check(_model(), y)
    message = str(info.value)
    assert message.endswith("targets of shape () per example.")


def test_classification_labels_message_names_both_forms():
    _, y = _digits()
    with pytest.raises(ValueError) as info:
        _check(_model(), y + 5)
    assert str(info.value) == (
        "classification labels must be integers 0..9, one per example (y of "
        "shape (n,)), or one-hot rows of width 10 (shape (n, 10)), to fit "
        "the model's 10 outputs. Received: y of shape (300,), dtype int64, "
        "range [5, 14]"
    )


@pytest.mark.slow
def test_compare_trains_float_one_hot_labels_as_classification(tmp_path):
    """The issue's case: ``compare(model, (x, to_categorical(y, 10)))``
    trained the softmax model with MSE (``metric = mse``)."""
    x, y = _digits()
    onehot = keras.utils.to_categorical(y, 10)
    out = str(tmp_path / "r")
    result = compare(
        _model(), (x, onehot), ["relu", "elu"], seeds=[0], epochs=1, out=out
    )
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert list(runs["status"]) == ["completed", "completed"]
    assert set(runs["metric"]) == {"accuracy"}
    assert ((runs["test_metric"] >= 0) & (runs["test_metric"] <= 1)).all()
    # Same numbers as with the integer labels.
    again = compare(
        _model(),
        (x, y),
        ["relu", "elu"],
        seeds=[0],
        epochs=1,
        out=str(tmp_path / "ints"),
    )
    np.testing.assert_allclose(
        result.runs["test_metric"].to_numpy(),
        again.runs["test_metric"].to_numpy(),
    )
