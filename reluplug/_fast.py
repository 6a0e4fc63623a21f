"""Backend fast path: an activation's passes compiled as small XLA functions.

On the TensorFlow backend a model that is not XLA-compiled (Keras'
``jit_compile="auto"`` turns XLA off on a CPU-only machine) runs each op of
an activation as its own kernel, one pass over memory per elementwise op,
so a parametric activation written in ``keras.ops`` (a ``where``, an
``exp``, a few products and a sum per parameter) costs several times a
fused LeakyReLU. Here the forward pass and the backward pass of such an
activation each become one ``tf.function(jit_compile=True)``, joined by
``tf.custom_gradient``: XLA fuses each pass into a few loops inside the
otherwise uncompiled graph.

The math is not duplicated: the compiled functions are the same
``keras.ops`` forward and backward functions that
:mod:`reluplug.activations` uses on every other backend (the reference),
traced by TensorFlow. Other backends never come here.

Inside a model that is itself XLA-compiled (``jit_compile=True``) the two
functions are inlined into the model's XLA program; JAX, PyTorch and
NumPy never take this path. ``tensorflow`` is imported only inside it.

``calls`` counts, per activation, how often the fast path was taken (in
Python: a traced graph counts once per trace, an eager call once per call)
and, under ``"<name>.grad"``, how often its backward was built; tests use it
to show that the fast path is the one that runs. ``disabled()`` switches it
off (tests compare both paths; benchmarks time both).
"""

import collections
import contextlib
import functools

import keras

calls = collections.Counter()
_state = {"enabled": True}


def applies():
    """Whether the fast path is used: the TensorFlow backend, not disabled."""
    return _state["enabled"] and keras.backend.backend() == "tensorflow"


@contextlib.contextmanager
def disabled():
    """Within this block the ``keras.ops`` reference path runs (in new
    traces: a graph traced before keeps the path it was traced with)."""
    previous = _state["enabled"]
    _state["enabled"] = False
    try:
        yield
    finally:
        _state["enabled"] = previous


@functools.cache
def _compiled(name, forward, backward, compile_forward, with_output):
    import tensorflow as tf

    # One trace per input signature: inside a model, shapes are symbolic
    # (batch None), so one per layer; the backward reads the parameters'
    # static shapes (which axes to sum), so no `reduce_retracing`. XLA
    # compiles, and caches, one program per concrete shape.
    def jit(fn):
        return tf.function(fn, jit_compile=True, autograph=False)

    forward_fn = jit(forward) if compile_forward else forward
    backward_fn = jit(backward)

    @tf.custom_gradient
    def activation(x, *params):
        out = forward_fn(x, *params)

        def grad(upstream):
            calls[f"{name}.grad"] += 1
            inputs = (x, out) if with_output else (x,)
            result = backward_fn(upstream, *inputs, *params)
            return result[0] if not params else list(result)

        return out, grad

    return activation


def apply(
    name,
    forward,
    backward,
    x,
    *params,
    compile_forward=True,
    with_output=False,
):
    """``forward(x, *params)`` with the gradient ``backward``, compiled.

    Args:
        name: the activation's name (the key in ``calls``).
        forward: ``keras.ops`` function, ``(x, *params) -> y``.
        backward: ``keras.ops`` function,
            ``(upstream, x, *params) -> (dx, *dparams)``, each ``d`` shaped
            as its argument.
        x: the input, a TensorFlow tensor.
        *params: parameter tensors, each broadcasting into ``x``.
        compile_forward: ``False`` runs ``forward`` as it is (for an
            activation whose forward is one fused kernel already).
        with_output: ``True`` passes the output too:
            ``backward(upstream, x, y, *params)``.

    Returns:
        The output, differentiable with respect to ``x`` and ``params``.
    """
    calls[name] += 1
    activation = _compiled(
        name, forward, backward, compile_forward, with_output
    )
    return activation(x, *params)
