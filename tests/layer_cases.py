"""One list of layer cases for the contract tests, and its completeness.

``CASES`` maps a case id to ``(layer class, constructor arguments, input
shape with batch axis, trainable weight shapes[, output shape])`` (the
output shape only where it differs from the input's); arguments are not
the defaults, so a lost argument shows. ``public_layer_classes()`` finds every
layer a user can reach (``reluplug.layers.__all__`` and the registry,
including layers other modules add later), so a new layer without a case
fails ``test_every_public_layer_has_a_contract_case`` until it gets one.
"""

import keras

from reluplug import layers
from reluplug import registry

CASES = {
    "leaky_relu": (layers.LeakyReLU, {"negative_slope": 0.2}, (None, 3), []),
    "prelu_shared": (
        layers.PReLU,
        {"initial_slope": 0.1, "granularity": "shared"},
        (None, 3),
        [()],
    ),
    "prelu_channel_unknown_spatial": (
        layers.PReLU,
        {"initial_slope": 0.3, "granularity": "channel"},
        (None, None, None, 3),
        [(3,)],
    ),
    "prelu_channels_first_regularized": (
        layers.PReLU,
        {
            "initial_slope": 0.05,
            "channel_axis": 1,
            "alpha_regularizer": keras.regularizers.L2(0.01),
            "alpha_constraint": keras.constraints.NonNeg(),
        },
        (None, 3, 4, 5),
        [(3, 1, 1)],
    ),
    "prelu_keras_drop_in": (
        layers.PReLU,
        {
            "alpha_initializer": keras.initializers.Constant(0.2),
            "shared_axes": [1, 2],
        },
        (None, None, None, 3),
        [(1, 1, 3)],
    ),
    "rrelu": (
        layers.RReLU,
        {"lower": 0.05, "upper": 0.4, "seed": 7},
        (None, 3),
        [],
    ),
    "elu": (layers.ELU, {"alpha": 0.5}, (None, 3), []),
    "celu": (layers.CELU, {"alpha": 2.0}, (None, 3), []),
    "selu": (layers.SELU, {}, (None, 3), []),
    "heaviside": (layers.Heaviside, {}, (None, 3), []),
    "pelu_channels_first": (
        layers.PELU,
        {
            "alpha": 1.5,
            "beta": 0.7,
            "min_value": 0.05,
            "granularity": "channel",
            "channel_axis": 1,
        },
        (None, 3, 4),
        [(3, 1), (3, 1)],
    ),
    "srelu_shared": (
        layers.SReLU,
        {
            "t_left": -0.5,
            "a_left": 0.1,
            "t_right": 2.0,
            "a_right": 0.5,
            "granularity": "shared",
        },
        (None, 4, 3),
        [(), (), (), ()],
    ),
    "srelu_channel": (
        layers.SReLU,
        {"t_left": -0.5, "a_right": 0.8},
        (None, 4, 3),
        [(3,), (3,), (3,), (3,)],
    ),
    "swish_channel": (
        layers.Swish,
        {"beta": 1.5, "granularity": "channel"},
        (None, 3),
        [(3,)],
    ),
    "walsh_hadamard_signs_truncated": (
        layers.WalshHadamard,
        {"units": 6, "random_signs": True, "seed": 3, "normalize": False},
        (None, 5),
        [],
        (None, 6),
    ),
    "walsh_hadamard_rank3": (
        layers.WalshHadamard,
        {},
        (None, 4, 3),
        [],
        (None, 4, 4),
    ),
    "hadamard_dense_deep_expand": (
        layers.HadamardDense,
        {
            "units": 12,
            "activation": "relu",
            "kernel_initializer": keras.initializers.RandomNormal(
                stddev=0.5, seed=1
            ),
            "bias_initializer": keras.initializers.Ones(),
            "kernel_regularizer": keras.regularizers.L2(0.01),
            "bias_regularizer": keras.regularizers.L1(0.01),
            "depth": 2,
            "seed": 5,
        },
        (None, 5),
        [(2, 16), (2, 16), (2, 16), (12,)],
        (None, 12),
    ),
    "hadamard_dense_no_bias_rank3": (
        layers.HadamardDense,
        {"units": 3, "use_bias": False, "seed": 0},
        (None, 2, 7),
        [(1, 8), (1, 8), (1, 8)],
        (None, 2, 3),
    ),
    "circulant_dense_expand": (
        layers.CirculantDense,
        {
            "units": 9,
            "activation": "tanh",
            "kernel_initializer": keras.initializers.RandomUniform(
                -0.3, 0.3, seed=2
            ),
            "bias_initializer": keras.initializers.Ones(),
            "kernel_regularizer": keras.regularizers.L2(0.01),
            "kernel_constraint": keras.constraints.MaxNorm(2.0),
        },
        (None, 4),
        [(9,), (9,)],
        (None, 9),
    ),
    "circulant_dense_reduce_no_bias": (
        layers.CirculantDense,
        {"units": 2, "use_bias": False},
        (None, 3, 6),
        [(6,)],
        (None, 3, 2),
    ),
    "swish_fixed": (
        layers.Swish,
        {"beta": 2.0, "trainable": False},
        (None, 3),
        [],
    ),
}


def public_layer_classes():
    """Every layer class of ``reluplug.layers`` and of the registry."""
    found = {getattr(layers, name) for name in layers.__all__}
    found |= {registry.registered_class(n) for n in registry.available()}
    return {cls for cls in found if isinstance(cls, type)}
