"""GradientFlowMonitor: norms against NumPy backprop, vanishing gradients."""

import keras
import numpy as np
import pytest

from reluplug.callbacks import GradientFlowMonitor

INITIALIZER = {"sigmoid": "glorot_uniform", "relu": "he_normal"}
INITIALIZER["selu"] = "lecun_normal"


def _deep(activation, depth=20, width=32, inputs=16, seed=0):
    keras.utils.set_random_seed(seed)
    init = INITIALIZER[activation]
    denses = [
        keras.layers.Dense(width, activation, kernel_initializer=init)
        for _ in range(depth)
    ]
    denses.append(keras.layers.Dense(1))
    model = keras.Sequential([keras.Input((inputs,)), *denses])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model, denses


def _data(seed=0, count=128, inputs=16):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((count, inputs)).astype("float32")
    y = rng.standard_normal((count, 1)).astype("float32")
    return x, y


def _numpy_kernel_grads(denses, x, y):
    """Backprop of mean squared error through a sigmoid MLP, in float64."""
    activations, h = [], x.astype(np.float64)
    for dense in denses:
        kernel, bias = (w.astype(np.float64) for w in dense.get_weights())
        activations.append(h)
        z = h @ kernel + bias
        h = z if dense is denses[-1] else 1.0 / (1.0 + np.exp(-z))
    delta = 2.0 * (h - y) / y.size  # d mean((h - y)^2) / d h
    grads = []
    for index in reversed(range(len(denses))):
        grads.append(activations[index].T @ delta)
        if index:
            kernel = denses[index].get_weights()[0].astype(np.float64)
            s = activations[index]  # sigmoid output of the layer below
            delta = (delta @ kernel.T) * s * (1.0 - s)
    return grads[::-1]


def test_norms_equal_direct_gradient_computation():
    model, denses = _deep("sigmoid")
    x, y = _data()
    monitor = GradientFlowMonitor((x, y))
    monitor.set_model(model)
    monitor.on_train_begin()
    expected = [np.linalg.norm(g) for g in _numpy_kernel_grads(denses, x, y)]
    got = [monitor.initial[f"grad_norm/{d.name}"] for d in denses]
    np.testing.assert_allclose(got, expected, rtol=1e-3)
    assert monitor.initial["grad_norm_ratio"] == pytest.approx(
        expected[0] / expected[-1], rel=1e-3
    )


@pytest.mark.parametrize(
    "activation, vanishes",
    [("sigmoid", True), ("relu", False), ("selu", False)],
)
def test_vanishing_gradient_shows_in_history(activation, vanishes):
    model, denses = _deep(activation)
    x, y = _data()
    monitor = GradientFlowMonitor((x, y))
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor]).history
    first, last = denses[0].name, denses[-1].name
    for ratio, first_norm, last_norm in zip(
        [monitor.initial["grad_norm_ratio"], *history["grad_norm_ratio"]],
        [monitor.initial[f"grad_norm/{first}"], *history[f"grad_norm/{first}"]],
        [monitor.initial[f"grad_norm/{last}"], *history[f"grad_norm/{last}"]],
    ):
        assert type(ratio) is float and ratio == first_norm / last_norm
        if vanishes:
            assert ratio < 1e-6  # Orders of magnitude below the last layer.
        else:
            assert ratio > 1e-3
    assert len(history[f"grad_norm/{first}"]) == 2
    assert monitor.epochs == [0, 1, 2]
    assert len([k for k in history if k.startswith("grad_norm/")]) == 21


def test_nested_model_and_explicit_layers():
    inner, inner_denses = _deep("relu", depth=2, width=8, inputs=16)
    inputs = keras.Input((16,))
    head = keras.layers.Dense(1, name="head")
    model = keras.Model(inputs, head(keras.layers.ReLU()(inner(inputs))))
    model.compile("sgd", "mse")
    x, y = _data()
    monitor = GradientFlowMonitor((x, y))
    monitor.set_model(model)
    monitor.on_train_begin()
    names = [f"grad_norm/{d.name}" for d in inner_denses] + ["grad_norm/head"]
    assert list(monitor.initial) == names + ["grad_norm_ratio"]
    assert all(v > 0 for v in monitor.initial.values())

    explicit = GradientFlowMonitor((x, y), layers=["head", inner_denses[0]])
    explicit.set_model(model)
    explicit.on_train_begin()
    assert explicit.initial["grad_norm_ratio"] == (
        monitor.initial["grad_norm/head"]
        / monitor.initial[f"grad_norm/{inner_denses[0].name}"]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"probe_batch": np.zeros((4, 16))}, "must contain targets"),
        ({"every_n_epochs": 0}, r"Received: every_n_epochs=0"),
        ({"max_samples": -1}, r"Received: max_samples=-1"),
        ({"layers": "dense"}, r"Received: layers='dense'"),
    ],
)
def test_invalid_arguments(kwargs, match):
    kwargs.setdefault("probe_batch", _data())
    with pytest.raises(ValueError, match=match):
        GradientFlowMonitor(**kwargs)


def test_layer_without_kernel_is_rejected():
    model, _ = _deep("relu", depth=1)
    relu = keras.layers.ReLU()
    model = keras.Sequential([*model.layers, relu])
    model.compile("sgd", "mse")
    monitor = GradientFlowMonitor(_data(), layers=[relu])
    monitor.set_model(model)
    with pytest.raises(ValueError, match=r"\['re_lu'\].*no trainable"):
        monitor.on_train_begin()
