"""Scaled exponential linear unit."""

import keras

from reluplug import activations
from reluplug.layers._contract import build_at_init


@keras.saving.register_keras_serializable(package="reluplug")
class SELU(keras.layers.Layer):
    """Scaled exponential linear unit.

    With LeCun-normal weights, activations keep zero mean and unit variance
    through depth (self-normalising networks).

    Formula:
        `f(x) = scale * x` if `x > 0`,
        `f(x) = scale * alpha * (exp(x) - 1)` if `x <= 0`,
        with `alpha = 1.6732632423543772`, `scale = 1.0507009873554805`.

    Derivative:
        `f'(x) = scale` for `x > 0`, `scale * alpha * exp(x)` for `x <= 0`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.SELU()
    >>> y = layer(np.array([[-1.0, 0.0, 1.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()
    [[-1.1113, 0.0, 1.0507]]

    Reference:
        Klambauer et al., 2017, "Self-Normalizing Neural Networks".
        https://arxiv.org/abs/1706.02515
    """

    negative_side = "saturating"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        build_at_init(self, SELU)

    def call(self, inputs):
        return activations.selu(inputs)

    def get_config(self):
        return super().get_config()

    def compute_output_shape(self, input_shape):
        return input_shape
