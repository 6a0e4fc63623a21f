"""Hand-written gradients (PELU, SReLU) against autodiff and NumPy.

Each reference below is the plain ``keras.ops`` formula that
``reluplug.activations`` used before its gradient was written by hand, so
autodiff of it is the gradient the hand-written one must reproduce: for every
parameter layout a layer can build (each takes its own path through the
parameter-gradient reduction), at kinks and joints (SReLU ties included,
and ``t_right < t_left``, where the ``maximum`` routes the gradient) and
at +-1e4. In float16, bfloat16 and float32, at +-1e4 and +-inf, the local
derivatives are checked against NumPy float64.
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_testing import PARAM_LAYOUTS
from layer_testing import grads

from reluplug import activations

pytestmark = pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="no hand-written gradients to check: they use "
    "keras.ops.custom_gradient on TensorFlow and JAX only; other backends "
    "differentiate the keras.ops formula (tests/layers/test_numerics.py and "
    "test_param_gradients.py check those gradients)",
)


def _c(value, x):
    return ops.convert_to_tensor(value, dtype=x.dtype)


def _pelu_autodiff(x, alpha, beta):
    alpha = ops.cast(alpha, x.dtype)
    beta = ops.cast(beta, x.dtype)
    negative = alpha * ops.expm1(ops.minimum(x, _c(0, x)) / beta)
    return ops.where(ops.greater_equal(x, 0), (alpha / beta) * x, negative)


def _srelu_autodiff(x, t_left, a_left, t_right, a_right):
    t_left = ops.cast(t_left, x.dtype)
    a_left = ops.cast(a_left, x.dtype)
    t_right = ops.maximum(ops.cast(t_right, x.dtype), t_left)
    a_right = ops.cast(a_right, x.dtype)
    return ops.where(
        ops.greater_equal(x, t_right),
        t_right + a_right * (x - t_right),
        ops.where(ops.less_equal(x, t_left), t_left + a_left * (x - t_left), x),
    )


def _pelu_params(rng, shape):
    return [rng.uniform(0.5, 2.0, shape), rng.uniform(0.5, 2.0, shape)]


def _srelu_params(rng, shape):
    return [
        rng.uniform(-1.5, -0.5, shape),
        rng.uniform(0.0, 0.3, shape),
        rng.uniform(0.5, 1.5, shape),
        rng.uniform(0.3, 1.5, shape),
    ]


CASES = {
    "pelu": (activations.pelu, _pelu_autodiff, _pelu_params),
    "srelu": (activations.srelu, _srelu_autodiff, _srelu_params),
}

# SReLU thresholds: as drawn, equal (x exactly at a tie goes right) and
# crossed (t_right < t_left is used as t_left; `maximum` routes its gradient).
REGIMES = {
    "ordered": lambda t_left, t_right: t_right,
    "tied": lambda t_left, t_right: t_left,
    "crossed": lambda t_left, t_right: t_left - 0.5,
}


def _inputs(rng, name, x_shape, params, regime):
    x = rng.normal(0.0, 2.0, size=x_shape)
    flat = x.reshape(-1)
    flat[:4] = [0.0, 1e4, -1e4, -0.0]
    if name == "srelu":
        params[2] = REGIMES[regime](params[0], params[2])
        # Put some inputs exactly on the joints (both as used after max).
        t_left = np.broadcast_to(params[0], x_shape)
        t_right = np.broadcast_to(np.maximum(params[2], params[0]), x_shape)
        pick = rng.uniform(size=x_shape)
        x = np.where(pick < 0.2, t_left, np.where(pick > 0.8, t_right, x))
    return x


def _check(got, want, rtol, atol):
    """Equal where autodiff is finite; NaN allowed only where it was."""
    for g, w in zip(got, want):
        assert g.shape == w.shape
        finite = np.isfinite(w)
        assert np.all(np.isfinite(g[finite])), (g, w)
        np.testing.assert_allclose(g[finite], w[finite], rtol=rtol, atol=atol)


NAME_REGIMES = [("pelu", "ordered")]
NAME_REGIMES += [("srelu", regime) for regime in sorted(REGIMES)]


@pytest.mark.usefixtures("float64_backend")
# Every parameter layout: the reduction is a GEMV for leading axes, a
# reshape per element and a sum otherwise.
@pytest.mark.parametrize("layout", sorted(PARAM_LAYOUTS))
@pytest.mark.parametrize("name, regime", NAME_REGIMES)
def test_gradient_matches_autodiff(name, regime, layout, rng):
    fn, reference, make_params = CASES[name]
    x_shape, p_shape = PARAM_LAYOUTS[layout]
    params = make_params(rng, p_shape)
    x = _inputs(rng, name, x_shape, params, regime)
    upstream = rng.normal(size=x_shape)

    # To a few roundings of the terms: on TensorFlow the forward is
    # XLA-compiled (reluplug._fast), whose expm1 may round differently from
    # the kernel's and which fuses t + a * (x - t) into one FMA.
    got = ops.convert_to_numpy(fn(x, *params))
    want = ops.convert_to_numpy(reference(x, *params))
    bound = 4 * 2.0**-52 * (np.abs(want) + np.abs(x) + 1.0)
    assert np.all(np.abs(got - want) <= bound), (got, want)
    got = grads(fn, x, *params, upstream=upstream)
    want = grads(reference, x, *params, upstream=upstream)
    _check(got, want, rtol=1e-12, atol=1e-9)


EXTREMES = [1e4, -1e4, np.inf, -np.inf, 0.0, 1e-30, -1e-30, 100.0, -100.0]
EXTREMES += [1.0, -1.0, -0.5, 0.5, -10.0, -20.0, 2.0]


# Each returns the local derivatives and the condition number of the exp
# argument: a rounding of u is amplified |u| times in exp(u).
def _local_pelu(x, alpha, beta):
    dx = np.where(x >= 0, alpha / beta, alpha / beta * np.exp(x / beta))
    dalpha = np.where(x >= 0, x / beta, np.expm1(x / beta))
    return [dx, dalpha, -dx * x / beta], 1.0 + np.abs(np.minimum(x, 0) / beta)


def _local_srelu(x, t_left, a_left, t_right, a_right):
    right = x >= t_right
    left = (x <= t_left) & ~right
    local = [
        np.where(right, a_right, np.where(left, a_left, 1.0)),
        np.where(left, 1.0 - a_left, 0.0),
        np.where(left, x - t_left, 0.0),
        np.where(right, 1.0 - a_right, 0.0),
        np.where(right, x - t_right, 0.0),
    ]
    return local, 1.0


LOCAL = {"pelu": _local_pelu, "srelu": _local_srelu}
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23}
LARGEST = {"float16": 65504.0, "bfloat16": 3.38e38, "float32": 3.4e38}
# Spacing of the subnormals: float16 has them from 6.1e-5 down.
SUBNORMAL = {"float16": 2.0**-24, "bfloat16": 1e-40, "float32": 1e-44}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_extremes_and_dtypes(name, dtype, rng):
    """One row, one parameter per input (no sums): every local derivative
    against NumPy float64 on the same (cast) values, to a few roundings,
    and finite wherever it fits the dtype. (Not autodiff: on JAX it
    differentiates ``expm1`` as ``expm1(x) + 1``, 25% off at x = -10.)"""
    fn, _, make_params = CASES[name]
    n = len(EXTREMES)
    params = make_params(rng, (n,))
    if name == "srelu":  # inputs -0.5 and 0.5 exactly on the joints
        params[0], params[2] = np.full(n, -0.5), np.full(n, 0.5)
    args = [ops.cast(np.array([EXTREMES]), dtype)]
    args += [ops.cast(p, dtype) for p in params]
    assert ops.convert_to_numpy(fn(*args)).dtype == dtype
    got = grads(fn, *args)
    as64 = [np.asarray(ops.convert_to_numpy(a), "float64") for a in args]
    with np.errstate(all="ignore"):
        local, condition = LOCAL[name](as64[0][0], *as64[1:])
    condition = np.broadcast_to(condition, (n,))
    condition = np.where(np.isfinite(condition), condition, 1.0)  # x = +-inf
    for i, (g, want) in enumerate(zip(got, local)):
        g = g.reshape(-1)
        fits = np.isfinite(want) & (np.abs(want) <= LARGEST[dtype] / 2)
        assert np.all(np.isfinite(g[fits])), (name, i, g, want)
        error = np.abs(g[fits] - want[fits])
        bound = 8 * EPS[dtype] * np.abs(want[fits]) * condition[fits]
        bound += 16 * SUBNORMAL[dtype]
        assert np.all(error <= bound), (name, i, g[fits], want[fits])
    if name == "srelu":  # 0, not inf * 0, on the side +-inf is not on
        assert got[2][2] == 0.0  # df/da_left at x = +inf
        assert got[4][3] == 0.0  # df/da_right at x = -inf


@pytest.mark.usefixtures("float64_backend")
@pytest.mark.parametrize("name", sorted(CASES))
def test_parameter_broadcasting_x_uses_autodiff(name, rng):
    """A parameter that broadcasts ``x`` (output larger than ``x``) cannot
    take the hand-written gradient (its dx has the output's shape)."""
    fn, reference, make_params = CASES[name]
    x = rng.normal(size=(1, 3))
    params = make_params(rng, (4, 3))
    assert tuple(fn(x, *params).shape) == (4, 3)
    got = grads(fn, x, *params)
    assert got[0].shape == (1, 3)
    _check(got, grads(reference, x, *params), rtol=1e-6, atol=1e-6)


@pytest.mark.usefixtures("float64_backend")
def test_prelu_parameter_broadcasting_x_uses_autodiff(rng):
    x = rng.normal(size=(1, 3))
    alpha = rng.uniform(0.1, 0.5, size=(4, 3))
    dx, dalpha = grads(activations.prelu, x, alpha)
    np.testing.assert_allclose(dx, np.where(x >= 0, 4.0, alpha.sum(0)), 1e-6)
    np.testing.assert_allclose(
        dalpha, np.broadcast_to(np.minimum(x, 0), (4, 3))
    )
