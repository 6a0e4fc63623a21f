"""Keras' own layer contract, checked on every reluplug layer.

The checks of Keras' ``TestCase.run_layer_test`` (keras/src/testing/
test_case.py), rewritten against the public API (``keras.src`` is private):
class serialization (``get_config``/``from_config`` and
``serialize_keras_object``/``deserialize_keras_object`` round trips, same
attributes), ``supports_masking``, explicit ``build`` (weight and seed
generator counts), symbolic call, "built after instantiation" for layers
without weights (and not built when a subclass overrides ``build``), eager
call, one training step of a subclassed model with ``jit_compile="auto"``,
and ``dtype="mixed_float16"`` (output dtype as ``compute_output_spec``
says, float32 weights). Beyond ``run_layer_test``: NumPy scalars wherever a
Python number is accepted, ``count_params``/``stateless_call`` on a fresh
weightless layer, and a rank check after build for layers with weights,
each compared with what Keras' own layers do.

The cases come from ``layer_cases.CASES``; every public layer has one.
"""

import json
import warnings

import keras
import numpy as np
import pytest
from layer_cases import CASES
from layer_testing import to_numpy64

from reluplug import layers

IDS = sorted(CASES)
WEIGHTLESS = [c for c in IDS if not CASES[c][3]]
WEIGHTED = [c for c in IDS if CASES[c][3]]
# Element-wise activation layers (they declare `negative_side`) pass masks
# through and fix their input rank when built, as keras.layers.PReLU; the
# structured linear layers (HadamardDense, ...) follow keras.layers.Dense
# instead: rank >= 2, the last (feature) axis fixed when built.
ELEMENTWISE = [c for c in IDS if hasattr(CASES[c][0], "negative_side")]
DENSE_LIKE = [c for c in WEIGHTED if c not in ELEMENTWISE]


def _case(case_id):
    layer_cls, kwargs, input_shape, weight_shapes, *_ = CASES[case_id]
    return layer_cls, dict(kwargs), tuple(input_shape), weight_shapes


def _output_shape(case_id):
    _, _, input_shape, _, *output_shape = CASES[case_id]
    return tuple(output_shape[0] if output_shape else input_shape)


def _concrete(input_shape, batch=2):
    return (batch,) + tuple(3 if d is None else d for d in input_shape[1:])


def _data(input_shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 2.0, _concrete(input_shape)).astype("float32")


def _seed_generators(layer):
    return [
        v
        for v in vars(layer).values()
        if isinstance(v, keras.random.SeedGenerator)
    ]


def _config_json(layer):
    return json.dumps(layer.get_config(), sort_keys=True)


@pytest.mark.parametrize("case", IDS)
def test_class_serialization(case):
    layer_cls, kwargs, _, _ = _case(case)
    layer = layer_cls(**kwargs)
    config_json = _config_json(layer)
    revived = layer_cls.from_config(layer.get_config())
    assert _config_json(revived) == config_json
    assert set(dir(revived)) == set(dir(layer))
    serialized = json.loads(
        json.dumps(keras.saving.serialize_keras_object(layer))
    )
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is layer_cls
    assert _config_json(revived) == config_json
    assert set(dir(revived)) - {"__annotations__"} == set(dir(layer)) - {
        "__annotations__"
    }


@pytest.mark.parametrize("case", ELEMENTWISE)
def test_supports_masking_and_passes_the_mask(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    layer = layer_cls(**kwargs)
    assert layer.supports_masking is True
    x = _data(input_shape)
    mask = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2]) % 2 == 0
    layer(x)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.compute_mask(x, mask)), mask
    )


def _check_built(layer, weight_shapes, seed_generators):
    assert layer.built
    assert [tuple(w.shape) for w in layer.trainable_weights] == [
        tuple(s) for s in weight_shapes
    ]
    assert layer.non_trainable_weights == []
    assert len(_seed_generators(layer)) == seed_generators
    assert len(layer.non_trainable_variables) == seed_generators
    if keras.backend.backend() == "torch":
        assert len(layer.torch_params) == len(weight_shapes) + seed_generators


@pytest.mark.parametrize("case", IDS)
def test_build_and_symbolic_call(case):
    layer_cls, kwargs, input_shape, weight_shapes = _case(case)
    seed_generators = 1 if layer_cls is layers.RReLU else 0
    layer = layer_cls(**kwargs)
    layer.build(input_shape)
    _check_built(layer, weight_shapes, seed_generators)

    layer = layer_cls(**kwargs)
    out = layer(keras.Input(batch_shape=input_shape))
    _check_built(layer, weight_shapes, seed_generators)
    assert tuple(out.shape) == _output_shape(case)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


@pytest.mark.parametrize("case", WEIGHTLESS)
def test_weightless_layer_is_built_after_instantiation(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    layer = layer_cls(**kwargs)
    assert layer.built, f"{layer_cls.__name__} has no weights: built at init"
    assert layer.count_params() == 0
    x = _data(input_shape)
    state = [v.value for v in layer.non_trainable_variables]
    out, _ = layer.stateless_call([], state, x)
    np.testing.assert_array_equal(to_numpy64(out), to_numpy64(layer(x)))

    class ModifiedBuildLayer(layer_cls):
        def build(self, input_shape):
            pass

    assert not ModifiedBuildLayer(**kwargs).built


@pytest.mark.parametrize("case", WEIGHTED)
def test_layer_with_weights_is_not_built_until_called(case):
    layer_cls, kwargs, input_shape, weight_shapes = _case(case)
    layer = layer_cls(**kwargs)
    assert not layer.built
    layer(_data(input_shape))
    assert layer.count_params() == sum(
        int(np.prod(s, dtype=int)) for s in weight_shapes
    )


@pytest.mark.parametrize("case", [c for c in WEIGHTED if c in ELEMENTWISE])
def test_call_of_another_rank_after_build_raises(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    layer = layer_cls(**kwargs)
    x = _data(input_shape)
    layer(x)
    with pytest.raises(ValueError, match=r"expected ndim=\d+, found ndim="):
        layer(x[..., None])
    with pytest.raises(ValueError, match=r"expected ndim=\d+, found ndim="):
        layer(x[0])


@pytest.mark.parametrize("case", DENSE_LIKE)
def test_dense_like_layer_fixes_its_feature_axis_as_keras_dense(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    x = _data(input_shape)
    for layer in (keras.layers.Dense(3), layer_cls(**kwargs)):
        layer(x)
        with pytest.raises(ValueError, match=r"expected axis -1 .* value"):
            layer(np.concatenate([x, x], axis=-1))


def test_rank_check_matches_keras_prelu():
    x = np.ones((2, 4), "float32")
    for layer in (
        keras.layers.PReLU(),
        layers.PReLU(alpha_initializer="zeros"),
    ):
        layer(x)
        with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
            layer(x[..., None])


def test_per_channel_weights_fix_the_channel_count():
    layer = layers.PReLU()
    layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"expected axis -?1 .* value 4"):
        layer(np.ones((2, 5), "float32"))


@pytest.mark.parametrize("case", IDS)
def test_eager_call_and_training_step(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    layer = layer_cls(**kwargs)
    x = _data(input_shape)
    y = layer(x)
    expected = _output_shape(case)
    assert len(y.shape) == len(expected)
    assert all(e in (None, d) for e, d in zip(expected, y.shape)), y.shape

    class TestModel(keras.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, x, training=False):
            return self.layer(x, training=training)

    class SumLoss(keras.losses.Loss):
        def __call__(self, y_true, y_pred, sample_weight=None):
            return keras.ops.sum(y_pred)

    model = TestModel(layer)
    model.compile(optimizer="sgd", loss=SumLoss(), jit_compile="auto")
    before = [keras.ops.convert_to_numpy(w).copy() for w in layer.weights]
    y = keras.ops.convert_to_numpy(y)

    def batches():
        while True:
            yield x, y

    history = model.fit(batches(), steps_per_epoch=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for weight, start in zip(layer.weights, before):
        assert not np.array_equal(keras.ops.convert_to_numpy(weight), start)


@pytest.mark.parametrize("case", IDS)
def test_mixed_float16_dtype_argument(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    layer = layer_cls(**kwargs, dtype="mixed_float16")
    x = _data(input_shape)
    out = layer(x)
    spec = layer.compute_output_spec(
        keras.KerasTensor(x.shape, dtype=layer.compute_dtype)
    )
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    assert spec.dtype == "float16"
    for weight in layer.weights:
        assert keras.backend.standardize_dtype(weight.dtype) == "float32"


def _as_numpy(value):
    """Python ints and floats (alone or in a list) as NumPy scalars."""
    if isinstance(value, list):
        return [_as_numpy(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return np.int64(value) if isinstance(value, int) else np.float32(value)


def _as_python(value):
    if isinstance(value, list):
        return [_as_python(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _has_number(value):
    if isinstance(value, list):
        return any(_has_number(v) for v in value)
    return _as_numpy(value) is not value


NUMERIC = [c for c in IDS if any(map(_has_number, CASES[c][1].values()))]


@pytest.mark.parametrize("case", NUMERIC)
def test_numpy_scalars_are_accepted_like_python_numbers(case):
    layer_cls, kwargs, input_shape, _ = _case(case)
    as_numpy = {k: _as_numpy(v) for k, v in kwargs.items()}
    layer = layer_cls(**as_numpy)
    config = layer.get_config()
    json.dumps(config)  # NumPy scalars would not serialise
    # The same layer as from the Python numbers the NumPy scalars hold.
    reference = layer_cls(**{k: _as_python(v) for k, v in as_numpy.items()})
    assert config == {**reference.get_config(), "name": config["name"]}
    x = _data(input_shape)
    out = layer(x)
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())  # unseeded initializers
    np.testing.assert_array_equal(to_numpy64(out), to_numpy64(reference(x)))


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.ELU(np.float32(0.7)),
        lambda: layers.CELU(alpha=np.float64(2.0)),
        lambda: layers.PReLU(shared_axes=np.int64(1)),
        lambda: layers.PReLU(
            shared_axes=[np.int32(1)], initial_slope=np.float16(0.5)
        ),
        lambda: layers.RReLU(seed=np.int64(3)),
        lambda: layers.Swish(channel_axis=np.int8(-1), granularity="channel"),
    ],
)
def test_numpy_scalars_in_every_kind_of_argument(make):
    layer = make()
    json.dumps(layer.get_config())


def test_numpy_bool_and_arrays_are_not_numbers():
    with pytest.raises(ValueError, match=r"alpha=np\.True_|alpha=True"):
        layers.ELU(np.bool_(True))
    with pytest.raises(ValueError, match=r"alpha=array"):
        layers.ELU(np.array([0.5, 1.0]))


def test_leaky_relu_alpha_is_a_deprecated_alias_as_in_keras():
    with warnings.catch_warnings(record=True) as keras_warnings:
        warnings.simplefilter("always")
        keras.layers.LeakyReLU(alpha=0.2)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2
    assert layer.get_config()["negative_slope"] == 0.2
    assert "alpha" not in layer.get_config()
    assert [str(w.message) for w in ours] == [
        str(w.message) for w in keras_warnings
    ]
    assert [w.category for w in ours] == [w.category for w in keras_warnings]
    x = np.array([[-2.0, 3.0]], "float32")
    np.testing.assert_allclose(to_numpy64(layer(x)), [[-0.4, 3.0]], rtol=1e-6)


def test_leaky_relu_alpha_and_negative_slope_together_raise():
    with pytest.raises(ValueError, match=r"negative_slope=0\.1, alpha=0\.2"):
        layers.LeakyReLU(negative_slope=0.1, alpha=0.2)


@pytest.mark.parametrize(
    "keras_layer, ours",
    [
        (keras.layers.ELU, layers.ELU),
        (keras.layers.LeakyReLU, layers.LeakyReLU),
    ],
)
def test_weightless_layers_behave_as_their_keras_namesakes(keras_layer, ours):
    x = np.array([[-1.0, 2.0]], "float32")
    for layer in (keras_layer(), ours()):
        assert layer.built
        assert layer.count_params() == 0
        out, state = layer.stateless_call([], [], x)
        assert state == []
        assert tuple(out.shape) == (1, 2)
