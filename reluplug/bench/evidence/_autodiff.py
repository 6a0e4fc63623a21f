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
