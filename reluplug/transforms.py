"""Fast fixed transforms as ``keras.ops`` functions (every backend).

* ``walsh_hadamard``: the Walsh-Hadamard transform in O(n log n).
* ``circulant_matmul``: the product with a circulant matrix through the
  real FFT, in O(n log n).
* ``next_power_of_two``, ``pad_to``, ``hadamard_matrix``, ``random_signs``,
  ``random_permutation``: the small helpers the structured layers share.

The layers in ``reluplug.layers`` (``WalshHadamard``, ``HadamardDense``,
``CirculantDense``) only hold weights and call these functions.
"""

import math

import numpy as np
from keras import backend
from keras import ops

# Largest Kronecker factor of the Walsh-Hadamard transform (see
# ``walsh_hadamard``). Measured with benchmarks/perf/transform_speed.py.
MAX_FACTOR = 64


def is_power_of_two(n):
    """True for 1, 2, 4, 8, ... (plain Python ints only)."""
    return (
        isinstance(n, int)
        and not isinstance(n, bool)
        and n >= 1
        and n & (n - 1) == 0
    )


def next_power_of_two(n):
    """The smallest power of two ``>= n`` (``n >= 1``)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(
            "next_power_of_two: argument `n` must be an int >= 1. "
            f"Received: n={n!r}"
        )
    return 1 << (n - 1).bit_length()


def hadamard_matrix(n, dtype="float64", normalize=False):
    """Sylvester's Hadamard matrix of order ``n`` as a NumPy array.

    ``H_1 = [1]``, ``H_2n = [[H_n, H_n], [H_n, -H_n]]``; entry ``(i, j)`` is
    ``(-1) ** popcount(i & j)``. Symmetric; ``H @ H = n * I``.
    """
    if not is_power_of_two(n):
        raise ValueError(
            "hadamard_matrix: argument `n` must be a power of two "
            f"(1, 2, 4, ...). Received: n={n!r}"
        )
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    if normalize:
        h = h / math.sqrt(n)
    return h.astype(dtype)


def _factors(n):
    """Splits ``n = 2**k`` into balanced powers of two ``<= MAX_FACTOR``."""
    k = n.bit_length() - 1
    if k == 0:
        return []
    cap = MAX_FACTOR.bit_length() - 1
    parts = -(-k // cap)
    base, extra = divmod(k, parts)
    return [2 ** (base + (i < extra)) for i in range(parts)]


def _matmul(a, b):
    """``a @ b`` for 2-D ``a``, ``b`` that keeps float64 on every backend.

    Keras 3.15's PyTorch ``ops.matmul`` computes two float64 tensors in
    float32 (its ``result_type`` does not recognise torch dtypes);
    ``ops.einsum`` keeps the dtype, so torch uses that.
    """
    if backend.backend() == "torch":
        return ops.einsum("ij,jk->ik", a, b)
    return ops.matmul(a, b)


def walsh_hadamard(x, axis=-1, normalize=True):
    """The Walsh-Hadamard transform of ``x`` along ``axis``.

    Formula:
        `y = x @ H_n / sqrt(n)` (with `normalize=True`; `x @ H_n` otherwise)
        along `axis`, where `H_n` is Sylvester's Hadamard matrix of order
        `n = x.shape[axis]`: `H_n[i, j] = (-1) ** popcount(i & j)`.

    Derivative:
        The map is linear and `H_n` is symmetric, so the gradient of a loss
        with respect to `x` is the transform of the upstream gradient:
        `dL/dx = walsh_hadamard(dL/dy)`. With `normalize=True` the transform
        is orthonormal and its own inverse.

    How: `H_n = H_a (x) H_b (x) ...` (Kronecker product) with balanced
    factors of at most `MAX_FACTOR` = 64, so the transform is a few small
    matrix products (one per factor, each on a reshaped view) at
    `n * (a + b + ...)` multiply-adds, i.e. O(n log n). On CPU this ran as
    fast as (n = 256 with XLA) to 60 times faster (TensorFlow without XLA)
    than the log2(n)-stage add/subtract butterfly, and 2 to 4 times faster
    from n = 1024 on with XLA on TensorFlow and JAX
    (benchmarks/perf/transform_speed.py `--formulations`), and faster than
    contracting each factor with `einsum` on an `(a, b, ...)` view. Each
    factor carries its share `1/sqrt(a)` of the
    normalisation, so float16 values stay in range.

    Args:
        x: tensor of a floating dtype; `x.shape[axis]` must be known and a
            power of two (pad with ``pad_to`` first; the layers do).
        axis: int, the axis to transform. Defaults to `-1`.
        normalize: bool; divide by `sqrt(n)` (orthonormal). Defaults to
            `True`.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:

    >>> import numpy as np
    >>> from reluplug.transforms import walsh_hadamard
    >>> y = walsh_hadamard(np.array([[1.0, 0.0, 0.0, 0.0]]))
    >>> np.asarray(y).tolist()
    [[0.5, 0.5, 0.5, 0.5]]

    Reference:
        Fino & Algazi, 1976, "Unified Matrix Treatment of the Fast
        Walsh-Hadamard Transform", IEEE Trans. Computers C-25(11).
    """
    x = ops.convert_to_tensor(x)
    rank = len(x.shape)
    if not isinstance(axis, int) or not -rank <= axis < rank:
        raise ValueError(
            f"walsh_hadamard: argument `axis` must be an int in "
            f"[{-rank}, {rank - 1}] for an input of rank {rank}. "
            f"Received: axis={axis!r}"
        )
    axis = axis % rank
    n = x.shape[axis]
    if not is_power_of_two(n):
        raise ValueError(
            "walsh_hadamard: the transformed axis must have a known size "
            "that is a power of two (1, 2, 4, ...); zero-pad first (see "
            f"reluplug.transforms.pad_to). Received: x.shape[{axis}]={n!r} "
            f"for x.shape={tuple(x.shape)}"
        )
    if axis != rank - 1:
        x = ops.moveaxis(x, axis, -1)
    rest = tuple(x.shape[1:])
    shape = (-1,) + rest if None not in rest else ops.shape(x)
    y = ops.reshape(x, (-1, n))
    for m in _factors(n):
        h = hadamard_matrix(m, normalize=normalize)
        # Transform the fastest-varying factor, then rotate it to the front
        # so the next factor becomes the fastest; after all factors the
        # layout is back where it started.
        y = _matmul(ops.reshape(y, (-1, m)), ops.cast(h, x.dtype))
        y = ops.transpose(ops.reshape(y, (-1, n // m, m)), (0, 2, 1))
        y = ops.reshape(y, (-1, n))
    y = ops.reshape(y, shape)
    if axis != rank - 1:
        y = ops.moveaxis(y, -1, axis)
    return y


def pad_to(x, n):
    """Zero-pads (or truncates) the last axis of ``x`` to length ``n``."""
    d = x.shape[-1]
    if d == n:
        return x
    if d > n:
        return x[..., :n]
    pad = [(0, 0)] * (len(x.shape) - 1) + [(0, n - d)]
    return ops.pad(x, pad)


def circulant_matmul(x, c):
    """Product of ``x`` (last axis) with the circulant matrix of ``c``.

    Formula:
        `y[..., i] = sum_j C[i, j] * x[..., j]` with `C[i, j] = c[(i - j)
        mod n]` (the matrix `scipy.linalg.circulant(c)`, whose first column
        is `c`), i.e. the circular convolution `y = c (*) x`, computed as
        `y = irfft(rfft(c) * rfft(x))` in O(n log n).

    Derivative:
        `dL/dx = C^T g` (circular correlation with `c`) and `dL/dc[k] =
        sum_i g[i] x[(i - k) mod n]`, both through the same FFTs.

    The FFTs run in float32 (or float64 for float64 inputs): half-precision
    FFTs are not available on every backend and would lose the small
    coefficients; the result is cast back to the dtype of `x`.

    Args:
        x: tensor `(..., n)`.
        c: tensor `(n,)`, the first column of the circulant matrix.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:

    >>> import numpy as np
    >>> from reluplug.transforms import circulant_matmul
    >>> y = circulant_matmul(np.array([[1.0, 2.0, 3.0]]), np.array(
    ...     [1.0, 10.0, 100.0]))
    >>> np.round(np.asarray(y), 4).tolist()
    [[231.0, 312.0, 123.0]]
    """
    x = ops.convert_to_tensor(x)
    c = ops.convert_to_tensor(c)
    n = x.shape[-1]
    if n is None or tuple(c.shape) != (n,):
        raise ValueError(
            "circulant_matmul: argument `c` must have shape (n,) with n = "
            f"x.shape[-1] known. Received: c.shape={tuple(c.shape)}, "
            f"x.shape={tuple(x.shape)}"
        )
    dtype = x.dtype
    work = "float64" if "float64" in str(dtype) else "float32"
    xr, xi = ops.rfft(ops.cast(x, work))
    cr, ci = ops.rfft(ops.cast(c, work))
    real = xr * cr - xi * ci
    imag = xr * ci + xi * cr
    y = ops.irfft((real, imag), fft_length=n)
    return ops.cast(y, dtype)


def random_signs(n, seed):
    """A fixed vector of ``n`` random signs (+1/-1) drawn from ``seed``."""
    rng = np.random.default_rng([seed, 1])
    return rng.choice(np.array([-1.0, 1.0]), size=n)


def random_permutation(n, seed):
    """A fixed random permutation of ``range(n)`` drawn from ``seed``."""
    return np.random.default_rng([seed, 2]).permutation(n)
