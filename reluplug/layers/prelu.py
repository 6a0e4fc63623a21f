"""Parametric ReLU with per-channel, per-element or shared slopes."""

import keras
from keras import ops

from reluplug import activations
from reluplug._validation import check_choice
from reluplug._validation import check_number
from reluplug._validation import is_integer
from reluplug.layers._contract import set_input_spec
from reluplug.layers._params import check_channel_axis_arg
from reluplug.layers._params import param_axes
from reluplug.layers._params import param_shape


class _DefaultSlope(float):
    """The default ``initial_slope`` (shows as ``0.25`` in the signature),
    a distinct object so that an explicit ``initial_slope`` together with
    ``alpha_initializer`` can be told apart from the default and refused."""


_DEFAULT_SLOPE = _DefaultSlope(0.25)


def _check_shared_axes(shared_axes):
    """``shared_axes`` as a list of non-zero ints (or None)."""
    if shared_axes is None:
        return None
    axes = [shared_axes] if is_integer(shared_axes) else shared_axes
    valid = isinstance(axes, (list, tuple)) and len(axes) > 0
    valid = valid and all(is_integer(a) and a != 0 for a in axes)
    if not valid:
        raise ValueError(
            "PReLU: argument `shared_axes` must be None, a non-zero int or "
            "a non-empty list of non-zero ints (axis 0 is the batch). "
            f"Received: shared_axes={shared_axes!r}"
        )
    return [int(a) for a in axes]


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

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.PReLU(initial_slope=0.25)
    >>> y = layer(np.array([[-2.0, 0.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 6).tolist()
    [[-0.5, 0.0, 3.0]]

    Args:
        initial_slope: float, finite; the starting value of every `alpha`.
            Defaults to `0.25` (He et al., 2015; Keras' own PReLU starts
            at 0). Stored as `None` when `alpha_initializer` is given.
        alpha_initializer: optional initializer for `alpha`, as in
            `keras.layers.PReLU`, instead of `initial_slope` (passing both
            raises `ValueError`).
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

    negative_side = "leaky"

    def __init__(
        self,
        initial_slope=_DEFAULT_SLOPE,
        alpha_initializer=None,
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        granularity=None,
        channel_axis=-1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if alpha_initializer is not None:
            if (
                initial_slope is not None
                and initial_slope is not _DEFAULT_SLOPE
            ):
                raise ValueError(
                    "PReLU: pass `initial_slope` or `alpha_initializer`, not "
                    f"both. Received: initial_slope={initial_slope!r}, "
                    f"alpha_initializer={alpha_initializer!r}"
                )
            initial_slope = None  # The initializer sets the slopes.
        elif initial_slope is None:  # As saved by reluplug <= 0.1.0.
            initial_slope = 0.25
        if initial_slope is not None:
            initial_slope = check_number(
                "PReLU", "initial_slope", initial_slope
            )
        if granularity is None:
            granularity = "element" if shared_axes is not None else "channel"
        check_choice(
            "granularity", granularity, ("channel", "element", "shared")
        )
        shared_axes = _check_shared_axes(shared_axes)
        if shared_axes is not None and granularity != "element":
            raise ValueError(
                "PReLU: argument `shared_axes` only applies to "
                "granularity='element'. Received: shared_axes="
                f"{shared_axes!r}, granularity={granularity!r}"
            )
        self.initial_slope = initial_slope
        self.alpha_initializer = (
            None
            if alpha_initializer is None
            else keras.initializers.get(alpha_initializer)
        )
        self.alpha_regularizer = keras.regularizers.get(alpha_regularizer)
        self.alpha_constraint = keras.constraints.get(alpha_constraint)
        self.shared_axes = shared_axes
        self.granularity = granularity
        self.channel_axis = check_channel_axis_arg("PReLU", channel_axis)
        self.supports_masking = True

    def _shared_axes(self, rank):
        """``shared_axes`` as positive axes of an input of ``rank``."""
        axes = []
        for axis in self.shared_axes or []:
            positive = axis + rank if axis < 0 else axis
            if not 1 <= positive < rank:
                raise ValueError(
                    f"PReLU: argument `shared_axes` must hold axes in "
                    f"[1, {rank - 1}] or [{-(rank - 1)}, -1] for inputs of "
                    f"rank {rank} (axis 0 is the batch). Received: "
                    f"shared_axes={self.shared_axes!r}"
                )
            axes.append(positive)
        return axes

    def _alpha_axes(self, input_shape):
        """The input axes along which ``alpha`` has more than one value."""
        rank = len(input_shape)
        if self.granularity != "element":
            return param_axes(
                "PReLU", input_shape, self.granularity, self.channel_axis
            )
        shared = self._shared_axes(rank)
        return tuple(a for a in range(1, rank) if a not in shared)

    def _alpha_shape(self, input_shape):
        if self.granularity != "element":
            return param_shape(
                "PReLU", input_shape, self.granularity, self.channel_axis
            )
        axes = self._alpha_axes(input_shape)
        shape = [
            input_shape[a] if a in axes else 1
            for a in range(1, len(input_shape))
        ]
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
            initializer = keras.initializers.Constant(self.initial_slope)
        self.alpha = self.add_weight(
            shape=self._alpha_shape(input_shape),
            name="alpha",
            initializer=initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        set_input_spec(self, input_shape, self._alpha_axes(input_shape))

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
