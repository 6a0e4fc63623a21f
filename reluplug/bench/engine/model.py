"""A trial's model: built with the suite's activation, hashed, compiled."""

import keras

from reluplug.bench.engine.environment import configure_determinism
from reluplug.bench.suite import init_protocol
from reluplug.bench.suite import schema
from reluplug.bench.tasks import base


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


def leaf_layers(model):
    """The layers of ``model`` in order, nested models entered."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from leaf_layers(layer)
        else:
            yield layer


def init_sha256(model, activation_layers):
    """SHA-256 of the weights of every layer that is not an activation
    (layers of nested models included)."""
    skip = {id(layer) for layer in activation_layers}
    digest = init_protocol.new_digest()
    for layer in leaf_layers(model):
        if id(layer) in skip:
            continue
        for weight in layer.weights:
            value = keras.ops.convert_to_numpy(weight)
            init_protocol.hash_update(digest, layer.name, value)
    return digest.hexdigest()


def draw_initial_weights(model, activation_layers, seed, scheme):
    """Sets the initial kernels of ``model`` for ``scheme``; returns the
    ``init_sha256``.

    The one place initial weights are drawn: both engines (``fit.py`` and
    the population engine) call it through ``build_model``. See
    ``suite.init_protocol``: every ``kernel`` of a layer that is not an
    activation is set to NumPy standard draws seeded by ``(seed, layer
    position, weight index)`` times the scheme's scale; every other weight
    keeps the value it was built with. The hash covers the *unscaled*
    draws (and the other weights), so activations with different schemes
    of one (task, seed) share it.

    Args:
        model: a built Keras model.
        activation_layers: its activation layers (left as built).
        seed: the trial's seed.
        scheme: ``"same"`` (nothing redrawn; the hash covers the weights as
            built, as before the protocol) or a key of
            ``init_protocol.SCHEMES``.

    Returns:
        The hex SHA-256 (``init_sha256`` of the record).
    """
    if scheme == init_protocol.SAME:
        return init_sha256(model, activation_layers)
    skip = {id(layer) for layer in activation_layers}
    digest = init_protocol.new_digest()
    layers = (layer for layer in leaf_layers(model) if id(layer) not in skip)
    for position, layer in enumerate(layers):
        for index, weight in enumerate(layer.weights):
            value = keras.ops.convert_to_numpy(weight)
            if weight.name == "kernel" and weight.trainable:
                unscaled, scaled = init_protocol.initial_kernel(
                    value.shape, scheme, seed, position, index
                )
                weight.assign(scaled.astype(value.dtype))
                value = unscaled.astype(value.dtype)
            init_protocol.hash_update(digest, layer.name, value)
    return digest.hexdigest()


def build_model(task, spec, splits):
    """Builds the (uncompiled) model of ``spec``.

    Args:
        task: the resolved ``tasks.base.Task`` of ``spec``.
        spec: a ``config.TrialSpec``.
        splits: the task's ``Splits`` for the spec's seed.

    Returns:
        ``(model, activation_layers, init_sha256)``: the kernels of the
        layers that are not activations drawn for ``spec.init`` by
        ``draw_initial_weights``.
    """
    configure_determinism()
    created = []

    def act():
        layer = make_activation(spec, len(created) + 1)
        created.append(layer)
        return layer

    keras.utils.set_random_seed(spec.seed)
    params = {k: v for k, v in spec.task_params.items() if k != base.SPLIT}
    model = task.build(splits, act, spec.seed, **params)  # split: data only
    sha = draw_initial_weights(model, created, spec.seed, spec.init)
    return model, created, sha


def compile_model(model, task, training):
    """Compiles with the recipe's optimizer and the task's loss and metric."""
    optimizer = getattr(keras.optimizers, schema.OPTIMIZERS[training.optimizer])
    if task.problem == "regression":
        loss = keras.losses.MeanSquaredError()
        metric = keras.metrics.MeanSquaredError(name=task.metric)
    else:
        loss = base.classification_loss(model)
        metric = keras.metrics.SparseCategoricalAccuracy(name=task.metric)
    model.compile(
        optimizer=optimizer(learning_rate=training.learning_rate),
        loss=loss,
        metrics=[metric],
        jit_compile=training.jit_compile,
    )
