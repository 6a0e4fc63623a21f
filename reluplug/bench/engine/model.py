"""A trial's model: built with the suite's activation, hashed, compiled."""

import hashlib

import keras
import numpy as np

from reluplug.bench.engine.environment import configure_determinism
from reluplug.bench.suite import schema


def make_activation(spec, index):
    """A fresh activation layer for ``spec``, named ``act_<index>``."""
    import reluplug

    layer = reluplug.get(spec.activation_name, **dict(spec.activation_params))
    try:
        config = layer.get_config()
        config["name"] = f"act_{index}"
        layer = layer.__class__.from_config(config)
    except Exception:  # a user layer without a usable config keeps its name
        pass
    return layer


def _leaf_layers(model):
    """The layers of ``model`` in order, nested models entered."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def init_sha256(model, activation_layers):
    """SHA-256 of the weights of every layer that is not an activation
    (layers of nested models included)."""
    skip = {id(layer) for layer in activation_layers}
    digest = hashlib.sha256()
    for layer in _leaf_layers(model):
        if id(layer) in skip:
            continue
        for weight in layer.weights:
            value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
            header = f"{layer.name}|{value.dtype}|{value.shape}|"
            digest.update(header.encode())
            digest.update(value.tobytes())
    return digest.hexdigest()


def build_model(task, spec, splits):
    """Builds the (uncompiled) model of ``spec``.

    Args:
        task: the resolved ``tasks.base.Task`` of ``spec``.
        spec: a ``config.TrialSpec``.
        splits: the task's ``Splits`` for the spec's seed.

    Returns:
        ``(model, activation_layers, init_sha256)``.
    """
    configure_determinism()
    created = []

    def act():
        layer = make_activation(spec, len(created) + 1)
        created.append(layer)
        return layer

    keras.utils.set_random_seed(spec.seed)
    model = task.build(splits, act, spec.seed, **dict(spec.task_params))
    return model, created, init_sha256(model, created)


def compile_model(model, task, training):
    """Compiles with the recipe's optimizer and the task's loss and metric."""
    optimizer = getattr(keras.optimizers, schema.OPTIMIZERS[training.optimizer])
    if task.problem == "regression":
        loss = keras.losses.MeanSquaredError()
        metric = keras.metrics.MeanSquaredError(name=task.metric)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metric = keras.metrics.SparseCategoricalAccuracy(name=task.metric)
    model.compile(
        optimizer=optimizer(learning_rate=training.learning_rate),
        loss=loss,
        metrics=[metric],
        jit_compile=training.jit_compile,
    )
