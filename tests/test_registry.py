"""``reluplug.get``, ``available`` and ``register``."""

import keras
import numpy as np
import pytest
from layer_testing import to_numpy64

import reluplug
from reluplug import layers
from reluplug import registry

OURS = {
    "leaky_relu": layers.LeakyReLU,
    "prelu": layers.PReLU,
    "rrelu": layers.RReLU,
    "elu": layers.ELU,
    "celu": layers.CELU,
    "selu": layers.SELU,
    "pelu": layers.PELU,
    "srelu": layers.SReLU,
    "swish": layers.Swish,
}
KERAS_NAMES = ["relu", "gelu", "tanh", "sigmoid", "silu", "softplus", "mish"]


@pytest.fixture
def clean_registry(monkeypatch):
    """Registrations made by a test vanish after it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_available_lists_every_layer_and_keras_builtins():
    names = reluplug.available()
    assert names == sorted(names)
    assert set(OURS) <= set(names)
    assert set(KERAS_NAMES) <= set(names)


@pytest.mark.parametrize("name", sorted(OURS))
def test_registered_names_are_snake_case_of_the_class(name):
    cls = OURS[name]
    assert registry.snake_case(cls.__name__) == name
    for spelling in (name, name.upper(), cls.__name__, cls.__name__.upper()):
        layer = reluplug.get(spelling)
        assert type(layer) is cls, spelling


def test_names_take_constructor_parameters():
    layer = reluplug.get("LeakyReLU", negative_slope=0.1)
    assert layer.negative_slope == 0.1
    layer = reluplug.get("prelu", initial_slope=0.1, granularity="shared")
    assert (layer.initial_slope, layer.granularity) == (0.1, "shared")


def test_bad_parameters_are_validated_by_the_layer():
    with pytest.raises(ValueError, match=r"alpha=-1"):
        reluplug.get("elu", alpha=-1)


def test_every_get_returns_a_new_layer():
    assert reluplug.get("prelu") is not reluplug.get("prelu")


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_keras_builtins_become_activation_layers(name):
    layer = reluplug.get(name.upper())
    assert isinstance(layer, keras.layers.Activation)
    x = np.linspace(-3, 3, 13, dtype="float32")[None]
    expected = keras.activations.get(name)(x)
    np.testing.assert_allclose(
        to_numpy64(layer(x)), to_numpy64(expected), rtol=1e-6
    )


def test_keras_builtins_take_no_parameters():
    with pytest.raises(ValueError, match=r"'tanh' takes no parameters"):
        reluplug.get("tanh", alpha=1.0)


@pytest.mark.parametrize(
    "identifier",
    [
        {"class_name": "PELU", "config": {"alpha": 2.0, "beta": 0.5}},
        {"class_name": "reluplug>PELU", "config": {"alpha": 2.0, "beta": 0.5}},
        {"class_name": "pelu", "config": {"alpha": 2.0, "beta": 0.5}},
        keras.saving.serialize_keras_object(layers.PELU(alpha=2.0, beta=0.5)),
    ],
    ids=["class", "registered", "snake", "serialized"],
)
def test_dicts(identifier):
    layer = reluplug.get(identifier)
    assert type(layer) is layers.PELU
    assert (layer.alpha, layer.beta) == (2.0, 0.5)


def test_keras_layer_dicts():
    layer = reluplug.get(keras.layers.serialize(keras.layers.ReLU(6.0)))
    assert isinstance(layer, keras.layers.ReLU)
    assert layer.max_value == 6.0


@pytest.mark.parametrize(
    "identifier",
    [{"config": {}}, {"class_name": "PELU", "config": "alpha=2"}],
)
def test_malformed_dicts(identifier):
    with pytest.raises(ValueError, match=r"'class_name'"):
        reluplug.get(identifier)


def test_classes_are_instantiated_with_parameters():
    layer = reluplug.get(layers.SReLU, t_left=-1.0)
    assert type(layer) is layers.SReLU and layer.t_left == -1.0
    assert isinstance(reluplug.get(keras.layers.ReLU), keras.layers.ReLU)


def test_instances_give_a_fresh_copy():
    original = layers.PReLU(initial_slope=0.1, granularity="shared")
    original(np.ones((2, 3), "float32"))
    copy = reluplug.get(original)
    assert copy is not original
    assert type(copy) is layers.PReLU
    assert not copy.built
    assert copy.name != original.name
    config, expected = copy.get_config(), original.get_config()
    config.pop("name"), expected.pop("name")
    assert config == expected
    with pytest.raises(ValueError, match="takes no parameters"):
        reluplug.get(original, initial_slope=0.3)


def test_import_paths():
    layer = reluplug.get("reluplug.layers:PELU", alpha=3.0)
    assert type(layer) is layers.PELU and layer.alpha == 3.0
    assert isinstance(reluplug.get("keras.layers:ReLU"), keras.layers.ReLU)


@pytest.mark.parametrize(
    "identifier, match",
    [
        ("reluplug.layers:NoSuchLayer", r"Cannot import.*NoSuchLayer"),
        ("no_such_module_xyz:Layer", r"Cannot import.*no_such_module_xyz"),
        ("numpy:ndarray", r"must be a keras.layers.Layer subclass"),
    ],
)
def test_bad_import_paths(identifier, match):
    with pytest.raises(ValueError, match=match):
        reluplug.get(identifier)


@pytest.mark.parametrize(
    "identifier, close",
    [
        ("leaky_rleu", "leaky_relu"),
        ("PRelu6", "prelu"),
        ("swsh", "swish"),
        ("gelu_new", "gelu"),
    ],
)
def test_unknown_names_list_close_matches(identifier, close):
    with pytest.raises(ValueError) as info:
        reluplug.get(identifier)
    message = str(info.value)
    assert repr(identifier) in message
    hint = message.split("Available:")[0]  # not the full list below
    assert "did you mean" in hint and repr(close) in hint
    assert "'srelu'" in message  # the full list of available names


def test_unknown_without_close_matches_still_lists_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'zzz'.*prelu"):
        reluplug.get("zzz")


@pytest.mark.parametrize("identifier", [3, None, 1.5, ["prelu"]])
def test_bad_identifier_types(identifier):
    with pytest.raises(ValueError, match="identifier must be"):
        reluplug.get(identifier)


class Sine(keras.layers.Layer):
    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, x):
        return keras.ops.sin(self.scale * x)


@pytest.mark.usefixtures("clean_registry")
def test_register_and_get():
    assert reluplug.register(Sine) is Sine
    assert "sine" in reluplug.available()
    layer = reluplug.get("SINE", scale=2.0)
    assert type(layer) is Sine and layer.scale == 2.0
    reluplug.register(Sine, "wave")
    assert type(reluplug.get("Wave")) is Sine


@pytest.mark.usefixtures("clean_registry")
def test_register_refuses_silent_override():
    class PReLU(keras.layers.Layer):
        pass

    with pytest.raises(ValueError, match=r"'prelu' is already registered"):
        reluplug.register(PReLU)
    assert type(reluplug.get("prelu")) is layers.PReLU
    reluplug.register(PReLU, override=True)
    assert type(reluplug.get("prelu")) is PReLU
    reluplug.register(layers.PELU, "pelu")  # same class again: fine


def test_clean_registry_undoes_registrations(monkeypatch):
    # What `clean_registry` does, checked in one test (no order needed).
    before = dict(registry._REGISTRY)
    with monkeypatch.context() as patch:
        patch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

        class PReLU(keras.layers.Layer):
            pass

        reluplug.register(Sine)
        reluplug.register(PReLU, override=True)
        assert "sine" in reluplug.available()
        assert type(reluplug.get("prelu")) is PReLU
    assert registry._REGISTRY == before
    assert "sine" not in reluplug.available()
    assert type(reluplug.get("prelu")) is layers.PReLU


@pytest.mark.parametrize("obj", [int, "prelu", keras.layers.ReLU()])
def test_register_needs_a_layer_class(obj):
    with pytest.raises(ValueError, match=r"`cls` must be a subclass"):
        reluplug.register(obj)
