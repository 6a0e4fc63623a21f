"""Parametric exponential linear unit."""

import keras
from keras import ops

from reluplug import activations
from reluplug._validation import check_number
from reluplug.constraints import MinValue
from reluplug.layers._channel import ChannelParamActivation


@keras.saving.register_keras_serializable(package="reluplug")
class PELU(ChannelParamActivation):
    """Parametric ELU: an ELU whose scale and saturation are learned.

    `alpha` sets the negative saturation and `beta` the decay; their ratio is
    the positive slope, so the function stays differentiable at 0.

    Formula:
        `f(x) = (alpha / beta) * x` if `x >= 0`,
        `f(x) = alpha * (exp(x / beta) - 1)` if `x < 0`, `alpha, beta > 0`

    Derivative:
        `f'(x) = alpha / beta` for `x >= 0`,
        `(alpha / beta) * exp(x / beta)` for `x < 0`;
        `df/dalpha = x / beta` or `exp(x / beta) - 1`;
        `df/dbeta = -alpha * x / beta**2` or
        `-(alpha * x / beta**2) * exp(x / beta)`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.PELU(alpha=2.0, beta=1.0)
    >>> y = layer(np.array([[-1.0, 0.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 4).tolist()
    [[-1.2642, 0.0, 6.0]]

    Args:
        alpha: float, `>= min_value`; initial `alpha`. Defaults to `1.0`.
        beta: float, `>= min_value`; initial `beta`. Defaults to `1.0`
            (with `alpha = 1` the layer starts as an ELU, as in the paper).
        min_value: float, `> 0`; both parameters are clipped to at least this
            after every update (the paper's 0.1). Defaults to `0.1`.
        granularity: `"shared"` (one pair per layer, the paper's choice) or
            `"channel"` (one pair per channel). Defaults to `"shared"`.
        channel_axis: int, channel axis for `granularity="channel"`.
            Defaults to `-1`.

    Reference:
        Trottier et al., 2017, "Parametric Exponential Linear Unit for Deep
        Convolutional Neural Networks". https://arxiv.org/abs/1605.09332
    """

    negative_side = "saturating"

    def __init__(
        self,
        alpha=1.0,
        beta=1.0,
        min_value=0.1,
        granularity="shared",
        channel_axis=-1,
        **kwargs,
    ):
        super().__init__(granularity, channel_axis, **kwargs)
        self.min_value = check_number(
            "PELU", "min_value", min_value, low=0, low_open=True
        )
        self.alpha = check_number("PELU", "alpha", alpha, low=self.min_value)
        self.beta = check_number("PELU", "beta", beta, low=self.min_value)

    def build(self, input_shape):
        shape = self.param_shape(input_shape)
        constraint = MinValue(self.min_value)
        self.alpha_weight = self.add_weight(
            shape=shape,
            name="alpha",
            initializer=keras.initializers.Constant(self.alpha),
            constraint=constraint,
        )
        self.beta_weight = self.add_weight(
            shape=shape,
            name="beta",
            initializer=keras.initializers.Constant(self.beta),
            constraint=constraint,
        )
        self.set_param_input_spec(input_shape)

    def call(self, inputs):
        return activations.pelu(
            inputs,
            ops.cast(self.alpha_weight, self.compute_dtype),
            ops.cast(self.beta_weight, self.compute_dtype),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha": self.alpha,
                "beta": self.beta,
                "min_value": self.min_value,
            }
        )
        return config
