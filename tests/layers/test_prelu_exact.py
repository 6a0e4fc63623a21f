"""PReLU's hand-written gradient gives the plain formula's values bit for bit.

The forward pass keeps the slope ``f'(x)`` and multiplies by it (``x * 1``
and ``u * 1`` are exact), so the output and the input gradient must equal
NumPy's float32 ``where(x >= 0, x, alpha * x)`` and
``where(x >= 0, u, u * alpha)`` exactly: signed zeros, infinities and NaN
included, and for slopes above 1, negative and zero.
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_testing import grads

from reluplug import activations

SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e4, -1e4]


def _same_bits(got, want):
    """Equal values, NaN where NaN, and the same sign on zeros."""
    got = np.asarray(got, dtype="float64")
    want = np.asarray(want, dtype="float64")
    return np.array_equal(got, want, equal_nan=True) and np.array_equal(
        np.signbit(got), np.signbit(want)
    )


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="bit-identical dx needs the hand-written gradient "
    "(keras.ops.custom_gradient, TensorFlow and JAX only); PyTorch's autodiff "
    "of the `where` adds the untaken branch's +0.0, so dx is +0.0 where "
    "upstream * alpha is -0.0",
)
@pytest.mark.parametrize("alpha_shape", [(6,), (), (5, 6)])
def test_prelu_output_and_dx_bit_identical_to_formula(alpha_shape, rng):
    x = rng.normal(0.0, 3.0, size=(5, 6)).astype("float32")
    x.flat[: len(SPECIALS)] = SPECIALS
    alpha = rng.choice(
        np.array([0.25, 1.7, -0.3, 0.0, 0.1], "float32"), size=alpha_shape
    )
    upstream = rng.normal(size=(5, 6)).astype("float32")

    y = ops.convert_to_numpy(activations.prelu(ops.convert_to_tensor(x), alpha))
    dx, _ = grads(activations.prelu, x, alpha, upstream=upstream)

    with np.errstate(invalid="ignore"):  # 0 * inf = nan, as in the layer
        want_y = np.where(x >= 0, x, alpha * x)
    assert _same_bits(y, want_y)
    assert _same_bits(dx, np.where(x >= 0, upstream, upstream * alpha))
