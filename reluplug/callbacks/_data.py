"""Turning a user's probe (arrays, tuples, datasets) into NumPy arrays."""

import keras
import numpy as np

from reluplug._validation import shape_fits


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "numpy"):  # tf.Tensor, torch.Tensor
        array = np.asarray(value.numpy())
    else:
        array = np.asarray(value)
    if array.dtype.kind == "f" and array.dtype != keras.config.floatx():
        array = array.astype(keras.config.floatx())
    return array


def _split(element, owner, need_y):
    """Splits one element (x, or (x, y), or (x, y, w)) into (x, y, w)."""
    if isinstance(element, tuple) and len(element) in (2, 3):
        x, y, w = (*element, None)[:3]
    elif isinstance(element, tuple) and len(element) == 1:
        x, y, w = element[0], None, None
    else:
        x, y, w = element, None, None
    if need_y and y is None:
        raise ValueError(
            f"{owner}: the probe must contain targets: pass `(x, y)` or "
            "`(x, y, sample_weight)`, or a dataset yielding such tuples. "
            f"Received: x only ({type(element).__name__})."
        )
    return x, y, w


def _batches(probe):
    """Yields the batches of a dataset-like probe."""
    if isinstance(probe, keras.utils.PyDataset):
        count = probe.num_batches
        if count is None:
            raise ValueError(
                "The probe PyDataset has no length (num_batches is None); "
                "pass a finite dataset or NumPy arrays."
            )
        for index in range(count):
            yield probe[index]
    else:  # tf.data.Dataset or any iterable of batches
        yield from probe


def _is_dataset(probe):
    return isinstance(probe, keras.utils.PyDataset) or (
        hasattr(probe, "element_spec") and hasattr(probe, "as_numpy_iterator")
    )


def load_probe(probe, owner, *, max_samples, need_y=False):
    """Returns (x, y, w) NumPy structures with at most `max_samples` rows.

    Args:
        probe: NumPy array (or list/dict of arrays, for several inputs), a
            tuple `(x, y)` or `(x, y, sample_weight)`, a `tf.data.Dataset`
            or a `keras.utils.PyDataset` yielding such batches.
        owner: name used in error messages.
        max_samples: keep the first `max_samples` samples.
        need_y: raise unless targets are present.

    Raises:
        ValueError: if the probe is empty, ragged, or not understood.
    """
    if _is_dataset(probe):
        parts, seen = [], 0
        for batch in _batches(probe):
            parts.append(_split(batch, owner, need_y))
            seen += _length(parts[-1][0], owner)
            if seen >= max_samples:
                break
        if not parts:
            raise ValueError(f"{owner}: the probe dataset yielded no batches.")
        x, y, w = (
            None
            if parts[0][i] is None
            else keras.tree.map_structure(
                lambda *a: np.concatenate([_to_numpy(v) for v in a]),
                *[p[i] for p in parts],
            )
            for i in range(3)
        )
    else:
        x, y, w = _split(probe, owner, need_y)
    x, y, w = (
        None if v is None else keras.tree.map_structure(_to_numpy, v)
        for v in (x, y, w)
    )
    count = _length(x, owner)
    for name, value in (("y", y), ("sample_weight", w)):
        if value is not None and _length(value, owner) != count:
            raise ValueError(
                f"{owner}: the probe's `{name}` has {_length(value, owner)} "
                f"samples but `x` has {count}."
            )
    if count == 0:
        raise ValueError(f"{owner}: the probe is empty (0 samples).")
    keep = min(count, max_samples)
    return tuple(
        None if v is None else keras.tree.map_structure(lambda a: a[:keep], v)
        for v in (x, y, w)
    )


def _length(structure, owner):
    arrays = keras.tree.flatten(structure)
    lengths = set()
    for array in arrays:
        shape = np.shape(array)
        if len(shape) == 0:
            raise ValueError(
                f"{owner}: probe arrays need a leading sample axis; got a "
                f"scalar {array!r}."
            )
        lengths.add(shape[0])
    if len(lengths) != 1:
        raise ValueError(
            f"{owner}: probe arrays have different numbers of samples: "
            f"{sorted(lengths)}."
        )
    return lengths.pop()


def check_against_model(x, model, owner):
    """Raises ValueError if `x` does not fit the model's symbolic inputs."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return  # No symbolic inputs: the first probe call checks the shapes.
    if not inputs:
        return
    arrays = keras.tree.flatten(x)
    if len(arrays) != len(inputs):
        raise ValueError(
            f"{owner}: the model has {len(inputs)} input(s) but the probe "
            f"has {len(arrays)} array(s)."
        )
    for array, tensor in zip(arrays, inputs):
        expected = tuple(tensor.shape)[1:]
        got = np.shape(array)[1:]
        if not shape_fits(got, expected):
            raise ValueError(
                f"{owner}: probe samples have shape {got} but the model "
                f"input {tensor.name!r} expects {expected}."
            )


def batch_indices(count, batch_size):
    """Yields index arrays of equal length `min(batch_size, count)`.

    The last batch wraps around to the first samples so that every batch has
    the same shape (one compiled trace); a repeated sample changes neither a
    maximum nor a minimum.
    """
    size = min(batch_size, count)
    for start in range(0, count, size):
        yield np.arange(start, start + size) % count
