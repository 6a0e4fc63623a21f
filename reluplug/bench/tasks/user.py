"""The user's own task: a model and data of theirs, by file or import path.

A user task names

* its model: a ``.keras`` file (every activation site is swapped with
  ``reluplug.swap_activations``) or ``"package.module:build"``, a callable
  ``build(act) -> keras.Model`` where ``act()`` returns a fresh activation
  layer;
* its data: a ``.npz`` file with keys ``x``, ``y`` (split by seed into
  train/validation/test) or ``x_train``, ``y_train`` and optionally
  ``x_val``/``y_val``, ``x_test``/``y_test``, or ``"package.module:load"``, a
  callable returning ``(x, y)`` or a dict with those keys.

Both are strings, so a trial spec stays pure data and worker processes
(``processes``, ``ray``) load the task themselves. Files are recorded with
their SHA-256 (task parameters ``model_sha256``/``data_sha256``); a worker
refuses a file whose content changed since the suite was loaded.

For every seed, all weights that are not activations are re-drawn from
seeded initializers (``(seed, layer index)``, as the built-in tasks do), so
every activation of a (task, seed) starts from the same weights; the runner
checks it with ``init_sha256``.
"""

import hashlib
import importlib
import os
import types

import keras
import numpy as np

from reluplug._validation import shape_fits
from reluplug.bench.tasks import base

DATA_KEYS = (
    "x",
    "y",
    "x_train",
    "y_train",
    "x_val",
    "y_val",
    "x_test",
    "y_test",
)
PROBLEMS = (base.CLASSIFICATION, base.REGRESSION)
_MIN_EXAMPLES = 2

# Builders only this process can import (``compare`` with the sequential
# executor): named "reluplug.bench.tasks.user:INLINE.<key>".
INLINE = types.SimpleNamespace()


def file_sha256(path):
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_import_path(ref):
    """True for ``"package.module:attr"`` (not a Windows drive letter)."""
    module, sep, attr = ref.partition(":")
    return bool(sep and attr and module and len(module) > 1)


def import_object(ref):
    """The object named by ``"package.module:attr.sub"``.

    Raises:
        ValueError: the module or attribute cannot be imported.
    """
    module_name, _, attr = ref.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"cannot import {ref!r}: {error}. Expected "
            "'package.module:object', importable from this Python "
            "(check PYTHONPATH)."
        ) from None
    return obj


# -------------------------------------------------------------------- data


def _checked(path, sha256):
    if sha256 and file_sha256(path) != sha256:
        raise ValueError(
            f"{path} changed since the suite was loaded (its SHA-256 is no "
            f"longer {sha256[:12]}...). Restore the file, or start a new run."
        )
    return path


def read_arrays(ref, sha256=""):
    """Data arrays of a ``.npz`` file or import path, keys checked.

    Returns:
        Dict with the keys present among ``DATA_KEYS`` (numpy arrays).

    Raises:
        ValueError: unreadable, unknown or missing keys, lengths that differ.
    """
    if is_import_path(ref):
        loaded = import_object(ref)
        loaded = loaded() if callable(loaded) else loaded
        if isinstance(loaded, tuple | list) and len(loaded) == 2:
            loaded = {"x": loaded[0], "y": loaded[1]}
        if not isinstance(loaded, dict):
            raise ValueError(
                f"{ref} must return (x, y) or a dict with keys "
                f"{list(DATA_KEYS)}. Received: {type(loaded).__name__}"
            )
        arrays = {k: np.asarray(v) for k, v in loaded.items()}
    else:
        try:
            with np.load(_checked(ref, sha256), allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read data file {ref}: {error}") from None
    return check_arrays(arrays, ref)


def check_arrays(arrays, where):
    """Checks the keys and lengths of data arrays; returns them."""
    unknown = sorted(set(arrays) - set(DATA_KEYS))
    if unknown:
        raise ValueError(
            f"{where}: unknown data key(s) {unknown}; allowed keys: "
            f"{list(DATA_KEYS)} (either x, y or x_train, y_train with "
            f"optional x_val/y_val, x_test/y_test). Received keys: "
            f"{sorted(arrays)}"
        )
    if "x" in arrays or "y" in arrays:
        required, extra = ("x", "y"), sorted(set(arrays) - {"x", "y"})
        if extra:
            raise ValueError(
                f"{where}: give either x, y or x_train, y_train (...), not "
                f"both. Received keys: {sorted(arrays)}"
            )
    else:
        required = ("x_train", "y_train")
    for key in required:
        if key not in arrays:
            raise ValueError(
                f"{where}: missing data key {key!r}. Required keys: "
                f"{list(required)}. Received keys: {sorted(arrays)}"
            )
    for split in ("val", "test"):
        pair = {f"x_{split}", f"y_{split}"} & set(arrays)
        if len(pair) == 1:
            (have,) = pair
            other = f"y_{split}" if have.startswith("x") else f"x_{split}"
            raise ValueError(
                f"{where}: missing data key {other!r} ({have!r} is given; "
                f"they come in pairs). Received keys: {sorted(arrays)}"
            )
    for split in ("", "_train", "_val", "_test"):
        x, y = arrays.get(f"x{split}"), arrays.get(f"y{split}")
        if x is None:
            continue
        if x.ndim < 2 or len(x) != len(y):
            raise ValueError(
                f"{where}: x{split} must have shape (n, ...) with one row "
                f"per label in y{split}. Received: x{split}.shape="
                f"{x.shape}, y{split}.shape={y.shape}"
            )
        if len(x) < _MIN_EXAMPLES:
            raise ValueError(
                f"{where}: x{split} has {len(x)} example(s); at least "
                f"{_MIN_EXAMPLES} are needed."
            )
    return arrays


def is_one_hot(y):
    """True for one-hot labels: shape (n, k >= 2), every entry 0 or 1 and
    exactly one 1 per row (any numeric dtype)."""
    if y.ndim != 2 or y.shape[1] < 2 or y.dtype.kind not in "iubf":
        return False
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))


def class_indices(y):
    """Labels as class indices: one-hot rows -> their argmax, else ``y``."""
    return np.argmax(y, axis=1) if is_one_hot(y) else y


def infer_problem(arrays):
    """``"classification"`` for integer or one-hot labels, else
    ``"regression"``."""
    y = arrays.get("y", arrays.get("y_train"))
    if y.dtype.kind in "iub" or is_one_hot(y):
        return base.CLASSIFICATION
    return base.REGRESSION


def _split_off(x, y, fraction, seed, stratify):
    from sklearn.model_selection import train_test_split

    return train_test_split(
        x,
        y,
        test_size=fraction,
        random_state=seed,
        stratify=y if stratify else None,
    )


def make_splits(arrays, seed, problem, val_fraction, test_fraction):
    """Train/validation/test ``Splits`` of the arrays for ``seed``.

    ``x``, ``y`` are split by seed; explicit ``x_train`` etc. are kept, and
    a missing validation or test split is split off the training data.
    One-hot labels of a classification become class indices (the runner
    trains with sparse categorical cross-entropy).
    """
    classify = problem == base.CLASSIFICATION
    if classify:
        arrays = {
            k: class_indices(v) if k.startswith("y") else v
            for k, v in arrays.items()
        }
    if "x" in arrays:
        xtr, ytr, xva, yva, xte, yte = base.split(
            arrays["x"],
            arrays["y"],
            seed,
            val=val_fraction,
            test=test_fraction,
            stratify=classify,
        )
    else:
        xtr, ytr = arrays["x_train"], arrays["y_train"]
        if "x_test" in arrays:
            xte, yte = arrays["x_test"], arrays["y_test"]
        else:
            xtr, xte, ytr, yte = _split_off(
                xtr, ytr, test_fraction, seed, classify
            )
        if "x_val" in arrays:
            xva, yva = arrays["x_val"], arrays["y_val"]
        else:
            xtr, xva, ytr, yva = _split_off(
                xtr, ytr, val_fraction, seed + 1, classify
            )
    ys = (ytr, yva, yte)
    if classify:
        ys = tuple(y.astype("int32") for y in ys)
        n_outputs = int(max(int(np.max(y)) for y in ys)) + 1
    else:
        ys = tuple(y.astype("float32") for y in ys)
        n_outputs = int(np.prod(ytr.shape[1:], dtype=int))
    xs = tuple(_float(x) for x in (xtr, xva, xte))
    return base.Splits(
        xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], n_outputs=n_outputs
    )


def _float(x):
    return x.astype("float32") if x.dtype.kind in "iubf" else x


# ------------------------------------------------------------------- model


def raw_model(ref, act, sha256=""):
    """The user's model before re-seeding, with ``act()`` at every site.

    Returns:
        ``(model, activation layers)``.
    """
    from reluplug import swap

    created = []

    def factory():
        layer = act()
        created.append(layer)
        return layer

    if is_import_path(ref):
        build = import_object(ref)
        if not callable(build):
            raise ValueError(
                f"{ref} must be a callable build(act) -> keras.Model. "
                f"Received: {type(build).__name__}"
            )
        model = build(factory)
        if not isinstance(model, keras.Model):
            raise ValueError(
                f"{ref}(act) must return a keras.Model. Received: "
                f"{type(model).__name__}"
            )
        return model, created
    try:
        original = keras.models.load_model(
            _checked(ref, sha256), compile=False, safe_mode=True
        )
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot load model file {ref}: {error}") from None
    model = swap.swap_with(original, lambda name: factory())
    return model, created


def reseed(model, seed, keep):
    """A clone of ``model`` whose weights come from seeded initializers.

    Every ``*_initializer`` with a ``seed`` in its config gets the seed of
    ``(seed, index)``, ``index`` counting the layers not in ``keep`` in model
    order (nested models entered); the layers in ``keep`` (the activation
    layers) are reused as they are.
    """
    keep_ids = {id(layer) for layer in keep}
    index = [0]

    def clone(layer):
        if id(layer) in keep_ids:
            return layer
        index[0] += 1
        config = layer.get_config()
        for key, value in config.items():
            inner = value.get("config") if isinstance(value, dict) else None
            if key.endswith("_initializer") and isinstance(inner, dict):
                if "seed" in inner:
                    inner["seed"] = base.layer_seed(seed, index[0])
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone, recursive=True)


# ------------------------------------------------------------------ checks


def probe_model(ref, sha256=""):
    """``raw_model`` with ReLU at every site, for ``check_fit``."""
    import reluplug

    return raw_model(ref, lambda: reluplug.get("relu"), sha256)


def check_fit(model, created, arrays, problem, val_fraction, test_fraction):
    """Checks that the data fits the model and the loss; returns the problem.

    Args:
        model: the user's model with an activation layer at each site.
        created: the activation layers ``act()`` made for it.
        arrays: checked data arrays (``check_arrays``).
        problem: ``"classification"``, ``"regression"`` or None (inferred
            from the labels' dtype).
        val_fraction, test_fraction: split fractions.

    Raises:
        ValueError: no activation site, input or output shapes that do not
            fit, labels that do not fit the loss, splits that cannot be made.
    """
    if problem is None:
        problem = infer_problem(arrays)
    if problem not in PROBLEMS:
        raise ValueError(
            f"The value for `problem` must be one of {list(PROBLEMS)}, but "
            f"{problem!r} was passed."
        )
    for name, value in (
        ("val_fraction", val_fraction),
        ("test_fraction", test_fraction),
    ):
        if not 0.0 < value < 0.5:
            raise ValueError(
                f"`{name}` must be a number in (0, 0.5). Received: "
                f"{name}={value!r}"
            )
    if not created:
        raise ValueError(
            f"model {model.name!r} has no activation site: the builder never "
            "called act(), or the model has no activation layer or fused "
            "`activation=` to swap."
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"model {model.name!r} must have one input and one output. "
            f"Received: {len(model.inputs)} inputs, {len(model.outputs)} "
            "outputs"
        )
    expected = tuple(model.inputs[0].shape[1:])
    for key in ("x", "x_train", "x_val", "x_test"):
        if key not in arrays:
            continue
        shape = arrays[key].shape[1:]
        if not shape_fits(shape, expected):
            raise ValueError(
                f"data {key} has examples of shape {shape}, but model "
                f"{model.name!r} expects inputs of shape {expected}. Received: "
                f"{key}.shape={arrays[key].shape}"
            )
    out_shape = tuple(model.outputs[0].shape[1:])
    ys = {
        k: arrays[k] for k in ("y", "y_train", "y_val", "y_test") if k in arrays
    }
    if problem == base.CLASSIFICATION:
        _check_classification(model, arrays, ys, out_shape)
    else:
        _check_regression(model, ys, out_shape)
    make_splits(arrays, 0, problem, val_fraction, test_fraction)
    return problem


def _check_classification(model, arrays, ys, out_shape):
    units = out_shape[-1] if len(out_shape) == 1 else None
    if units is None or units < 2:
        raise ValueError(
            f"classification needs model {model.name!r} to output one "
            "probability per class, shape (n_classes >= 2,) (a softmax "
            "read-out; the runner trains with sparse categorical "
            f"cross-entropy). Received: output shape {out_shape}. For a "
            "single sigmoid output use a 2-unit softmax, or pass "
            "problem='regression'."
        )
    for key, y in ys.items():
        if is_one_hot(y):
            if y.shape[1] != units:
                raise ValueError(
                    f"one-hot labels {key} have {y.shape[1]} columns, but "
                    f"model {model.name!r} has {units} outputs: give one "
                    f"column per output, {key} of shape (n, {units}), or "
                    f"integer labels 0..{units - 1} of shape (n,). "
                    f"Received: {key}.shape={y.shape}"
                )
            continue
        integral = y.dtype.kind in "iub" or (
            y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)
        )
        if y.ndim != 1 or not integral or y.min() < 0 or y.max() >= units:
            raise ValueError(
                f"classification labels must be integers 0..{units - 1}, "
                "one per example (y of shape (n,)), or one-hot rows of "
                f"width {units} (shape (n, {units})), to fit the model's "
                f"{units} outputs. Received: {key} of shape {y.shape}, "
                f"dtype {y.dtype}, range [{y.min()}, {y.max()}]"
            )
    x = arrays.get("x", arrays.get("x_train"))[:2]
    probs = keras.ops.convert_to_numpy(model(_float(x), training=False))
    if not np.allclose(probs.sum(axis=-1), 1.0, atol=1e-3) or probs.min() < 0:
        raise ValueError(
            f"model {model.name!r} must end in a softmax (its outputs must "
            "be class probabilities summing to 1; the runner trains with "
            "sparse categorical cross-entropy on probabilities). Received: "
            f"output row sums {probs.sum(axis=-1).round(4).tolist()}"
        )


def _check_regression(model, ys, out_shape):
    size = int(np.prod(out_shape, dtype=int))
    for key, y in ys.items():
        per_example = int(np.prod(y.shape[1:], dtype=int))
        if y.dtype.kind in "iuf" and per_example == size:
            continue
        if size == 1:
            wanted = "(n,) or (n, 1)"
        else:
            wanted = f"(n, {', '.join(str(d) for d in out_shape)})"
        raise ValueError(
            f"regression targets must be numbers of shape {out_shape} per "
            f"example, the shape of model {model.name!r}'s output ({key} of "
            f"shape {wanted}), to fit the mean squared error. Received: "
            f"{key} of shape {y.shape}, dtype {y.dtype}: targets of shape "
            f"{y.shape[1:]} per example.{_label_hint(y, size)}"
        )


def _label_hint(y, units):
    """A hint when regression targets look like class labels."""
    if units < 2 or y.ndim != 1 or y.dtype.kind not in "iuf" or not len(y):
        return ""
    if not np.all(np.mod(y, 1) == 0) or y.min() < 0 or y.max() >= units:
        return ""
    return (
        f" They look like class labels {int(y.min())}..{int(y.max())} for "
        f"the model's {units} outputs: for a classification pass "
        "problem='classification', or the labels as integers "
        "(y.astype('int64'))."
    )


def load(seed, *, data, data_sha256, problem, val_fraction, test_fraction):
    """``Task.load`` of a user task."""
    arrays = read_arrays(data, data_sha256)
    return make_splits(arrays, seed, problem, val_fraction, test_fraction)


def build(splits, act, seed, *, model, model_sha256, **_):
    """``Task.build`` of a user task: the user's model, re-seeded."""
    raw, created = raw_model(model, act, model_sha256)
    keras.utils.set_random_seed(seed)
    return reseed(raw, seed, created)


def _params():
    text = "str"
    return {
        "model": base.Param("", text, help=".keras file or pkg.mod:build"),
        "model_sha256": base.Param("", text, help="SHA-256 of the file"),
        "data": base.Param("", text, help=".npz file or pkg.mod:load"),
        "data_sha256": base.Param("", text, help="SHA-256 of the file"),
        "problem": base.Param(base.CLASSIFICATION, text, choices=PROBLEMS),
        "val_fraction": base.Param(0.2, "float", low=0.0),
        "test_fraction": base.Param(0.2, "float", low=0.0),
    }


def _task(problem):
    return base.Task(
        name=f"reluplug.bench.tasks.user:{problem.upper()}",
        description=f"your model and data ({problem})",
        load=load,
        build=build,
        params=_params(),
        data_params=(
            "data",
            "data_sha256",
            "problem",
            "val_fraction",
            "test_fraction",
        ),
        problem=problem,
        # Seeds split one fixed data set (x, y) anew. A test set of the
        # user's own (x_test) is the same for every seed: the report tells
        # the two apart by the test set's digest (stats.design).
        resplit=True,
    )


CLASSIFICATION = _task(base.CLASSIFICATION)
REGRESSION = _task(base.REGRESSION)
TASK_NAMES = (CLASSIFICATION.name, REGRESSION.name)


def task_for(problem):
    """The generic user ``Task`` of ``problem``."""
    return CLASSIFICATION if problem == base.CLASSIFICATION else REGRESSION


def resolve_path(ref, base_dir):
    """An absolute path for a file reference, import paths unchanged."""
    if is_import_path(ref) or os.path.isabs(ref):
        return ref
    return os.path.normpath(os.path.join(base_dir, ref))
