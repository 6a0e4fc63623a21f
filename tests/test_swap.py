"""Tests of ``reluplug.swap_activations`` (TensorFlow and JAX backends).

References are independent of the site discovery: expected site counts come
from the model's layer types (MobileNetV2 uses ``ReLU(max_value=6)`` layers,
ResNet50 ``Activation("relu")`` layers), weights are compared with the
original model layer by layer, and predictions with the original model.
"""

import os

import keras
import numpy as np
import pytest

import reluplug
from reluplug import layers as rp_layers


def _nested_functional():
    """Outer functional model: Dense(relu) -> inner functional block ->
    inner Sequential -> Dense(sigmoid) read-out inside a nested model."""
    inner_in = keras.Input((12,))
    h = keras.layers.Dense(12, activation="relu", name="in_dense")(inner_in)
    h = keras.layers.Activation("elu", name="in_elu")(h)
    h = keras.layers.BatchNormalization(name="in_bn")(h)
    inner = keras.Model(inner_in, h, name="block")
    seq = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(8, activation="tanh", name="seq_dense"),
            keras.layers.LeakyReLU(0.1, name="seq_leaky"),
        ],
        name="seq",
    )
    head_in = keras.Input((8,))
    head_out = keras.layers.Dense(1, activation="sigmoid", name="out")(head_in)
    head = keras.Model(head_in, head_out, name="head")
    x = keras.Input((6,))
    y = keras.layers.Dense(12, activation="relu", name="first")(x)
    y = inner(y)
    y = seq(y)
    return keras.Model(x, head(y), name="outer")


# name -> (builder, input shape, identity activation, expected sites, readout)
MODELS = {
    "mobilenet_v2": (
        lambda: keras.applications.MobileNetV2(
            weights=None, input_shape=(32, 32, 3), classes=10
        ),
        (32, 32, 3),
        lambda: keras.layers.ReLU(max_value=6.0),
        lambda m: sum(isinstance(la, keras.layers.ReLU) for la in m.layers),
        "predictions",
    ),
    "resnet50": (
        lambda: keras.applications.ResNet50(
            weights=None, input_shape=(32, 32, 3), classes=10
        ),
        (32, 32, 3),
        lambda: "relu",
        lambda m: sum(
            isinstance(la, keras.layers.Activation)
            and la.get_config()["activation"] == "relu"
            for la in m.layers
        ),
        "predictions",
    ),
    "nested": (_nested_functional, (6,), None, lambda m: 5, "out"),
}


def _all_layers(model, prefix=""):
    out = {}
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            out.update(_all_layers(layer, path + "/"))
        else:
            out[path] = layer
    return out


# Keras applications models take seconds each to build: the slow tier.
APPLICATIONS = ("mobilenet_v2", "resnet50")


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(
            name, marks=pytest.mark.slow if name in APPLICATIONS else ()
        )
        for name in sorted(MODELS)
    ],
)
def case(request):
    build, shape, identity, expected, readout = MODELS[request.param]
    keras.utils.set_random_seed(1)
    model = build()
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    return request.param, model, x, identity, expected(model), readout


def test_every_site_replaced_readout_kept_weights_equal(case):
    name, model, _, _, n_sites, readout = case
    new = reluplug.swap_activations(model, "prelu")
    old_layers, new_layers = _all_layers(model), _all_layers(new)
    prelus = [
        la for la in new_layers.values() if isinstance(la, rp_layers.PReLU)
    ]
    assert len(prelus) == n_sites > 0
    # No activation of the original kind is left, except the read-out.
    for path, layer in new_layers.items():
        if isinstance(layer, keras.layers.ReLU | keras.layers.LeakyReLU):
            pytest.fail(f"{path} was not replaced")
        if isinstance(layer, keras.layers.Activation):
            assert layer.get_config()["activation"] == "softmax", path
            continue
        fused = getattr(getattr(layer, "activation", None), "__name__", None)
        if fused not in (None, "linear", "softmax"):
            assert path.endswith(readout), path
    out_layer = [la for p, la in new_layers.items() if p.endswith(readout)]
    expected_readout = "sigmoid" if name == "nested" else "softmax"
    assert out_layer[0].activation.__name__ == expected_readout
    # Every layer that is not a replaced site has the original's weights.
    n_compared = 0
    for path, old in old_layers.items():
        if not old.weights:
            continue
        assert path in new_layers, path
        for a, b in zip(old.get_weights(), new_layers[path].get_weights()):
            np.testing.assert_array_equal(a, b)
        n_compared += 1
    assert n_compared == sum(1 for la in old_layers.values() if la.weights)


def test_identity_swap_keeps_predictions(case):
    _, model, x, identity, _, _ = case
    if identity is None:  # mixed activations: swap each one for itself
        new = model
        for act, sites in (
            ("relu", ["first", "in_dense"]),
            ("elu", ["in_elu"]),
            ("tanh", ["seq_dense"]),
        ):
            new = reluplug.swap_activations(new, act, layers=sites)
        new = reluplug.swap_activations(
            new, keras.layers.LeakyReLU(0.1), layers=["seq_leaky"]
        )
    else:
        new = reluplug.swap_activations(model, identity())
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model(x, training=False)),
        keras.ops.convert_to_numpy(new(x, training=False)),
    )


def test_keras_round_trip_safe_mode(case, tmp_path):
    _, model, x, _, _, _ = case
    new = reluplug.swap_activations(model, "pelu")
    path = os.path.join(tmp_path, "swapped.keras")
    new.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x, training=False)),
        keras.ops.convert_to_numpy(new(x, training=False)),
        rtol=0,
        atol=0,
    )
    assert [type(la).__name__ for la in loaded.layers] == [
        type(la).__name__ for la in new.layers
    ]


def _small():
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="relu", name="hidden"),
            keras.layers.Dense(1, activation="sigmoid", name="out"),
        ]
    )


def test_sequential_fused_site_gets_a_layer_after_it():
    model = _small()
    new = reluplug.swap_activations(model, "leaky_relu")
    assert [la.name for la in new.layers] == [
        "hidden",
        "hidden_activation",
        "out",
    ]
    assert new.layers[0].activation.__name__ == "linear"
    assert isinstance(new.layers[1], rp_layers.LeakyReLU)
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    z = x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    leaky = np.where(z > 0, z, new.layers[1].negative_slope * z)
    ref = 1 / (1 + np.exp(-(leaky @ model.layers[1].kernel.numpy())))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(new(x)), ref, rtol=1e-5, atol=1e-6
    )


def test_keep_readout_false_replaces_the_output_activation():
    new = reluplug.swap_activations(_small(), "elu", keep_readout=False)
    assert [type(la).__name__ for la in new.layers] == [
        "Dense",
        "ELU",
        "Dense",
        "ELU",
    ]


def test_a_fresh_layer_per_site():
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(2),
        ]
    )
    template = rp_layers.PReLU()
    new = reluplug.swap_activations(model, template)
    prelus = [la for la in new.layers if isinstance(la, rp_layers.PReLU)]
    assert len(prelus) == 2 and len({id(la) for la in prelus}) == 2
    assert all(la is not template for la in prelus)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3, activation="relu")

    def call(self, x):
        return self.dense(x)


def test_errors_are_clear():
    sub = _Subclassed()
    sub(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match="subclassed.*activation.*constructor"):
        reluplug.swap_activations(sub, "prelu")
    linear = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="no activation site"):
        reluplug.swap_activations(linear, "prelu")
    with pytest.raises(ValueError, match="Unknown activation 'prelux'"):
        reluplug.swap_activations(_small(), "prelux")
    with pytest.raises(ValueError, match="'out' in `layers` is not"):
        reluplug.swap_activations(
            keras.Sequential(
                [keras.Input((2,)), keras.layers.Dense(3, name="out")]
            ),
            "prelu",
            layers=["out"],
        )


def test_docstring_example():
    import doctest

    from reluplug import swap

    result = doctest.testmod(swap, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_fused_activation_given_as_a_layer_is_fused():
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation=keras.layers.ReLU(), name="d"),
            keras.layers.Dense(2, name="o"),
        ]
    )
    new = reluplug.swap_activations(model, "elu")
    assert [type(la).__name__ for la in new.layers] == ["Dense", "ELU", "Dense"]
    np.testing.assert_array_equal(
        new.get_layer("d").kernel.numpy(), model.get_layer("d").kernel.numpy()
    )


@pytest.mark.parametrize(
    "readout",
    [
        lambda: [keras.layers.Dense(3, activation="softmax", name="out")],
        lambda: [keras.layers.Dense(3, name="out"), keras.layers.Softmax()],
        lambda: [
            keras.layers.Dense(3, name="out"),
            keras.layers.Activation("log_softmax"),
        ],
    ],
)
def test_keep_readout_false_replaces_a_softmax_readout(readout):
    """The README: "the read-out (the output layer's softmax/sigmoid) is
    kept unless `keep_readout=False`" -- a softmax too, not only sigmoid."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="relu", name="hidden"),
            *readout(),
        ]
    )
    kept = reluplug.swap_activations(model, "elu")
    assert [type(la).__name__ for la in kept.layers][2:] == [
        type(la).__name__ for la in model.layers[1:]
    ]
    new = reluplug.swap_activations(model, "elu", keep_readout=False)
    assert [type(la).__name__ for la in new.layers] == [
        "Dense",
        "ELU",
        "Dense",
        "ELU",
    ]
    assert new.layers[2].activation.__name__ == "linear"
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    hidden, out = model.layers[0], model.layers[1]
    z = x @ hidden.kernel.numpy() + hidden.bias.numpy()
    z = np.where(z > 0, z, np.expm1(z)) @ out.kernel.numpy() + out.bias.numpy()
    ref = np.where(z > 0, z, np.expm1(z))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(new(x)), ref, rtol=1e-5, atol=1e-6
    )
