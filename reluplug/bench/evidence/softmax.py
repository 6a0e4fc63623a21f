"""Claim 7: softmax is a read-out, not a hidden activation.

The digits CNN input→conv→act→pool→conv→act→pool→dense→softmax trained
with ReLU as ``act`` and with softmax (over the channels, the last axis),
10 seeds, at each learning rate of a small grid (each activation might
want its own rate). Same standard draws for the initial weights (He
scale for ReLU; Glorot for softmax, which declares no negative side),
same data order; test accuracy compared with ReLU at each rate by the
report's paired test (``stats.paired_test``, Nadeau-Bengio corrected:
digits re-splits its data per seed), Holm over the rates.
"""

import sys

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import seeds
from reluplug.bench.evidence._common import suite
from reluplug.bench.evidence._common import training

NUMBER = 7
NAME = "softmax"
TITLE = "Softmax is a read-out"
CLAIM = (
    "Softmax belongs at the output: the same CNN with softmax between its "
    "hidden layers trains worse than with ReLU, whatever the learning rate."
)
RULE = (
    "Over 10 seeds, at each learning rate of the grid (0.001, 0.003, 0.01), "
    "the report's paired test of test accuracy (Holm over the rates) says "
    "softmax is `worse` than ReLU. holds = worse at every rate, fails = at "
    "none, mixed = at some."
)
SOFTMAX = "softmax"
ACTIVATIONS = (("relu", "relu"), ("keras.layers:Softmax", SOFTMAX))
RATES = (0.001, 0.003, 0.01)
SHOW = ("tests",)
FIGSIZE = (6.5, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    return {
        NAME: suite(
            sys.modules[__name__],
            description="ReLU vs softmax as a hidden activation",
            seeds=seeds(quick),
            training=training(
                quick,
                (1, 8),
                [RATES[0], RATES[-1]] if quick else list(RATES),
            ),
            tasks=[{"name": "digits_cnn", "params": {"filters": 16}}],
            activations=list(ACTIVATIONS),
        )
    }


def measure(ctx):
    """The claim's tables from its run folder."""
    data = _runs.load(ctx.run_dirs[NAME])
    ok = _runs.completed(data.runs)
    per_seed = ok[["activation", "learning_rate", "seed", "test_metric"]]
    per_seed = per_seed.rename(columns={"activation": "arm"}).assign(
        nb_ratio=_runs.nb_ratio_of(ok)
    )
    per_seed = per_seed.sort_values(["learning_rate", "arm", "seed"])
    return {
        "per_seed": per_seed.reset_index(drop=True),
        "tests": _tests(per_seed),
    }


def _tests(per_seed):
    nb = per_seed["nb_ratio"].dropna() if "nb_ratio" in per_seed else []
    nb = float(nb.iloc[0]) if len(nb) else None
    rows = []
    for rate in sorted(set(per_seed["learning_rate"])):
        d = per_seed[per_seed["learning_rate"] == rate]
        a, b = _runs.aligned(d, "test_metric", SOFTMAX, "relu")
        rows.append(
            _runs.paired(
                f"lr {rate:g}: softmax vs relu, test accuracy",
                a,
                b,
                nb_ratio=nb,
            )
        )
    return _runs.decide(rows)


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` table."""
    per_seed = tables.get("per_seed")
    if per_seed is None or not len(per_seed):
        return no_data("The softmax suite has no completed trials.")
    tests = _tests(per_seed)
    checks, parts = {}, []
    for row in tests.itertuples():
        rate = row.comparison.split(":")[0]
        checks[f"{rate}: softmax hidden is worse than ReLU"] = (
            row.verdict == "worse"
        )
        parts.append(
            f"{rate}: ReLU {row.b_mean:.3f}, softmax {row.a_mean:.3f} "
            f"({row.verdict})"
        )
    if not checks:
        return no_data("The softmax suite has no learning rates.")
    return combine(checks, "Mean test accuracy " + "; ".join(parts) + ".")


def plot(tables, fig):
    """Test accuracy per hidden activation and learning rate."""
    import seaborn as sns

    per_seed = tables["per_seed"].assign(
        lr=lambda d: d["learning_rate"].map("{:g}".format)
    )
    order = [label for _, label in ACTIVATIONS]
    ax = fig.add_subplot()
    sns.stripplot(
        per_seed,
        x="lr",
        y="test_metric",
        hue="arm",
        hue_order=order,
        dodge=True,
        ax=ax,
    )
    ax.set_xlabel("learning rate")
    ax.set_ylabel("test accuracy (dots: seeds)")
    ax.set_ylim(0, 1.02)
    return ax
