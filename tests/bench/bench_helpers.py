"""Activation layers used by the runner tests ("bench_helpers:Name")."""

import keras
from keras import ops


class Boom(keras.layers.Layer):
    """An activation whose forward pass raises."""

    def call(self, inputs):
        raise RuntimeError("boom: this activation always fails")


class CReLU(keras.layers.Layer):
    """Concatenated ReLU: doubles the features, so the next layer differs."""

    def call(self, inputs):
        return ops.concatenate([ops.relu(inputs), ops.relu(-inputs)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * input_shape[-1])


class Explode(keras.layers.Layer):
    """Multiplies by 1e30: the loss becomes inf/NaN in the first epoch."""

    def call(self, inputs):
        return inputs * 1e30


class Softsign(keras.layers.Layer):
    """A working activation the dead-unit monitor does not know."""

    def call(self, inputs):
        return inputs / (1.0 + ops.abs(inputs))
