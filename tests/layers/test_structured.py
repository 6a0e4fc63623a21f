"""WalshHadamard, HadamardDense and CirculantDense against explicit matrices.

Each layer is rebuilt as a dense float64 matrix from SciPy's Hadamard and
circulant matrices and its own weights; the layer's output and its input
gradient must equal the products with that matrix.
"""

import math

import keras
import numpy as np
import pytest
import scipy.linalg
from keras import ops
from layer_testing import grads
from layer_testing import to_numpy64

import reluplug
from reluplug import layers
from reluplug import transforms

# Keras 3.15's PyTorch backend computes ops.matmul (and maximum/minimum) of
# two float64 tensors in float32: its result_type does not recognise torch
# dtypes. A float64 reference at 1e-10 cannot hold there.
NO_TORCH_FLOAT64 = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="no float64 ops.matmul on Keras 3.15's PyTorch backend (computed "
    "in float32), so the 1e-10 float64 comparison cannot hold",
)


def _pad_matrix(d, n):
    """``(n, d)`` zero-padding matrix: ``pad(x) = P @ x``."""
    return np.eye(n, d)


def _perm_matrix(perm):
    """``P`` with ``(P z)[i] = z[perm[i]]``."""
    return np.eye(len(perm))[perm]


def _ref_walsh_hadamard(layer, d):
    units = layer.units
    n = transforms.next_power_of_two(max(d, units or 1))
    h = scipy.linalg.hadamard(n).astype("float64")
    if layer.normalize:
        h /= math.sqrt(n)
    signs = (
        transforms.random_signs(n, layer.seed)
        if layer.random_signs
        else np.ones(n)
    )
    m = h @ np.diag(signs) @ _pad_matrix(d, n)
    return m[: units or n]


def _ref_hadamard_dense(layer, d):
    """The explicit ``(units, d)`` matrix ``V_depth ... V_1 @ pad``."""
    n = layer.transform_size
    h = scipy.linalg.hadamard(n) / math.sqrt(n)
    b, g, s = (
        to_numpy64(w) for w in (layer.b_diag, layer.g_diag, layer.s_diag)
    )
    m = _pad_matrix(d, n)
    for k in range(layer.depth):
        p = _perm_matrix(layer.perms[k])
        m = np.diag(s[k]) @ h @ np.diag(g[k]) @ p @ h @ np.diag(b[k]) @ m
    return m[: layer.units]


def _ref_circulant_dense(layer, d):
    kernel = to_numpy64(layer.kernel)
    return (scipy.linalg.circulant(kernel) @ _pad_matrix(d, len(kernel)))[
        : layer.units
    ]


def _bias(layer):
    return 0.0 if layer.bias is None else to_numpy64(layer.bias)


CASES = {
    "wh_pad": (layers.WalshHadamard, {}, 5, _ref_walsh_hadamard),
    "wh_signs_truncate": (
        layers.WalshHadamard,
        {"units": 3, "random_signs": True, "seed": 4},
        8,
        _ref_walsh_hadamard,
    ),
    "wh_expand_raw": (
        layers.WalshHadamard,
        {"units": 20, "normalize": False},
        3,
        _ref_walsh_hadamard,
    ),
    "hd_square": (layers.HadamardDense, {"units": 16, "seed": 1}, 16, None),
    "hd_reduce_deep": (
        layers.HadamardDense,
        {"units": 3, "depth": 3, "seed": 2},
        10,
        None,
    ),
    "hd_expand": (
        layers.HadamardDense,
        {"units": 100, "depth": 2, "seed": 3},
        7,
        None,
    ),
    "cd_square": (layers.CirculantDense, {"units": 6}, 6, None),
    "cd_reduce": (layers.CirculantDense, {"units": 4}, 11, None),
    "cd_expand": (layers.CirculantDense, {"units": 13}, 5, None),
}
REFS = {
    layers.HadamardDense: _ref_hadamard_dense,
    layers.CirculantDense: _ref_circulant_dense,
}


def _moved_layer(cls, kwargs, d, rng):
    """A built float64 layer whose weights are random (not the initial)."""
    layer = cls(dtype="float64", **kwargs)
    layer.build((None, d))
    for weight in layer.trainable_weights:
        weight.assign(rng.normal(size=weight.shape))
    return layer


@NO_TORCH_FLOAT64
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_is_the_product_with_its_explicit_matrix(
    case, rng, float64_backend
):
    cls, kwargs, d, ref = CASES[case]
    layer = _moved_layer(cls, kwargs, d, rng)
    matrix = (ref or REFS[cls])(layer, d)
    x = rng.normal(size=(4, d))
    y = to_numpy64(layer(ops.convert_to_tensor(x, "float64")))
    expected = x @ matrix.T
    if cls is not layers.WalshHadamard:
        expected = expected + _bias(layer)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    # Input gradient = upstream @ M (the transpose of the forward map).
    upstream = rng.normal(size=y.shape)
    (dx,) = grads(layer, ops.convert_to_tensor(x, "float64"), upstream=upstream)
    np.testing.assert_allclose(dx, upstream @ matrix, rtol=1e-9, atol=1e-9)


@NO_TORCH_FLOAT64
def test_hadamard_dense_diagonal_gradients_match_the_docstring(
    rng, float64_backend
):
    """dL/dS = g * (H G P H B z), dL/dG = (H S g) * (P H B z),
    dL/dB = (H P^T G H S g) * z, for one stack, summed over the batch."""
    d = n = 8
    layer = _moved_layer(
        layers.HadamardDense, {"units": n, "use_bias": False, "seed": 6}, d, rng
    )
    x = rng.normal(size=(5, d))
    g_up = rng.normal(size=(5, n))
    h = scipy.linalg.hadamard(n) / math.sqrt(n)
    p = _perm_matrix(layer.perms[0])
    b, g, s = (
        to_numpy64(w)[0] for w in (layer.b_diag, layer.g_diag, layer.s_diag)
    )
    hbz = (x * b) @ h  # rows: H B z
    phbz = hbz @ p.T
    hgphbz = (phbz * g) @ h
    hsg = (g_up * s) @ h
    expected = {
        "s_diag": np.sum(g_up * hgphbz, axis=0),
        "g_diag": np.sum(hsg * phbz, axis=0),
        "b_diag": np.sum(((hsg * g) @ p) @ h * x, axis=0),
    }

    weights = [layer.b_diag, layer.g_diag, layer.s_diag]

    def of_diagonals(bw, gw, sw):
        y, _ = layer.stateless_call(
            [bw, gw, sw], [], ops.convert_to_tensor(x, "float64")
        )
        return y

    found = grads(
        of_diagonals,
        *(ops.convert_to_numpy(w) for w in weights),
        upstream=g_up,
    )
    for weight, grad in zip(weights, found):
        name = weight.name
        np.testing.assert_allclose(
            grad[0], expected[name], rtol=1e-9, atol=1e-9
        )


def test_circulant_dense_kernel_gradient_matches_the_docstring(
    rng, float64_backend
):
    d, units = 5, 7
    layer = _moved_layer(layers.CirculantDense, {"units": units}, d, rng)
    n = max(d, units)
    x = rng.normal(size=(3, d))
    g_up = rng.normal(size=(3, units))
    z = np.pad(x, [(0, 0), (0, n - d)])
    g_pad = np.pad(g_up, [(0, 0), (0, n - units)])
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    expected = np.einsum("bi,bik->k", g_pad, z[:, idx])

    def of_kernel(kernel):
        y, _ = layer.stateless_call(
            [kernel, ops.convert_to_numpy(layer.bias)],
            [],
            ops.convert_to_tensor(x, "float64"),
        )
        return y

    (dk,) = grads(of_kernel, ops.convert_to_numpy(layer.kernel), upstream=g_up)
    np.testing.assert_allclose(dk, expected, rtol=1e-9, atol=1e-9)


def test_same_seed_same_layer_different_seed_different_layer():
    x = np.random.default_rng(0).normal(size=(2, 30)).astype("float32")
    a = layers.HadamardDense(20, seed=9)
    b = layers.HadamardDense(20, seed=9)
    c = layers.HadamardDense(20, seed=10)
    np.testing.assert_array_equal(to_numpy64(a(x)), to_numpy64(b(x)))
    assert not np.allclose(to_numpy64(a(x)), to_numpy64(c(x)))


def test_unseeded_layers_record_the_drawn_seed():
    layer = layers.HadamardDense(4)
    assert isinstance(layer.get_config()["seed"], int)
    clone = layers.HadamardDense.from_config(layer.get_config())
    x = np.ones((1, 6), "float32")
    layer(x), clone(x)
    np.testing.assert_array_equal(layer.perms, clone.perms)
    signs = layers.WalshHadamard(random_signs=True)
    assert isinstance(signs.get_config()["seed"], int)
    assert layers.WalshHadamard().get_config()["seed"] is None


def test_parameter_counts_are_linear_in_n():
    for d, units, depth, expected in (
        (784, 1024, 1, 3 * 1024 + 1024),
        (1024, 1024, 2, 6 * 1024 + 1024),
        (100, 10, 1, 3 * 128 + 10),
    ):
        layer = layers.HadamardDense(units, depth=depth, seed=0)
        layer.build((None, d))
        assert layer.count_params() == expected
    circ = layers.CirculantDense(10)
    circ.build((None, 100))
    assert circ.count_params() == 100 + 10


def test_activity_regularizer_adds_a_loss_and_round_trips():
    for cls in (layers.HadamardDense, layers.CirculantDense):
        layer = cls(4, activity_regularizer=keras.regularizers.L2(0.5))
        y = layer(np.ones((2, 3), "float32"))
        assert len(layer.losses) == 1
        expected = 0.5 * np.sum(to_numpy64(y) ** 2) / 2  # mean over batch
        np.testing.assert_allclose(
            to_numpy64(layer.losses[0]), expected, rtol=1e-5
        )
        config = layer.get_config()
        assert config["activity_regularizer"]["config"] == {"l2": 0.5}
        assert cls.from_config(config).get_config() == config


def test_registry_builds_the_linear_layers_but_does_not_list_them():
    assert reluplug.registry.linear() == [
        "circulant_dense",
        "hadamard_dense",
        "walsh_hadamard",
    ]
    assert not set(reluplug.registry.linear()) & set(reluplug.available())
    layer = reluplug.get("HadamardDense", units=8, seed=1)
    assert type(layer) is layers.HadamardDense and layer.units == 8
    assert type(reluplug.get("circulant_dense", units=3)) is (
        layers.CirculantDense
    )
    clone = reluplug.get(
        {"class_name": "WalshHadamard", "config": {"units": 2}}
    )
    assert type(clone) is layers.WalshHadamard and clone.units == 2


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (layers.HadamardDense, {"units": 0}, r"`units`.*Received: units=0"),
        (layers.HadamardDense, {"units": 2.0}, r"`units`.*Received: units=2.0"),
        (
            layers.HadamardDense,
            {"units": 4, "depth": 0},
            r"`depth`.*Received: depth=0",
        ),
        (
            layers.HadamardDense,
            {"units": 4, "seed": -1},
            r"`seed`.*Received: seed=-1",
        ),
        (layers.CirculantDense, {"units": None}, r"`units`.*units=None"),
        (layers.WalshHadamard, {"units": -3}, r"`units`.*Received: units=-3"),
        (
            layers.WalshHadamard,
            {"random_signs": 1},
            r"`random_signs`.*Received: random_signs=1",
        ),
        (
            layers.WalshHadamard,
            {"normalize": "yes"},
            r"`normalize`.*Received: normalize='yes'",
        ),
        (
            layers.WalshHadamard,
            {"seed": "a"},
            r"`seed`.*Received: seed='a'",
        ),
    ],
)
def test_bad_arguments_raise(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("layer", "method"),
    [
        (layers.HadamardDense(4), "build"),
        (layers.CirculantDense(4), "build"),
        (layers.WalshHadamard(), "compute_output_shape"),
    ],
)
@pytest.mark.parametrize("shape", [(None, None), (7,)])
def test_unknown_or_missing_feature_dimension_raises(layer, method, shape):
    with pytest.raises(ValueError, match=r"known last.*input_shape="):
        getattr(layer, method)(shape)
