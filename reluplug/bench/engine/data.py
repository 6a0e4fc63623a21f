"""A trial's data: the task's splits (cached per process) and the seeded
batch order every activation of a group sees."""

import hashlib
import json

import keras
import numpy as np

_SPLITS = {}


def load_splits(task, spec):
    """The splits of ``task`` for ``spec``'s data params and seed.

    Cached per process by (task, data params, seed): the trials of one
    group, and of every other activation, reuse them.
    """
    data = {k: spec.task_params[k] for k in task.data_params}
    key = (task.name, json.dumps(data, sort_keys=True), spec.seed)
    if key not in _SPLITS:
        _SPLITS[key] = task.load(spec.seed, **data)
    return _SPLITS[key]


def test_digest(splits):
    """First 16 hex digits of the SHA-256 of the test inputs and labels.

    The report compares it across seeds: one digest means a fixed test set
    (seeds vary initialisation, batch order and the training split), several
    mean the seeds re-split the test set too (Nadeau-Bengio applies).
    """
    h = hashlib.sha256()
    for a in (splits.x_test, splits.y_test):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
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
