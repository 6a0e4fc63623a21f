"""The layers whose learnable parameters are shared or per channel (PELU,
SReLU, Swish)."""

import keras

from reluplug._validation import check_choice
from reluplug.layers._contract import set_input_spec
from reluplug.layers._params import GRANULARITIES
from reluplug.layers._params import check_channel_axis_arg
from reluplug.layers._params import param_axes
from reluplug.layers._params import param_shape


class ChannelParamActivation(keras.layers.Layer):
    """Validation, config and shapes of `granularity` and `channel_axis`.

    A subclass (one public layer per module) validates and stores its own
    arguments, adds its weights in `build` with `param_shape` and ends
    `build` with `set_param_input_spec`; its `get_config` adds its own
    arguments to this one's.

    Args:
        granularity: `"shared"` (one value per parameter) or `"channel"`
            (one per channel).
        channel_axis: int, non-zero, the channel axis for
            `granularity="channel"`.
    """

    def __init__(self, granularity, channel_axis, **kwargs):
        super().__init__(**kwargs)
        self.granularity = check_choice(
            "granularity", granularity, GRANULARITIES
        )
        self.channel_axis = check_channel_axis_arg(
            type(self).__name__, channel_axis
        )
        self.supports_masking = True

    def param_shape(self, input_shape):
        """Shape of one parameter for inputs of ``input_shape``."""
        return param_shape(
            type(self).__name__,
            input_shape,
            self.granularity,
            self.channel_axis,
        )

    def set_param_input_spec(self, input_shape):
        """Fixes the input rank and the channel size the weights span."""
        axes = param_axes(
            type(self).__name__,
            input_shape,
            self.granularity,
            self.channel_axis,
        )
        set_input_spec(self, input_shape, axes)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "granularity": self.granularity,
                "channel_axis": self.channel_axis,
            }
        )
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
