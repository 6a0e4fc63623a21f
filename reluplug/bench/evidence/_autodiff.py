"""Derivatives of element-wise functions by the backend's autodiff.

The one module of ``reluplug.bench.evidence`` that imports a backend
(TensorFlow, JAX or PyTorch), lazily, inside the function for the active
backend, as ``reluplug.callbacks._gradients`` does.
"""

import keras
import numpy as np


def derivative(fn, x):
    """``fn'(x)`` element-wise, by reverse-mode autodiff, in float64.

    Args:
        fn: element-wise function of a tensor written with ``keras.ops``
            (``f(x)[i]`` depends on ``x[i]`` only), so the gradient of
            ``sum(f(x))`` is ``f'(x)``.
        x: array-like of inputs.

    Returns:
        ``(values, derivatives)``: NumPy float64 arrays shaped like ``x``.

    Raises:
        ValueError: on a backend without a path here.
    """
    x = np.asarray(x, dtype="float64")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = fn(t)
            total = tf.reduce_sum(y)
        return np.asarray(y, "float64"), np.asarray(
            tape.gradient(total, t), "float64"
        )
    if backend == "jax":
        import jax

        with jax.enable_x64(True):
            t = jax.numpy.asarray(x)
            y, pullback = jax.vjp(fn, t)
            (grad,) = pullback(jax.numpy.ones_like(y))
            return np.asarray(y, "float64"), np.asarray(grad, "float64")
    if backend == "torch":
        import torch

        t = torch.tensor(x, requires_grad=True)
        y = fn(t)
        y.sum().backward()
        return (
            y.detach().cpu().numpy().astype("float64"),
            t.grad.cpu().numpy().astype("float64"),
        )
    raise ValueError(
        "reluplug.bench.evidence supports the backends ['jax', "
        f"'tensorflow', 'torch'], but {backend!r} is active."
    )


def compiled_forward_backward(fn, shape, seed=0):
    """A no-argument callable running one compiled forward + backward pass.

    The function maps a float32 tensor of ``shape`` to one of the same
    shape; the backward pass is the gradient of ``sum(fn(x))`` with
    respect to ``x``. Compiled with ``tf.function`` / ``jax.jit`` (eager on
    torch) and warmed up three times; each call waits for its result.
    """
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(t):
            with tf.GradientTape() as tape:
                tape.watch(t)
                total = tf.reduce_sum(fn(t))
            return tape.gradient(total, t)

        t = tf.constant(x)

        def call():
            return step(t).numpy()

    elif backend == "jax":
        import jax

        grad = jax.jit(jax.grad(lambda t: jax.numpy.sum(fn(t))))
        t = jax.numpy.asarray(x)

        def call():
            return grad(t).block_until_ready()

    elif backend == "torch":
        import torch

        def call():
            t = torch.tensor(x, requires_grad=True)
            fn(t).sum().backward()
            return t.grad

    else:
        raise ValueError(
            "reluplug.bench.evidence supports the backends ['jax', "
            f"'tensorflow', 'torch'], but {backend!r} is active."
        )
    for _ in range(3):
        call()
    return call


def forward_backward_seconds(fn, shape, repeats=30, seed=0):
    """Median seconds of one compiled forward + backward pass of ``fn``
    (``compiled_forward_backward``), timed ``repeats`` times.

    Returns:
        ``(median, all timings)`` in seconds.
    """
    import time

    call = compiled_forward_backward(fn, shape, seed)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times
