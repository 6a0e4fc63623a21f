"""Heaviside step activation (the perceptron's threshold unit)."""

import keras

from reluplug import activations
from reluplug.layers._contract import build_at_init


@keras.saving.register_keras_serializable(package="reluplug")
class Heaviside(keras.layers.Layer):
    """Heaviside step activation: the unit fires (1) or not (0).

    The threshold unit of the first artificial neurons. Its derivative is
    zero almost everywhere, so gradient descent cannot train the layers
    below it; reluplug has it to show exactly that (``reluplug-bench
    evidence``, claim 9).

    Formula:
        `f(x) = 1` if `x > 0`, `f(x) = 0` if `x <= 0`

    Derivative:
        `f'(x) = 0` for `x != 0` (undefined at 0; autodiff returns 0
        there too). No gradient reaches the weights below this layer.

    Example:

    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.Heaviside()
    >>> y = layer(np.array([[-2.0, 0.0, 0.5, 3.0]]))
    >>> keras.ops.convert_to_numpy(y).astype("float64").tolist()
    [[0.0, 0.0, 1.0, 1.0]]

    Reference:
        McCulloch & Pitts, 1943, "A logical calculus of the ideas immanent
        in nervous activity"; Rosenblatt, 1958, "The perceptron".
    """

    negative_side = "zero"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        build_at_init(self, Heaviside)

    def call(self, inputs):
        return activations.heaviside(inputs)

    def get_config(self):
        return super().get_config()

    def compute_output_shape(self, input_shape):
        return input_shape
