"""mnist1d_mlp's fixed test set: larger on request, ids unchanged by
default, and the report sees it as a fixed-test design."""

import numpy as np
from mnist1d.data import get_dataset_args
from mnist1d.data import make_dataset
from runner_fixtures import tiny_with

from reluplug.bench.engine import data as bench_data
from reluplug.bench.engine import fit
from reluplug.bench.suite import config
from reluplug.bench.tasks import registry


def _specs(params=""):
    """The tiny suite's specs with mnist1d_mlp (task table lines
    ``params``), one epoch and relu alone."""
    text = tiny_with(
        ('name = "tiny"', 'name = "m1d"'),
        ("epochs = 2\nbatch_size = 32\n", "epochs = 1\n"),
        (
            'name = "spirals"\nparams = {n_samples = 120, hidden = 8, '
            "layers = 2}\n",
            f'name = "mnist1d_mlp"\n{params}\n',
        ),
        (
            '\n[[activations]]\nname = "leaky_relu"\n'
            'params = {negative_slope = 0.2}\nlabel = "lrelu"\n',
            "",
        ),
    )
    return config.loads(text).expand()


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
