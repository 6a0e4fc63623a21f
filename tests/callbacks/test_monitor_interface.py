"""The monitors' methods for measuring models outside ``fit``.

``prepare``, ``probe_model``/``probe_batches``/``values_from_outputs``
(DeadUnitMonitor) and ``kernels``/``probe_batch``/``loss_fn``/
``values_from_gradients`` (GradientFlowMonitor) are what the benchmark's
population engine measures its members with; each is checked against the
monitor's own ``measure()`` on the model itself or against NumPy.
"""

import math

import keras
import numpy as np
import pytest

from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks import GradientFlowMonitor


def _mlp(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(16, name="d1"),
            keras.layers.ReLU(name="act"),
            keras.layers.Dense(8, activation="relu", name="d2"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, rng.integers(0, 3, size=n).astype("int32")


def _values(variables):
    return [keras.ops.convert_to_numpy(v) for v in variables]


def test_dead_units_of_other_weights_through_the_probe_model():
    """The probe of model A run with model B's weights gives B's values
    (B's first 8 hidden units are dead: a bias of -100)."""
    a, b = _mlp(0), _mlp(1)
    bias = b.get_layer("d1").bias
    bias.assign(np.where(np.arange(16) < 8, -100.0, 0.0).astype("float32"))
    x, _ = _data()
    monitor = DeadUnitMonitor(x, batch_size=16, max_samples=30)
    monitor.prepare(a)
    batches = monitor.probe_batches(x)
    assert [len(batch) for batch in batches] == [16, 16]  # 30, wrapped
    np.testing.assert_array_equal(batches[0], x[:16])
    np.testing.assert_array_equal(batches[1][:14], x[16:30])
    probe = monitor.probe_model
    index = {id(v): i for i, v in enumerate(a.trainable_variables)}
    positions = [index[id(v)] for v in probe.trainable_variables]
    weights = _values(b.trainable_variables)
    outputs = [
        probe.stateless_call(
            [weights[i] for i in positions],
            _values(probe.non_trainable_variables),
            batch,
        )[0]
        for batch in batches
    ]
    got = monitor.values_from_outputs(outputs)
    reference = DeadUnitMonitor(x, batch_size=16, max_samples=30)
    reference.prepare(b)
    expected = reference.measure()
    assert got == pytest.approx(expected, rel=1e-6)
    assert got["dead_fraction/act"] == 0.5
    np.testing.assert_array_equal(monitor.unit_masks["act"], np.arange(16) < 8)
    assert monitor.measure()["dead_fraction/act"] < 0.5  # A's own values
    assert set(monitor.unit_masks) == {"act", "d2"}


def test_values_from_outputs_takes_the_maximum_over_batches():
    model = _mlp(0)
    x, _ = _data()
    monitor = DeadUnitMonitor(x)
    monitor.prepare(model)
    with pytest.raises(ValueError, match="run `probe_model`"):
        monitor.values_from_outputs([])
    monitor.measure()  # the probe's first call counts the units
    n = model.get_layer("act").output.shape[-1] + 8  # units of act and d2
    first = np.zeros((1, n + 3), "float32")  # maxima, then 3 flags
    second = first.copy()
    first[0, :4] = 1.0  # act units 0-3 alive in batch 1
    second[0, 4:16] = 2.0  # act units 4-15 alive in batch 2
    values = monitor.values_from_outputs([first, second])
    assert values["dead_fraction/act"] == 0.0
    assert values["dead_fraction/d2"] == 1.0
    assert values["dead_fraction"] == pytest.approx(8 / 24)
    assert monitor.not_finite == []
    second[0, -1] = 1.0  # the model's output was not finite
    values = monitor.values_from_outputs([first, second])
    assert math.isnan(values["dead_fraction/act"])
    assert monitor.not_finite == ["<model output>"]


def test_gradient_flow_kernels_probe_batch_and_loss_fn():
    model = _mlp(0)
    x, y = _data()
    monitor = GradientFlowMonitor((x, y), max_samples=32)
    monitor.prepare(model)
    assert [v.path for v in monitor.kernels] == [
        model.get_layer(name).kernel.path for name in ("d1", "d2", "out")
    ]
    bx, by, weight = monitor.probe_batch((x, y))
    np.testing.assert_array_equal(bx, x[:32])
    np.testing.assert_array_equal(by, y[:32])
    assert weight is None
    loss = monitor.loss_fn()(
        _values(model.trainable_variables),
        _values(model.non_trainable_variables),
        _values(model.metrics_variables),
        bx,
        by,
        None,
    )
    probs = keras.ops.convert_to_numpy(model(bx))
    expected = -np.mean(np.log(probs[np.arange(32), by]))
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_values_from_gradients_are_norms_and_their_ratio():
    monitor = GradientFlowMonitor(_data(), max_samples=32)
    monitor.prepare(_mlp(0))
    grads = [np.full((5, 16), 0.5), np.zeros((16, 8)), np.ones((8, 3))]
    values = monitor.values_from_gradients(grads)
    assert values == pytest.approx(
        {
            "grad_norm/d1": math.sqrt(80 * 0.25),
            "grad_norm/d2": 0.0,
            "grad_norm/out": math.sqrt(24),
            "grad_norm_ratio": math.sqrt(20) / math.sqrt(24),
        }
    )
    measured = monitor.measure()
    assert set(measured) == set(values)


def test_loss_fn_needs_a_prepared_model():
    monitor = GradientFlowMonitor(_data())
    with pytest.raises(ValueError, match=r"loss_fn\(\) needs a model"):
        monitor.loss_fn()
