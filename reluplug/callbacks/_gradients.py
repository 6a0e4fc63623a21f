"""Compiled functions per Keras backend: loss gradients with respect to
chosen variables (GradientFlowMonitor) and a model's forward pass
(DeadUnitMonitor's probe).

The one module of reluplug.callbacks that imports a backend (TensorFlow, JAX
or PyTorch), lazily, inside the function for the active backend.
"""

import keras
import numpy as np


def make_gradient_fn(model, variables):
    """Returns `fn(x, y, sample_weight) -> list of NumPy gradients`.

    The gradient is of `model.compute_loss` (the compiled loss plus any
    regularization losses) in inference mode (`training=False`), taken with
    respect to `variables` (trainable variables of `model`) at their current
    values.

    Raises:
        ValueError: on a backend without gradient support here.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow(model, variables)
    if backend == "jax":
        return _jax(model, variables)
    if backend == "torch":
        return _torch(model, variables)
    raise ValueError(
        "GradientFlowMonitor supports the backends ['jax', 'tensorflow', "
        f"'torch'], but {backend!r} is active."
    )


def make_forward_fn(model):
    """Returns `fn(x) -> NumPy array`, `model(x)` as one compiled call.

    `x` is a structure of backend tensors; calls with the same shapes reuse
    one trace. Each call reads the variables' current values. This skips the
    data adapter and step wrapper of `Model.predict_on_batch`, which cost
    about as much as a small model's forward pass, and compiles faster.
    Returns `None` on a backend without such a path here (use
    `model.predict_on_batch` then).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        forward = tf.function(lambda x: model(x), reduce_retracing=True)
        return lambda x: forward(x).numpy()
    if backend == "jax":
        import jax

        def stateless_forward(trainable, non_trainable, x):
            return model.stateless_call(trainable, non_trainable, x)[0]

        jitted = jax.jit(stateless_forward)

        def forward(x):
            return np.asarray(
                jitted(
                    [v.value for v in model.trainable_variables],
                    [v.value for v in model.non_trainable_variables],
                    x,
                )
            )

        return forward
    return None


def _inference_loss(model, x, y, sample_weight):
    """`model.compute_loss` of an inference-mode forward pass (TF, torch)."""
    y_pred = model(x, training=False)
    return model.compute_loss(
        x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False
    )


def _tensorflow(model, variables):
    import tensorflow as tf

    def gradients(x, y, sample_weight):
        with tf.GradientTape() as tape:
            loss = _inference_loss(model, x, y, sample_weight)
        grads = tape.gradient(loss, [v.value for v in variables])
        return [np.asarray(g) for g in grads]

    return gradients


def stateless_loss(model):
    """Returns `fn(trainable, non_trainable, metrics, x, y, sample_weight)`:
    `model.compute_loss` of an inference-mode forward pass (the compiled
    loss plus regularization losses, activity regularizers included), as a
    pure function of the variables' values (lists in the order of
    `model.trainable_variables`, `model.non_trainable_variables` and
    `model.metrics_variables`).

    The function the JAX path differentiates (`jax.grad` with respect to
    the first argument). On JAX it is the trainer's
    `compute_loss_and_updates`, which also counts the losses layers add
    during the forward pass; elsewhere `stateless_call` and
    `stateless_compute_loss` (without those).
    """
    if keras.backend.backend() == "jax":

        def loss_fn(trainable_values, non_trainable, metrics, x, y, weight):
            loss, _ = model.compute_loss_and_updates(
                trainable_values,
                non_trainable,
                metrics,
                x,
                y,
                weight,
                training=False,
            )
            return loss

        return loss_fn

    def loss_fn(trainable_values, non_trainable, metrics, x, y, weight):
        y_pred, non_trainable = model.stateless_call(
            trainable_values, non_trainable, x, training=False
        )
        loss, _ = model.stateless_compute_loss(
            trainable_values,
            non_trainable,
            metrics,
            x=x,
            y=y,
            y_pred=y_pred,
            sample_weight=weight,
            training=False,
        )
        return loss

    return loss_fn


def _jax(model, variables):
    import jax

    trainable = model.trainable_variables
    positions = [_position(trainable, v) for v in variables]
    grad_fn = jax.jit(jax.grad(stateless_loss(model)))

    def gradients(x, y, sample_weight):
        grads = grad_fn(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.metrics_variables],
            x,
            y,
            sample_weight,
        )
        return [np.asarray(grads[i]) for i in positions]

    return gradients


def _torch(model, variables):  # Written for completeness; not in CI.
    import torch

    def gradients(x, y, sample_weight):
        loss = _inference_loss(model, x, y, sample_weight)
        grads = torch.autograd.grad(loss, [v.value for v in variables])
        return [g.detach().cpu().numpy() for g in grads]

    return gradients


def _position(variables, target):
    for index, variable in enumerate(variables):
        if variable is target:
            return index
    raise ValueError(f"Variable {target.path!r} is not trainable.")
