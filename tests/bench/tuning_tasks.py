"""Tasks for the tuning tests ("tuning_tasks:TASK"): one data set, and a
copy whose test labels alone are shuffled."""

import numpy as np

from reluplug.bench.tasks import base


def _arrays(seed, flip_test):
    rng = np.random.default_rng(1234)  # one data set for every seed
    n = 360
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    x = centres[y] + rng.normal(0.0, 1.0, (n, 2))
    x = x.astype("float32")
    # Train/validation re-drawn per seed; the test split is fixed.
    order = np.random.default_rng(seed).permutation(240)
    train, val = order[:180], order[180:]
    x_test, y_test = x[240:], y[240:].copy()
    if flip_test:
        y_test = np.random.default_rng(7).permutation(y_test)
    return base.Splits(
        x[train],
        y[train].astype("int32"),
        x[val],
        y[val].astype("int32"),
        x_test,
        y_test.astype("int32"),
        n_outputs=3,
    )


def _build(splits, act, seed):
    return base.mlp(splits, act, seed, [8])


TASK = base.Task(
    name="blobs",
    description="three Gaussian blobs, fixed test split",
    load=lambda seed: _arrays(seed, False),
    build=_build,
)
FLIPPED = base.Task(
    name="blobs_flipped",
    description="the same, test labels shuffled",
    load=lambda seed: _arrays(seed, True),
    build=_build,
)
