"""What a task is, plus the seeded building blocks every task uses.

A task is data (train/validation/test splits fixed by a seed) plus a model
builder that takes an activation factory. Every non-activation layer gets an
initializer seeded from ``(seed, layer index)``, so for a given (task, seed)
all activations start from the same weights in those layers.
"""

import dataclasses
import hashlib
import types
from collections.abc import Callable
from collections.abc import Mapping

import keras
import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclasses.dataclass(frozen=True)
class Param:
    """A task parameter: default, type and allowed range.

    Attributes:
        default: value used when the suite leaves the parameter out.
        kind: one of ``"int"``, ``"float"``, ``"str"``, ``"bool"``.
        low: smallest allowed value for numbers (inclusive).
        choices: allowed values, or None.
        help: one line for ``reluplug-bench list``.
        implicit: a parameter added after suites existed: left out of a
            trial's params (and so of its id) when at its default, so the
            trials of suites that do not set it keep their ids.
    """

    default: object
    kind: str
    low: float | None = None
    choices: tuple | None = None
    help: str = ""
    implicit: bool = False

    def check(self, checker, value, path):
        """Validates ``value`` with the config checker; returns it."""
        if value is None and self.default is None:  # "not set"
            return None
        if self.kind == "int":
            value = checker.integer(value, path, low=self.low)
        elif self.kind == "float":
            value = checker.number(value, path, low=self.low)
        elif self.kind == "bool":
            value = checker.boolean(value, path)
        else:
            value = checker.string(value, path, nonempty=False)
        if self.choices is not None:
            checker.choice(value, path, self.choices)
        return value


# A re-split task's ``split_seed``: by default every trial's seed re-splits
# the data (the report then infers over splits, Nadeau-Bengio corrected);
# with ``split_seed = k`` every trial trains and tests on the one split drawn
# by seed k, and its seed varies only the initial weights and the batch
# order (the report infers over training randomness on this test set, a
# plain paired t-test, which more seeds make sharper). Added after suites
# existed: ``implicit``.
SPLIT = "split_seed"
SPLIT_PARAM = Param(
    None,
    "int",
    low=0,
    help="one fixed data split for every trial, drawn by this seed "
    "(default: each trial's seed re-splits the data)",
    implicit=True,
)


@dataclasses.dataclass(frozen=True)
class Splits:
    """Train/validation/test arrays of one task and seed (read-only)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_outputs: int

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def input_shape(self):
        """Shape of one example."""
        return tuple(self.x_train.shape[1:])


@dataclasses.dataclass(frozen=True)
class Task:
    """A built-in benchmark task.

    Attributes:
        name: registry name.
        description: one line for ``reluplug-bench list``.
        load: ``load(seed, **params) -> Splits``.
        build: ``build(splits, act, seed, **params) -> keras.Model`` where
            ``act()`` returns a fresh activation layer.
        params: parameter name -> ``Param``.
        data_params: names of the parameters that change the data (the
            others only change the model); they key the data cache.
        problem: ``"classification"`` (sparse cross-entropy, accuracy) or
            ``"regression"`` (mean squared error).
        resplit: True when the seeds re-split one fixed data set (train and
            test sets overlap across seeds), False when each seed draws
            independent data. The report then uses the Nadeau-Bengio
            corrected variance for paired comparisons. A re-split task
            also takes ``split_seed`` (``SPLIT_PARAM``): one fixed split
            for every trial.
    """

    name: str
    description: str
    load: Callable
    build: Callable
    params: Mapping = dataclasses.field(default_factory=dict)
    data_params: tuple = ()
    problem: str = CLASSIFICATION
    resplit: bool = False

    def __post_init__(self):
        params = dict(self.params)
        if self.resplit and SPLIT not in params:
            params[SPLIT] = SPLIT_PARAM  # read by engine.data.load_splits
        object.__setattr__(self, "params", types.MappingProxyType(params))

    @property
    def metric(self):
        """Name of the task's metric."""
        return "accuracy" if self.problem == CLASSIFICATION else "mse"

    @property
    def metric_mode(self):
        """``"max"`` if a larger metric is better, else ``"min"``."""
        return "max" if self.problem == CLASSIFICATION else "min"

    def defaults(self):
        """Parameter name -> default value."""
        return {k: p.default for k, p in self.params.items()}


# ------------------------------------------------------------ seeded layers


def layer_seed(seed, index):
    """Initializer seed of layer ``index`` for trial seed ``seed``."""
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def dense(units, seed, index, activation=None):
    """A ``Dense`` layer whose kernel is seeded by ``(seed, index)``."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(
            seed=layer_seed(seed, index)
        ),
        bias_initializer="zeros",
        name=f"dense_{index}",
    )


# The MLP tasks' ``linear`` parameter: which layer computes the weighted sums
# of the hidden layers (the output layer is always ``Dense``).
LINEAR_CHOICES = ("dense", "hadamard", "circulant")
LINEAR_PARAM = Param(
    "dense",
    "str",
    choices=LINEAR_CHOICES,
    help="hidden layers: Dense, HadamardDense or CirculantDense",
)


def mlp_params(hidden, layers):
    """The MLP tasks' model parameters, ``hidden`` and ``layers`` at these
    defaults, and ``linear``."""
    return {
        "hidden": Param(hidden, "int", low=1, help="units per layer"),
        "layers": Param(layers, "int", low=1, help="hidden layers"),
        "linear": LINEAR_PARAM,
    }


def linear_layer(linear, units, seed, index):
    """A hidden layer of kind ``linear`` seeded by ``(seed, index)``.

    ``"dense"`` is ``dense()``; ``"hadamard"`` a ``HadamardDense`` whose
    permutation, signs and normals come from the layer seed; ``"circulant"``
    a ``CirculantDense`` with a seeded Glorot-uniform kernel.
    """
    from reluplug import layers

    if linear not in LINEAR_CHOICES:
        raise ValueError(
            f"The value for `linear` must be one of {list(LINEAR_CHOICES)}, "
            f"but {linear!r} was passed."
        )
    if linear == "dense":
        return dense(units, seed, index)
    if linear == "hadamard":
        return layers.HadamardDense(
            units, seed=layer_seed(seed, index), name=f"hadamard_{index}"
        )
    return layers.CirculantDense(
        units,
        kernel_initializer=keras.initializers.GlorotUniform(
            seed=layer_seed(seed, index)
        ),
        name=f"circulant_{index}",
    )


# The classification MLP's ``readout`` parameter: softmax with the sparse
# cross-entropy (the default), or a linear output trained with the
# multiclass hinge loss (a multiclass SVM read-out); accuracy is the argmax
# either way. Added after suites existed: ``implicit``.
READOUT_CHOICES = ("softmax", "hinge")
READOUT_PARAM = Param(
    "softmax",
    "str",
    choices=READOUT_CHOICES,
    help="read-out: softmax + cross-entropy, or linear + multiclass hinge",
    implicit=True,
)


def multiclass_hinge(y_true, y_pred):
    """Multiclass hinge loss of integer labels on linear scores.

    ``max(0, 1 + max_{j != y} s_j - s_y)`` per example (Crammer & Singer
    2001, "On the algorithmic implementation of multiclass kernel-based
    vector machines", JMLR 2), for sparse labels ``y_true`` and scores
    ``y_pred`` (batch x classes); Keras averages it over the batch.
    """
    from keras import ops

    scores = ops.convert_to_tensor(y_pred)
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    onehot = ops.one_hot(labels, ops.shape(scores)[-1], dtype=scores.dtype)
    true_score = ops.sum(scores * onehot, axis=-1)
    floor = ops.min(scores, axis=-1, keepdims=True) - 1
    other = ops.max(ops.where(onehot > 0, floor, scores), axis=-1)
    return ops.relu(1 + other - true_score)


def classification_loss(model):
    """The loss of a classification model: ``multiclass_hinge`` for a model
    built with ``readout="hinge"``, else the sparse cross-entropy."""
    if getattr(model, "reluplug_readout", "softmax") == "hinge":
        return multiclass_hinge
    return keras.losses.SparseCategoricalCrossentropy()


def conv2d(filters, seed, index):
    """A 3x3 ``Conv2D`` (same padding) seeded by ``(seed, index)``."""
    return keras.layers.Conv2D(
        filters,
        3,
        padding="same",
        kernel_initializer=keras.initializers.GlorotUniform(
            seed=layer_seed(seed, index)
        ),
        bias_initializer="zeros",
        name=f"conv_{index}",
    )


def head(splits, problem, seed, index, readout="softmax"):
    """Output layer: softmax for classification (linear scores for the
    ``"hinge"`` read-out), linear for regression."""
    if readout not in READOUT_CHOICES:
        raise ValueError(
            f"The value for `readout` must be one of {list(READOUT_CHOICES)},"
            f" but {readout!r} was passed."
        )
    softmax = problem == CLASSIFICATION and readout == "softmax"
    activation = "softmax" if softmax else None
    return dense(splits.n_outputs, seed, index, activation=activation)


def mlp(
    splits,
    act,
    seed,
    hidden,
    problem=CLASSIFICATION,
    linear="dense",
    readout="softmax",
):
    """Input -> [linear -> act] * len(hidden) -> output layer.

    ``linear`` (one of ``LINEAR_CHOICES``) picks the hidden layers' kind;
    ``readout`` (one of ``READOUT_CHOICES``) the classification read-out
    (the model's ``reluplug_readout``, which ``classification_loss``
    reads). The output layer's weights do not depend on it.
    """
    layers = [keras.Input(splits.input_shape)]
    if len(splits.input_shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(hidden, start=1):
        layers += [linear_layer(linear, units, seed, i), act()]
    layers.append(head(splits, problem, seed, len(hidden) + 1, readout))
    model = keras.Sequential(layers)
    model.reluplug_readout = readout
    return model


def mlp_task(
    name,
    description,
    load,
    params,
    *,
    data_params=(),
    problem=CLASSIFICATION,
    resplit=True,
):
    """A task whose model is ``mlp``: ``layers`` hidden layers of ``hidden``
    units each, of kind ``linear`` (``mlp_params``), and the ``readout``
    parameter where ``params`` has it (``READOUT_PARAM``).

    Args:
        name: registry name.
        description: one line for ``reluplug-bench list``.
        load: ``load(seed, **data) -> Splits``, ``data`` the task's
            ``data_params``.
        params: parameter name -> ``Param``, ``mlp_params(...)`` among them.
        data_params: names of the parameters that change the data; the
            model ignores them.
        problem: ``CLASSIFICATION`` or ``REGRESSION``.
        resplit: the seeds re-split one fixed data set (``Task.resplit``).
    """

    def build(
        splits, act, seed, hidden, layers, linear, readout="softmax", **data
    ):
        del data  # the data parameters only shape ``splits``
        return mlp(
            splits,
            act,
            seed,
            [hidden] * layers,
            problem=problem,
            linear=linear,
            readout=readout,
        )

    return Task(
        name=name,
        description=description,
        load=load,
        build=build,
        params=params,
        data_params=tuple(data_params),
        problem=problem,
        resplit=resplit,
    )


def cnn(splits, act, seed, filters=(16, 32)):
    """Input -> [conv -> act -> pool] * len(filters) -> dense -> softmax."""
    layers = [keras.Input(splits.input_shape)]
    for i, n in enumerate(filters, start=1):
        layers += [
            conv2d(n, seed, i),
            act(),
            keras.layers.MaxPooling2D(2, name=f"pool_{i}"),
        ]
    layers.append(keras.layers.Flatten(name="flatten"))
    layers.append(head(splits, CLASSIFICATION, seed, len(filters) + 1))
    return keras.Sequential(layers)


def two_conv_cnn(splits, act, seed, filters):
    """``cnn`` with ``filters`` then ``2 * filters`` channels: the model of
    the CNN tasks (their parameter ``filters``, ``filters_param``)."""
    return cnn(splits, act, seed, filters=(filters, 2 * filters))


def filters_param(default):
    """The CNN tasks' ``filters`` parameter (``two_conv_cnn``)."""
    return Param(
        default, "int", low=1, help="filters of the first conv (2x second)"
    )


def two_conv_task(name, description, load, filters, *, data=None):
    """A re-split image task whose model is ``two_conv_cnn``.

    Args:
        name: registry name.
        description: one line for ``reluplug-bench list``.
        load: ``load(seed, **data) -> Splits`` of images (height, width,
            channels).
        filters: default of the ``filters`` parameter.
        data: the parameters that change the data (name -> ``Param``),
            listed before ``filters``; the model ignores them.
    """
    data = dict(data or {})

    def build(splits, act, seed, filters, **data_values):
        del data_values  # the data parameters only shape ``splits``
        return two_conv_cnn(splits, act, seed, filters)

    return Task(
        name=name,
        description=description,
        load=load,
        build=build,
        params={**data, "filters": filters_param(filters)},
        data_params=tuple(data),
        resplit=True,
    )


# ------------------------------------------------------------------- splits


def split(x, y, seed, *, val=0.2, test=0.2, stratify=True):
    """Seeded train/validation/test split of arrays ``x``, ``y``.

    Returns:
        ``(x_train, y_train, x_val, y_val, x_test, y_test)``.
    """
    from sklearn.model_selection import train_test_split

    strat = y if stratify else None
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test, random_state=seed, stratify=strat
    )
    strat = y_rest if stratify else None
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest,
        y_rest,
        test_size=val / (1.0 - test),
        random_state=seed + 1,
        stratify=strat,
    )
    return x_train, y_train, x_val, y_val, x_test, y_test


def standardize(x_train, *others):
    """Scales features with the training split's mean and std (float32)."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple(
        ((x - mean) / std).astype("float32") for x in (x_train, *others)
    )


def classification_splits(x, y, seed, *, scale="standardize", **kwargs):
    """Splits, scales and packs a classification data set."""
    xtr, ytr, xva, yva, xte, yte = split(x, y, seed, **kwargs)
    if scale == "standardize":
        xtr, xva, xte = standardize(xtr, xva, xte)
    else:
        xtr, xva, xte = (a.astype("float32") / scale for a in (xtr, xva, xte))
    return Splits(
        xtr,
        ytr.astype("int32"),
        xva,
        yva.astype("int32"),
        xte,
        yte.astype("int32"),
        n_outputs=int(np.max(y)) + 1,
    )
