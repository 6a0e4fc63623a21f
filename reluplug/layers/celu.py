"""Continuously differentiable exponential linear unit."""

import keras

from reluplug import activations
from reluplug.layers._alpha import AlphaActivation


@keras.saving.register_keras_serializable(package="reluplug")
class CELU(AlphaActivation):
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

    def call(self, inputs):
        return activations.celu(inputs, self.alpha)
