"""``regression``: scikit-learn diabetes or friedman1, an MLP, MSE.

Features and target are standardized with the training split's statistics,
so the reported MSE is in units of the target's variance (1.0 = predicting
the mean).

Input -> [Dense(hidden) -> act] * layers -> Dense(1).
"""

import functools

from reluplug.bench.tasks import base


@functools.cache
def _raw(dataset):
    if dataset == "diabetes":
        from sklearn.datasets import load_diabetes

        return load_diabetes(return_X_y=True)
    from sklearn.datasets import make_friedman1

    return make_friedman1(n_samples=2000, noise=1.0, random_state=0)


def load(seed, dataset):
    """60/20/20 split by ``seed``; standardized x and y."""
    x, y = _raw(dataset)
    xtr, ytr, xva, yva, xte, yte = base.split(x, y, seed, stratify=False)
    xtr, xva, xte = base.standardize(xtr, xva, xte)
    mean, std = ytr.mean(), ytr.std()
    ytr, yva, yte = (
        ((v - mean) / std).astype("float32").reshape(-1, 1)
        for v in (ytr, yva, yte)
    )
    return base.Splits(xtr, ytr, xva, yva, xte, yte, n_outputs=1)


TASK = base.mlp_task(
    "regression",
    "scikit-learn diabetes or friedman1 regression, MLP, MSE",
    load,
    {
        "dataset": base.Param(
            "diabetes",
            "str",
            choices=("diabetes", "friedman1"),
            help="diabetes (442 rows) or friedman1 (2000 rows)",
        ),
        **base.mlp_params(64, 2),
    },
    data_params=("dataset",),
    problem=base.REGRESSION,
)
