"""The initialisation protocol: scales, shared draws, the table, the hash."""

import hashlib
import math

import keras
import numpy as np
import pytest

import reluplug
from reluplug.bench.engine import model as bench_model
from reluplug.bench.suite import init_protocol

# Reference formulas, written out from the papers (not from the module).
REFERENCE_STD = {
    "he_normal": lambda fi, fo: math.sqrt(2.0 / fi),
    "he_uniform": lambda fi, fo: math.sqrt(2.0 / fi),
    "lecun_normal": lambda fi, fo: math.sqrt(1.0 / fi),
    "lecun_uniform": lambda fi, fo: math.sqrt(1.0 / fi),
    "glorot_normal": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    "glorot_uniform": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
}


@pytest.mark.parametrize("scheme", sorted(REFERENCE_STD))
@pytest.mark.parametrize(
    "shape, fans",
    [((300, 200), (300, 200)), ((3, 3, 64, 96), (576, 864))],
)
def test_drawn_std_matches_the_formula(scheme, shape, fans):
    _, scaled = init_protocol.initial_kernel(shape, scheme, 7, 0, 0)
    expected = REFERENCE_STD[scheme](*fans)
    # 55000+ draws: the sample std is within ~0.3% (one standard error)
    # of the true one, the mean within expected / sqrt(n).
    assert scaled.std() == pytest.approx(expected, rel=0.015)
    assert abs(scaled.mean()) < 5 * expected / math.sqrt(scaled.size)


@pytest.mark.parametrize("scheme", ["he_normal", "glorot_uniform"])
def test_draws_are_bounded_as_keras_initializers_are(scheme):
    law = init_protocol.SCHEMES[scheme]
    unscaled, scaled = init_protocol.initial_kernel((500, 40), scheme, 1, 2, 0)
    if law.distribution == "uniform":
        bound = math.sqrt(3.0)  # U(-sqrt 3, sqrt 3) has unit variance
    else:
        bound = 2.0 / 0.87962566103423978  # normal cut at +-2, rescaled
    assert np.abs(unscaled).max() <= bound
    assert np.abs(unscaled).max() > 0.95 * bound
    assert unscaled.std() == pytest.approx(1.0, rel=0.02)


def test_same_draws_for_every_scheme_of_one_distribution():
    shape = (20, 30)
    draws = {
        s: init_protocol.initial_kernel(shape, s, 3, 1, 0)
        for s in ("he_normal", "lecun_normal", "glorot_normal")
    }
    base = draws["he_normal"][0]
    for unscaled, _ in draws.values():
        np.testing.assert_array_equal(unscaled, base)
    # Only the scale differs: He / LeCun = sqrt(2) in every entry.
    ratio = draws["he_normal"][1] / draws["lecun_normal"][1]
    np.testing.assert_allclose(ratio, math.sqrt(2.0), rtol=1e-12)
    other = init_protocol.initial_kernel(shape, "he_normal", 4, 1, 0)[0]
    assert not np.array_equal(other, base)  # another seed, other numbers


@pytest.mark.parametrize(
    "name, expected",
    [
        ("relu", "he_normal"),
        ("leaky_relu", "he_normal"),
        ("prelu", "he_normal"),
        ("elu", "he_normal"),
        ("selu", "lecun_normal"),
        ("tanh", "glorot_normal"),
        ("sigmoid", "glorot_normal"),
        ("swish", "glorot_normal"),  # not in the table: saturating side
        ("heaviside", "he_normal"),  # not in the table: zero side
        ("gelu", "glorot_normal"),  # a Keras Activation: declares nothing
    ],
)
def test_recommended_table(name, expected):
    layer = reluplug.get(name)
    side = getattr(layer, "negative_side", None)
    assert init_protocol.resolve("recommended", [name], side) == expected


def test_an_explicit_protocol_applies_to_every_activation():
    for name in ("relu", "selu", "tanh"):
        assert init_protocol.resolve("lecun_uniform", [name]) == "lecun_uniform"
        assert init_protocol.resolve("same", [name]) == "same"


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match=r"`init`.*'recommended'.*'he_norm'"):
        init_protocol.resolve("he_norm", ["relu"])


# ----------------------------------------------------- on a Keras model


def _model(activation, seed=0):
    keras.utils.set_random_seed(seed)
    act = [reluplug.get(activation) for _ in range(2)]
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, name="dense_1"),
            act[0],
            keras.layers.Dense(16, name="dense_2"),
            act[1],
            keras.layers.Dense(3, name="dense_3"),
        ]
    )
    return model, act


def _old_hash(model, activation_layers):
    """init_sha256 as it was computed before the protocol existed."""
    skip = {id(a) for a in activation_layers}
    digest = hashlib.sha256()
    for layer in model.layers:
        if id(layer) in skip:
            continue
        for weight in layer.weights:
            value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
            header = f"{layer.name}|{value.dtype}|{value.shape}|"
            digest.update(header.encode())
            digest.update(value.tobytes())
    return digest.hexdigest()


def test_recommended_shares_unscaled_draws_across_activations():
    shas, kernels = {}, {}
    for name in ("relu", "selu", "tanh"):
        model, act = _model(name)
        scheme = init_protocol.resolve("recommended", [name])
        shas[name] = bench_model.draw_initial_weights(model, act, 5, scheme)
        kernels[name] = [
            keras.ops.convert_to_numpy(model.get_layer(f"dense_{i}").kernel)
            for i in (1, 2, 3)
        ]
    assert len(set(shas.values())) == 1  # the identical-init check holds
    for i, (fan_in, fan_out) in enumerate([(6, 16), (16, 16), (16, 3)]):
        he = kernels["relu"][i]
        lecun = kernels["selu"][i]
        glorot = kernels["tanh"][i]
        np.testing.assert_allclose(he / lecun, math.sqrt(2.0), rtol=1e-5)
        np.testing.assert_allclose(
            glorot / lecun,
            math.sqrt(2.0 * fan_in / (fan_in + fan_out)),
            rtol=1e-5,
        )
    # The hash is of the unscaled draws: equal to hashing them by hand.
    model, act = _model("relu")
    bench_model.draw_initial_weights(model, act, 5, "he_normal")
    digest = hashlib.sha256()
    for position, layer in enumerate(
        model.get_layer(f"dense_{i}") for i in (1, 2, 3)
    ):
        kernel, bias = layer.weights
        draws = init_protocol.standard_draws(
            tuple(kernel.shape), "truncated_normal", 5, position, 0
        ).astype("float32")
        for value in (draws, keras.ops.convert_to_numpy(bias)):
            value = np.ascontiguousarray(value)
            digest.update(f"{layer.name}|{value.dtype}|{value.shape}|".encode())
            digest.update(value.tobytes())
    assert shas["relu"] == digest.hexdigest()


def test_other_seed_other_hash():
    model, act = _model("relu")
    a = bench_model.draw_initial_weights(model, act, 5, "he_normal")
    b = bench_model.draw_initial_weights(model, act, 6, "he_normal")
    assert a != b


def test_same_keeps_the_weights_and_the_old_hash():
    model, act = _model("relu")
    before = [keras.ops.convert_to_numpy(w) for w in model.weights]
    sha = bench_model.draw_initial_weights(model, act, 5, "same")
    after = [keras.ops.convert_to_numpy(w) for w in model.weights]
    for x, y in zip(before, after):
        np.testing.assert_array_equal(x, y)
    assert sha == _old_hash(model, act)


# ------------------------------------------------------------ the suite


def _suite(init=None, activations=("relu", "selu", "tanh")):
    from reluplug.bench.suite import config

    training = {"epochs": 2} if init is None else {"epochs": 2, "init": init}
    return config.from_mapping(
        {
            "version": 1,
            "name": "s",
            "seeds": [0],
            "training": training,
            "tasks": [{"name": "spirals", "params": {"n_samples": 120}}],
            "activations": [{"name": a} for a in activations],
        }
    )


def test_suite_resolves_a_scheme_per_activation():
    specs = _suite().expand()  # "recommended" is the default
    assert [s.init for s in specs] == [
        "he_normal",
        "lecun_normal",
        "glorot_normal",
    ]
    assert all(s.to_dict()["init"] == s.init for s in specs)
    assert all(s.identity()["init"] == s.init for s in specs)
    explicit = _suite("he_uniform").expand()
    assert {s.init for s in explicit} == {"he_uniform"}


def test_same_keeps_the_trial_ids_of_before_the_protocol():
    """The id of an ``init = "same"`` trial is the hash of the identity as
    it was before (no ``init`` key anywhere)."""
    import json

    (spec,) = _suite("same", activations=("relu",)).expand()
    old = {
        "schema_version": 1,
        "task": "spirals",
        "task_params": dict(spec.task_params),
        "activation": "relu",
        "activation_params": {},
        "seed": 0,
        "training": {
            "epochs": 2,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "early_stopping": None,
            "jit_compile": False,
        },
        "monitors": spec.monitors.to_dict(),
    }
    text = json.dumps(old, sort_keys=True, separators=(",", ":"))
    assert spec.trial_id == hashlib.sha256(text.encode()).hexdigest()[:16]
    (recommended,) = _suite(activations=("relu",)).expand()
    (explicit,) = _suite("he_normal", activations=("relu",)).expand()
    assert recommended.trial_id != spec.trial_id  # other weights, other id
    assert recommended.trial_id == explicit.trial_id  # same scheme, same id


@pytest.mark.parametrize("value", ["he", "Recommended", 3, ""])
def test_bad_init_is_a_config_error(value):
    from reluplug.bench.suite import config

    with pytest.raises(config.ConfigError) as info:
        _suite(value)
    message = str(info.value)
    assert "training.init" in message
    assert f"Received: training.init={value!r}" in message
    if isinstance(value, str) and value:
        assert "'recommended'" in message and "'he_normal'" in message
