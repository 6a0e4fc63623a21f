"""Shapes of learnable activation parameters (shared by the layers)."""

from reluplug._validation import check_choice
from reluplug._validation import is_integer

GRANULARITIES = ("channel", "shared")


def normalize_channel_axis(owner, channel_axis, rank):
    """Returns ``channel_axis`` as a positive axis of an input of ``rank``.

    The batch axis (0) is never a channel axis.
    """
    if rank < 2:
        raise ValueError(
            f"{owner}: per-channel parameters need inputs of rank >= 2 "
            f"(batch, ..., channels); got an input of rank {rank}. Use "
            f"granularity='shared'."
        )
    valid = is_integer(channel_axis)
    if valid:
        axis = channel_axis + rank if channel_axis < 0 else channel_axis
        valid = 1 <= axis < rank
    if not valid:
        raise ValueError(
            f"{owner}: argument `channel_axis` must be an int in "
            f"[1, {rank - 1}] or [{-(rank - 1)}, -1] for inputs of rank "
            f"{rank} (axis 0 is the batch). Received: "
            f"channel_axis={channel_axis!r}"
        )
    return axis


def check_channel_axis_arg(owner, channel_axis):
    """Construction-time check (the rank is only known in ``build``)."""
    if not is_integer(channel_axis) or channel_axis == 0:
        raise ValueError(
            f"{owner}: argument `channel_axis` must be a non-zero int (axis 0 "
            f"is the batch). Received: channel_axis={channel_axis!r}"
        )
    return int(channel_axis)


def param_axes(owner, input_shape, granularity, channel_axis):
    """The input axes a parameter of ``param_shape`` spans (for the spec)."""
    if granularity == "shared":
        return ()
    return (normalize_channel_axis(owner, channel_axis, len(input_shape)),)


def param_shape(owner, input_shape, granularity, channel_axis):
    """Shape of a parameter that broadcasts against ``input_shape``.

    ``"shared"``: one scalar. ``"channel"``: one value per channel along
    ``channel_axis``, laid out so it broadcasts from the right, e.g.
    ``(C,)`` for channels-last and ``(C, 1, 1)`` for channels-first images.
    Only the channel dimension must be known; any other may be ``None``.
    """
    check_choice("granularity", granularity, GRANULARITIES)
    if granularity == "shared":
        return ()
    rank = len(input_shape)
    axis = normalize_channel_axis(owner, channel_axis, rank)
    channels = input_shape[axis]
    if channels is None:
        raise ValueError(
            f"{owner}: the channel dimension (axis {channel_axis}) of the "
            f"input must be known to build per-channel parameters. Received "
            f"input_shape={tuple(input_shape)}"
        )
    return (int(channels),) + (1,) * (rank - 1 - axis)
