"""Outputs and gradients of every layer against NumPy float64 references.

Each layer has ``_ref_<name>`` (the formula of its docstring) and
``_dref_<name>`` (the documented derivative ``f'(x)``), written in NumPy
float64 independently of ``reluplug.activations``.

Decisions:

* Inputs: 0, +-1e-30, +-1, +-20, +-100, +-1e4, NaN, +-inf and a few moderate
  values, in float16, bfloat16, float32 and float64. The reference is
  computed on the input *after* casting to the dtype (float16 turns 1e-30
  into 0; bfloat16 turns 1e4 into 9984), so the test measures the
  activation, not the cast.
* Tolerance: ``rtol = 4 eps(dtype)`` for outputs (a constant cast to the dtype
  plus one or two roundings), ``atol`` tiny except for the fused ELU-type
  kernels (see ``CASES``).
* ``Swish(-inf)`` is NaN: ``-inf * sigmoid(-inf) = -inf * 0`` by IEEE 754,
  as in ``keras.ops.silu`` and PyTorch's ``silu``. The reference uses the
  same formula, so it is accepted, not patched (a ``where`` would cost a
  pass over memory in every call for an input no network produces).
* Gradients must be finite at every finite input, in every dtype (the
  classic ``where`` + ``exp`` bug gives NaN at x = 1e4). At a kink of ``f'``
  (x = 0 for the piecewise-linear and ELU-type functions), and within
  ``eps`` of it, only finiteness is checked: there finite precision cannot
  tell the two sides apart (TensorFlow's ELU kernel picks the side from the
  rounded output, so ``ELU'(-1e-30)`` is 1, not ``alpha``). SELU is exempt
  from nothing: its derivative is ``torch.nn.SELU``'s, ``scale * alpha *
  exp(x)`` for every ``x <= 0``, ``scale`` above, on every backend. CELU,
  PELU and Swish have a continuous ``f'``: no kink is exempt. Gradient
  tolerance: ``rtol = 8 eps``, ``atol = 16 eps`` (``f'`` is a composite of
  several rounded operations).
* Where PyTorch is installed, ``torch.nn`` (float64) is a second reference
  for the layers it shares with reluplug, values and gradients.
"""

import functools

import keras
import numpy as np
import pytest
from layer_testing import FLOAT_DTYPES
from layer_testing import grads
from layer_testing import to_numpy64
from scipy.special import expit

from reluplug import layers

# float64 is real float64 in every test (jax_enable_x64 on JAX).
pytestmark = pytest.mark.usefixtures("float64_backend")

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805

SPECIAL = np.array(
    [0.0, 1e-30, -1e-30, 1.0, -1.0, 20.0, -20.0, 100.0, -100.0, 1e4, -1e4]
    + [0.5, -0.5, 3.0, -3.0, -2.0, 2.5]
    + [np.nan, np.inf, -np.inf]
)
FINITE = SPECIAL[np.isfinite(SPECIAL)]
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23}
EPS["float64"] = 2.0**-52
TINY = {"float16": 6e-8, "bfloat16": 1e-38, "float32": 1e-38}
TINY["float64"] = 1e-300


# --------------------------------------------------------------- references
def _ref_leaky_relu(x, negative_slope=0.1):
    return np.where(x >= 0, x, negative_slope * x)


def _dref_leaky_relu(x, negative_slope=0.1):
    return np.where(x > 0, 1.0, negative_slope)


def _ref_prelu(x, alpha=0.3):
    return np.where(x >= 0, x, alpha * x)


def _dref_prelu(x, alpha=0.3):
    return np.where(x > 0, 1.0, alpha)


def _ref_rrelu(x, lower=0.1, upper=0.3):
    # Inference: the mean slope.
    return _ref_leaky_relu(x, (lower + upper) / 2)


def _dref_rrelu(x, lower=0.1, upper=0.3):
    return _dref_leaky_relu(x, (lower + upper) / 2)


def _ref_elu(x, alpha=0.5):
    return np.where(x > 0, x, alpha * np.expm1(x))


def _dref_elu(x, alpha=0.5):
    return np.where(x > 0, 1.0, alpha * np.exp(x))


def _ref_celu(x, alpha=2.0):
    return np.maximum(0, x) + np.minimum(0, alpha * np.expm1(x / alpha))


def _dref_celu(x, alpha=2.0):
    return np.where(x > 0, 1.0, np.exp(x / alpha))


def _ref_selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))


def _dref_selu(x):
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x))


def _ref_pelu(x, alpha=1.5, beta=0.7):
    return np.where(x >= 0, alpha / beta * x, alpha * np.expm1(x / beta))


def _dref_pelu(x, alpha=1.5, beta=0.7):
    return np.where(x >= 0, alpha / beta, alpha / beta * np.exp(x / beta))


def _dref_pelu_alpha(x, alpha=1.5, beta=0.7):
    return np.where(x >= 0, x / beta, np.expm1(x / beta))


def _dref_pelu_beta(x, alpha=1.5, beta=0.7):
    scale = -alpha * x / beta**2
    return np.where(x >= 0, scale, scale * np.exp(x / beta))


SRELU = {"t_left": -0.5, "a_left": 0.1, "t_right": 2.0, "a_right": 0.5}


def _ref_srelu(x, t_left=-0.5, a_left=0.1, t_right=2.0, a_right=0.5):
    return np.where(
        x >= t_right,
        t_right + a_right * (x - t_right),
        np.where(x <= t_left, t_left + a_left * (x - t_left), x),
    )


def _dref_srelu(x, t_left=-0.5, a_left=0.1, t_right=2.0, a_right=0.5):
    return np.where(x > t_right, a_right, np.where(x < t_left, a_left, 1.0))


def _dref_srelu_params(x, t_left=-0.5, a_left=0.1, t_right=2.0, a_right=0.5):
    """``(df/dt_left, df/da_left, df/dt_right, df/da_right)``."""
    left, right = x < t_left, x > t_right
    zero = np.zeros_like(x)
    return (
        np.where(left, 1.0 - a_left, zero),
        np.where(left, x - t_left, zero),
        np.where(right, 1.0 - a_right, zero),
        np.where(right, x - t_right, zero),
    )


def _ref_swish(x, beta=1.5):
    return x * expit(beta * x)


def _dref_swish(x, beta=1.5):
    s = expit(beta * x)
    return s + beta * x * s * (1 - s)


def _dref_swish_beta(x, beta=1.5):
    s = expit(beta * x)
    return x**2 * s * (1 - s)


def _weights(*names):
    """Reads the layer's parameters (float64) for the reference.

    Keras' ``Constant`` initializer rounds its value to float32 even for a
    float64 weight, so the reference uses the weights the layer holds.
    """

    def read(layer):
        return {n: to_numpy64(getattr(layer, f"{n}_weight")) for n in names}

    return read


def _prelu_weights(layer):
    return {"alpha": to_numpy64(layer.alpha)}


def _none(layer):
    return {}


# name: (layer factory, reference, f', kinks of f', parameters, atol_eps).
# atol_eps: absolute error allowed in units of eps. The fused ELU/SELU
# kernels of TensorFlow compute ``exp(x) - 1`` (not ``expm1``), exact to
# ``eps * alpha`` absolutely near 0 (ELU(-1e-30) is 0, not -1e-30).
CASES = {
    "leaky_relu": (
        lambda dt: layers.LeakyReLU(negative_slope=0.1, dtype=dt),
        _ref_leaky_relu,
        _dref_leaky_relu,
        (0.0,),
        _none,
        0,
    ),
    "prelu": (
        lambda dt: layers.PReLU(initial_slope=0.3, dtype=dt),
        _ref_prelu,
        _dref_prelu,
        (0.0,),
        _prelu_weights,
        0,
    ),
    "rrelu": (
        lambda dt: layers.RReLU(lower=0.1, upper=0.3, seed=1, dtype=dt),
        _ref_rrelu,
        _dref_rrelu,
        (0.0,),
        _none,
        0,
    ),
    "elu": (
        lambda dt: layers.ELU(alpha=0.5, dtype=dt),
        _ref_elu,
        _dref_elu,
        (0.0,),
        _none,
        4 * 0.5,
    ),
    "celu": (
        lambda dt: layers.CELU(alpha=2.0, dtype=dt),
        _ref_celu,
        _dref_celu,
        (),
        _none,
        0,
    ),
    "selu": (
        lambda dt: layers.SELU(dtype=dt),
        _ref_selu,
        _dref_selu,
        (),  # Checked at 0 and +-1e-30 too (torch.nn.SELU's convention).
        _none,
        4 * SELU_SCALE * SELU_ALPHA,
    ),
    "pelu": (
        lambda dt: layers.PELU(alpha=1.5, beta=0.7, dtype=dt),
        _ref_pelu,
        _dref_pelu,
        (),
        _weights("alpha", "beta"),
        0,
    ),
    "srelu": (
        lambda dt: layers.SReLU(**SRELU, granularity="shared", dtype=dt),
        _ref_srelu,
        _dref_srelu,
        (SRELU["t_left"], SRELU["t_right"]),
        _weights("t_left", "a_left", "t_right", "a_right"),
        0,
    ),
    "swish": (
        lambda dt: layers.Swish(beta=1.5, dtype=dt),
        _ref_swish,
        _dref_swish,
        (),
        _weights("beta"),
        0,
    ),
    "swish_silu": (
        lambda dt: layers.Swish(beta=1.0, trainable=False, dtype=dt),
        lambda x: _ref_swish(x, 1.0),
        lambda x: _dref_swish(x, 1.0),
        (),
        _none,
        0,
    ),
}
PARAMS = [(n, dt) for n in sorted(CASES) for dt in FLOAT_DTYPES]


def _cast(values, dtype):
    """``values`` as a backend tensor of ``dtype`` + the cast values (f64)."""
    x = keras.ops.cast(keras.ops.convert_to_tensor(values[None, :]), dtype)
    return x, to_numpy64(x)[0]


def _assert_values_close(out, expected, name, dtype, atol_eps, x64, **kw):
    """Layer values within 4 eps relative and ``atol_eps`` eps (at least
    ``TINY``) absolute of the reference."""
    np.testing.assert_allclose(
        out,
        expected,
        rtol=4 * EPS[dtype],
        atol=max(TINY[dtype], atol_eps * EPS[dtype]),
        err_msg=f"{name} {dtype} at x={x64}",
        **kw,
    )


def _assert_gradients_close(dx, expected, kinks, name, dtype, x64):
    """Input gradients within 8 eps relative and 16 eps absolute of the
    reference, wherever x is more than one eps (relative) from a kink."""
    near_kink = np.zeros(x64.shape, bool)
    for kink in kinks:
        near_kink |= np.abs(x64 - kink) <= EPS[dtype] * max(1.0, abs(kink))
    smooth = ~near_kink
    np.testing.assert_allclose(
        dx[smooth],
        expected[smooth],
        rtol=8 * EPS[dtype],
        atol=16 * EPS[dtype],
        err_msg=f"{name} {dtype} at x={x64[smooth]}",
    )


@pytest.mark.parametrize("name, dtype", PARAMS)
def test_output_matches_float64_reference(name, dtype):
    make, ref, _, _, params, atol_eps = CASES[name]
    x, x64 = _cast(SPECIAL, dtype)
    layer = make(dtype)
    out = layer(x)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    with np.errstate(all="ignore"):
        expected = ref(x64, **params(layer))
    _assert_values_close(
        to_numpy64(out)[0], expected, name, dtype, atol_eps, x64, equal_nan=True
    )


@pytest.mark.parametrize("name, dtype", PARAMS)
def test_input_gradient_is_finite_and_documented(name, dtype):
    make, _, dref, kinks, params, _ = CASES[name]
    layer = make(dtype)
    x, x64 = _cast(FINITE, dtype)
    (dx,) = grads(layer, x)
    dref = functools.partial(dref, **params(layer))
    dx = dx[0]
    assert np.all(np.isfinite(dx)), f"{name} {dtype}: {dict(zip(x64, dx))}"
    with np.errstate(over="ignore"):  # exp(1e4) in the branch not taken
        expected = dref(x64)
    _assert_gradients_close(dx, expected, kinks, name, dtype, x64)


def _away_from_kinks(rng, kinks, n=24, low=-6.0, high=6.0):
    x = rng.uniform(low, high, size=4 * n)
    for kink in kinks:
        x = x[np.abs(x - kink) > 1e-3]
    return np.concatenate([x[:n], [-20.0, -1.0, 1.0, 20.0]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_derivative_by_finite_differences(name, rng):
    """Central differences of the layer (float64) == f' == autodiff."""
    make, _, dref, kinks, params, _ = CASES[name]
    layer = make("float64")
    x64 = _away_from_kinks(rng, kinks)
    layer.build((1, len(x64)))
    dref = functools.partial(dref, **params(layer))
    step = 1e-6 * np.maximum(1.0, np.abs(x64))

    def f(values):
        return to_numpy64(layer(keras.ops.convert_to_tensor(values[None])))[0]

    numeric = (f(x64 + step) - f(x64 - step)) / (2 * step)
    np.testing.assert_allclose(numeric, dref(x64), rtol=1e-6, atol=1e-8)
    (dx,) = grads(layer, keras.ops.convert_to_tensor(x64[None]))
    np.testing.assert_allclose(dx[0], dref(x64), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------ torch.nn reference
# Where PyTorch is installed, torch.nn's modules (float64, on the inputs as
# cast to the dtype) are a second, independent reference for the values and
# input gradients of the layers they share, and PReLU's slope gradient.
TORCH_CASES = {
    "leaky_relu": lambda nn: nn.LeakyReLU(negative_slope=0.1),
    "elu": lambda nn: nn.ELU(alpha=0.5),
    "celu": lambda nn: nn.CELU(alpha=2.0),
    "selu": lambda nn: nn.SELU(),
    "rrelu": lambda nn: nn.RReLU(lower=0.1, upper=0.3).eval(),
    "prelu": lambda nn: nn.PReLU(num_parameters=1, init=0.3),
    "swish_silu": lambda nn: nn.SiLU(),
}
TORCH_PARAMS = [(n, dt) for n in sorted(TORCH_CASES) for dt in FLOAT_DTYPES]


def _torch_reference(name, x64, layer):
    """torch.nn's output, input gradient (and slope gradient), float64."""
    torch = pytest.importorskip("torch", reason="torch.nn reference")
    module = TORCH_CASES[name](torch.nn).double()
    if name == "prelu":  # The slope the layer holds (a float32 0.3).
        (alpha,) = {float(a) for a in to_numpy64(layer.alpha).ravel()}
        module.weight.data.fill_(alpha)
    x = torch.tensor(x64, dtype=torch.float64, requires_grad=True)
    y = module(x)
    y.sum().backward()
    slope_grad = module.weight.grad.item() if name == "prelu" else None
    return y.detach().numpy(), x.grad.numpy(), slope_grad


@pytest.mark.parametrize("name, dtype", TORCH_PARAMS)
def test_values_and_gradients_match_torch_nn(name, dtype):
    make, _, _, kinks, _, atol_eps = CASES[name]
    layer = make(dtype)
    x, x64 = _cast(FINITE, dtype)
    layer.build(tuple(x.shape))
    expected, expected_dx, expected_dalpha = _torch_reference(name, x64, layer)
    _assert_values_close(
        to_numpy64(layer(x))[0], expected, name, dtype, atol_eps, x64
    )
    if name == "prelu":
        alpha = keras.ops.cast(keras.ops.convert_to_tensor(layer.alpha), dtype)
        dx, dalpha = grads(_prelu_with, x, alpha)
        # One slope per channel here; torch's single slope sums them all.
        np.testing.assert_allclose(
            dalpha.sum(), expected_dalpha, rtol=8 * EPS[dtype], atol=0
        )
    else:
        (dx,) = grads(layer, x)
    _assert_gradients_close(dx[0], expected_dx, kinks, name, dtype, x64)


def _prelu_with(x, alpha):
    from reluplug import activations

    return activations.prelu(x, alpha)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_selu_gradient_equals_torch_at_zero_and_tiny_inputs(dtype):
    """The TensorFlow fused kernel's answer at -1e-30 was ``scale``."""
    x, x64 = _cast(np.array([0.0, 1e-30, -1e-30, -0.0]), dtype)
    (dx,) = grads(layers.SELU(dtype=dtype), x)
    _, expected, _ = _torch_reference("selu", x64, None)
    np.testing.assert_allclose(dx[0], expected, rtol=8 * EPS[dtype])
    # And the values the torch-free reference documents.
    scale_alpha = SELU_SCALE * SELU_ALPHA
    tiny_positive = SELU_SCALE if x64[1] > 0 else scale_alpha
    np.testing.assert_allclose(
        dx[0],
        [scale_alpha, tiny_positive, scale_alpha, scale_alpha],
        rtol=8 * EPS[dtype],
    )
