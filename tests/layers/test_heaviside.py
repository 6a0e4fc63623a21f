"""Heaviside: the step values, a zero (not missing) gradient, and a model
whose layers below the step do not change in training."""

import keras
import numpy as np

from reluplug import layers
from reluplug.bench.evidence._autodiff import derivative


def _ref_heaviside(x):
    return (x > 0).astype(x.dtype)


def test_values_match_reference(rng):
    x = np.concatenate([rng.normal(size=200), [0.0, -0.0, 1e-30, -1e-30]])
    y = np.asarray(layers.Heaviside()(x.astype("float32")), "float64")
    np.testing.assert_array_equal(y, _ref_heaviside(x))


def test_autodiff_derivative_is_zero_everywhere(rng):
    from reluplug import activations

    x = np.concatenate([rng.normal(size=200) * 5, [0.0, 1e4, -1e4]])
    _, dy = derivative(activations.heaviside, x)
    assert dy.shape == x.shape
    np.testing.assert_array_equal(dy, 0.0)


def test_training_leaves_the_layers_below_unchanged(rng):
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8),
            layers.Heaviside(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.layers[0].get_weights()]
    head = model.layers[2].get_weights()[0].copy()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for old, new in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(old, new)
    assert np.abs(model.layers[2].get_weights()[0] - head).max() > 0
