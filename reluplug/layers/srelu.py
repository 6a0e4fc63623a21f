"""S-shaped rectified linear unit."""

import keras
from keras import ops

from reluplug import activations
from reluplug._validation import check_number
from reluplug.layers._channel import ChannelParamActivation


@keras.saving.register_keras_serializable(package="reluplug")
class SReLU(ChannelParamActivation):
    """S-shaped ReLU: three linear pieces with learned joints and slopes.

    The identity in the middle, and learned slopes beyond two learned
    thresholds, let a unit learn convex and non-convex shapes.

    Formula:
        `f(x) = t_right + a_right * (x - t_right)` if `x >= t_right`,
        `f(x) = x` if `t_left < x < t_right`,
        `f(x) = t_left + a_left * (x - t_left)` if `x <= t_left`
        (`t_right` is used as `max(t_right, t_left)`).

    Derivative:
        `f'(x) = a_right` for `x > t_right`, `1` in between, `a_left` for
        `x < t_left`; a unit passes gradient on the left while
        `a_left != 0`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.SReLU(t_left=0.0, a_left=0.1, t_right=2.0, a_right=0.5)
    >>> y = layer(np.array([[-2.0, 1.0, 4.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 6).tolist()
    [[-0.2, 1.0, 3.0]]

    Args:
        t_left: float; initial left threshold. Defaults to `0.0`.
        a_left: float; initial left slope. Defaults to `0.2`.
        t_right: float, `>= t_left`; initial right threshold.
            Defaults to `1.0`.
        a_right: float; initial right slope. Defaults to `1.0`.
            The defaults start as a leaky ReLU with slope 0.2.
        granularity: `"channel"` (one set per channel, the paper's choice) or
            `"shared"`. Defaults to `"channel"`.
        channel_axis: int, channel axis for `granularity="channel"`.
            Defaults to `-1`.

    Reference:
        Jin et al., 2016, "Deep Learning with S-shaped Rectified Linear
        Activation Units". https://arxiv.org/abs/1512.07030
    """

    negative_side = "leaky"

    def __init__(
        self,
        t_left=0.0,
        a_left=0.2,
        t_right=1.0,
        a_right=1.0,
        granularity="channel",
        channel_axis=-1,
        **kwargs,
    ):
        super().__init__(granularity, channel_axis, **kwargs)
        self.t_left = check_number("SReLU", "t_left", t_left)
        self.a_left = check_number("SReLU", "a_left", a_left)
        self.t_right = check_number("SReLU", "t_right", t_right, low=t_left)
        self.a_right = check_number("SReLU", "a_right", a_right)

    def build(self, input_shape):
        shape = self.param_shape(input_shape)
        for name in ("t_left", "a_left", "t_right", "a_right"):
            weight = self.add_weight(
                shape=shape,
                name=name,
                initializer=keras.initializers.Constant(getattr(self, name)),
            )
            setattr(self, f"{name}_weight", weight)
        self.set_param_input_spec(input_shape)

    def call(self, inputs):
        dtype = self.compute_dtype
        return activations.srelu(
            inputs,
            ops.cast(self.t_left_weight, dtype),
            ops.cast(self.a_left_weight, dtype),
            ops.cast(self.t_right_weight, dtype),
            ops.cast(self.a_right_weight, dtype),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "t_left": self.t_left,
                "a_left": self.a_left,
                "t_right": self.t_right,
                "a_right": self.a_right,
            }
        )
        return config
