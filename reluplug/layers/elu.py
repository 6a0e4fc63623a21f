"""Exponential linear unit with a validated alpha."""

import keras

from reluplug import activations
from reluplug.layers._alpha import AlphaActivation


@keras.saving.register_keras_serializable(package="reluplug")
class ELU(AlphaActivation):
    """Exponential linear unit.

    Negative inputs saturate smoothly to `-alpha`, which pushes mean
    activations towards zero and keeps gradient on the negative side.

    Formula:
        `f(x) = x` if `x > 0`, `f(x) = alpha * (exp(x) - 1)` if `x <= 0`

    Derivative:
        `f'(x) = 1` for `x > 0`, `alpha * exp(x)` for `x <= 0`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.ELU(alpha=2.0)
    >>> y = layer(np.array([[-1.0, 0.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()
    [[-1.2642, 0.0, 3.0]]

    Args:
        alpha: float, finite, `> 0`; the negative saturation value.
            Defaults to `1.0` (as Keras and PyTorch).

    Reference:
        Clevert et al., 2016, "Fast and Accurate Deep Network Learning by
        Exponential Linear Units (ELUs)". https://arxiv.org/abs/1511.07289
    """

    def call(self, inputs):
        return activations.elu(inputs, self.alpha)
