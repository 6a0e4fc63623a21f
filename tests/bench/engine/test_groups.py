"""One group key: the same task at two param sets is two groups everywhere.

A group is ``schema.GROUP_KEY`` (task label, seed). ``deep_mlp`` listed at
depth 2 and depth 4 must give two complete groups in the runner's tables,
the identical-init check, the report's frames, statistics and figures.
"""

import json

import pandas as pd
import pytest
from runner_fixtures import tiny_with
from runner_fixtures import write_suite

from reluplug.bench import run_suite
from reluplug.bench.report import frames
from reluplug.bench.report import write_report
from reluplug.bench.suite import config
from reluplug.bench.suite import schema

# The tiny suite with monitors on and deep_mlp at two depths as its tasks.
TWO_DEPTHS = tiny_with(
    ('name = "tiny"', 'name = "depths"'),
    (
        "batch_size = 32\n",
        "batch_size = 64\n\n[monitors]\ndead_units = true\n"
        "gradient_flow = true\nmax_samples = 64\n",
    ),
    (
        'name = "spirals"\nparams = {n_samples = 120, hidden = 8, layers = 2}',
        'name = "deep_mlp"\nlabel = "deep_2"\nparams = {depth = 2, width = 8}'
        '\n\n[[tasks]]\nname = "deep_mlp"\nlabel = "deep_4"\n'
        "params = {depth = 4, width = 8}",
    ),
)
DEPTH = {"deep_2": 2, "deep_4": 4}
CELLS = {(a, s) for a in ("relu", "lrelu") for s in (0, 1)}

# Module fixtures train a few suites (about a minute): the slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_depths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("groups")
    path = write_suite(str(folder), TWO_DEPTHS)
    out = folder / "out"
    summary = run_suite(config.load(path), str(out))
    written = write_report(out, formats=("csv", "md", "png"))
    return out, summary, written


def _complete(df):
    """Task label -> set of (activation, seed) cells present."""
    return {
        task: set(zip(g["activation"], g["seed"].astype(int)))
        for task, g in df.groupby("task")
    }


def test_group_key_is_task_label_and_seed():
    assert schema.GROUP_KEY == ("task", "seed")
    record = {"task": "deep_4", "task_name": "deep_mlp", "seed": 3}
    assert schema.group_key(record) == ("deep_4", 3)
    assert schema.task_name(record) == "deep_mlp"
    # A record written before task_name: registered name in task.
    old = {"task": "deep_mlp", "task_label": "deep_4", "seed": 3}
    assert schema.group_key(old) == ("deep_4", 3)
    assert schema.task_name(old) == "deep_mlp"
    row = {"task": "deep_4", "seed": 3}  # a table row holds the label
    assert schema.group_key(row) == ("deep_4", 3)


def test_runner_tables_hold_two_complete_groups(two_depths):
    out, summary, _ = two_depths
    assert summary.counts == {"completed": 8}
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 8
    assert _complete(runs) == {"deep_2": CELLS, "deep_4": CELLS}
    assert set(runs["task_name"]) == {"deep_mlp"}
    # Two depths: different models, so different parameter counts.
    n_params = runs.groupby("task")["n_params"].unique()
    assert n_params["deep_4"][0] - n_params["deep_2"][0] == 2 * (8 * 8 + 8)
    for task, g in runs.groupby("task"):
        for row in g.itertuples():
            record = json.loads(
                (out / "trials" / f"{row.trial_id}.json").read_text()
            )
            assert schema.task_label(record) == task
            assert (record["task"], record["task_name"]) == (task, "deep_mlp")
            assert record["task_params"]["depth"] == DEPTH[task]
    history = pd.read_csv(out / "history.csv")
    assert _complete(history) == {"deep_2": CELLS, "deep_4": CELLS}
    assert history.groupby("task").size().to_dict() == {
        "deep_2": 8,
        "deep_4": 8,
    }
    monitors = pd.read_csv(out / "monitors.csv")
    # ReLU units can die, leaky ones only go inactive: one of the two.
    units = monitors[
        monitors["quantity"].isin(["dead_fraction", "inactive_fraction"])
    ]
    assert _complete(units) == {"deep_2": CELLS, "deep_4": CELLS}
    # Each group holds its own model's activation layers, not a mix.
    layers = units.groupby(["task", "activation"])["layer"].nunique()
    assert layers.to_dict() == {
        ("deep_2", "lrelu"): 2,
        ("deep_2", "relu"): 2,
        ("deep_4", "lrelu"): 4,
        ("deep_4", "relu"): 4,
    }


def test_identical_init_holds_per_group_and_differs_between(two_depths):
    out, _, _ = two_depths
    runs = pd.read_csv(out / "runs.csv")
    per_group = runs.groupby(list(schema.GROUP_KEY))["init_sha256"]
    assert (per_group.nunique() == 1).all() and per_group.ngroups == 4
    assert per_group.first().nunique() == 4


def test_report_frames_and_statistics_hold_two_groups(two_depths):
    out, _, written = two_depths
    data = frames.load_run(out)
    assert len(data.runs) == 8 and len(data.duplicates) == 0
    assert len(data.init_conflicts) == 0 and len(data.missing_cells) == 0
    assert _complete(data.runs) == {"deep_2": CELLS, "deep_4": CELLS}
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(zip(summary["task"], summary["activation"])) == [
        ("deep_2", "lrelu"),
        ("deep_2", "relu"),
        ("deep_4", "lrelu"),
        ("deep_4", "relu"),
    ]
    assert (summary["n_trials"] == 2).all()
    assert (summary["n_init_conflicts"] == 0).all()
    lrelu = summary[summary["activation"] == "lrelu"]
    assert (lrelu["n_paired"] == 2).all()
    # The summary's mean is the mean over that group's seeds only.
    for row in summary.itertuples():
        g = data.runs[
            (data.runs["task"] == row.task)
            & (data.runs["activation"] == row.activation)
        ]
        assert row.mean == pytest.approx(g["test_metric"].mean())
    ranking = pd.read_csv(out / "ranking.csv")
    assert (ranking["n_tasks"] == 2).all()
    md = (out / "summary.md").read_text()
    assert "deep_2" in md and "deep_4" in md
    for task in DEPTH:
        assert f"figures/{task}-test.png" in written
        assert f"figures/{task}-units.png" in written
