"""Suite files (TOML) -> validated, frozen objects.

A suite says *what* to compare: tasks, activations, seeds and one training
recipe. ``load()`` checks everything before any training starts, and every
error names the file, the key path and the value::

    benchmarks/suites/x.toml: unknown key 'epoch' in [training]; did you
    mean 'epochs'? Received: epoch=3

``Suite.expand()`` turns a suite into ``TrialSpec`` objects, one per
(task, seed, activation); a spec is pure data and its ``trial_id`` is a hash
of what it trains (``TrialSpec.identity``), so "done already?" is a file
check and an edited suite keeps every finished trial it still lists.

Example suite::

    version = 1
    name = "quick"
    seeds = [0, 1]
    baseline = "relu"

    [training]
    epochs = 8
    batch_size = 64
    optimizer = "adam"
    learning_rate = 0.001
    early_stopping = {patience = 3}

    monitors = false      # or [monitors] enabled = true, max_samples = 512

    [report]
    rope = 0.005          # or {accuracy = 0.005, mse = 0.02}

    [[tasks]]
    name = "digits_mlp"
    params = {hidden = 64}
    label = "digits_mlp_64"   # optional; needed when a task is listed twice

    [[activations]]
    name = "leaky_relu"
    params = {negative_slope = 0.1}
    label = "leaky_relu_0.1"

Sweeps. A list where a task parameter or a ``[training]`` number is
expected (``params = {depth = [5, 10, 20]}``, ``learning_rate = [1e-3,
1e-2]``) expands into one task variant per value (the product, for several
lists), labelled ``deep_mlp[depth=5]``, ``deep_mlp[learning_rate=0.01]``.
Each variant is its own group in every table and statistic, and the record
of each trial keeps the swept values in ``sweep``.
"""

import dataclasses
import hashlib
import itertools
import json
import math
import os
import types
from collections.abc import Mapping

import tomllib

from reluplug._validation import did_you_mean
from reluplug.bench.suite import init_protocol
from reluplug.bench.suite import schema
from reluplug.bench.suite import tuning
from reluplug.bench.suite.resources import Resources
from reluplug.bench.suite.resources import check_memory
from reluplug.bench.suite.schema import OPTIMIZERS
from reluplug.bench.suite.tuning import Tuning

SUITE_VERSIONS = (1,)
TRAINING_SWEEPS = ("epochs", "batch_size", "optimizer", "learning_rate")


class ConfigError(ValueError):
    """A suite file (or an option naming part of it) is invalid.

    Raised before any training starts. The message names the file, the key
    path and the value received.
    """


def _freeze(mapping):
    return types.MappingProxyType(dict(mapping))


def _plain(value):
    """A deep copy of ``value`` with TOML's types only: tuples become
    lists, NumPy scalars Python numbers (what ``tomllib`` would give)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if (
        hasattr(value, "item")
        and callable(value.item)
        and not isinstance(value, str | bytes)
    ):
        return value.item()  # a NumPy scalar
    return value


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    """Stop when the validation metric has not improved for a while.

    Attributes:
        patience: epochs without improvement before stopping (>= 1).
        min_delta: smallest change that counts as an improvement (>= 0).
    """

    patience: int
    min_delta: float = 0.0


@dataclasses.dataclass(frozen=True)
class Training:
    """One training recipe, shared by every trial of a suite.

    ``init`` is the initialisation protocol (``init_protocol.PROTOCOLS``);
    each trial's resolved scheme is ``TrialSpec.init``, which is what its id
    hashes.
    """

    epochs: int
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    early_stopping: EarlyStopping | None = None
    jit_compile: bool = False
    init: str = init_protocol.RECOMMENDED_PROTOCOL

    def to_dict(self):
        """Plain, JSON-ready dict (``early_stopping`` is a dict or None)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Monitors:
    """Which monitor callbacks run during training.

    Attributes:
        dead_units: run ``reluplug.callbacks.DeadUnitMonitor``.
        gradient_flow: run ``reluplug.callbacks.GradientFlowMonitor``.
        every_n_epochs: monitor frequency.
        max_samples: size of the probe taken from the training split.
        saturation_eps: sigmoid-like units whose derivative stays below this
            on the whole probe count as saturated.
        revive: the dead-unit monitor re-initialises dead ReLU units
            (``DeadUnitMonitor(revive=True)``).
    """

    dead_units: bool = False
    gradient_flow: bool = False
    every_n_epochs: int = 1
    max_samples: int = 512
    saturation_eps: float = 0.01
    revive: bool = False

    @property
    def enabled(self):
        """True when at least one monitor runs."""
        return self.dead_units or self.gradient_flow

    def to_dict(self):
        """Plain, JSON-ready dict (``revive`` only when on, so the trial
        ids of suites without it do not change)."""
        data = dataclasses.asdict(self)
        if not data["revive"]:
            del data["revive"]
        return data


@dataclasses.dataclass(frozen=True)
class Report:
    """The suite's ``[report]`` table: settings of the statistics only.

    Attributes:
        rope: metric name (or ``"*"`` for every metric) -> half-width of the
            region of practical equivalence: absolute for accuracy,
            relative to the baseline's mean for losses / mse. Empty for the
            report's defaults. ``rope = 0.005`` in the file means
            ``{"*": 0.005}``.
    """

    rope: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _freeze({})
    )


@dataclasses.dataclass(frozen=True)
class TaskConfig:
    """A task of the suite with its fully resolved parameters.

    Attributes:
        name: registry name of the task.
        params: every parameter of the task, resolved.
        label: name used in every table and plot, unique in the suite:
            the ``label`` of its ``[[tasks]]`` entry (default ``name``),
            with ``[depth=5]`` appended for one value of a sweep.
        sweep: swept key -> this variant's value (empty if none).
        training: the training recipe of this variant, when a
            ``[training]`` value is swept (else None: the suite's).
    """

    name: str
    params: types.MappingProxyType
    label: str = ""
    sweep: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _freeze({})
    )
    training: Training | None = None

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", self.name)


@dataclasses.dataclass(frozen=True)
class ActivationConfig:
    """An activation of the suite.

    Attributes:
        label: unique name used in every table and plot.
        name: identifier for ``reluplug.get`` (a registered or Keras name,
            or ``"package.module:ClassName"``).
        params: keyword arguments for ``reluplug.get``.
        init: its initialisation scheme under the suite's ``init``
            (``init_protocol.resolve``): ``"same"`` or a scheme name.
    """

    label: str
    name: str
    params: types.MappingProxyType
    init: str = init_protocol.SAME


@dataclasses.dataclass(frozen=True)
class TrialSpec:
    """One (task, seed, activation) training run: pure data.

    Names follow the tables: ``task`` and ``activation`` are the labels
    (unique in the suite; what every table and plot shows), ``task_name``
    and ``activation_name`` the registry identifiers they build from.
    """

    suite: str
    task: str
    task_name: str
    task_params: types.MappingProxyType
    activation: str
    activation_name: str
    activation_params: types.MappingProxyType
    is_baseline: bool
    seed: int
    training: Training
    monitors: Monitors
    sweep: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _freeze({})
    )
    init: str = init_protocol.SAME
    role: str = ""
    tuning: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _freeze({})
    )

    def to_dict(self):
        """Canonical, JSON-ready content of the spec.

        ``task`` is the label, ``task_name`` the registered task; ``sweep``
        appears only for a swept task variant,
        ``role`` only for a tuning trial (``"tuning"``) and ``tuning`` (the
        grid and tuning seeds) only for an evaluation trial whose learning
        rate was tuned. ``init`` is the trial's initialisation scheme.
        """
        data = {
            "schema_version": schema.SCHEMA_VERSION,
            "suite": self.suite,
            "task": self.task,
            "task_name": self.task_name,
            "task_params": dict(self.task_params),
            "activation": self.activation,
            "activation_name": self.activation_name,
            "activation_params": dict(self.activation_params),
            "is_baseline": self.is_baseline,
            "seed": self.seed,
            "training": self.training.to_dict(),
            "monitors": self.monitors.to_dict(),
        }
        if self.sweep:
            data["sweep"] = dict(self.sweep)
        data["init"] = self.init
        if self.role:
            data["role"] = self.role
        if self.tuning:
            data["tuning"] = dict(self.tuning)
        return data

    @classmethod
    def from_dict(cls, data):
        """Inverse of ``to_dict`` (used to ship specs to worker processes)."""
        training = dict(data["training"])
        if training.get("early_stopping") is not None:
            training["early_stopping"] = EarlyStopping(
                **training["early_stopping"]
            )
        return cls(
            suite=data["suite"],
            task=data["task"],
            task_name=data["task_name"],
            task_params=_freeze(data["task_params"]),
            activation=data["activation"],
            activation_name=data["activation_name"],
            activation_params=_freeze(data["activation_params"]),
            is_baseline=data["is_baseline"],
            seed=data["seed"],
            training=Training(**training),
            monitors=Monitors(**data["monitors"]),
            sweep=_freeze(data.get("sweep", {})),
            init=data.get("init", init_protocol.SAME),
            role=data.get("role", ""),
            tuning=_freeze(data.get("tuning", {})),
        )

    def identity(self):
        """What the trial trains, and nothing else (the ``trial_id`` input).

        Task and params, activation and params, seed, training recipe,
        monitor settings and the record format. Not the suite name, the
        labels, the sweep or ``is_baseline``: renaming or re-labelling a
        suite, or changing its baseline, keeps every finished trial.

        The initialisation scheme (``init``) and the ``role`` of a tuning
        trial are added only when they are not ``"same"`` / empty, so the
        ids of suites with ``init = "same"`` are those from before the
        protocol. The suite's ``init`` protocol word is left out (two
        protocols giving one activation the same scheme train the same
        trial), and so is the tuning grid (the chosen rate is in
        ``training``).
        """
        training = self.training.to_dict()
        del training["init"]
        identity = {
            "schema_version": schema.SCHEMA_VERSION,
            "task": self.task_name,
            "task_params": dict(self.task_params),
            "activation": self.activation_name,
            "activation_params": dict(self.activation_params),
            "seed": self.seed,
            "training": training,
            "monitors": self.monitors.to_dict(),
        }
        if self.init != init_protocol.SAME:
            identity["init"] = self.init
        if self.role:
            identity["role"] = self.role
        return identity

    # Record fields that name a trial but do not change what it trains.
    NAMES = (
        "suite",
        "task",
        "task_name",
        "task_label",  # records written before task/task_name: removed
        "sweep",
        "activation",
        "is_baseline",
        "tuning",
    )

    def rename(self, record):
        """Gives a record of this trial the suite's current names.

        Sets (or removes) the ``NAMES`` fields of ``record`` in place, as
        ``to_dict`` has them; returns True if anything changed.
        """
        names = {k: v for k, v in self.to_dict().items() if k in self.NAMES}
        changed = False
        for key in self.NAMES:
            if record.get(key) != names.get(key):
                changed = True
                if key in names:
                    record[key] = names[key]
                else:
                    del record[key]
        return changed

    @property
    def trial_id(self):
        """First 16 hex digits of the SHA-256 of ``identity()`` as JSON."""
        text = json.dumps(
            self.identity(), sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def title(self):
        """``task/activation/seed``, used by filters and progress lines."""
        return f"{self.task}/{self.activation}/{self.seed}"


@dataclasses.dataclass(frozen=True)
class Suite:
    """A validated suite file."""

    version: int
    name: str
    seeds: tuple
    baseline: str
    training: Training
    tasks: tuple
    activations: tuple
    monitors: Monitors
    description: str = ""
    path: str | None = None
    text: str = ""
    resources: Resources = Resources()
    report: Report = dataclasses.field(default_factory=Report)
    mapping: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _freeze({}), compare=False, repr=False
    )
    tuning: Tuning | None = None

    @property
    def sha256(self):
        """SHA-256 of the suite's content (the mapping, keys sorted).

        Comments, blank lines and key order do not count, so editing a
        comment does not make a run folder "a different suite".
        """
        content = json.dumps(dict(self.mapping), sort_keys=True)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    def toml(self):
        """The suite as TOML: the file's own text when it was loaded from
        one, else written from ``mapping`` with ``tomli_w``."""
        if self.text:
            return self.text
        import tomli_w

        return tomli_w.dumps(dict(self.mapping))

    @property
    def files(self):
        """``{path: sha256}`` of the model and data files its tasks name."""
        out = {}
        for task in self.tasks:
            for key in ("model", "data"):
                sha = task.params.get(f"{key}_sha256")
                if sha:
                    out[task.params[key]] = sha
        return out

    def expand(self, learning_rates=None):
        """All evaluation trials, ordered by task, then seed, then
        activation.

        Args:
            learning_rates: for a suite with ``[tuning]``: ``{(task label,
                activation label): chosen rate}`` (``tuning.decide``); the
                trials of a pair not in it are left out (its rate is not
                chosen yet). Ignored without ``[tuning]``.
        """
        specs = []
        for task in self.tasks:
            for seed in self.seeds:
                for act in self.activations:
                    training = task.training or self.training
                    extra = {}
                    if self.tuning is not None:
                        rate = (learning_rates or {}).get(
                            (task.label, act.label)
                        )
                        if rate is None:
                            continue
                        training = dataclasses.replace(
                            training, learning_rate=rate
                        )
                        extra["tuning"] = _freeze(self.tuning.to_dict())
                    specs.append(self._spec(task, act, seed, training, **extra))
        return specs

    def expand_tuning(self):
        """The tuning trials (``[tuning]``; none without it): one per task,
        tuning seed, activation and grid value, in that order."""
        if self.tuning is None:
            return []
        specs = []
        for task in self.tasks:
            for seed in self.tuning.seeds:
                for act in self.activations:
                    for rate in self.tuning.learning_rate:
                        training = dataclasses.replace(
                            task.training or self.training, learning_rate=rate
                        )
                        specs.append(
                            self._spec(
                                task, act, seed, training, role=tuning.ROLE
                            )
                        )
        return specs

    def _spec(self, task, act, seed, training, **extra):
        return TrialSpec(
            suite=self.name,
            task=task.label,
            task_name=task.name,
            task_params=task.params,
            activation=act.label,
            activation_name=act.name,
            activation_params=act.params,
            is_baseline=act.label == self.baseline,
            seed=seed,
            training=training,
            monitors=self.monitors,
            sweep=task.sweep,
            init=act.init,
            **extra,
        )


# --------------------------------------------------------------- validation


class _Checker:
    """Builds error messages that name the file, key path and value."""

    def __init__(self, source, *, base_dir=None, flat=()):
        self.source = source
        self.base_dir = base_dir or os.getcwd()
        self.flat = flat

    def name(self, path):
        """``path`` as the user wrote it: ``training.epochs`` is ``epochs``
        for a table whose keys are keyword arguments (``flat``)."""
        for table in self.flat:
            if path == table:
                return ""
            if path.startswith(f"{table}."):
                return path[len(table) + 1 :]
        return path

    def fail(self, path, problem, value=dataclasses.MISSING):
        path = self.name(path)
        where = f" at `{path}`" if path else ""
        received = ""
        if value is not dataclasses.MISSING:
            received = f" Received: {path or 'value'}={value!r}"
        end = "" if problem.endswith("?") else "."
        raise ConfigError(f"{self.source}:{where} {problem}{end}{received}")

    def keys(self, table, path, required, optional):
        section = f"[{path}]" if path else "the top level"
        if path in self.flat:
            section, path = "the keyword arguments", ""
        allowed = list(required) + list(optional)
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise ConfigError(
                    f"{self.source}: unknown key {key!r} in {section}"
                    f"{hint} Allowed keys: {allowed}. Received: "
                    f"{_join(path, key)}={table[key]!r}"
                )
        for key in required:
            if key not in table:
                raise ConfigError(
                    f"{self.source}: missing required key {key!r} in "
                    f"{section}. Required keys: {list(required)}."
                )

    def once(self, seen, key, index, path, problem, value):
        """Records that entry ``index`` uses ``key`` (a label, or a name
        with its params); fails if an earlier entry did, with ``problem``
        naming that entry's index as ``{first}``."""
        if key in seen:
            self.fail(path, problem.format(first=seen[key]), value)
        seen[key] = index

    def table(self, value, path):
        if not isinstance(value, dict):
            self.fail(path, "must be a table", value)
        return value

    def entries(self, value, key):
        """``(i, path, table)`` of each table of the array ``[[key]]``,
        which must be non-empty."""
        if not isinstance(value, list) or not value:
            self.fail(
                key, f"must be a non-empty array of tables ([[{key}]])", value
            )
        for i, table in enumerate(value):
            path = f"{key}[{i}]"
            yield i, path, self.table(table, path)

    def string(self, value, path, *, nonempty=True):
        if not isinstance(value, str) or (nonempty and not value.strip()):
            self.fail(path, "must be a non-empty string", value)
        return value

    def boolean(self, value, path):
        if not isinstance(value, bool):
            self.fail(path, "must be true or false", value)
        return value

    def integer(self, value, path, *, low=None):
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, "must be an integer", value)
        if low is not None and value < low:
            self.fail(path, f"must be an integer >= {low}", value)
        return value

    def number(self, value, path, *, low=None, low_open=False):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            self.fail(path, "must be a finite number", value)
        if low is not None and (value <= low if low_open else value < low):
            op = ">" if low_open else ">="
            self.fail(path, f"must be a number {op} {low}", value)
        return float(value)

    def choice(self, value, path, choices):
        if value not in choices:
            hint = did_you_mean(value, choices)
            self.fail(path, f"must be one of {list(choices)}{hint}", value)
        return value


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def load(path):
    """Reads and validates a suite file.

    Args:
        path: path of a TOML suite file.

    Returns:
        A frozen ``Suite``.

    Raises:
        ConfigError: the file is missing, not TOML, or invalid; the message
            names the file, the key path and the value.
    """
    path = os.fspath(path)
    text = _read_text(path)
    return loads(text, source=path)


def read(path):
    """The content of a TOML suite file as a dict, not validated.

    For readers that need one table of a suite (the report's ``[report]``,
    ``plan``'s ``seeds``) without checking its tasks (which imports Keras).

    Raises:
        ConfigError: the file cannot be read or is not TOML.
    """
    path = os.fspath(path)
    return _parse(_read_text(path), path)


def _read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read suite file: {error}") from None


def _parse(text, source):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None


def loads(text, source="<string>"):
    """Validates suite TOML given as text; see ``load``."""
    path = None if source.startswith("<") else source
    suite = from_mapping(_parse(text, source), source=source, path=path)
    return dataclasses.replace(suite, text=text)


def from_mapping(data, source="<dict>", *, path=None, keywords=False):
    """Validates a suite given as a dict (the TOML file's content).

    Every caller builds suites this way: ``load``/``loads`` parse TOML into
    a dict with ``tomllib`` and call this; ``compare()`` and the evidence
    claims build the dict directly.

    Args:
        data: the suite as nested dicts and lists (TOML types: str, int,
            float, bool, lists, dicts).
        source: what error messages name: a file path, or e.g.
            ``"compare"``.
        path: the suite's file (``Suite.path``): relative model and data
            paths of user tasks are relative to its folder (else to the
            working directory). It need not exist yet.
        keywords: name ``[training]`` keys as keyword arguments in errors
            (``epochs`` rather than ``training.epochs``), for Python faces
            whose keyword arguments are that table's keys.

    Returns:
        A frozen ``Suite``; its ``mapping`` is a plain copy of ``data``.

    Raises:
        ConfigError: the suite is invalid; the message names the source,
            the key path and the value.
    """
    base_dir = os.path.dirname(os.path.abspath(path)) if path else None
    check = _Checker(
        source, base_dir=base_dir, flat=("training",) if keywords else ()
    )
    check.table(data, "")
    data = _plain(data)
    check.keys(
        data,
        "",
        required=("version", "name", "seeds", "training", "tasks"),
        optional=(
            "activations",
            "baseline",
            "monitors",
            "description",
            "resources",
            "report",
            "tuning",
        ),
    )
    version = check.integer(data["version"], "version")
    if version not in SUITE_VERSIONS:
        check.fail(
            "version",
            f"unsupported suite version; use {SUITE_VERSIONS}",
            version,
        )
    name = check.string(data["name"], "name")
    description = data.get("description", "")
    if not isinstance(description, str):
        check.fail("description", "must be a string", description)
    seeds = _seeds(check, data["seeds"])
    trainings = _training_sweep(check, data["training"])
    training = trainings[0][1]
    monitors = _monitors(check, data.get("monitors", False))
    tasks = _with_training_sweep(_tasks(check, data["tasks"]), trainings)
    resources = _resources(check, data.get("resources", {}))
    if "activations" not in data:
        check.fail(
            "",
            "missing required key 'activations' (a non-empty "
            "array of tables, [[activations]])",
        )
    activations = _activations(check, data["activations"], training.init)
    tuned = tuning.parse(check, data.get("tuning"), seeds, data["training"])
    labels = [a.label for a in activations]
    baseline = data.get("baseline", labels[0])
    check.string(baseline, "baseline")
    if baseline not in labels:
        check.choice(baseline, "baseline", labels)
    report = report_options(data.get("report", {}), source)
    return Suite(
        version=version,
        name=name,
        seeds=seeds,
        baseline=baseline,
        training=training,
        tasks=tasks,
        activations=activations,
        monitors=monitors,
        description=description,
        path=os.fspath(path) if path else None,
        mapping=_freeze(data),
        resources=resources,
        report=report,
        tuning=tuned,
    )


def report_options(table, source="<string>"):
    """Validates a suite's ``[report]`` table; no task or Keras import.

    The report reads ``suite.toml`` of a run folder through this, so it
    keeps working without Keras.

    Args:
        table: the parsed ``[report]`` table (a dict).
        source: file name for error messages.

    Returns:
        A ``Report``.

    Raises:
        ConfigError: unknown key, or a ``rope`` that is not a number > 0 or
            a table of them keyed by metric name.
    """
    check = _Checker(source)
    check.table(table, "report")
    check.keys(table, "report", required=(), optional=("rope",))
    rope = table.get("rope", {})
    if isinstance(rope, dict):
        out = {}
        for key, value in rope.items():
            out[key] = check.number(
                value, f"report.rope.{key}", low=0, low_open=True
            )
    else:
        out = {"*": check.number(rope, "report.rope", low=0, low_open=True)}
    return Report(rope=_freeze(out))


def _seeds(check, seeds):
    if not isinstance(seeds, list) or not seeds:
        check.fail("seeds", "must be a non-empty array of integers", seeds)
    for i, seed in enumerate(seeds):
        check.integer(seed, f"seeds[{i}]", low=0)
    dupes = sorted({s for s in seeds if seeds.count(s) > 1})
    if dupes:
        check.fail(
            "seeds", f"must not repeat a seed (repeated: {dupes})", seeds
        )
    return tuple(seeds)


def _training(check, table):
    check.table(table, "training")
    check.keys(
        table,
        "training",
        required=("epochs",),
        optional=(
            "batch_size",
            "optimizer",
            "learning_rate",
            "early_stopping",
            "jit_compile",
            "init",
        ),
    )
    epochs = check.integer(table["epochs"], "training.epochs", low=1)
    batch_size = check.integer(
        table.get("batch_size", 64), "training.batch_size", low=1
    )
    optimizer = check.string(
        table.get("optimizer", "adam"), "training.optimizer"
    )
    check.choice(optimizer.lower(), "training.optimizer", list(OPTIMIZERS))
    learning_rate = check.number(
        table.get("learning_rate", 1e-3),
        "training.learning_rate",
        low=0,
        low_open=True,
    )
    early = table.get("early_stopping", False)
    if early is False:
        early_stopping = None
    elif isinstance(early, dict):
        path = "training.early_stopping"
        check.keys(early, path, required=("patience",), optional=("min_delta",))
        early_stopping = EarlyStopping(
            patience=check.integer(
                early["patience"], f"{path}.patience", low=1
            ),
            min_delta=check.number(
                early.get("min_delta", 0.0), f"{path}.min_delta", low=0
            ),
        )
    else:
        check.fail(
            "training.early_stopping",
            "must be false or a table {patience = N, min_delta = x}",
            early,
        )
    jit = check.boolean(table.get("jit_compile", False), "training.jit_compile")
    init = table.get("init", init_protocol.RECOMMENDED_PROTOCOL)
    check.string(init, "training.init")
    check.choice(init, "training.init", init_protocol.PROTOCOLS)
    return Training(
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer.lower(),
        learning_rate=learning_rate,
        early_stopping=early_stopping,
        jit_compile=jit,
        init=init,
    )


def _resources(check, table):
    """``[resources]``: CPUs and GPUs per trial, memory of a population
    program (see ``resources.py``)."""
    check.table(table, "resources")
    check.keys(
        table, "resources", required=(), optional=("cpus", "gpus", "memory")
    )
    cpus = check.number(
        table.get("cpus", 1), "resources.cpus", low=0, low_open=True
    )
    gpus = check.number(table.get("gpus", 0), "resources.gpus", low=0)
    memory = table.get("memory")
    if memory is not None:
        try:
            memory = check_memory(memory, "resources.memory")
        except ValueError:
            check.fail(
                "resources.memory",
                'must be bytes > 0 or a string such as "4GB"',
                memory,
            )
    return Resources(
        cpus=int(cpus) if cpus.is_integer() else cpus,
        gpus=int(gpus) if gpus.is_integer() else gpus,
        memory=memory,
    )


def _monitors(check, value):
    if isinstance(value, bool):
        monitors = Monitors(dead_units=value, gradient_flow=value)
    else:
        check.table(value, "monitors")
        check.keys(
            value,
            "monitors",
            required=(),
            optional=(
                "enabled",
                "dead_units",
                "gradient_flow",
                "every_n_epochs",
                "max_samples",
                "saturation_eps",
                "revive",
            ),
        )
        enabled = check.boolean(value.get("enabled", True), "monitors.enabled")
        monitors = Monitors(
            dead_units=enabled
            and check.boolean(
                value.get("dead_units", True), "monitors.dead_units"
            ),
            gradient_flow=enabled
            and check.boolean(
                value.get("gradient_flow", True), "monitors.gradient_flow"
            ),
            every_n_epochs=check.integer(
                value.get("every_n_epochs", 1),
                "monitors.every_n_epochs",
                low=1,
            ),
            max_samples=check.integer(
                value.get("max_samples", 512), "monitors.max_samples", low=1
            ),
            saturation_eps=check.number(
                value.get("saturation_eps", 0.01),
                "monitors.saturation_eps",
                low=0,
                low_open=True,
            ),
            revive=check.boolean(value.get("revive", False), "monitors.revive"),
        )
    return monitors


def _tasks(check, tasks):
    from reluplug.bench.tasks import registry
    from reluplug.bench.tasks import user

    out = []
    seen = {}
    labels = {}
    for i, path, table in check.entries(tasks, "tasks"):
        if _is_user_task(table):
            out.append(_user_task(check, table, path))
            continue
        check.keys(
            table, path, required=("name",), optional=("params", "label")
        )
        name = check.string(table["name"], f"{path}.name")
        if not user.is_import_path(name):  # else a Task named by import path
            check.choice(name, f"{path}.name", registry.names())
        task = registry.get(name)
        params = check.table(table.get("params", {}), f"{path}.params")
        choices = {}
        for key, param in task.params.items():
            where = f"{path}.params.{key}"
            value = params.get(key, param.default)
            if isinstance(value, list):
                choices[key] = _sweep_values(check, value, where, param)
            else:
                choices[key] = [param.check(check, value, where)]
        for key in params:
            if key not in task.params:
                allowed = list(task.params)
                hint = did_you_mean(key, allowed)
                check.fail(
                    f"{path}.params.{key}",
                    f"task {name!r} has no parameter {key!r}{hint} "
                    f"(parameters: {allowed})",
                    params[key],
                )
        base = check.string(table.get("label", name), f"{path}.label")
        check.once(
            labels,
            base,
            i,
            f"{path}.label",
            "duplicate task label (also used by tasks[{first}]); a task "
            "listed twice needs a unique `label` for each entry",
            base,
        )
        swept = [
            k for k, v in choices.items() if isinstance(params.get(k), list)
        ]
        for values in itertools.product(*choices.values()):
            resolved = dict(zip(choices, values))
            check.once(
                seen,
                (name, json.dumps(resolved, sort_keys=True)),
                i,
                path,
                "duplicate task (same name and params as tasks[{first}])",
                name,
            )
            sweep = {k: resolved[k] for k in swept}
            params = {  # an implicit parameter at its default is left out
                k: v
                for k, v in resolved.items()
                if not (task.params[k].implicit and v == task.params[k].default)
            }
            out.append(
                TaskConfig(
                    name=name,
                    params=_freeze(params),
                    label=sweep_label(base, sweep),
                    sweep=_freeze(sweep),
                )
            )
    labels = [task.label for task in out]
    for task in out:
        if labels.count(task.label) > 1:  # e.g. a user task's default label
            check.fail(
                "tasks",
                f"two tasks have the label {task.label!r}; give each a "
                "unique `label`",
                task.label,
            )
    return tuple(out)


def sweep_label(name, sweep):
    """``name[key=value,...]`` for a swept variant; ``name`` if no sweep."""
    if not sweep:
        return name
    parts = ",".join(
        f"{k}={format(v, 'g') if isinstance(v, float) else v}"
        for k, v in sweep.items()
    )
    return f"{name}[{parts}]"


def _sweep_values(check, values, path, param=None):
    """Validates the values of a sweep (a non-empty list, no repeats)."""
    if not values:
        check.fail(
            path,
            "must be a value or a non-empty array of values (a sweep)",
            values,
        )
    out = []
    for j, value in enumerate(values):
        if param is not None:
            value = param.check(check, value, f"{path}[{j}]")
        if value in out:
            check.fail(
                path, f"must not repeat a swept value ({value!r})", values
            )
        out.append(value)
    return out


def _training_sweep(check, table):
    """``[(sweep, Training), ...]``: one per combination of swept values.

    Lists are allowed for the keys in ``TRAINING_SWEEPS``; without any the
    result is ``[({}, training)]``.
    """
    check.table(table, "training")
    swept = {
        k: _sweep_values(check, v, f"training.{k}")
        for k, v in table.items()
        if k in TRAINING_SWEEPS and isinstance(v, list)
    }
    out = []
    for values in itertools.product(*swept.values()):
        sweep = dict(zip(swept, values))
        out.append((sweep, _training(check, {**table, **sweep})))
    return out


def _with_training_sweep(tasks, trainings):
    """Each task once per swept training recipe (unchanged without one)."""
    if len(trainings) == 1 and not trainings[0][0]:
        return tasks
    out = []
    for task in tasks:
        # The entry's own label, without the suffix of its params' sweep.
        base = task.label.removesuffix(
            sweep_label("", task.sweep) if task.sweep else ""
        )
        for sweep, training in trainings:
            merged = {**task.sweep, **sweep}
            out.append(
                dataclasses.replace(
                    task,
                    label=sweep_label(base, merged),
                    sweep=_freeze(merged),
                    training=training,
                )
            )
    return tuple(out)


def _is_user_task(table):
    """True for a ``[[tasks]]`` entry naming the user's model and data (not
    a registered ``Task`` or one named by import path)."""
    from reluplug.bench.tasks import base
    from reluplug.bench.tasks import user

    if "model" in table or "data" in table:
        return True
    name = table.get("name")
    if not (isinstance(name, str) and user.is_import_path(name)):
        return False
    try:
        return not isinstance(user.import_object(name), base.Task)
    except ValueError:
        return True  # _user_task reports the import error


def _user_task(check, table, path):
    """A ``[[tasks]]`` entry naming the user's model and data.

    Either ``name = "package.module:object"`` (a ``Task``, or an object with
    ``build(act)`` and ``load()``) or ``model`` (a ``.keras`` file or
    ``"package.module:build"``) with ``data`` (a ``.npz`` file or
    ``"package.module:load"``); relative paths are relative to the suite
    file. Files are checked and hashed (SHA-256) here, before any training.
    """
    from reluplug.bench.tasks import user

    keys = ("label", "params", "problem")
    if "name" in table:
        check.keys(table, path, required=("name",), optional=keys)
        name = check.string(table["name"], f"{path}.name")
        try:
            obj = user.import_object(name)
        except ValueError as error:
            check.fail(f"{path}.name", str(error).rstrip("."), name)
        if not (
            callable(getattr(obj, "build", None))
            and callable(getattr(obj, "load", None))
        ):
            check.fail(
                f"{path}.name",
                "must name a reluplug.bench.tasks.Task, or an object with "
                "build(act) -> keras.Model and load() -> (x, y) methods",
                name,
            )
        model, data = f"{name}.build", f"{name}.load"
    else:
        check.keys(table, path, required=("model", "data"), optional=keys)
        model = check.string(table["model"], f"{path}.model")
        data = check.string(table["data"], f"{path}.data")
    base_dir = check.base_dir
    refs = {}
    for key, ref, suffix in (
        ("model", model, ".keras"),
        ("data", data, ".npz"),
    ):
        ref = user.resolve_path(ref, base_dir)
        refs[key] = ref
        refs[f"{key}_sha256"] = ""
        if user.is_import_path(ref):
            continue
        if not ref.endswith(suffix) or not os.path.isfile(ref):
            problem = (
                "no such file"
                if ref.endswith(suffix)
                else (f"must be a {suffix} file or 'package.module:object'")
            )
            check.fail(
                f"{path}.{key}", f"{problem} ({ref})", table.get(key, ref)
            )
        refs[f"{key}_sha256"] = user.file_sha256(ref)
    given = check.table(table.get("params", {}), f"{path}.params")
    problem = table.get("problem")
    if problem is not None:
        check.choice(problem, f"{path}.problem", user.PROBLEMS)
    params = {}
    for key in ("val_fraction", "test_fraction"):
        param = user.CLASSIFICATION.params[key]
        value = given.get(key, param.default)
        params[key] = param.check(check, value, f"{path}.params.{key}")
    for key in given:
        if key not in params:
            check.fail(
                f"{path}.params.{key}",
                "a task naming your model and data has the parameters "
                f"{list(params)} (the others come from `model`, `data` and "
                "`problem`)",
                given[key],
            )
    try:
        arrays = user.read_arrays(refs["data"], refs["data_sha256"])
    except ValueError as error:
        check.fail(f"{path}.data", str(error).rstrip("."), data)
    try:
        model_obj, created = user.probe_model(
            refs["model"], refs["model_sha256"]
        )
        problem = user.check_fit(
            model_obj,
            created,
            arrays,
            problem,
            params["val_fraction"],
            params["test_fraction"],
        )
    except ValueError as error:
        check.fail(path, str(error).rstrip("."), {"model": model, "data": data})
    params.update(refs, problem=problem)
    task = user.task_for(problem)
    default = table.get("name") or model
    if user.is_import_path(default):
        default = default.partition(":")[2]
    else:
        default = os.path.splitext(os.path.basename(default))[0]
    label = check.string(table.get("label", default), f"{path}.label")
    return TaskConfig(name=task.name, params=_freeze(params), label=label)


def _activations(check, activations, init):
    """``[[activations]]``, each with its scheme under the protocol
    ``init`` (``init_protocol.resolve``: by name, else by the layer's
    ``negative_side``)."""
    import reluplug
    from reluplug.registry import snake_case

    out = []
    labels = {}
    seen = {}
    for i, path, table in check.entries(activations, "activations"):
        check.keys(
            table, path, required=("name",), optional=("params", "label")
        )
        name = check.string(table["name"], f"{path}.name")
        params = check.table(table.get("params", {}), f"{path}.params")
        try:
            layer = reluplug.get(name, **params)
        except Exception as error:  # any constructor error is a config error
            problem = str(error).rstrip(".")
            value = name if not params else {"name": name, "params": params}
            check.fail(path, f"not a usable activation: {problem}", value)
        label = check.string(table.get("label", name), f"{path}.label")
        check.once(
            labels,
            label,
            i,
            f"{path}.label",
            "duplicate activation label (also used by activations[{first}]); "
            "give each a unique `label`",
            label,
        )
        check.once(
            seen,
            (name, json.dumps(params, sort_keys=True)),
            i,
            path,
            "duplicate activation (same name and params as "
            "activations[{first}]: it would train the same trials)",
            name,
        )
        scheme = init_protocol.resolve(
            init,
            [name, snake_case(type(layer).__name__)],
            getattr(layer, "negative_side", None),
        )
        out.append(
            ActivationConfig(
                label=label, name=name, params=_freeze(params), init=scheme
            )
        )
    return tuple(out)
