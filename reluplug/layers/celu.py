"""Continuously differentiable exponential linear unit."""

import keras

from reluplug import activations
from reluplug._validation import check_number
from reluplug.layers._contract import build_at_init


@keras.saving.register_keras_serializable(package="reluplug")
class CELU(keras.layers.Layer):
    """Continuously differentiable ELU.

    An ELU rescaled so its derivative is continuous at 0 for every `alpha`.

    Formula:
        `f(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`

    Derivative:
        `f'(x) = 1` for `x > 0`, `exp(x / alpha)` for `x <= 0`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.CELU(alpha=2.0)
    >>> y = layer(np.array([[-2.0, 0.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()
    [[-1.2642, 0.0, 3.0]]

    Args:
        alpha: float, finite, `> 0`; the negative saturation value.
            Defaults to `1.0` (as Keras and PyTorch).

    Reference:
        Barron, 2017, "Continuously Differentiable Exponential Linear
        Units". https://arxiv.org/abs/1704.07483
    """

    negative_side = "saturating"

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check_number("CELU", "alpha", alpha, low=0, low_open=True)
        self.supports_masking = True
        build_at_init(self, CELU)

    def call(self, inputs):
        return activations.celu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha})
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
