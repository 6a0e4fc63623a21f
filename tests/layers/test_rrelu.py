"""RReLU: random slopes in training, the mean slope at inference, seeds."""

import keras
import numpy as np
from layer_testing import to_numpy64

from reluplug import layers

LOWER, UPPER = 0.1, 0.3


def _slopes(layer, shape=(64, 64), training=True):
    x = -np.ones(shape, "float32")
    return -to_numpy64(layer(x, training=training))


def test_training_slopes_are_uniform_in_range_and_vary():
    layer = layers.RReLU(lower=LOWER, upper=UPPER, seed=3)
    first, second = _slopes(layer), _slopes(layer)
    for slopes in (first, second):
        assert slopes.min() >= LOWER - 1e-7
        assert slopes.max() <= UPPER + 1e-7
        # U(0.1, 0.3) over 4096 draws: mean 0.2 (sd of the mean ~9e-4),
        # sd 0.2 / sqrt(12) = 0.0577.
        np.testing.assert_allclose(slopes.mean(), 0.2, atol=0.005)
        np.testing.assert_allclose(slopes.std(), 0.0577, atol=0.005)
    assert not np.array_equal(first, second), "fresh slopes every call"


def test_positive_inputs_pass_unchanged_in_training():
    layer = layers.RReLU(lower=LOWER, upper=UPPER, seed=3)
    x = np.linspace(0.0, 5.0, 50, dtype="float32")[None]
    np.testing.assert_array_equal(to_numpy64(layer(x, training=True)), x)


def test_inference_uses_the_mean_slope():
    layer = layers.RReLU(lower=LOWER, upper=UPPER, seed=3)
    np.testing.assert_allclose(
        _slopes(layer, training=False), (LOWER + UPPER) / 2, rtol=1e-6
    )
    np.testing.assert_allclose(
        _slopes(layer, training=None), (LOWER + UPPER) / 2, rtol=1e-6
    )


def test_equal_bounds_give_a_leaky_relu():
    layer = layers.RReLU(lower=0.2, upper=0.2, seed=0)
    np.testing.assert_allclose(_slopes(layer), 0.2, rtol=1e-6)


def test_seeded_layers_reproduce_and_seeds_differ():
    a = _slopes(layers.RReLU(lower=LOWER, upper=UPPER, seed=11))
    b = _slopes(layers.RReLU(lower=LOWER, upper=UPPER, seed=11))
    c = _slopes(layers.RReLU(lower=LOWER, upper=UPPER, seed=12))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_model_predict_is_deterministic_and_fit_is_random():
    layer = layers.RReLU(lower=LOWER, upper=UPPER, seed=5)
    model = keras.Sequential([keras.Input((8,)), layer])
    x = -np.ones((16, 8), "float32")
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, -0.2, rtol=1e-6)
    slopes = -to_numpy64(model(x, training=True))
    assert slopes.std() > 0.02
