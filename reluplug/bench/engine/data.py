"""A trial's data: the task's splits (cached per process) and the seeded
batch order every activation of a group sees."""

import hashlib
import json

import keras
import numpy as np

from reluplug.bench.tasks.base import SPLIT

_SPLITS = {}


def load_splits(task, spec):
    """The splits of ``task`` for ``spec``'s data params and seed.

    Cached per process by (task, data params, seed): the trials of one
    group, and of every other activation, reuse them. With the task
    parameter ``split_seed`` the data are split by that seed, not the
    trial's.
    """
    data = {
        k: spec.task_params[k]
        for k in task.data_params
        if k in spec.task_params
    }  # an implicit parameter at its default is not in the params
    # ``split_seed``: one fixed split for every seed (tasks.base.SPLIT)
    seed = spec.task_params.get(SPLIT)
    seed = spec.seed if seed is None else seed
    key = (task.name, json.dumps(data, sort_keys=True), seed)
    if key not in _SPLITS:
        _SPLITS[key] = task.load(seed, **data)
    return _SPLITS[key]


def test_digest(splits):
    """First 16 hex digits of the SHA-256 of the test labels, in order.

    The report compares it across seeds: one digest means a fixed test set
    (seeds vary initialisation, batch order and the training split),
    several mean the seeds re-split the test set too (Nadeau-Bengio
    applies). Labels, not inputs: inputs are standardized with statistics
    of the seed's training split, so a fixed test set's inputs differ by
    seed while its labels do not; the inputs' shape is hashed with them.
    """
    y = np.ascontiguousarray(splits.y_test)
    h = hashlib.sha256()
    h.update(f"{y.dtype.str}{y.shape}{np.shape(splits.x_test)}".encode())
    h.update(y.tobytes())
    return h.hexdigest()[:16]


class EpochOrder(keras.utils.PyDataset):
    """Training batches in a seeded order: a fresh permutation per epoch.

    The order of epoch ``e`` is ``default_rng([seed, e]).permutation(n)``,
    so it depends only on ``seed`` and ``e``: identical for every
    activation, independent of global random state.
    """

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.order = self.permutation(0)

    def permutation(self, epoch):
        """Example indices of ``epoch`` (0-based), in training order."""
        rng = np.random.default_rng([self.seed, epoch])
        return rng.permutation(len(self.x))

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        start = index * self.batch_size
        idx = self.order[start : start + self.batch_size]
        return self.x[idx], self.y[idx]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self.permutation(self.epoch)
