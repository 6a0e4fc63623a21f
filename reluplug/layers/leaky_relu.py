"""Leaky ReLU with the paper's default slope."""

import warnings

import keras

from reluplug import activations
from reluplug._validation import check_number
from reluplug.layers._contract import build_at_init


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

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.LeakyReLU(negative_slope=0.1)
    >>> y = layer(np.array([[-2.0, 0.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 6).tolist()
    [[-0.2, 0.0, 3.0]]

    Args:
        negative_slope: float, finite, `>= 0`; the slope for `x < 0`.
            Defaults to `0.01` (Maas et al. and PyTorch; Keras' layer uses
            0.3 and `keras.ops.leaky_relu` 0.2).
        alpha: deprecated alias of `negative_slope`, accepted (with the
            same warning) as `keras.layers.LeakyReLU` accepts it.

    Reference:
        Maas et al., 2013, "Rectifier Nonlinearities Improve Neural Network
        Acoustic Models".
    """

    negative_side = "leaky"

    def __init__(self, negative_slope=0.01, **kwargs):
        if "alpha" in kwargs:
            alpha = kwargs.pop("alpha")
            if negative_slope != 0.01:
                raise ValueError(
                    "LeakyReLU: pass `negative_slope` or its deprecated "
                    "alias `alpha`, not both. Received: negative_slope="
                    f"{negative_slope!r}, alpha={alpha!r}"
                )
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.",
                stacklevel=2,
            )
            negative_slope = alpha
        super().__init__(**kwargs)
        self.negative_slope = check_number(
            "LeakyReLU", "negative_slope", negative_slope, low=0
        )
        if self.negative_slope == 0:  # A plain ReLU: units can die.
            self.negative_side = "zero"
        self.supports_masking = True
        build_at_init(self, LeakyReLU)

    def call(self, inputs):
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config.update({"negative_slope": self.negative_slope})
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
