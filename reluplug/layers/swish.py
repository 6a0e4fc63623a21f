"""Swish with a learnable (or fixed) beta."""

import keras
from keras import ops

from reluplug import activations
from reluplug._validation import check_number
from reluplug.layers._channel import ChannelParamActivation
from reluplug.layers._contract import build_at_init


@keras.saving.register_keras_serializable(package="reluplug")
class Swish(ChannelParamActivation):
    """Swish: `x * sigmoid(beta * x)`, with `beta` learned by default.

    `beta` moves the curve between a scaled linear function (`beta -> 0`) and
    ReLU (`beta -> inf`); `beta = 1` is SiLU.

    Formula:
        `f(x) = x * sigmoid(beta * x)`

    Derivative:
        `f'(x) = s + beta * x * s * (1 - s)` with `s = sigmoid(beta * x)`;
        `df/dbeta = x**2 * s * (1 - s)`. Negative inputs pass gradient.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.Swish(beta=1.0, trainable=False)
    >>> y = layer(np.array([[-1.0, 0.0, 2.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()
    [[-0.2689, 0.0, 1.7616]]

    Args:
        beta: float, finite; the initial (or fixed) `beta`. Defaults to `1.0`.
        trainable: bool; when `False` at construction, `beta` is a constant
            (no weight; `beta = 1` then uses the fused SiLU kernel).
            Defaults to `True`.
        learnable: optional bool; whether `beta` is a weight at all. Defaults
            to `trainable`. Set apart from `trainable` so a learnable Swish
            frozen later (`layer.trainable = False`) saves and reloads frozen
            with its learned `beta`.
        granularity: `"shared"` (one `beta`) or `"channel"` (one per
            channel). Defaults to `"shared"`.
        channel_axis: int, channel axis for `granularity="channel"`.
            Defaults to `-1`.

    Reference:
        Ramachandran et al., 2017, "Searching for Activation Functions".
        https://arxiv.org/abs/1710.05941
    """

    negative_side = "saturating"

    def __init__(
        self,
        beta=1.0,
        trainable=True,
        granularity="shared",
        channel_axis=-1,
        learnable=None,
        **kwargs,
    ):
        super().__init__(
            granularity, channel_axis, trainable=trainable, **kwargs
        )
        self.beta = check_number("Swish", "beta", beta)
        self.learnable = bool(trainable if learnable is None else learnable)
        if not self.learnable:  # No weight: built now, as Keras' SiLU.
            build_at_init(self, Swish)

    def build(self, input_shape):
        if not self.learnable:
            return
        self.beta_weight = self.add_weight(
            shape=self.param_shape(input_shape),
            name="beta",
            initializer=keras.initializers.Constant(self.beta),
        )
        self.set_param_input_spec(input_shape)

    def call(self, inputs):
        if not self.learnable:
            return activations.swish(inputs, self.beta)
        beta = ops.cast(self.beta_weight, self.compute_dtype)
        return activations.swish(inputs, beta)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta": self.beta,
                "learnable": self.learnable,
            }
        )
        return config
