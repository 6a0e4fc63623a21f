"""What the population engine cannot train is refused before training.

A user's model whose class overrides a step of ``keras.Model`` is refused
by the driver (``population.check_specs`` in ``jobs.make_jobs``, and
``compare()`` up front) with a message naming the fit engine; no trial is
trained or written. The builders and data below are module-level so that
a suite can name them (``test_population_refusals:build_stepped``).
"""

import os
import textwrap

import keras
import numpy as np
import pytest

from reluplug.bench import cli
from reluplug.bench import compare
from reluplug.bench.engine import jobs
from reluplug.bench.engine import population
from reluplug.bench.suite import config
from reluplug.bench.tasks import user

STEPS = ("train_step", "test_step", "compute_loss", "compute_metrics")


def _override(name):
    """A ``keras.Model`` subclass overriding step ``name`` (calling up)."""

    def step(self, *args, **kwargs):
        return getattr(keras.Model, name)(self, *args, **kwargs)

    return type(f"Custom_{name}", (keras.Model,), {name: step})


class SteppedModel(keras.Model):
    """A functional model of its own class with a custom ``train_step``."""

    def train_step(self, data):
        return super().train_step(data)


def _layers(act):
    inputs = keras.Input((4,))
    h = act()(keras.layers.Dense(3)(inputs))
    outputs = keras.layers.Dense(2, activation="softmax")(h)
    return inputs, outputs


def build_stepped(act):
    """A builder whose model overrides ``train_step``."""
    return SteppedModel(*_layers(act), name="stepped")


def build_plain(act):
    """A builder of a plain functional model."""
    return keras.Model(*_layers(act), name="plain")


def data():
    """60 examples, 4 features, two classes (fixed)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _suite(folder, builder):
    path = os.path.join(folder, "suite.toml")
    with open(path, "w") as f:
        f.write(
            textwrap.dedent(
                f"""\
                version = 1
                name = "refusal"
                seeds = [0, 1]

                [training]
                epochs = 1
                batch_size = 16

                [[tasks]]
                model = "test_population_refusals:{builder}"
                data = "test_population_refusals:data"

                [[activations]]
                name = "relu"

                [[activations]]
                name = "elu"
                """
            )
        )
    return path


def _trial_records(out):
    folder = os.path.join(out, "trials")
    if not os.path.isdir(folder):
        return []
    return [name for name in os.listdir(folder) if name.endswith(".json")]


@pytest.mark.parametrize("name", STEPS)
def test_each_overridden_step_is_refused_naming_the_fit_engine(name):
    inputs, outputs = _layers(keras.layers.ReLU)
    model = _override(name)(inputs, outputs, name="mine")
    with pytest.raises(population.PopulationError) as info:
        population.check_steps(model)
    text = str(info.value)
    assert f"Model 'mine' overrides `{name}`" in text
    assert "`--engine fit`" in text and "`engine='fit'`" in text
    with pytest.raises(config.ConfigError, match="Received: x=1"):
        population.check_steps(model, config.ConfigError, " Received: x=1")


def test_a_plain_model_passes_the_step_check():
    model = build_plain(keras.layers.ReLU)
    assert population.check_steps(model) is None


def test_jobs_refuse_a_user_model_with_its_own_train_step(tmp_path):
    specs = config.load(_suite(str(tmp_path), "build_stepped")).expand()
    with pytest.raises(config.ConfigError) as info:
        jobs.make_jobs(specs, "population")
    text = str(info.value)
    assert "overrides `train_step`" in text
    assert "`--engine fit`" in text
    assert "model='test_population_refusals:build_stepped'" in text
    assert "engine='population'" in text
    assert len(jobs.make_jobs(specs, "fit")) == len(specs) == 4


def test_the_driver_probes_each_user_model_once(tmp_path, monkeypatch):
    specs = config.load(_suite(str(tmp_path), "build_plain")).expand()
    probed = []
    probe = user.probe_model

    def counting(ref, sha256=""):
        probed.append(ref)
        return probe(ref, sha256)

    monkeypatch.setattr(user, "probe_model", counting)
    cells = jobs.make_jobs(specs, "population")
    assert len(cells) == 2  # relu and elu, two seeds each
    assert probed == ["test_population_refusals:build_plain"]


def test_built_in_tasks_are_not_built_by_the_driver(monkeypatch):
    from runner_fixtures import TINY

    def refuse(*args, **kwargs):
        raise AssertionError("a built-in task was probed")

    monkeypatch.setattr(user, "probe_model", refuse)
    monkeypatch.setattr(user, "raw_model", refuse)
    assert len(jobs.make_jobs(config.loads(TINY).expand(), "population")) == 2


def test_the_cli_refuses_before_any_trial_is_written(tmp_path, capsys):
    suite = _suite(str(tmp_path), "build_stepped")
    out = str(tmp_path / "run")
    argv = ["run", suite, "--out", out, "--no-report", "--engine"]
    status = cli.main([*argv, "population"])
    text = capsys.readouterr().out
    assert status == cli.EXIT_CONFIG, text
    assert "overrides `train_step`" in text
    assert "--engine fit" in text
    assert _trial_records(out) == []


def test_compare_refuses_before_writing_anything(tmp_path):
    out = str(tmp_path / "run")
    with pytest.raises(config.ConfigError) as info:
        compare(
            build_stepped,
            data(),
            ["relu", "elu"],
            seeds=[0, 1],
            out=out,
            epochs=1,
            engine="population",
        )
    text = str(info.value)
    assert text.startswith("compare: Model 'stepped' overrides `train_step`")
    assert "`engine='fit'`" in text
    assert "engine='population'" in text
    assert _trial_records(out) == []
    assert not os.path.exists(out)
