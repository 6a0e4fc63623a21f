"""``mnist1d_mlp``: MNIST-1D (generated locally), an MLP.

MNIST-1D (Greydanus 2020) is small but separates architectures and
activations better than MNIST. The data set is generated with the package's
default arguments (seed 42), never downloaded.

Input(40) -> [Dense(hidden) -> act] * layers -> Dense(10).
"""

import numpy as np

from reluplug.bench.tasks import _data
from reluplug.bench.tasks import base


def load(seed, n_test=1000):
    """The test split is fixed (the 1000 upstream test examples, or
    ``n_test`` generated ones); the 4000 training examples are split 80/20
    into train/validation by ``seed``."""
    from sklearn.model_selection import train_test_split

    x, y, x_test, y_test = _data.mnist1d(n_test)
    xtr, xva, ytr, yva = train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=y
    )
    xtr, xva, xte = base.standardize(xtr, xva, x_test)
    return base.Splits(
        xtr,
        ytr.astype("int32"),
        xva,
        yva.astype("int32"),
        xte,
        np.asarray(y_test).astype("int32"),
        n_outputs=10,
    )


TASK = base.mlp_task(
    "mnist1d_mlp",
    "MNIST-1D (generated locally, 5000 x 40), MLP",
    load,
    {
        **base.mlp_params(100, 2),
        # A larger fixed test set makes the per-seed test noise small;
        # added after suites existed: implicit (default ids unchanged).
        "n_test": base.Param(
            1000,
            "int",
            low=100,
            help="fixed test examples (1000 = upstream; more are generated)",
            implicit=True,
        ),
    },
    data_params=("n_test",),
)
