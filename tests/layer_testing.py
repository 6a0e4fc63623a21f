"""Public-API layer test helpers (the keras-hub way; ``keras.src`` is private).

``run_layer_test`` checks, for one layer class and constructor arguments:

1. ``get_config``: every given argument survives with its value, the config is
   JSON-serialisable, and ``from_config(config).get_config() == config``;
2. symbolic call: output shape, dtype and ``compute_output_shape``;
3. eager call: output shape and dtype; trainable / non-trainable weight
   counts and shapes;
4. ``.keras`` round trip: a model holding the layer (with its weights moved
   away from their initial values) saves and loads with ``safe_mode=True``
   and no ``custom_objects``, giving the same class, config and *identical*
   predictions;
5. one ``model.fit`` step for each of ``jit_compiles`` (default ``False``
   and ``True``): finite loss and every trainable weight of the layer
   actually moved;
6. ``mixed_float16`` and ``mixed_bfloat16``: compute dtype, float32 weights,
   outputs in the compute dtype, a finite one-step ``fit``.

``grads`` differentiates a ``keras.ops`` function on the TensorFlow, JAX or
PyTorch backend (Keras has no public, backend-neutral gradient function).
"""

import json

import keras
import numpy as np
from keras import ops

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

# Input shape, parameter shape: every layout `layers._params.param_shape` and
# PReLU build (channels last, channels first, shared, per element, and with
# `shared_axes` the leading-ones (1, 1, C) and middle-axis (1, W, 1) ones);
# the parameter-gradient reduction takes a different path through each.
PARAM_LAYOUTS = {
    "channel_last": ((6, 4), (4,)),
    "channels_first": ((3, 4, 2, 5), (4, 1, 1)),
    "leading_ones": ((3, 2, 5, 4), (1, 1, 4)),
    "shared": ((3, 2, 5, 4), ()),
    "element": ((3, 2, 5, 4), (2, 5, 4)),
    "middle_axis": ((3, 2, 5, 4), (1, 5, 1)),
}


def to_numpy64(x):
    """Any backend tensor (including bfloat16) as a float64 NumPy array."""
    return np.asarray(ops.convert_to_numpy(x)).astype("float64")


def _tensor(value):
    """A backend tensor keeping the dtype of NumPy input (Keras' torch
    backend would turn a NumPy float64 *scalar* into float32)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return ops.convert_to_tensor(value, dtype=str(value.dtype))
    return ops.convert_to_tensor(value)


def grads(fn, *args, upstream=None):
    """Gradients of ``sum(upstream * fn(*args))`` w.r.t. each of ``args``.

    Args:
        fn: a function of backend tensors.
        *args: backend tensors (or arrays) to differentiate with respect to.
        upstream: optional array multiplying the output (defaults to ones).

    Returns:
        A list of float64 NumPy arrays, one per argument.
    """
    backend = keras.backend.backend()
    args = [_tensor(a) for a in args]

    def objective(*xs):
        y = fn(*xs)
        if upstream is not None:
            y = y * ops.cast(upstream, y.dtype)
        return ops.sum(y)

    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            for a in args:
                tape.watch(a)
            total = objective(*args)
        result = tape.gradient(total, args)
    elif backend == "jax":
        import jax

        argnums = tuple(range(len(args)))
        result = jax.grad(objective, argnums=argnums)(*args)
    elif backend == "torch":
        import torch

        args = [a.detach().requires_grad_(True) for a in args]
        result = torch.autograd.grad(objective(*args), args)
    else:  # pragma: no cover - CI runs TensorFlow, JAX and PyTorch
        raise NotImplementedError(f"grads() on backend {backend!r}")
    return [to_numpy64(g) for g in result]


def _expected_config_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return list(value)
    return keras.saving.serialize_keras_object(value)


def check_config_round_trip(layer_cls, init_kwargs, expected_config=None):
    """Every argument survives ``get_config``; ``from_config`` round-trips."""
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    expected = {k: _expected_config_value(v) for k, v in init_kwargs.items()}
    expected.update(expected_config or {})
    for key, value in expected.items():
        assert key in config, f"{layer_cls.__name__}: {key!r} not in config"
        assert config[key] == value, (key, config[key], value)
    json.dumps(config)  # must be JSON-serialisable for .keras files
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    return layer


def _input(rng, input_shape, dtype="float32"):
    shape = tuple(5 if d is None else d for d in input_shape)
    return rng.normal(0.0, 2.0, size=shape).astype(dtype)


def _move_weights(layer, rng):
    """Moves each weight away from its initial value (upwards, so positivity
    constraints keep holding) so that a lost weight cannot pass a reload."""
    for weight in layer.trainable_weights:
        value = ops.convert_to_numpy(weight)
        step = rng.uniform(0.05, 0.2, size=value.shape)
        weight.assign((value + step).astype(value.dtype))


def _check_keras_round_trip(layer, input_shape, x, tmp_path, rng):
    model = keras.Sequential([keras.Input(input_shape[1:]), layer])
    _move_weights(layer, rng)
    before = ops.convert_to_numpy(model.predict(x, verbose=0))
    path = tmp_path / f"{layer.name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    loaded_layer = loaded.layers[-1]
    assert type(loaded_layer) is type(layer)
    assert loaded_layer.get_config() == layer.get_config()
    after = ops.convert_to_numpy(loaded.predict(x, verbose=0))
    np.testing.assert_array_equal(after, before)


def fit_once(layer, input_shape, x, rng, jit_compile, require_moved=True):
    """One ``fit`` step of Dense -> layer: finite loss, weights moved.

    Under ``mixed_float16`` Keras' ``LossScaleOptimizer`` may legitimately
    skip the first step (its initial loss scale overflows float16 and is
    halved), so there ``require_moved=False``.
    """
    channels = input_shape[-1]
    model = keras.Sequential(
        [
            keras.Input(input_shape[1:]),
            keras.layers.Dense(channels),
            layer,
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss="mse",
        jit_compile=jit_compile,
    )
    # Keras silently falls back to jit_compile=False where it judges XLA
    # unsupported (e.g. TensorFlow with op determinism on); that would make
    # the XLA half of this check a no-op.
    assert model.jit_compile == jit_compile, "XLA was switched off by Keras"
    initial = [ops.convert_to_numpy(w).copy() for w in layer.trainable_weights]
    x = _input(rng, (32,) + tuple(x.shape[1:]))  # enough values per channel
    out_shape = tuple(model.compute_output_shape(x.shape))
    y = rng.normal(size=out_shape).astype("float32")
    history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    loss = history.history["loss"][-1]
    assert np.isfinite(loss), f"non-finite loss {loss}"
    for weight, start in zip(layer.trainable_weights, initial):
        now = ops.convert_to_numpy(weight)
        assert now.dtype == start.dtype
        assert np.all(np.isfinite(now)), weight.path
        if require_moved:
            assert not np.array_equal(now, start), f"{weight.path} didn't move"
    return model


def _check_mixed_precision(layer_cls, init_kwargs, input_shape, x, rng):
    for policy, compute in (
        ("mixed_float16", "float16"),
        ("mixed_bfloat16", "bfloat16"),
    ):
        keras.config.set_dtype_policy(policy)
        try:
            layer = layer_cls(**init_kwargs)
            symbolic = layer(keras.Input(input_shape[1:]))
            assert layer.compute_dtype == compute
            assert layer.variable_dtype == "float32"
            assert keras.backend.standardize_dtype(symbolic.dtype) == compute
            for weight in layer.weights:
                assert weight.dtype == "float32", (policy, weight.path)
            out = layer(x)
            assert keras.backend.standardize_dtype(out.dtype) == compute
            assert np.all(np.isfinite(to_numpy64(out)))
            fit_once(
                layer,
                input_shape,
                x,
                rng,
                jit_compile=False,
                require_moved=compute != "float16",
            )
            for weight in layer.weights:
                assert weight.dtype == "float32", (policy, weight.path)
        finally:
            keras.config.set_dtype_policy("float32")


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    *,
    tmp_path,
    rng,
    expected_weight_shapes=(),
    expected_num_non_trainable_weights=0,
    expected_config=None,
    run_training=True,
    run_mixed_precision=True,
    expected_output_shape=None,
    jit_compiles=(False, True),
):
    """Runs the checks listed in the module docstring; returns the layer.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments (use non-default values).
        input_shape: input shape with the batch dimension, e.g. ``(4, 3)``;
            ``None`` entries are unknown when building symbolically.
        tmp_path: pytest's ``tmp_path`` (for the ``.keras`` file).
        rng: a seeded ``numpy.random.Generator``.
        expected_weight_shapes: shapes of the trainable weights, in order.
        expected_num_non_trainable_weights: e.g. 0 for every reluplug layer.
        expected_config: extra ``{key: value}`` the config must hold.
        run_training: run the ``fit`` checks.
        run_mixed_precision: run the mixed-precision checks.
        expected_output_shape: output shape with the batch dimension, for
            layers that change the shape (e.g. ``(None, 8)``); defaults to
            ``input_shape``.
        jit_compiles: the ``jit_compile`` values of the ``fit`` checks.
    """
    check_config_round_trip(layer_cls, init_kwargs, expected_config)
    batch = 4
    x = _input(rng, (batch,) + tuple(input_shape[1:]))

    out_shape = tuple((expected_output_shape or input_shape)[1:])

    # Symbolic call (unknown dimensions stay unknown).
    layer = layer_cls(**init_kwargs)
    symbolic = layer(keras.Input(input_shape[1:]))
    assert tuple(symbolic.shape) == (None,) + out_shape
    assert keras.backend.standardize_dtype(symbolic.dtype) == "float32"
    assert (
        tuple(layer.compute_output_shape((None,) + input_shape[1:]))
        == (None,) + out_shape
    )

    # Weights.
    shapes = [tuple(w.shape) for w in layer.trainable_weights]
    assert shapes == [tuple(s) for s in expected_weight_shapes]
    assert len(layer.non_trainable_weights) == (
        expected_num_non_trainable_weights
    )

    # Eager call.
    out = layer(x)
    assert tuple(out.shape) == (batch,) + tuple(
        5 if d is None else d for d in out_shape
    )
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert np.all(np.isfinite(to_numpy64(out)))

    _check_keras_round_trip(layer, input_shape, x, tmp_path, rng)

    if run_training:
        for jit_compile in jit_compiles:
            fit_once(layer_cls(**init_kwargs), input_shape, x, rng, jit_compile)
    if run_mixed_precision:
        _check_mixed_precision(layer_cls, init_kwargs, input_shape, x, rng)
    return layer
