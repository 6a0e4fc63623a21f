"""Gradients for the learnable parameters, against NumPy float64.

For each parameter: autodiff == the documented derivative (summed over the
axes the parameter is broadcast along) == central finite differences, in
float64, at inputs away from the kinks; and finite at x = +-1e4 in float32.
PReLU's hand-written gradient is checked for every parameter layout the
layer can build: (C,), (C, 1, 1), (1, 1, C), (), per element and
``shared_axes``-style (1, W, 1).
"""

import numpy as np
import pytest
from layer_testing import PARAM_LAYOUTS
from layer_testing import grads
from layer_testing import to_numpy64
from scipy.special import expit

from reluplug import activations


def _sum_to_shape(full, shape):
    """Sums a broadcast result back to ``shape`` (the reduction autodiff
    must do for a parameter broadcast from the right)."""
    lead = full.ndim - len(shape)
    full = full.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1)
    return full.sum(axis=axes, keepdims=True).reshape(shape)


def _nonzero_normal(rng, shape, scale=2.0):
    x = rng.normal(0.0, scale, size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink at 0
    return x


def _finite_difference(fn, args, index, upstream, step=1e-6):
    """d sum(upstream * fn(*args)) / d args[index], one entry at a time."""
    base = [np.array(a, dtype="float64") for a in args]
    param = base[index]
    out = np.zeros_like(param)
    for pos in np.ndindex(param.shape or ()):
        plus = [a.copy() for a in base]
        minus = [a.copy() for a in base]
        plus[index][pos] += step
        minus[index][pos] -= step
        f_plus = np.sum(upstream * to_numpy64(fn(*plus)))
        f_minus = np.sum(upstream * to_numpy64(fn(*minus)))
        out[pos] = (f_plus - f_minus) / (2 * step)
    return out


@pytest.mark.usefixtures("float64_backend")
@pytest.mark.parametrize("layout", sorted(PARAM_LAYOUTS))
def test_prelu_custom_gradient_matches_reference(layout, rng):
    x_shape, alpha_shape = PARAM_LAYOUTS[layout]
    x = _nonzero_normal(rng, x_shape)
    alpha = rng.uniform(0.05, 0.5, size=alpha_shape)
    upstream = rng.normal(size=x_shape)
    dx, dalpha = grads(activations.prelu, x, alpha, upstream=upstream)

    negative = x < 0
    full_alpha = np.broadcast_to(alpha, x_shape)
    np.testing.assert_allclose(
        dx, upstream * np.where(negative, full_alpha, 1.0), rtol=1e-12
    )
    expected = _sum_to_shape(upstream * np.where(negative, x, 0.0), alpha_shape)
    assert dalpha.shape == alpha_shape
    np.testing.assert_allclose(dalpha, expected, rtol=1e-12, atol=1e-12)
    numeric = _finite_difference(
        activations.prelu, (x, alpha), 1, upstream=upstream
    )
    np.testing.assert_allclose(dalpha, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_prelu_gradient_dtypes_and_extremes(dtype):
    from keras import ops

    x = ops.cast(np.array([[1e4, -1e4, 0.0, -1.0]]), dtype)
    alpha = ops.cast(np.array([0.25, 0.5, 0.1, 0.2]), dtype)
    dx, dalpha = grads(activations.prelu, x, alpha)
    np.testing.assert_allclose(dx, [[1.0, 0.5, 1.0, 0.2]], rtol=1e-2)
    np.testing.assert_allclose(dalpha, [0.0, -1e4, 0.0, -1.0], rtol=1e-2)


# PELU ---------------------------------------------------------------------
def _pelu_param_grads(x, alpha, beta):
    e = np.exp(np.minimum(x, 0) / beta)
    dalpha = np.where(x >= 0, x / beta, np.expm1(np.minimum(x, 0) / beta))
    dbeta = np.where(x >= 0, -alpha * x / beta**2, -alpha * x / beta**2 * e)
    return dalpha, dbeta


# SReLU --------------------------------------------------------------------
def _srelu_param_grads(x, t_left, a_left, t_right, a_right):
    left, right = x < t_left, x > t_right
    return (
        np.where(left, 1.0 - a_left, 0.0),
        np.where(left, x - t_left, 0.0),
        np.where(right, 1.0 - a_right, 0.0),
        np.where(right, x - t_right, 0.0),
    )


# Swish --------------------------------------------------------------------
def _swish_param_grads(x, beta):
    s = expit(beta * x)
    return (x**2 * s * (1 - s),)


def _pelu_params(rng, shape):
    return rng.uniform(0.5, 2.0, shape), rng.uniform(0.5, 2.0, shape)


def _srelu_params(rng, shape):
    return (
        rng.uniform(-1.5, -0.5, shape),
        rng.uniform(0.0, 0.3, shape),
        rng.uniform(0.5, 1.5, shape),
        rng.uniform(0.3, 1.5, shape),
    )


def _swish_params(rng, shape):
    return (rng.uniform(0.5, 2.0, shape),)


LEARNABLE = {
    "pelu": (activations.pelu, _pelu_params, _pelu_param_grads),
    "srelu": (activations.srelu, _srelu_params, _srelu_param_grads),
    "swish": (activations.swish, _swish_params, _swish_param_grads),
}
LAYOUTS = {"shared": ((8, 3), ()), "channel": ((8, 3), (3,))}


def _away_from(x, points):
    for point in np.broadcast_arrays(x, *points)[1:]:
        close = np.abs(x - point) < 1e-3
        x = np.where(close, x + 0.01, x)
    return x


@pytest.mark.usefixtures("float64_backend")
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", sorted(LEARNABLE))
def test_learnable_parameter_gradients(name, layout, rng):
    fn, make_params, param_grads = LEARNABLE[name]
    x_shape, p_shape = LAYOUTS[layout]
    params = make_params(rng, p_shape)
    x = rng.uniform(-4.0, 4.0, size=x_shape)
    kinks = (params[0], params[2]) if name == "srelu" else (0.0,)
    x = _away_from(x, kinks)
    upstream = rng.normal(size=x_shape)

    result = grads(fn, x, *params, upstream=upstream)
    documented = param_grads(x, *params)
    for i, (got, local) in enumerate(zip(result[1:], documented)):
        expected = _sum_to_shape(upstream * local, p_shape)
        assert got.shape == p_shape
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
        numeric = _finite_difference(fn, (x, *params), i + 1, upstream)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(LEARNABLE))
def test_learnable_gradients_finite_at_extremes(name, rng):
    fn, make_params, _ = LEARNABLE[name]
    x = np.array([[1e4, -1e4, 100.0, -100.0, 0.0, 1e-30, -1e-30]], "float32")
    params = [p.astype("float32") for p in make_params(rng, ())]
    for g in grads(fn, x, *params):
        assert np.all(np.isfinite(g)), (name, g)
