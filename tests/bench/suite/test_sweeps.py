"""Sweeps: a list in a task parameter or in [training] expands into one
task variant (one group) per value; the runner trains and tables them apart.
"""

import pandas as pd
import pytest
from matplotlib.figure import Figure
from runner_fixtures import write_suite

from reluplug.bench import ConfigError
from reluplug.bench import engine
from reluplug.bench.report import sweeps
from reluplug.bench.report import write_report
from reluplug.bench.suite import config

SWEEP = """\
version = 1
name = "sweep"
seeds = [0]

[training]
epochs = 1
batch_size = 32
learning_rate = [0.001, 0.05]

[[tasks]]
name = "spirals"
params = {n_samples = 120, hidden = 8, layers = [1, 2]}

[[activations]]
name = "relu"
"""


def test_lists_expand_into_labelled_variants(tmp_path):
    suite = config.load(write_suite(tmp_path, SWEEP))
    specs = suite.expand()
    got = {
        (s.task, s.task_params["layers"], s.training.learning_rate)
        for s in specs
    }
    assert got == {
        ("spirals[layers=1,learning_rate=0.001]", 1, 0.001),
        ("spirals[layers=1,learning_rate=0.05]", 1, 0.05),
        ("spirals[layers=2,learning_rate=0.001]", 2, 0.001),
        ("spirals[layers=2,learning_rate=0.05]", 2, 0.05),
    }
    assert all(s.task_name == "spirals" for s in specs)
    assert len({s.trial_id for s in specs}) == 4
    spec = specs[0]
    assert config.TrialSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["sweep"] == {"layers": 1, "learning_rate": 0.001}


def test_suite_without_lists_keeps_its_trial_ids(tmp_path, tiny_suite):
    # A spec without a sweep serialises exactly as before sweeps existed.
    spec = config.load(tiny_suite).expand()[0]
    assert "sweep" not in spec.to_dict()
    assert "task_label" not in spec.to_dict()
    assert "revive" not in spec.to_dict()["monitors"]


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("layers = [1, 2]", "layers = []", ["tasks[0].params.layers", "[]"]),
        ("layers = [1, 2]", "layers = [1, 1]", ["repeat", "layers"]),
        (
            "layers = [1, 2]",
            "layers = [1, 0]",
            ["tasks[0].params.layers[1]", ">= 1", "=0"],
        ),
        (
            "learning_rate = [0.001, 0.05]",
            "learning_rate = [0.001, -1]",
            ["training.learning_rate", "-1"],
        ),
        (
            "learning_rate = [0.001, 0.05]",
            "jit_compile = [true, false]",
            ["training.jit_compile", "true or false"],
        ),
    ],
)
def test_bad_sweeps_name_key_and_value(tmp_path, old, new, words):
    text = SWEEP.replace(old, new)
    with pytest.raises(ConfigError) as info:
        config.load(write_suite(tmp_path, text))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.slow
def test_swept_variants_are_separate_groups_in_the_tables(tmp_path):
    suite = config.load(write_suite(tmp_path, SWEEP))
    out = tmp_path / "run"
    summary = engine.run_suite(suite, out)
    assert summary.counts == {"completed": 4}
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["task"]) == sorted(s.task for s in suite.expand())
    history = pd.read_csv(out / "history.csv")
    assert set(history["task"]) == set(runs["task"])
    # Resuming trains nothing again.
    again = engine.run_suite(suite, out)
    assert again.n_run == 0 and again.n_skipped == 4
    # The report plots the metric against each swept value.
    written = write_report(out, formats=("png",))
    names = sorted(k for k in written if k.startswith("figures/sweep-"))
    assert len(names) == 4, names  # 2 keys x 2 settings of the other key


def _records():
    recs = []
    for act, offset in (("relu", 0.0), ("tanh", -0.1)):
        for depth in (2, 4, 8):
            for seed in (0, 1):
                recs.append(
                    {
                        "trial_id": f"{act}{depth}{seed}",
                        "task": "deep_mlp",
                        "task_label": f"deep_mlp[depth={depth}]",
                        "activation": act,
                        "seed": seed,
                        "status": "completed",
                        "metric": "accuracy",
                        "test_metric": 0.5 + offset + 0.01 * depth + seed / 100,
                        "sweep": {"depth": depth},
                    }
                )
    recs.append({**recs[0], "trial_id": "plain", "sweep": None})
    return recs


def test_sweep_frame_and_plot():
    frame = sweeps.sweep_frame(_records())
    assert len(frame) == 12  # the unswept record has no row
    assert set(frame["label"]) == {
        "deep_mlp[depth=2]",
        "deep_mlp[depth=4]",
        "deep_mlp[depth=8]",
    }
    (panel,) = sweeps.sweep_panels(frame)
    task, key, others, rows = panel
    assert (task, key, others) == ("deep_mlp", "depth", "")
    ax = sweeps.plot_sweep(
        rows, hue_order=["relu", "tanh"], ax=Figure().add_subplot()
    )
    lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 3]
    assert len(lines) == 2
    relu = lines[0]
    assert list(relu.get_xdata()) == [2, 4, 8]
    # Mean over the two seeds: 0.5 + 0.01 * depth + 0.005.
    assert list(relu.get_ydata()) == pytest.approx([0.525, 0.545, 0.585])
    assert ax.get_xlabel() == "depth (swept)"
