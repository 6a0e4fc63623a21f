"""Activation layers the evidence suites name by import path.

``reluplug.get("reluplug.bench.evidence._layers:ReLUOfSoftmax")`` imports
them in every worker process; they are registered for ``.keras`` files.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="reluplug_evidence")
class ReLUOfSoftmax(keras.layers.Layer):
    """``relu(softmax(x))`` over the last axis: equal to ``softmax(x)``,
    since softmax is never negative (claim 7 checks that it trains the
    same).

    Formula:
        `f(x) = max(0, softmax(x))`, `softmax(x)_i = exp(x_i) / sum_j
        exp(x_j)`

    Derivative:
        The softmax Jacobian `diag(s) - s s^T` (ReLU passes it through,
        since `s > 0`).
    """

    def call(self, inputs):
        return ops.relu(ops.softmax(inputs, axis=-1))

    def get_config(self):
        return super().get_config()

    def compute_output_shape(self, input_shape):
        return input_shape
