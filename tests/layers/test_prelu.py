"""PReLU as a drop-in for ``keras.layers.PReLU``, and its layouts."""

import keras
import numpy as np
import pytest
from layer_testing import to_numpy64

from reluplug import layers

# Arguments of keras.layers.PReLU, given the same way to both layers. With
# no `shared_axes`, Keras learns one slope per element: reluplug's
# `granularity="element"` (reluplug's default, "channel", is documented).
KERAS_ARGS = {
    "zeros_per_element": ({"alpha_initializer": "zeros"}, (4, 5, 3)),
    "constant_shared_axes": (
        {
            "alpha_initializer": keras.initializers.Constant(0.3),
            "shared_axes": [1, 2],
        },
        (4, 5, 3),
    ),
    "seeded_uniform_shared_axis": (
        {
            "alpha_initializer": {
                "class_name": "RandomUniform",
                "config": {"minval": -0.5, "maxval": 0.5, "seed": 7},
            },
            "shared_axes": 2,
        },
        (4, 5, 3),
    ),
    "regularized_constrained": (
        {
            "alpha_initializer": keras.initializers.Constant(-0.2),
            "alpha_regularizer": keras.regularizers.L1(0.1),
            "alpha_constraint": keras.constraints.NonNeg(),
        },
        (6,),
    ),
}


def _fresh(kwargs):
    """Independent copies of the arguments (initializer objects hold seeds)."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, (keras.initializers.Initializer,)):
            value = value.__class__.from_config(value.get_config())
        out[key] = value
    return out


@pytest.mark.parametrize("case", sorted(KERAS_ARGS))
def test_same_weights_and_outputs_as_keras_prelu(case, rng):
    kwargs, shape = KERAS_ARGS[case]
    ours_kwargs = _fresh(kwargs)
    if "shared_axes" not in kwargs:
        ours_kwargs["granularity"] = "element"
    ours = layers.PReLU(**ours_kwargs)
    theirs = keras.layers.PReLU(**_fresh(kwargs))
    x = rng.normal(size=(2,) + shape).astype("float32")
    y_ours, y_theirs = to_numpy64(ours(x)), to_numpy64(theirs(x))
    assert ours.alpha.shape == theirs.alpha.shape
    np.testing.assert_array_equal(to_numpy64(ours.alpha), theirs.alpha)
    np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-6, atol=1e-7)
    assert len(ours.losses) == len(theirs.losses)
    for a, b in zip(ours.losses, theirs.losses):
        np.testing.assert_allclose(to_numpy64(a), to_numpy64(b), rtol=1e-6)
    if "alpha_constraint" in kwargs:
        projected = ours.alpha.constraint(ours.alpha)
        assert np.all(to_numpy64(projected) >= 0)


def test_keras_prelu_config_builds_a_reluplug_prelu():
    config = keras.layers.PReLU(
        alpha_initializer="ones", shared_axes=[1]
    ).get_config()
    layer = layers.PReLU.from_config(config)
    layer.build((None, 4, 3))
    assert tuple(layer.alpha.shape) == (1, 3)
    np.testing.assert_array_equal(to_numpy64(layer.alpha), 1.0)


@pytest.mark.parametrize(
    "kwargs, input_shape, alpha_shape",
    [
        ({}, (None, None, None, 3), (3,)),
        ({"channel_axis": 1}, (None, 3, None, None), (3, 1, 1)),
        ({"channel_axis": -3}, (None, 3, None, None), (3, 1, 1)),
        ({"channel_axis": 2}, (None, None, 6, None), (6, 1)),
        ({"granularity": "shared"}, (None, None, None), ()),
        ({"shared_axes": [1, 2]}, (None, None, None, 3), (1, 1, 3)),
    ],
)
def test_builds_on_unknown_dimensions(kwargs, input_shape, alpha_shape, rng):
    layer = layers.PReLU(initial_slope=0.2, **kwargs)
    out = layer(keras.Input(batch_shape=input_shape))
    assert tuple(out.shape) == input_shape
    assert tuple(layer.alpha.shape) == alpha_shape
    concrete = tuple(d or 3 + i for i, d in enumerate(input_shape))
    x = rng.normal(size=concrete).astype("float32")
    np.testing.assert_allclose(
        to_numpy64(layer(x)), np.where(x >= 0, x, 0.2 * x), rtol=1e-6
    )


def test_per_channel_slopes_apply_to_their_channel():
    layer = layers.PReLU(channel_axis=1)
    x = -np.ones((2, 3, 4, 4), "float32")
    layer.build(x.shape)
    layer.alpha.assign(np.array([0.1, 0.2, 0.3]).reshape(3, 1, 1))
    y = to_numpy64(layer(x))
    for channel, slope in enumerate([0.1, 0.2, 0.3]):
        np.testing.assert_allclose(y[:, channel], -slope, rtol=1e-6)


def test_default_initial_slope_is_a_quarter():
    layer = layers.PReLU()
    layer.build((None, 5))
    np.testing.assert_array_equal(to_numpy64(layer.alpha), 0.25)
