"""The TensorFlow fast path (``reluplug._fast``) against the reference.

The reference is the ``keras.ops`` forward and hand-written backward of
``reluplug.activations`` run op by op (``_fast.disabled()``); the fast path
runs the same functions as XLA functions. Both must give the same outputs
and the same gradients for the input and every parameter, for each
parameter layout the layers build, in every float dtype, eagerly, inside a
graph without XLA and inside an XLA-compiled function, and a model must
train through it with and without ``jit_compile``. ``_fast.calls`` shows
which path ran. Tolerance: a few roundings of the dtype (XLA fuses
``a * b + c`` into an FMA and has its own ``exp``/``expm1``).
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_testing import PARAM_LAYOUTS
from layer_testing import to_numpy64

from reluplug import _fast
from reluplug import activations
from reluplug import layers

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the fast path exists on TensorFlow only; other backends run "
    "the reference (tested in test_custom_gradients.py)",
)

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _params(name, rng, shape):
    if name == "prelu":
        return [rng.uniform(0.05, 0.5, shape)]
    if name == "pelu":
        return [rng.uniform(0.5, 2.0, shape), rng.uniform(0.5, 2.0, shape)]
    if name == "srelu":
        return [
            rng.uniform(-1.5, -0.5, shape),
            rng.uniform(0.0, 0.3, shape),
            rng.uniform(0.5, 1.5, shape),
            rng.uniform(0.3, 1.5, shape),
        ]
    return []


FUNCTIONS = {
    "prelu": activations.prelu,
    "pelu": activations.pelu,
    "srelu": activations.srelu,
    "selu": activations.selu,
}
LAYOUTS = {
    name: PARAM_LAYOUTS[name]
    for name in ("channel_last", "channels_first", "shared", "element")
}
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23}
EPS["float64"] = 2.0**-52


def _inputs(rng, x_shape):
    x = rng.normal(0.0, 2.0, size=x_shape)
    x.reshape(-1)[:4] = [0.0, 30.0, -30.0, -0.0]
    return x


def grads(fn, *args, upstream=None):
    """``layer_testing.grads`` on TensorFlow, cast to float32 before NumPy
    (TensorFlow cannot turn a 0-d bfloat16 tensor into a NumPy array)."""
    import tensorflow as tf

    args = [tf.convert_to_tensor(a) for a in args]
    with tf.GradientTape() as tape:
        tape.watch(args)
        y = fn(*args)
        if upstream is not None:
            y = y * tf.cast(upstream, y.dtype)
        total = tf.reduce_sum(y)
    result = tape.gradient(total, args)
    return [to_numpy64(tf.cast(g, "float64")) for g in result]


def _both_paths(fn, args, upstream):
    """(outputs, grads) on the fast path and on the reference."""
    before = _fast.calls.copy()
    fast = (to_numpy64(fn(*args)), grads(fn, *args, upstream=upstream))
    used = _fast.calls - before
    with _fast.disabled():
        reference = (to_numpy64(fn(*args)), grads(fn, *args, upstream=upstream))
    assert _fast.calls - before == used  # the reference did not count
    return fast, reference, used


def _assert_close(fast, reference, dtype, scale):
    """Each to a few roundings of the largest term of its sum."""
    (y, dys), (y_ref, dys_ref) = fast, reference
    tol = 16 * EPS[dtype]
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
    for got, want in zip(dys, dys_ref):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_fast_path_equals_reference(name, layout, dtype, rng):
    if name == "selu" and layout != "channel_last":
        pytest.skip("no parameters: one layout is enough")
    x_shape, p_shape = LAYOUTS[layout]
    x = _inputs(rng, x_shape)
    params = _params(name, rng, p_shape)
    upstream = rng.normal(size=x_shape)
    args = [ops.cast(a, dtype) for a in [x, *params]]
    upstream = to_numpy64(ops.cast(upstream, dtype))
    fast, reference, used = _both_paths(FUNCTIONS[name], args, upstream)
    assert used[name] == 2 and used[f"{name}.grad"] == 1, used
    # A parameter gradient sums about x.size / param.size terms of |x|.
    scale = 30.0 * x.size / max(1, int(np.prod(p_shape)))
    _assert_close(fast, reference, dtype, scale)
    for got in fast[1]:
        assert np.all(np.isfinite(got))


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_fast_path_inside_a_graph_and_inside_xla(name, jit_compile, rng):
    """Nested in a tf.function, with and without XLA of its own."""
    import tensorflow as tf

    x_shape, p_shape = LAYOUTS["channels_first"]
    args = [
        tf.constant(a, tf.float32)
        for a in [_inputs(rng, x_shape), *_params(name, rng, p_shape)]
    ]
    upstream = tf.constant(rng.normal(size=x_shape), tf.float32)
    fn = FUNCTIONS[name]

    def step(*args):
        with tf.GradientTape() as tape:
            tape.watch(args)
            y = fn(*args)
        return [y, *tape.gradient(y, args, output_gradients=upstream)]

    before = _fast.calls.copy()
    fast = tf.function(step, jit_compile=jit_compile)(*args)
    assert (_fast.calls - before)[name] == 1  # traced once
    with _fast.disabled():
        reference = tf.function(step, jit_compile=jit_compile)(*args)
    for got, want in zip(fast, reference):
        np.testing.assert_allclose(
            got.numpy(), want.numpy(), rtol=1e-5, atol=1e-4
        )


LAYERS = {
    "prelu": lambda: layers.PReLU(),
    "pelu": lambda: layers.PELU(granularity="channel"),
    "srelu": lambda: layers.SReLU(),
    "selu": lambda: layers.SELU(),
}


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_model_trains_the_same_on_both_paths(name, jit_compile, rng):
    """One fit step of a conv model: same loss and same weights after."""
    x = rng.normal(size=(8, 6, 6, 3)).astype("float32")
    y = rng.normal(size=(8, 4)).astype("float32")

    def fit():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((6, 6, 3)),
                keras.layers.Conv2D(4, 3),
                LAYERS[name](),
                keras.layers.Flatten(),
                keras.layers.Dense(4),
            ]
        )
        model.compile("sgd", "mse", jit_compile=jit_compile)
        loss = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return loss.history["loss"], model.get_weights()

    before = _fast.calls.copy()
    fast_loss, fast_weights = fit()
    assert (_fast.calls - before)[f"{name}.grad"] >= 1
    with _fast.disabled():
        ref_loss, ref_weights = fit()
    np.testing.assert_allclose(fast_loss, ref_loss, rtol=1e-5)
    for got, want in zip(fast_weights, ref_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_selu_derivative_at_subnormal_inputs_is_the_left_side(dtype):
    """Documented in ``activations.selu``: below the smallest normal number
    the CPU reads x as 0, so the derivative is ``scale * alpha`` for either
    sign (and the output is 0), on both paths. Normal tiny inputs keep
    their side."""
    tiny = {"float32": 1e-39, "float64": 1e-310}[dtype]
    normal = {"float32": 1e-37, "float64": 1e-300}[dtype]
    x = np.array([tiny, -tiny, 0.0, -0.0, normal, -normal], dtype)
    scale_alpha = SELU_SCALE * SELU_ALPHA
    expected = [scale_alpha] * 4 + [SELU_SCALE, scale_alpha]
    for disabled in (False, True):
        if disabled:
            with _fast.disabled():
                (dx,) = grads(activations.selu, x)
                y = to_numpy64(activations.selu(x))
        else:
            (dx,) = grads(activations.selu, x)
            y = to_numpy64(activations.selu(x))
        np.testing.assert_allclose(dx, expected, rtol=8 * EPS[dtype])
        np.testing.assert_array_equal(y[:4], 0.0)


def test_disabled_restores_the_fast_path():
    assert _fast.applies()
    with _fast.disabled():
        assert not _fast.applies()
    assert _fast.applies()
