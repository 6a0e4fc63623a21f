"""One network of a registered task, trained in-process with ``model.fit``.

For the claims that analyse a trained network's weights (``switch``,
``continuity``) rather than a run folder. Keras is imported inside the
functions, so importing this module (and the claim modules) stays cheap.
"""

import numpy as np


def fit_task(name, activation, seed, epochs, params, *, validation=False):
    """Train task ``name``'s model with ``activation`` (Adam, batch 32).

    Args:
        name: registered task name.
        activation: ``reluplug.get`` name of the hidden activation.
        seed: seed of the data split, the weights and the training order.
        epochs: number of epochs.
        params: the task's model parameters (``build`` keywords).
        validation: pass the validation split to ``fit``.

    Returns:
        ``(task, splits, model, test_accuracy)``.
    """
    import keras

    import reluplug
    from reluplug.bench.tasks import registry

    task = registry.get(name)
    splits = task.load(seed)
    keras.utils.set_random_seed(seed)
    model = task.build(splits, lambda: reluplug.get(activation), seed, **params)
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(
        splits.x_train,
        splits.y_train,
        epochs=epochs,
        batch_size=32,
        validation_data=(splits.x_val, splits.y_val) if validation else None,
        verbose=0,
    )
    accuracy = model.evaluate(splits.x_test, splits.y_test, verbose=0)[1]
    return task, splits, model, float(accuracy)


def dense_weights(model):
    """``[(kernel, bias), ...]`` of the model's Dense layers, float64."""
    import keras

    return [
        (
            np.asarray(layer.kernel, "float64"),
            np.asarray(layer.bias, "float64"),
        )
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    ]
