"""``split_seed``: one fixed split for every trial of a re-split task.

Without it a re-split task's seeds re-split the data (ids unchanged from
before the parameter existed); with it every seed trains and tests on the
split that seed ``split_seed`` draws, so the report sees a fixed test set.
"""

import numpy as np
import pandas as pd
import pytest

from reluplug.bench.engine import data as bench_data
from reluplug.bench.engine.data import load_splits
from reluplug.bench.report.stats.design import design_of
from reluplug.bench.suite import config
from reluplug.bench.suite.config import ConfigError
from reluplug.bench.tasks import registry

SUITE = """\
version = 1
name = "split"
seeds = [0, 1, 2]
baseline = "relu"

[training]
epochs = 1

[[tasks]]
name = "digits_mlp"
{params}

[[activations]]
name = "relu"
"""


def _specs(params=""):
    return config.loads(SUITE.format(params=params)).expand()


def test_every_re_split_task_takes_it_and_the_others_do_not():
    for name in registry.names():
        task = registry.get(name)
        assert ("split_seed" in task.params) == task.resplit, name


def test_without_it_the_ids_and_the_splits_are_as_before():
    specs = _specs()
    assert all("split_seed" not in s.identity()["task_params"] for s in specs)
    fixed = _specs("params = {split_seed = 5}")
    assert {s.trial_id for s in fixed}.isdisjoint(s.trial_id for s in specs)
    task = registry.get("digits_mlp")
    for spec in specs:  # the trial's own seed splits, as task.load does
        ref = task.load(spec.seed)
        np.testing.assert_array_equal(
            load_splits(task, spec).y_test, ref.y_test
        )


def test_with_it_every_seed_has_the_split_of_that_seed():
    task = registry.get("digits_mlp")
    ref = task.load(5)
    specs = _specs("params = {split_seed = 5}")
    for spec in specs:
        splits = load_splits(task, spec)
        for field in ("x_train", "y_train", "x_val", "y_test", "x_test"):
            np.testing.assert_array_equal(
                getattr(splits, field), getattr(ref, field)
            )
    runs = pd.DataFrame(
        {
            "seed": [s.seed for s in specs],
            "resplit": True,
            "test_sha256": [
                bench_data.test_digest(load_splits(task, s)) for s in specs
            ],
        }
    )
    assert design_of(runs) == "fixed_test"
    runs["test_sha256"] = [
        bench_data.test_digest(load_splits(task, s)) for s in _specs()
    ]
    assert design_of(runs) == "resplit"


@pytest.mark.parametrize("value", [-1, 1.5, "0"])
def test_a_bad_split_seed_names_the_key(value):
    text = SUITE.format(params=f"params = {{split_seed = {value!r}}}")
    text = text.replace("'", '"')
    with pytest.raises(ConfigError, match=r"tasks\[0\]\.params\.split_seed"):
        config.loads(text)


@pytest.mark.parametrize(
    "name",
    ["digits_mlp", "digits_cnn", "mnist1d_mlp", "deep_mlp", "regression"],
)
def test_a_trial_with_a_split_seed_trains(name):
    """The fit engine builds and trains every standard re-split task with
    ``split_seed`` (the model never sees the data-only parameter); two
    seeds share the test set's digest."""
    from reluplug.bench.engine.fit import run_trial

    text = SUITE.replace('name = "digits_mlp"', f'name = "{name}"')
    specs = config.loads(
        text.format(params="params = {split_seed = 0}")
    ).expand()[:2]
    records = [run_trial(spec) for spec in specs]
    assert [r["status"] for r in records] == ["completed", "completed"]
    digests = {r["splits"]["test_sha256"] for r in records}
    assert len(digests) == 1
