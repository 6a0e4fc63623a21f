"""The monitors name the cause: divergence, stalled or vanishing gradients,
labels that do not fit the loss; warnings point at the caller's `fit` line;
sites of nested models in data-flow order with the user's layer paths.

Run on TensorFlow and on JAX (`KERAS_BACKEND=jax`).
"""

import inspect
import math
import warnings

import keras
import numpy as np
import pytest
from model_cases import nested_cnn

import reluplug
from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks import GradientFlowMonitor
from reluplug.callbacks import _sites


def _mlp(bias=0.0, seed=0):
    """Dense(8, relu) -> Dense(3, softmax), sparse cross-entropy, SGD."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                8,
                activation="relu",
                bias_initializer=keras.initializers.Constant(bias),
                name="hidden",
            ),
            keras.layers.Dense(3, activation="softmax", name="readout"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model


def _data(count=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((count, 4)).astype("float32")
    return x, rng.integers(0, 3, count).astype("int32")


def _poison(layer):
    """One kernel entry NaN: every later output is NaN, so is the loss."""
    kernel, bias = layer.get_weights()
    kernel[0, 0] = np.nan
    layer.set_weights([kernel, bias])


def _fit(model, callbacks, epochs=2):
    """`fit` with every warning recorded; returns (history, warnings)."""
    x, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(  # the line warnings must point at
            x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks
        )
    mine = [w for w in caught if "Monitor" in str(w.message)]
    return history, mine


# --- Divergence: not dead units -------------------------------------------


def test_dead_unit_monitor_says_diverged_not_dead():
    model = _mlp()
    _poison(model.get_layer("hidden"))
    monitor = DeadUnitMonitor(_data()[0], warn_above=0.5, stop_above=0.9)
    history, caught = _fit(model, [monitor], epochs=3)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1  # once per fit, not once per epoch
    assert "training diverged at epoch 0" in messages[0]
    assert "['hidden'] are not finite" in messages[0]
    assert "dead fraction above" not in messages[0]
    assert monitor.not_finite == ["hidden", "<model output>"]
    # Fractions of a diverged model are NaN, none is called dead.
    assert all(math.isnan(v) for v in history.history["dead_fraction"])
    assert not monitor.unit_masks["hidden"].any()
    assert math.isnan(history.history["loss"][0])
    assert history.epoch == [0]  # stop_above also stops a diverged run


def test_dead_unit_monitor_diverged_by_the_loss_alone():
    """Sites finite (hidden units dead, outputs 0) but the loss NaN: the
    read-out's bias is NaN. Without the loss check this said 'dead'."""
    model = _mlp(bias=-100.0)  # every hidden unit dead
    readout = model.get_layer("readout")
    kernel, bias = readout.get_weights()
    readout.set_weights([kernel, np.full_like(bias, np.nan)])
    monitor = DeadUnitMonitor(_data()[0], warn_above=0.5)
    _, caught = _fit(model, [monitor], epochs=1)
    (warning,) = caught
    assert "diverged at epoch 0: the model's output is not finite" in str(
        warning.message
    )


def test_dead_units_still_warn_as_dead():
    model = _mlp(bias=-100.0)
    monitor = DeadUnitMonitor(_data()[0], warn_above=0.5)
    _, caught = _fit(model, [monitor], epochs=1)
    assert [str(w.message) for w in caught] == [
        "DeadUnitMonitor: dead fraction above warn_above=0.5 at epoch "
        f"{epoch}: hidden=1.000"
        for epoch in (0, 1)
    ]
    assert monitor.not_finite == []


def test_gradient_flow_monitor_says_diverged():
    model = _mlp()
    _poison(model.get_layer("hidden"))
    monitor = GradientFlowMonitor(_data(), warn_below=1e-6, stop_below=0.0)
    history, caught = _fit(model, [monitor], epochs=3)
    (warning,) = caught
    message = str(warning.message)
    assert "training diverged at epoch 0" in message
    assert "['hidden', 'readout'] are not finite" in message
    assert history.epoch == [0]


# --- Stalled and vanishing gradients ----------------------------------------


def test_all_zero_gradients_warn_stalled_and_stop():
    """Every hidden ReLU unit dead: no gradient reaches either kernel (the
    read-out's input is all zeros), the loss stays flat. Before, the
    monitor logged zeros and a NaN ratio and said nothing."""
    model = _mlp(bias=-100.0)
    monitor = GradientFlowMonitor(_data(), warn_below=1e-8, stop_below=0.0)
    history, caught = _fit(model, [monitor], epochs=3)
    assert history.history["grad_norm/hidden"] == [0.0]
    assert history.history["grad_norm/readout"] == [0.0]
    assert math.isnan(history.history["grad_norm_ratio"][0])
    assert history.epoch == [0]  # stop_below=0.0 stops at exactly 0
    assert len(caught) == 2  # at the start and after epoch 1
    message = str(caught[1].message)
    assert message.startswith(
        "GradientFlowMonitor: gradient norm at or below warn_below=1e-08 at "
        "epoch 1: hidden=0, readout=0. Every gradient is exactly 0: "
        "training has stalled"
    )


def test_vanishing_gradients_name_only_the_small_layers():
    keras.utils.set_random_seed(0)
    denses = [keras.layers.Dense(16, "sigmoid") for _ in range(8)]
    model = keras.Sequential(
        [keras.Input((4,)), *denses, keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.SGD(0.01), "mse")
    x, _ = _data()
    y = x[:, :1]
    probe = GradientFlowMonitor((x, y))
    probe.set_model(model)
    probe.on_train_begin()
    norms = [probe.initial[f"grad_norm/{d.name}"] for d in denses]
    assert norms[0] < norms[-1] / 100  # the premise: gradients vanish
    limit = float(np.sqrt(norms[0] * norms[-1]))  # between first and last
    small = [d.name for d, v in zip(denses, norms) if v <= limit]
    monitor = GradientFlowMonitor((x, y), warn_below=limit)
    monitor.set_model(model)
    with pytest.warns(UserWarning, match="Vanishing gradients") as caught:
        monitor.on_train_begin()
    listed = str(caught[0].message).split(": ", 2)[2].split(". ")[0]
    assert [item.split("=")[0] for item in listed.split(", ")] == small
    assert 0 < len(small) < len(denses)


def test_no_warning_without_warn_below():
    model = _mlp(bias=-100.0)
    _, caught = _fit(model, [GradientFlowMonitor(_data())], epochs=1)
    assert caught == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"warn_below": -1.0}, r"Received: warn_below=-1.0"),
        ({"stop_below": "0"}, r"stop_below"),
    ],
)
def test_invalid_limits(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GradientFlowMonitor(_data(), **kwargs)


# --- Warnings point at the caller's line -----------------------------------


def _fit_line():
    lines, first = inspect.getsourcelines(_fit)
    (offset,) = [i for i, line in enumerate(lines) if "model.fit(" in line]
    return first + offset


@pytest.mark.parametrize("case", ["dead", "diverged", "stalled"])
def test_warnings_name_the_callers_fit_line(case):
    model = _mlp(bias=0.0 if case == "diverged" else -100.0)
    if case == "diverged":
        _poison(model.get_layer("hidden"))
    if case == "stalled":
        monitor = GradientFlowMonitor(_data(), warn_below=0.0)
    else:
        monitor = DeadUnitMonitor(_data()[0], warn_above=0.5)
    _, caught = _fit(model, [monitor], epochs=1)
    assert caught
    for warning in caught:
        assert (warning.filename, warning.lineno) == (__file__, _fit_line())


# --- Labels that do not fit the loss ---------------------------------------


def test_one_hot_probe_with_sparse_loss_is_a_clear_error():
    model = _mlp()
    x, y = _data()
    onehot = keras.utils.to_categorical(y, 3)
    monitor = GradientFlowMonitor((x, onehot))
    monitor.set_model(model)
    with pytest.raises(ValueError) as info:
        monitor.on_train_begin()
    assert str(info.value) == (
        "GradientFlowMonitor: the probe's y has shape (64, 3), one row of 3 "
        "values per sample (one-hot labels?), but the loss "
        "'sparse_categorical_crossentropy' takes one integer class index "
        "per sample (y of shape (64,)). Pass `y.argmax(axis=-1)` as the "
        "probe's y, or compile the model with a non-sparse loss "
        "(`loss='categorical_crossentropy'`)."
    )


def test_probe_that_does_not_fit_the_loss_names_the_shapes():
    model = _mlp()
    model.compile("sgd", "mse")
    x, _ = _data()
    monitor = GradientFlowMonitor((x, np.zeros((64, 5), "float32")))
    monitor.set_model(model)
    with pytest.raises(ValueError) as info:
        monitor.on_train_begin()
    assert str(info.value).startswith(
        "GradientFlowMonitor: computing the loss gradient on the probe batch "
        "failed before training started: the probe's y has shape (64, 5), "
        "the model's output has shape (None, 3), and the loss is 'mse'"
    )


# --- Sites in data-flow order, with the user's layer paths -----------------


def test_locate_orders_nested_layers_by_data_flow_with_user_paths():
    model, block = nested_cnn()
    conv_a, bn, conv_b, drop = (layer.name for layer in block.layers)
    located = [
        (site.path, site.name)
        for site in _sites.locate(model)
        if not isinstance(site.layer, keras.layers.InputLayer)
    ]
    assert located == [
        ("block", "block"),
        (f"block/{conv_a}", conv_a),
        (f"block/{bn}", bn),
        (f"block/{conv_b}", conv_b),
        (f"block/{drop}", drop),
        ("conv3", "conv3"),
        ("flat", "flat"),
        ("fc", "fc"),
        ("readout", "readout"),
    ]


def test_swapped_activation_layers_carry_the_users_site_path():
    model, block = nested_cnn()
    conv_a, _, conv_b, _ = (layer.name for layer in block.layers)
    new = reluplug.swap_activations(model, "elu")
    elus = [
        site
        for site in _sites.locate(new)
        if isinstance(site.layer, reluplug.layers.ELU)
    ]
    paths = [site.path for site in elus]
    assert paths == [f"block/{conv_a}", f"block/{conv_b}", "conv3", "fc"]
    # The monitor's sites, in the same data-flow order.
    monitor = DeadUnitMonitor(np.zeros((4, 8, 8, 1), "float32"))
    monitor.set_model(new)
    monitor.on_train_begin()
    keys = [k for k in monitor.initial if k.startswith("inactive_fraction/")]
    assert keys == [f"inactive_fraction/{site.name}" for site in elus]
