"""``spirals``: the synthetic two-spirals problem, an MLP.

Input(2) -> [Dense(hidden) -> act] * layers -> Dense(2, softmax).
"""

import numpy as np

from reluplug.bench.tasks import base


def make_spirals(n_samples, noise, turns, seed):
    """Two interleaved spirals in 2-D, classes 0 and 1.

    Args:
        n_samples: total number of points (half per class).
        noise: standard deviation of the Gaussian noise added to x and y.
        turns: number of turns of each spiral.
        seed: seed of the generator.

    Returns:
        ``(x[n, 2] float32, y[n] int32)``.
    """
    rng = np.random.default_rng(seed)
    half = n_samples // 2
    t = np.sqrt(rng.uniform(0, 1, size=half)) * turns * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (turns * 2 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise, (2 * half, 2))
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype("int32")
    return x.astype("float32"), y


def load(seed, n_samples, noise, turns):
    """Data drawn with ``seed``, then a 60/20/20 split by ``seed``."""
    x, y = make_spirals(n_samples, noise, turns, seed)
    return base.classification_splits(x, y, seed)


TASK = base.mlp_task(
    "spirals",
    "synthetic two spirals (2-D), MLP",
    load,
    {
        "n_samples": base.Param(1000, "int", low=10, help="points"),
        "noise": base.Param(0.03, "float", low=0, help="noise std"),
        "turns": base.Param(1.5, "float", low=0.1, help="spiral turns"),
        **base.mlp_params(32, 3),
    },
    data_params=("n_samples", "noise", "turns"),
    resplit=False,
)
