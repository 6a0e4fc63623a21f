"""mnist1d_mlp's fixed test set: larger on request, ids unchanged by
default, and the report sees it as a fixed-test design."""

import numpy as np
from mnist1d.data import get_dataset_args
from mnist1d.data import make_dataset

from reluplug.bench.engine import data as bench_data
from reluplug.bench.engine import fit
from reluplug.bench.suite import config
from reluplug.bench.tasks import registry

SUITE = """\
version = 1
name = "m1d"
seeds = [0, 1]
baseline = "relu"

[training]
epochs = 1

[[tasks]]
name = "mnist1d_mlp"
{params}

[[activations]]
name = "relu"
"""


def _specs(params=""):
    return config.loads(SUITE.format(params=params)).expand()


def test_default_keeps_its_ids_and_the_upstream_test_set():
    (spec, _) = _specs()
    assert "n_test" not in spec.identity()["task_params"]
    big = _specs("params = {n_test = 2000}")[0]
    assert big.identity()["task_params"]["n_test"] == 2000
    assert big.trial_id != spec.trial_id
    splits = bench_data.load_splits(registry.get("mnist1d_mlp"), spec)
    ref = make_dataset(get_dataset_args())  # upstream, independently
    assert splits.y_test.tolist() == ref["y_test"].astype(int).tolist()
    assert len(splits.y_train) + len(splits.y_val) == 4000


def test_larger_fixed_test_set_is_the_same_for_every_seed():
    a, b = _specs("params = {n_test = 2000}")
    task = registry.get("mnist1d_mlp")
    sa = bench_data.load_splits(task, a)
    sb = bench_data.load_splits(task, b)
    assert sa.x_test.shape == (2000, 40)
    np.testing.assert_array_equal(sa.y_test, sb.y_test)
    # Inputs are standardized with each split's training statistics.
    assert not np.array_equal(sa.x_test, sb.x_test)
    assert not np.array_equal(sa.y_val, sb.y_val)  # seeds re-split train
    # One test digest over the seeds: the report's fixed-test design.
    assert bench_data.test_digest(sa) == bench_data.test_digest(sb)
    assert fit.base_record(a, task)["splits"]["test_sha256"] is None
