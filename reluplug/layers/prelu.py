"""Parametric ReLU with per-channel, per-element or shared slopes."""

import keras
from keras import ops

from reluplug import activations
from reluplug._validation import check_choice
from reluplug._validation import check_number
from reluplug.layers._params import check_channel_axis_arg
from reluplug.layers._params import normalize_channel_axis
from reluplug.layers._params import param_shape


@keras.saving.register_keras_serializable(package="reluplug")
class PReLU(keras.layers.Layer):
    """Parametric ReLU: a leaky ReLU whose negative slope is learned.

    The network learns how much signal negative inputs keep, so units do not
    die and the slope can differ per channel.

    Formula:
        `f(x) = x` if `x >= 0`, `f(x) = alpha * x` if `x < 0`

    Derivative:
        `f'(x) = 1` for `x > 0`, `alpha` for `x < 0`;
        `df/dalpha = 0` for `x >= 0`, `x` for `x < 0`.
        The negative side passes gradient while `alpha != 0`.

    Example:

    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.PReLU(initial_slope=0.25)
    >>> y = layer(np.array([[-2.0, 0.0, 3.0]]))
    >>> np.round(np.asarray(y, "float64"), 6).tolist()
    [[-0.5, 0.0, 3.0]]

    Args:
        initial_slope: float, finite; the starting value of every `alpha`.
            Ignored when `alpha_initializer` is given. Defaults to `0.25`
            (He et al., 2015; Keras' own PReLU starts at 0).
        alpha_initializer: optional initializer for `alpha`, as in
            `keras.layers.PReLU`; overrides `initial_slope`.
        alpha_regularizer: optional regularizer for `alpha`.
        alpha_constraint: optional constraint for `alpha`.
        shared_axes: optional int or list of ints, as in
            `keras.layers.PReLU`: one slope per element, shared along these
            axes. Implies `granularity="element"`.
        granularity: one of `"channel"` (one slope per channel, the paper's
            default), `"element"` (one per input element, Keras' default; all
            non-shared dimensions must be known), `"shared"` (one slope).
            Defaults to `"element"` when `shared_axes` is given, else
            `"channel"`.
        channel_axis: int, the channel axis for `granularity="channel"`.
            Defaults to `-1` (channels-last); use `1` for channels-first.

    Reference:
        He et al., 2015, "Delving Deep into Rectifiers".
        https://arxiv.org/abs/1502.01852
    """

    def __init__(
        self,
        initial_slope=None,
        alpha_initializer=None,
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        granularity=None,
        channel_axis=-1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if initial_slope is not None:
            initial_slope = check_number(
                "PReLU", "initial_slope", initial_slope
            )
        if granularity is None:
            granularity = "element" if shared_axes is not None else "channel"
        check_choice(
            "granularity", granularity, ("channel", "element", "shared")
        )
        if shared_axes is not None and granularity != "element":
            raise ValueError(
                "PReLU: argument `shared_axes` only applies to "
                "granularity='element'. Received: shared_axes="
                f"{shared_axes!r}, granularity={granularity!r}"
            )
        if isinstance(shared_axes, int):
            shared_axes = [shared_axes]
        self.initial_slope = initial_slope
        self.alpha_initializer = (
            None
            if alpha_initializer is None
            else keras.initializers.get(alpha_initializer)
        )
        self.alpha_regularizer = keras.regularizers.get(alpha_regularizer)
        self.alpha_constraint = keras.constraints.get(alpha_constraint)
        self.shared_axes = None if shared_axes is None else list(shared_axes)
        self.granularity = granularity
        self.channel_axis = check_channel_axis_arg("PReLU", channel_axis)
        self.supports_masking = True

    def _alpha_shape(self, input_shape):
        if self.granularity != "element":
            return param_shape(
                "PReLU", input_shape, self.granularity, self.channel_axis
            )
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            axis = normalize_channel_axis("PReLU", axis, len(input_shape))
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                "PReLU: granularity='element' needs every non-shared "
                "dimension known; list the unknown axes in `shared_axes` or "
                f"use granularity='channel'. Received input_shape="
                f"{tuple(input_shape)}, shared_axes={self.shared_axes!r}"
            )
        return tuple(shape)

    def build(self, input_shape):
        initializer = self.alpha_initializer
        if initializer is None:
            slope = 0.25 if self.initial_slope is None else self.initial_slope
            initializer = keras.initializers.Constant(slope)
        self.alpha = self.add_weight(
            shape=self._alpha_shape(input_shape),
            name="alpha",
            initializer=initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def call(self, inputs):
        return activations.prelu(
            inputs, ops.cast(self.alpha, self.compute_dtype)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "initial_slope": self.initial_slope,
                "alpha_initializer": None
                if self.alpha_initializer is None
                else keras.initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": keras.regularizers.serialize(
                    self.alpha_regularizer
                ),
                "alpha_constraint": keras.constraints.serialize(
                    self.alpha_constraint
                ),
                "shared_axes": self.shared_axes,
                "granularity": self.granularity,
                "channel_axis": self.channel_axis,
            }
        )
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
