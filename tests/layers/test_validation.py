"""Bad arguments raise ValueError naming the argument and the value."""

import math

import keras
import pytest

from reluplug import layers

NAN = math.nan

CONSTRUCTOR = [
    (layers.LeakyReLU, {"negative_slope": -0.1}, r"negative_slope=-0\.1"),
    (layers.LeakyReLU, {"negative_slope": NAN}, r"negative_slope=nan"),
    (layers.LeakyReLU, {"negative_slope": "0.1"}, r"negative_slope='0\.1'"),
    (layers.PReLU, {"initial_slope": NAN}, r"initial_slope=nan"),
    (layers.PReLU, {"initial_slope": math.inf}, r"initial_slope=inf"),
    (layers.PReLU, {"granularity": "chanel"}, r"granularity.*'chanel'"),
    (
        layers.PReLU,
        {"shared_axes": [1, 2], "granularity": "channel"},
        r"shared_axes.*Received: shared_axes=\[1, 2\], granularity='channel'",
    ),
    (layers.PReLU, {"channel_axis": 0}, r"channel_axis=0"),
    (layers.PReLU, {"channel_axis": 1.5}, r"channel_axis=1\.5"),
    (layers.RReLU, {"lower": 0.4, "upper": 0.2}, r"lower=0\.4, upper=0\.2"),
    (layers.RReLU, {"lower": -0.1}, r"lower=-0\.1"),
    (layers.RReLU, {"upper": NAN}, r"upper=nan"),
    (layers.RReLU, {"seed": 1.5}, r"seed=1\.5"),
    (layers.ELU, {"alpha": -1.0}, r"`alpha`.*alpha=-1\.0"),
    (layers.ELU, {"alpha": 0.0}, r"alpha=0\.0"),
    (layers.ELU, {"alpha": NAN}, r"alpha=nan"),
    (layers.CELU, {"alpha": -2.0}, r"`alpha`.*alpha=-2\.0"),
    (layers.CELU, {"alpha": 0}, r"alpha=0"),
    (layers.PELU, {"alpha": -1.0}, r"alpha=-1\.0"),
    (layers.PELU, {"beta": 0.05}, r"beta=0\.05"),
    (layers.PELU, {"min_value": 0.0}, r"min_value=0\.0"),
    (layers.PELU, {"alpha": NAN}, r"alpha=nan"),
    (layers.PELU, {"granularity": "unit"}, r"granularity.*'unit'"),
    (layers.SReLU, {"t_left": 1.0, "t_right": 0.5}, r"t_right=0\.5"),
    (layers.SReLU, {"a_left": NAN}, r"a_left=nan"),
    (layers.SReLU, {"a_right": math.inf}, r"a_right=inf"),
    (layers.SReLU, {"t_left": NAN}, r"t_left=nan"),
    (layers.SReLU, {"granularity": "element"}, r"granularity.*'element'"),
    (layers.Swish, {"beta": NAN}, r"beta=nan"),
    (layers.Swish, {"granularity": "chanel"}, r"granularity.*'chanel'"),
    (layers.Swish, {"channel_axis": 0}, r"channel_axis=0"),
]


@pytest.mark.parametrize(
    "layer_cls, kwargs, match",
    CONSTRUCTOR,
    ids=[f"{c.__name__}-{sorted(k)}" for c, k, _ in CONSTRUCTOR],
)
def test_bad_constructor_argument(layer_cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        layer_cls(**kwargs)


BUILD = [
    # Channel axis out of range for the input rank.
    (layers.PReLU, {"channel_axis": 3}, (None, 4), r"channel_axis=3"),
    (layers.PReLU, {"channel_axis": -3}, (None, 4), r"channel_axis=-3"),
    (
        layers.PELU,
        {"granularity": "channel", "channel_axis": 4},
        (None, 2, 3),
        r"channel_axis=4",
    ),
    (layers.SReLU, {"channel_axis": 2}, (None, 3), r"channel_axis=2"),
    (
        layers.Swish,
        {"granularity": "channel", "channel_axis": -5},
        (None, 2, 3, 4),
        r"channel_axis=-5",
    ),
    # Unknown channel dimension.
    (layers.PReLU, {}, (None, 4, None), r"channel dimension.*None"),
    (
        layers.SReLU,
        {"channel_axis": 1},
        (None, None, 3),
        r"channel dimension.*\(None, None, 3\)",
    ),
    # Per-element PReLU with an unknown, non-shared dimension.
    (
        layers.PReLU,
        {"granularity": "element"},
        (None, None, 3),
        r"granularity='element'.*input_shape=\(None, None, 3\)",
    ),
    (
        layers.PReLU,
        {"shared_axes": [2]},
        (None, None, 5, 3),
        r"shared_axes=\[2\]",
    ),
    # Per-channel parameters need a channel axis.
    (layers.PReLU, {}, (None,), r"rank >= 2"),
]


@pytest.mark.parametrize(
    "layer_cls, kwargs, input_shape, match",
    BUILD,
    ids=[f"{c.__name__}-{s}" for c, _, s, _ in BUILD],
)
def test_bad_argument_for_the_input_raises_at_build(
    layer_cls, kwargs, input_shape, match
):
    layer = layer_cls(**kwargs)
    with pytest.raises(ValueError, match=match):
        layer(keras.Input(batch_shape=input_shape))


EDGE = [
    # (layer, kwargs, config values, output at x = [-2, 3], or None)
    (layers.LeakyReLU, {"negative_slope": 0.0}, None, [0.0, 3.0]),
    (layers.RReLU, {"lower": 0.0, "upper": 0.0}, None, [0.0, 3.0]),
    (layers.PELU, {"alpha": 0.1, "beta": 0.1}, None, None),
    (layers.SReLU, {"t_left": 1.0, "t_right": 1.0}, None, None),
    (layers.PReLU, {"initial_slope": -0.5}, None, [1.0, 3.0]),
    (layers.PReLU, {"shared_axes": 1}, {"shared_axes": [1]}, None),
]


@pytest.mark.parametrize(
    "layer_cls, kwargs, config, output",
    EDGE,
    ids=[f"{c.__name__}-{sorted(k)}" for c, k, _, _ in EDGE],
)
def test_valid_edge_values_are_accepted(layer_cls, kwargs, config, output):
    layer = layer_cls(**kwargs)
    got = layer.get_config()
    for key, value in (config or kwargs).items():
        assert got[key] == value, key
    if output is not None:
        x = keras.ops.convert_to_tensor([[-2.0, 3.0]])
        y = keras.ops.convert_to_numpy(layer(x, training=True))
        assert y.tolist() == [output]
