"""The math: one ``keras.ops`` function per activation.

Every function here works on every Keras backend and takes a backend tensor
or a NumPy array, casts its constants to the
dtype of ``x`` (float16, bfloat16, float32 and float64 all work), and keeps
gradients finite wherever the math is finite: exponential branches only ever
see ``minimum(x, 0)`` (the double-``where`` pattern), so ``x = 1e4`` cannot
produce ``inf * 0 = nan`` in the backward pass.

Learnable parameters (``alpha``, ``beta``, ...) are tensors that broadcast
against ``x`` from the right (NumPy rules). The layers in
:mod:`reluplug.layers` own the weights and delegate here.
"""

import functools

from keras import backend
from keras import ops
from keras import random

from reluplug import _fast

__all__ = [
    "celu",
    "elu",
    "heaviside",
    "leaky_relu",
    "pelu",
    "prelu",
    "rrelu",
    "selu",
    "srelu",
    "swish",
]


def _const(value, x):
    # Not ops.cast: on TensorFlow that first makes a float32 tensor of a
    # Python float, so float64 would get 0.1 as 0.10000000149011612.
    return ops.convert_to_tensor(value, dtype=x.dtype)


def _maximum(a, b):
    """``ops.maximum`` that keeps float64 on every backend.

    Keras 3.15's PyTorch backend computes ``ops.maximum``/``ops.minimum`` of
    two float64 tensors in float32 (its ``result_type`` does not recognise
    torch dtypes); there a ``where`` (tie: ``a``, as TensorFlow; NaN in
    ``a`` propagates, as in ``maximum``) is used.
    """
    if backend.backend() == "torch":
        return ops.where(ops.less(a, b), b, a)
    return ops.maximum(a, b)


def _minimum(a, b):
    """``ops.minimum`` that keeps float64 on every backend (see
    ``_maximum``)."""
    if backend.backend() == "torch":
        return ops.where(ops.greater(a, b), b, a)
    return ops.minimum(a, b)


def leaky_relu(x, negative_slope=0.01):
    """``x`` if ``x >= 0`` else ``negative_slope * x``.

    Derivative: ``1`` for ``x > 0``, ``negative_slope`` for ``x < 0``.
    Uses the fused ``keras.ops.leaky_relu`` kernel, except in float64:
    TensorFlow's kernel holds the slope as a float32 attribute (a relative
    error of 1e-8), so float64 takes the exact ``where`` form.
    """
    x = ops.convert_to_tensor(x)
    if backend.standardize_dtype(x.dtype) == "float64":
        slope = _const(negative_slope, x)
        return ops.where(ops.greater_equal(x, 0), x, slope * x)
    return ops.leaky_relu(x, negative_slope=float(negative_slope))


def _custom_gradient_applies(x, *params):
    """Whether the hand-written gradients below can replace autodiff.

    They exist for TensorFlow and JAX (``keras.ops.custom_gradient`` on other
    backends is not relied on) and assume the output has the shape of ``x``:
    every parameter broadcasts into ``x`` from the right.
    """
    if backend.backend() not in ("tensorflow", "jax"):
        return False
    x_shape = tuple(x.shape)
    for param in params:
        shape = tuple(param.shape)
        if len(shape) > len(x_shape):
            return False
        for p_dim, x_dim in zip(reversed(shape), reversed(x_shape)):
            if p_dim != 1 and x_dim is not None and p_dim != x_dim:
                return False
    return True


def _upstream(args, upstream):
    """The output gradient, however ``custom_gradient`` passes it."""
    if upstream is None:
        (upstream,) = args
    return upstream


def _sum_to_param(values, param_shape, fused=False):
    """Sums ``values`` (shaped like ``x``) into a broadcast ``param_shape``.

    The gradient of every broadcast parameter goes through here.
    ``fused=True`` (code compiled by XLA: JAX, the TensorFlow fast path) is
    ``_folded_sum``. Otherwise (TensorFlow, op by op), when the
    summed axes are the leading ones (channels-last layouts: ``(C,)``,
    ``(1, 1, C)``, per element), the float32/float64 sum is a
    ``ones @ values`` matrix-vector product: TensorFlow's CPU column
    ``reduce_sum`` costs about as much as the rest of the PReLU backward
    pass, the GEMV a fraction of it. (Under XLA the GEMV is the slow one:
    it cannot fuse, so ``values`` is written out and read back.)
    """
    param_shape = tuple(param_shape)
    rank = len(values.shape)
    padded = (1,) * (rank - len(param_shape)) + param_shape
    axes = tuple(i for i, d in enumerate(padded) if d == 1)
    if not axes:
        return ops.reshape(values, param_shape)
    if fused:
        return ops.reshape(_folded_sum(values, axes), param_shape)
    count = len(axes)
    leading = axes == tuple(range(count)) and count < rank
    dtype = backend.standardize_dtype(values.dtype)
    if leading and dtype in ("float32", "float64"):
        size = 1
        for dim in param_shape:
            size *= dim
        matrix = ops.reshape(values, (-1, size))
        ones = ops.ones((1, ops.shape(matrix)[0]), dtype=dtype)
        return ops.reshape(ops.matmul(ones, matrix), param_shape)
    return ops.reshape(ops.sum(values, axis=axes, keepdims=True), param_shape)


def _fold_count(size):
    """How many blocks ``_folded_sum`` adds along an axis of ``size``."""
    if size <= 8:
        return size
    # 8 to 4 blocks; the fewest rows left over, then the most blocks.
    return min(range(8, 3, -1), key=lambda k: (size % k, -k))


def _folded_sum(values, axes):
    """``sum(values, axes, keepdims=True)`` that XLA computes fast.

    XLA on CPU writes out the input of every reduction (it does not fuse the
    elementwise loop that produces ``values`` into the sum), and on
    TensorFlow each such buffer is fresh memory, page faults included. So
    the longest summed axis of static size is first folded: its ``k``
    (4 to 8) blocks are added elementwise, which fuses with the producer,
    and only ``1/k`` of ``values`` is written out (plus the rows left over
    when ``k`` does not divide the axis, summed on their own).
    """
    static = [
        (values.shape[axis], axis)
        for axis in axes
        if values.shape[axis] is not None and values.shape[axis] > 1
    ]
    if not static:
        return ops.sum(values, axis=axes, keepdims=True)
    size, axis = max(static)
    blocks = _fold_count(size)
    rows = size // blocks

    def part(start, stop):
        return values[(slice(None),) * axis + (slice(start, stop),)]

    folded = part(0, rows)
    for block in range(1, blocks):
        folded = folded + part(block * rows, (block + 1) * rows)
    total = ops.sum(folded, axis=axes, keepdims=True)
    if blocks * rows < size:
        total = total + ops.sum(part(blocks * rows, size), axes, keepdims=True)
    return total


@functools.cache
def _fused(backward):
    """``backward`` for code that XLA compiles (one object per function,
    so the fast path compiles it once)."""
    return functools.partial(backward, fused=True)


def _with_gradient(
    name,
    forward,
    backward,
    x,
    *params,
    compile_forward=True,
    with_output=False,
):
    """``forward(x, *params)`` differentiated by ``backward``.

    ``backward(upstream, x, *params, fused)`` returns the gradient of every
    argument from the inputs alone (nothing is kept from the forward pass:
    an elementwise recomputation is cheaper than writing and reading back a
    saved tensor, and XLA fuses it into the backward loop); with
    ``with_output``, ``backward(upstream, x, y, *params, fused)`` also
    reads the output ``y``. On TensorFlow,
    unless disabled, both run as compiled XLA functions
    (:mod:`reluplug._fast`); the ``keras.ops.custom_gradient`` below is the
    reference, and the path on JAX.
    """
    if _fast.applies():
        return _fast.apply(
            name,
            forward,
            _fused(backward),
            x,
            *params,
            compile_forward=compile_forward,
            with_output=with_output,
        )
    fused = backend.backend() == "jax"

    @ops.custom_gradient
    def _activation(x, *params):
        out = forward(x, *params)

        def grad(*args, upstream=None):
            upstream = _upstream(args, upstream)
            inputs = (x, out) if with_output else (x,)
            return tuple(backward(upstream, *inputs, *params, fused=fused))

        return out, grad

    return _activation(x, *params)


def _prelu_slope(x, alpha):
    # f'(x): x * 1 = x and u * 1 = u exactly, so the output and dx below
    # equal where(x >= 0, x, alpha * x) (and its gradient) bit for bit.
    return ops.where(ops.greater_equal(x, 0), _const(1, x), alpha)


def _prelu_forward(x, alpha):
    return x * _prelu_slope(x, alpha)


def _prelu_backward(upstream, x, alpha, fused=False):
    # x * [x < 0] as minimum(x, 0): one pass, no zeros tensor.
    dalpha = upstream * ops.minimum(x, _const(0, x))
    return (
        upstream * _prelu_slope(x, alpha),
        _sum_to_param(dalpha, alpha.shape, fused),
    )


def prelu(x, alpha):
    """Parametric ReLU: ``x`` if ``x >= 0`` else ``alpha * x``.

    Derivative: ``1`` for ``x > 0``, ``alpha`` for ``x < 0``; with respect to
    ``alpha``: ``0`` for ``x >= 0``, ``x`` for ``x < 0``.

    ``alpha`` must broadcast against ``x`` from the right and have at most
    ``ndim(x)`` dimensions. On the TensorFlow and JAX backends the gradient is
    written by hand: ``dx`` is one multiplication and ``d alpha`` one
    multiplication and a sum, far fewer passes over memory than autodiff of
    ``relu(x) - alpha * relu(-x)``; on TensorFlow both passes run as small
    XLA functions (:mod:`reluplug._fast`).
    """
    x = ops.convert_to_tensor(x)
    alpha = ops.convert_to_tensor(alpha, dtype=x.dtype)
    if _custom_gradient_applies(x, alpha):
        return _with_gradient(
            "prelu", _prelu_forward, _prelu_backward, x, alpha
        )
    return ops.where(ops.greater_equal(x, 0), x, alpha * x)


def rrelu(x, lower=1.0 / 8.0, upper=1.0 / 3.0, training=False, seed=None):
    """Randomized leaky ReLU (Xu et al., 2015).

    In training, ``x`` if ``x >= 0`` else ``a * x`` with a fresh
    ``a ~ U(lower, upper)`` per element per call; at inference the fixed
    slope ``(lower + upper) / 2``.

    Derivative: ``1`` for ``x > 0``, ``a`` (training) or ``(lower + upper)/2``
    (inference) for ``x < 0``.

    Args:
        seed: an int or a ``keras.random.SeedGenerator`` (needed for
            reproducible slopes inside a compiled function).
    """
    x = ops.convert_to_tensor(x)
    if not training:
        return leaky_relu(x, negative_slope=(lower + upper) / 2.0)
    slope = random.uniform(
        ops.shape(x), minval=lower, maxval=upper, dtype=x.dtype, seed=seed
    )
    return ops.where(ops.greater_equal(x, 0), x, slope * x)


def elu(x, alpha=1.0):
    """Exponential linear unit (Clevert et al., 2016).

    ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Derivative: ``1`` for ``x > 0``, ``alpha * exp(x)`` for ``x <= 0``.
    Uses the fused ``keras.ops.elu`` kernel.
    """
    x = ops.convert_to_tensor(x)
    return ops.elu(x, alpha=float(alpha))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU (Barron, 2017).

    ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Derivative: ``1`` for ``x > 0``, ``exp(x / alpha)`` for ``x <= 0``.

    On TensorFlow this is ``relu(x) + alpha * expm1(minimum(x, 0) / alpha)``
    (the op count of ``keras.ops.celu``): ``keras.ops.celu`` uses
    ``maximum(x, 0)``, and since TensorFlow's ``maximum`` and ``minimum``
    both pass the full gradient at a tie, its derivative at ``x = 0`` is 2;
    ``relu`` passes none there, so this one's is 1. Other backends use
    ``keras.ops.celu`` (JAX splits ties evenly: derivative 1).
    """
    x = ops.convert_to_tensor(x)
    alpha = float(alpha)
    if backend.backend() != "tensorflow":
        return ops.celu(x, alpha=alpha)
    negative = ops.minimum(x, _const(0, x))
    if alpha == 1.0:
        return ops.relu(x) + ops.expm1(negative)
    scale = _const(alpha, x)
    return ops.relu(x) + scale * ops.expm1(negative / scale)


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _selu_forward(x):
    return ops.selu(x)


def _selu_backward(upstream, x, out, fused=False):
    del x, fused  # Read from the output alone; no parameters to sum.
    # scale * alpha * exp(x) = out + scale * alpha for x <= 0 (no exp), to
    # a rounding of out. The side: out > 0 exactly where x > 0 (scale > 1,
    # so a positive normal x never rounds to out = 0; a negative x gives
    # out <= 0, 0 for -3e-8 < x <= 0), so out > 0 picks it as x > 0 would,
    # and the pass reads two tensors, as SeluGrad does.
    negative = out + _const(SELU_SCALE * SELU_ALPHA, out)
    slope = ops.where(ops.greater(out, 0), _const(SELU_SCALE, out), negative)
    return (upstream * slope,)


def selu(x):
    """Scaled ELU (Klambauer et al., 2017).

    ``scale * x`` if ``x > 0`` else ``scale * alpha * (exp(x) - 1)`` with
    ``alpha = 1.6732632423543772`` and ``scale = 1.0507009873554805``.

    Derivative: ``scale`` for ``x > 0``, ``scale * alpha * exp(x)`` for
    ``x <= 0`` (as ``torch.nn.SELU``). Uses the fused ``keras.ops.selu``
    kernel. On TensorFlow the gradient is written by hand: TensorFlow's
    fused ``SeluGrad`` picks the side from the rounded *output*, and its
    ``Selu`` kernel computes ``exp(x) - 1``, which is 0 for
    ``-3e-8 < x <= 0`` in float32, so there (and at ``x = 0``) it returns
    ``scale`` instead of ``scale * alpha``; this one picks it from ``x``
    (and, as ``SeluGrad``, takes ``scale * alpha * exp(x)`` as
    ``output + scale * alpha``, to a rounding of the output). It runs as one
    XLA function (:mod:`reluplug._fast`), as fast as ``SeluGrad``. JAX and
    PyTorch differentiate ``keras.ops.selu`` exactly so already.

    Subnormal inputs (``0 < |x| <`` the smallest normal number: 1.2e-38 in
    float32 and bfloat16, 2.2e-308 in float64): CPUs running TensorFlow or
    XLA read them as zero (denormals-are-zero), so their derivative is
    ``scale * alpha``, the ``x <= 0`` side, whatever their sign, and their
    output is 0. float16 has no such range here (it is computed in float32,
    where its subnormals are normal numbers).
    """
    x = ops.convert_to_tensor(x)
    if backend.backend() == "tensorflow":
        return _with_gradient(
            "selu",
            _selu_forward,
            _selu_backward,
            x,
            compile_forward=False,
            with_output=True,
        )
    return ops.selu(x)


def _pelu_exponent(x, beta):
    # x / beta, and minimum(x, 0) / beta reusing it: 0 where x >= 0. As
    # x * (1 / beta) (within an ulp): XLA recomputes a product in every
    # loop that needs it, but writes a full-size quotient out.
    positive = ops.greater_equal(x, 0)
    scaled = x * (_const(1, x) / beta)
    return positive, scaled, ops.where(positive, _const(0, x), scaled)


def _pelu_forward(x, alpha, beta):
    positive, _, exponent = _pelu_exponent(x, beta)
    saturation = ops.expm1(exponent)
    return ops.where(positive, (alpha / beta) * x, alpha * saturation)


def _pelu_backward(upstream, x, out, alpha, beta, fused=False):
    positive, scaled, exponent = _pelu_exponent(x, beta)
    # f'(x) = (alpha / beta) * exp(exponent): exp(0) = 1 for x >= 0.
    dx = upstream * ((alpha / beta) * ops.exp(exponent))
    # df/dalpha = x / beta, or exp(x / beta) - 1 = out / alpha (two
    # roundings of expm1, relative): reading `out`, which the next layer's
    # gradient keeps anyway, costs less than a second transcendental (XLA's
    # expm1 about a sixth of the compiled backward pass on CPU).
    dalpha = upstream * ops.where(positive, scaled, out / alpha)
    dbeta = -_sum_to_param(dx * scaled, beta.shape, fused)
    return dx, _sum_to_param(dalpha, alpha.shape, fused), dbeta


def pelu(x, alpha, beta):
    """Parametric ELU (Trottier et al., 2017).

    ``(alpha / beta) * x`` if ``x >= 0`` else
    ``alpha * (exp(x / beta) - 1)``, with ``alpha, beta > 0``.

    Derivative with respect to ``x``: ``alpha / beta`` for ``x >= 0``,
    ``(alpha / beta) * exp(x / beta)`` for ``x < 0``; with respect to
    ``alpha``: ``x / beta`` or ``exp(x / beta) - 1``; with respect to
    ``beta``: ``-f'(x) * x / beta``. On TensorFlow and JAX the gradient is
    written by hand (autodiff differentiates both branches of the
    ``where``); on TensorFlow both passes run as small XLA functions
    (:mod:`reluplug._fast`).
    """
    x = ops.convert_to_tensor(x)
    alpha = ops.cast(alpha, x.dtype)
    beta = ops.cast(beta, x.dtype)
    if _custom_gradient_applies(x, alpha, beta):
        return _with_gradient(
            "pelu",
            _pelu_forward,
            _pelu_backward,
            x,
            alpha,
            beta,
            with_output=True,
        )
    negative = alpha * ops.expm1(_minimum(x, _const(0, x)) / beta)
    return ops.where(ops.greater_equal(x, 0), (alpha / beta) * x, negative)


def _srelu_pieces(x, t_left, a_left, t_right, a_right):
    right = ops.greater_equal(x, t_right)
    left = ops.less_equal(x, t_left)
    # One form for all three pieces: t + slope * (x - t), with t = x and
    # slope = 1 in the middle (x + 1 * 0 = x).
    joint = ops.where(right, t_right, ops.where(left, t_left, x))
    slope = ops.where(right, a_right, ops.where(left, a_left, _const(1, x)))
    return right, joint, slope


def _srelu_forward(x, t_left, a_left, t_right, a_right):
    _, joint, slope = _srelu_pieces(x, t_left, a_left, t_right, a_right)
    return joint + slope * (x - joint)


def _srelu_backward(upstream, x, t_left, a_left, t_right, a_right, fused=False):
    right, joint, slope = _srelu_pieces(x, t_left, a_left, t_right, a_right)
    dx = upstream * slope
    zero = _const(0, x)
    # df/da = x - t on its side (x - joint is 0 in the middle and at a
    # joint), df/dt = 1 - a on its side (0 in the middle). `right` splits
    # each, as in the forward pass. x - joint is infinite at x = +-inf, so
    # df/da takes two `where`s (the other side gets 0, not inf - inf);
    # df/dt is finite, and its left part is the rest by a subtraction,
    # exact (v - v = 0, v - 0 = v) and cheaper.
    d_slope = upstream * (x - joint)
    da_right = ops.where(right, d_slope, zero)
    da_left = ops.where(right, zero, d_slope)
    d_joint = upstream - dx
    dt_right = ops.where(right, d_joint, zero)
    dt_left = d_joint - dt_right
    return (
        dx,
        _sum_to_param(dt_left, t_left.shape, fused),
        _sum_to_param(da_left, a_left.shape, fused),
        _sum_to_param(dt_right, t_right.shape, fused),
        _sum_to_param(da_right, a_right.shape, fused),
    )


def srelu(x, t_left, a_left, t_right, a_right):
    """S-shaped ReLU (Jin et al., 2016).

    ``t_right + a_right * (x - t_right)`` if ``x >= t_right``;
    ``x`` if ``t_left < x < t_right``;
    ``t_left + a_left * (x - t_left)`` if ``x <= t_left``.
    ``t_right`` is used as ``max(t_right, t_left)`` so the pieces never cross.

    Derivative: ``a_right`` for ``x > t_right``, ``1`` in between,
    ``a_left`` for ``x < t_left``. On TensorFlow and JAX the gradient is
    written by hand; the ``maximum`` stays outside it, so autodiff routes
    the ``t_right`` gradient to ``t_left`` where ``t_left > t_right``. On
    TensorFlow both passes run as small XLA functions
    (:mod:`reluplug._fast`).
    """
    x = ops.convert_to_tensor(x)
    t_left = ops.cast(t_left, x.dtype)
    a_left = ops.cast(a_left, x.dtype)
    t_right = _maximum(ops.cast(t_right, x.dtype), t_left)
    a_right = ops.cast(a_right, x.dtype)
    params = (t_left, a_left, t_right, a_right)
    if _custom_gradient_applies(x, *params):
        return _with_gradient(
            "srelu", _srelu_forward, _srelu_backward, x, *params
        )
    right = t_right + a_right * (x - t_right)
    left = t_left + a_left * (x - t_left)
    return ops.where(
        ops.greater_equal(x, t_right),
        right,
        ops.where(ops.less_equal(x, t_left), left, x),
    )


def swish(x, beta=1.0):
    """Swish (Ramachandran et al., 2017): ``x * sigmoid(beta * x)``.

    Derivative: ``s + beta * x * s * (1 - s)`` with ``s = sigmoid(beta * x)``.
    A Python ``beta == 1`` uses the fused ``keras.ops.silu`` kernel.
    """
    x = ops.convert_to_tensor(x)
    if isinstance(beta, (int, float)) and beta == 1:
        return ops.silu(x)
    beta = ops.cast(beta, x.dtype)
    return x * ops.sigmoid(beta * x)


def heaviside(x):
    """The Heaviside step: ``1`` if ``x > 0`` else ``0`` (so ``H(0) = 0``).

    Derivative: ``0`` wherever it exists (every ``x != 0``); autodiff
    returns ``0`` everywhere, ``x = 0`` included. Written as
    ``sign(relu(x))`` so the gradient is a connected, finite zero (not
    ``None``) on every backend: a network trained through it gets zero
    gradient, not an error.
    """
    return ops.sign(ops.relu(x))
