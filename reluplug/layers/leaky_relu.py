"""Leaky ReLU with the paper's default slope."""

import keras

from reluplug import activations
from reluplug._validation import check_number


@keras.saving.register_keras_serializable(package="reluplug")
class LeakyReLU(keras.layers.Layer):
    """Leaky rectified linear unit.

    Negative inputs keep a small fixed fraction of their value, so a unit
    whose inputs are all negative still gets gradient and cannot die.

    Formula:
        `f(x) = x` if `x >= 0`, `f(x) = negative_slope * x` if `x < 0`

    Derivative:
        `f'(x) = 1` for `x > 0`, `negative_slope` for `x < 0`.

    Example:

    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.LeakyReLU(negative_slope=0.1)
    >>> y = layer(np.array([[-2.0, 0.0, 3.0]]))
    >>> np.round(np.asarray(y, "float64"), 6).tolist()
    [[-0.2, 0.0, 3.0]]

    Args:
        negative_slope: float, finite, `>= 0`; the slope for `x < 0`.
            Defaults to `0.01` (Maas et al. and PyTorch; Keras' layer uses
            0.3 and `keras.ops.leaky_relu` 0.2).

    Reference:
        Maas et al., 2013, "Rectifier Nonlinearities Improve Neural Network
        Acoustic Models".
    """

    def __init__(self, negative_slope=0.01, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = check_number(
            "LeakyReLU", "negative_slope", negative_slope, low=0
        )
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config.update({"negative_slope": self.negative_slope})
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
