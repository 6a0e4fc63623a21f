"""``compare()``: the benchmark runner as a Python function.

``compare(model_or_builder, data, activations, seeds=..., out=..., epochs=...)``
checks everything, writes the user's model (``.keras``) and data (``.npz``)
into ``out/inputs/`` and a suite naming them into ``out/suite.toml``, then
runs that suite like ``reluplug-bench run`` does: the same run folder,
resumable, on every executor (worker processes load the model and data from
the files). Calling it again with the same arguments resumes; the run folder
can also be resumed or reported from the command line.
"""

import contextlib
import hashlib
import json
import os
import shutil
import warnings

import keras
import numpy as np

from reluplug.bench.engine import progress
from reluplug.bench.suite import config
from reluplug.bench.tasks import user

_OWNER = "compare"
_INPUTS = "inputs"
# compare()'s monitors=None: dead/inactive units (no measurable cost on a
# small MLP, 4 trials x 5 epochs), no gradient flow (+15-25% there).
DEFAULT_MONITORS = {"dead_units": True, "gradient_flow": False}


def compare(
    model_or_builder,
    data,
    activations,
    *,
    seeds,
    out,
    epochs,
    batch_size=64,
    optimizer="adam",
    learning_rate=1e-3,
    early_stopping=False,
    jit_compile=False,
    init="recommended",
    tuning=None,
    monitors=None,
    problem=None,
    val_fraction=0.2,
    test_fraction=0.2,
    baseline=None,
    label=None,
    executor="sequential",
    workers=None,
    engine="fit",
    overwrite=False,
    verbose=False,
    until_decided=False,
    max_seeds=None,
    seed_batch=None,
):
    """Trains ``model_or_builder`` once per activation and seed; compares.

    For each seed, every activation gets the same data split and order and
    the same initial weights in every layer that is not an activation
    (re-drawn from seeded initializers, checked with a SHA-256), and is
    judged on the test split at the epoch chosen on validation.

    Example:
        >>> result = reluplug.bench.compare(  # doctest: +SKIP
        ...     model, (x, y), ["relu", "prelu", "elu"],
        ...     seeds=[0, 1, 2], out="runs/mine", epochs=10)
        >>> result.summary[["activation", "mean", "ci_low", "ci_high"]]

    Args:
        model_or_builder: a functional or ``Sequential`` ``keras.Model``
            (its activation sites are swapped as ``swap_activations`` does;
            the read-out is kept), or a callable ``build(act) -> keras.Model``
            that calls ``act()`` for a fresh activation layer at each site.
            A builder must be importable (defined at module level) for the
            ``processes``/``ray`` executors.
        data: ``(x, y)``, split by seed into train/validation/test, or a
            dict with ``x_train``, ``y_train`` and optionally ``x_val``,
            ``y_val``, ``x_test``, ``y_test`` (a missing split is split off
            the training data).
        activations: list of activation names (anything ``reluplug.get``
            accepts as a string), or dicts ``{"name", "params", "label"}``
            like a suite's ``[[activations]]``.
        seeds: list of distinct non-negative integers.
        out: the run folder (created; resumed if it holds this comparison).
        epochs, batch_size, optimizer, learning_rate, early_stopping,
            jit_compile, init: the training recipe, as a suite's
            ``[training]`` table (``early_stopping``: False or
            ``{"patience": n, "min_delta": x}``; ``init``:
            ``"recommended"`` (each activation its paper's scheme),
            ``"same"`` or an initializer name, see
            ``reluplug.bench.suite.init_protocol``).
        tuning: None, or a suite's ``[tuning]`` table as a dict:
            ``{"learning_rate": [3e-4, 1e-3, 3e-3], "seeds": [1000, 1001]}``
            chooses the learning rate per activation on the validation
            split of the tuning seeds (then leave ``learning_rate`` at its
            default; it is not used).
        monitors: as a suite's ``monitors`` (False, True or a dict);
            None (the default) records dead and inactive units, which
            costs little, and leaves the gradient-flow monitor off.
        problem: ``"classification"`` (softmax output, integer or
            one-hot labels, sparse cross-entropy, accuracy) or
            ``"regression"`` (MSE); defaults to classification for integer
            or one-hot labels.
        val_fraction, test_fraction: split fractions, in (0, 0.5).
        baseline: label of the baseline activation; defaults to the first.
        label: name of the task in the tables; defaults to the model's name.
        executor: ``"sequential"``, ``"processes"`` or ``"ray"``.
        workers: processes/CPUs for the parallel executors.
        engine: ``"fit"`` (one ``model.fit`` per trial) or
            ``"population"`` (every seed of an activation in one vmapped
            JAX program, in a JAX worker process unless the backend is
            JAX already). Defaults to ``"fit"``. A model whose class
            overrides ``train_step``, ``test_step``, ``compute_loss`` or
            ``compute_metrics`` needs ``"fit"``.
        overwrite: delete a previous run in ``out`` first.
        verbose: print one line per finished trial.
        until_decided: after ``seeds``, add seeds in batches only to the
            comparisons with the baseline that are still undecided, until
            each is better / worse / equivalent or ``max_seeds`` is reached
            (group-sequential tests, ``report.stats.sequential``).
        max_seeds: with ``until_decided``, the most seeds per comparison;
            defaults to 4 x ``len(seeds)``.
        seed_batch: with ``until_decided``, seeds added per look; defaults
            to ``len(seeds)``.

    Returns:
        A ``CompareResult``.

    Raises:
        ValueError: bad input (data that does not fit the model or the
            loss, no activation site, an unknown activation, a bad training
            knob, a model the population engine cannot train), before
            any training; ``RunFolderError`` (a
            ``ValueError``) when ``out`` holds something else.
    """
    from reluplug.bench.engine import jobs
    from reluplug.bench.engine import run
    from reluplug.bench.store import RunFolderError

    if not until_decided and (max_seeds is not None or seed_batch is not None):
        raise ValueError(
            "`max_seeds` and `seed_batch` need until_decided=True. "
            f"Received: max_seeds={max_seeds!r}, seed_batch={seed_batch!r}"
        )

    jobs.check_engine(engine)

    out = os.path.abspath(os.fspath(out))
    acts = _activation_tables(activations)
    if len(acts) == 1:
        warnings.warn(
            f"{_OWNER}: one activation ({acts[0]['name']!r}): nothing to "
            "compare it with, so the summary has no paired comparison. Pass "
            "two or more, e.g. activations=['relu', 'elu'].",
            UserWarning,
            stacklevel=2,
        )
    arrays = _data_arrays(data)
    model_ref, model, created = _model(model_or_builder, executor, engine)
    try:
        problem = user.check_fit(
            model, created, arrays, problem, val_fraction, test_fraction
        )
    except ValueError as error:
        raise ValueError(f"{_OWNER}: {error}") from None
    if engine == "population":
        from reluplug.bench.engine import population

        try:
            population.check_steps(
                model,
                config.ConfigError,
                f" Received: model_or_builder={model_or_builder!r}, "
                "engine='population'",
            )
        except config.ConfigError as error:
            raise config.ConfigError(f"{_OWNER}: {error}") from None
    label = label or getattr(model_or_builder, "name", None) or model.name
    training = {
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "early_stopping": early_stopping or False,
        "jit_compile": jit_compile,
        "init": init,
    }
    if tuning is not None and learning_rate == 1e-3:
        del training["learning_rate"]  # the default: tuning chooses it
    if not isinstance(seeds, list | tuple) or not seeds:
        raise config.ConfigError(
            f"{_OWNER}: `seeds` must be a non-empty list of distinct "
            "non-negative integers, e.g. seeds=[0] for one seed or "
            f"seeds=[0, 1, 2]. Received: seeds={seeds!r}"
        )
    if isinstance(seeds, tuple):
        seeds = list(seeds)
    mapping = {
        "version": 1,
        "name": "compare",
        "description": "Written by reluplug.bench.compare(); paths are "
        "relative to this folder.",
        "seeds": seeds,
        "monitors": DEFAULT_MONITORS if monitors is None else monitors,
        "training": training,
        "tasks": [
            {
                "label": str(label),
                "model": None,  # filled in once the inputs are written
                "data": None,
                "problem": problem,
                "params": {
                    "val_fraction": float(val_fraction),
                    "test_fraction": float(test_fraction),
                },
            }
        ],
        "activations": acts,
    }
    if baseline is not None:
        mapping["baseline"] = baseline
    if tuning is not None:
        mapping["tuning"] = tuning
    _prepare_folder(out, overwrite, RunFolderError)
    fresh = not os.path.exists(os.path.join(out, _INPUTS))
    refs = _write_inputs(out, model_ref, model_or_builder, arrays)
    mapping["tasks"][0].update(model=refs["model"], data=refs["data"])
    try:
        suite = config.from_mapping(
            mapping,
            source=_OWNER,
            path=os.path.join(out, "suite.toml"),
            keywords=True,
        )
    except config.ConfigError:
        if fresh:  # leave no trace of a call that was refused
            shutil.rmtree(os.path.join(out, _INPUTS), ignore_errors=True)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(out, "trials"))
                os.rmdir(out)
        raise
    reporter = progress.PrintReporter() if verbose else None
    kwargs = {
        "executor": executor,
        "workers": workers,
        "reporter": reporter,
        "engine": engine,
    }
    if until_decided:
        from reluplug.bench.engine import until_decided as sequential

        sequential.run_until_decided(
            suite, out, max_seeds=max_seeds, batch=seed_batch, **kwargs
        )
    else:
        run.run_suite(suite, out, **kwargs)
    return CompareResult(out)


# ----------------------------------------------------------------- checks


def _activation_tables(activations):
    import reluplug

    if isinstance(activations, str) or not isinstance(
        activations, list | tuple
    ):
        raise ValueError(
            f"{_OWNER}: `activations` must be a non-empty list of names or "
            f"{{'name', 'params', 'label'}} dicts. Received: "
            f"activations={activations!r}"
        )
    if not activations:
        raise ValueError(
            f"{_OWNER}: `activations` must not be empty. Received: "
            "activations=[]"
        )
    tables = []
    for i, act in enumerate(activations):
        table = {"name": act} if isinstance(act, str) else act
        if not isinstance(table, dict) or not isinstance(
            table.get("name"), str
        ):
            raise ValueError(
                f"{_OWNER}: activations[{i}] must be a name (str) or a dict "
                "with a 'name' str and optional 'params' and 'label'. "
                f"Received: {act!r}"
            )
        try:
            reluplug.get(table["name"], **dict(table.get("params", {})))
        except Exception as error:  # any constructor error is bad input
            raise ValueError(
                f"{_OWNER}: activations[{i}] is not a usable activation: "
                f"{error}"
            ) from None
        tables.append(dict(table))
    return tables


def _data_arrays(data):
    if isinstance(data, tuple | list) and len(data) == 2:
        arrays = {"x": data[0], "y": data[1]}
    elif isinstance(data, dict):
        arrays = dict(data)
    else:
        raise ValueError(
            f"{_OWNER}: `data` must be (x, y) or a dict with keys "
            f"{list(user.DATA_KEYS)}. Received: {type(data).__name__}"
        )
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    try:
        return user.check_arrays(arrays, "data")
    except ValueError as error:
        raise ValueError(f"{_OWNER}: {error}") from None


def _model(model_or_builder, executor, engine="fit"):
    """``(model ref or None, probe model, activation layers)``."""
    import reluplug
    from reluplug import swap

    created = []

    def act():
        layer = reluplug.get("relu")
        created.append(layer)
        return layer

    if isinstance(model_or_builder, keras.Model):
        try:
            model = swap.swap_with(model_or_builder, lambda name: act())
        except ValueError as error:
            raise ValueError(f"{_OWNER}: {error}") from None
        return None, model, created
    if not callable(model_or_builder):
        raise ValueError(
            f"{_OWNER}: `model_or_builder` must be a keras.Model or a "
            "callable build(act) -> keras.Model. Received: "
            f"{type(model_or_builder).__name__}"
        )
    ref = _import_path(model_or_builder)
    if ref is None:
        backend = keras.backend.backend()
        if engine == "population" and backend != "jax":
            raise ValueError(
                f"{_OWNER}: engine='population' builds the model in a JAX "
                f"worker process (the backend here is {backend!r}), which "
                f"cannot import the builder {model_or_builder!r} (defined "
                "in __main__, a notebook, a function body or a lambda). "
                "Define it at module level in an importable module, pass a "
                "keras.Model instead, or use engine='fit'."
            )
        if executor != "sequential":
            raise ValueError(
                f"{_OWNER}: executor={executor!r} builds the model in worker "
                f"processes, which cannot import the builder "
                f"{model_or_builder!r} (defined in __main__, a notebook, a "
                "function body or a lambda). Define it at module level in "
                "an importable module, pass a keras.Model instead (it is "
                "saved as .keras into the run folder), or use "
                "executor='sequential'."
            )
        ref = _register_inline(model_or_builder)
    model = model_or_builder(act)
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"{_OWNER}: the builder must return a keras.Model. Received: "
            f"{type(model).__name__}"
        )
    return ref, model, created


def _import_path(fn):
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return None
    ref = f"{module}:{qualname}"
    try:
        found = user.import_object(ref)
    except ValueError:
        return None
    return ref if found is fn else None


def _register_inline(fn):
    """Names a builder this process alone can import (sequential runs)."""
    key = "".join(
        c if c.isalnum() else "_" for c in f"{fn.__module__}_{fn.__qualname__}"
    )
    setattr(user.INLINE, key, fn)
    return f"reluplug.bench.tasks.user:INLINE.{key}"


# ----------------------------------------------------------- run folder


def _prepare_folder(out, overwrite, error_class):
    looks_like_run = os.path.exists(
        os.path.join(out, "manifest.json")
    ) or os.path.isdir(os.path.join(out, "trials"))
    if os.path.exists(out) and not os.path.isdir(out):
        raise error_class(f"{_OWNER}: out={out!r} exists and is not a folder.")
    if os.path.isdir(out) and os.listdir(out) and not looks_like_run:
        raise error_class(
            f"{_OWNER}: out={out!r} is not empty and is not a run folder; "
            "choose another folder."
        )
    if overwrite and looks_like_run:
        shutil.rmtree(out)


def _write_inputs(out, model_ref, model, arrays):
    """Writes model and data files into ``out/inputs`` (kept if unchanged).

    Returns:
        ``{"model": ref, "data": ref}`` relative to ``out`` for files.

    Raises:
        RunFolderError: ``out`` holds a comparison of another model/data.
    """
    from reluplug.bench.store import RunFolderError
    from reluplug.bench.store import atomic_write

    folder = os.path.join(out, _INPUTS)
    record_path = os.path.join(folder, "inputs.json")
    content = {"data": _arrays_sha256(arrays)}
    if model_ref is None:
        content["model"] = _architecture_sha256(model)
    else:
        content["model"] = model_ref
    try:
        with open(record_path, encoding="utf-8") as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        recorded = None
    if recorded is not None and recorded != content:
        changed = [
            k for k in ("model", "data") if recorded.get(k) != content[k]
        ]
        raise RunFolderError(
            f"{_OWNER}: out={out!r} holds a comparison of another "
            f"{' and '.join(changed)} (this call's {' and '.join(changed)} "
            "differ from the ones its trials trained on). Pass "
            "overwrite=True to start again, or choose another out."
        )
    refs = {
        "model": model_ref or f"{_INPUTS}/model.keras",
        "data": f"{_INPUTS}/data.npz",
    }
    if recorded is None:
        os.makedirs(folder, exist_ok=True)
        os.makedirs(os.path.join(out, "trials"), exist_ok=True)
        if model_ref is None:
            tmp = os.path.join(folder, ".model.tmp.keras")
            model.save(tmp)
            os.replace(tmp, os.path.join(folder, "model.keras"))
        tmp = os.path.join(folder, ".data.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, os.path.join(folder, "data.npz"))
        atomic_write(record_path, json.dumps(content, indent=1))
    return refs


def _arrays_sha256(arrays):
    digest = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _architecture_sha256(model):
    """SHA-256 of the layer classes and their configs, names left out (the
    weights do not count: every trial re-draws them from seeded
    initializers)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "name"}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    parts = []

    def walk(m):
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                walk(layer)
            else:
                parts.append([type(layer).__name__, strip(layer.get_config())])

    walk(model)
    parts.append([list(t.shape) for t in model.inputs])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------- result


class CompareResult:
    """The results of ``compare``: tidy DataFrames and a report.

    Attributes:
        run_dir: the run folder.
    """

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self._data = None
        self._summary = None

    def _load(self):
        if self._data is None:
            from reluplug.bench.report import frames

            self._data = frames.load_run(self.run_dir)
        return self._data

    @property
    def runs(self):
        """One row per trial (the columns of ``runs.csv``; integer seeds)."""
        from reluplug.bench.report import views

        return views.integer_seeds(self._load().runs)

    @property
    def history(self):
        """One row per trial and epoch (the columns of ``history.csv``)."""
        from reluplug.bench.report import views

        return views.integer_seeds(self._load().history)

    @property
    def summary(self):
        """One row per activation, the baseline first: verdict and paired
        difference with the baseline, mean test metric with its interval,
        then every other column of ``summary.csv``."""
        if self._summary is None:
            from reluplug.bench.report import stats
            from reluplug.bench.report import views

            data = self._load()
            self._summary = views.reading_order(
                stats.summarize(
                    data.runs,
                    data.history,
                    conflicts=data.init_conflicts,
                    sequential=data.sequential,
                )
            )
        return self._summary

    def report(self, path=None):
        """Writes the full report (HTML, Markdown, CSV, figures).

        Args:
            path: where to put ``report.html`` as well; the report is always
                written into the run folder.

        Returns:
            Path of ``report.html``.
        """
        from reluplug.bench.report import write_report

        written = write_report(self.run_dir)
        html = str(written["report.html"])
        if path is not None:
            path = os.fspath(path)
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            shutil.copyfile(html, path)
            return path
        return html

    def _repr_html_(self):
        from reluplug.bench.report import html

        return html.notebook(self.run_dir, self.runs, self.summary)

    def __repr__(self):
        return (
            f"CompareResult(run_dir={self.run_dir!r}, trials={len(self.runs)})"
        )
