"""Claim 10: a multiclass SVM (hinge loss) read-out is the alternative to
softmax.

The same ReLU MLP on digits (two hidden layers of 64, He initialisation)
with its two read-outs (the task parameter ``readout``): softmax trained
with the cross-entropy, and linear scores trained with the multiclass
hinge loss (Crammer & Singer 2001), accuracy by the argmax for both. The
output layer's weights are the same draws, so a seed's two trials start
from the same network. 10 seeds, at two learning rates (the losses differ
in scale, so one rate could favour one of them).

Accuracy is compared as whole test examples (``n_test x accuracy``
rounded) by the non-inferiority test of ``_runs.non_inferiority`` (the
report's paired test on the shifted differences, one-sided, exact integer
arithmetic) with the margin 0.02 fixed before the run; the report's
two-sided paired verdict is shown beside.
"""

import sys
from fractions import Fraction

import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import seeds
from reluplug.bench.evidence._common import suite
from reluplug.bench.evidence._common import training
from reluplug.bench.report import stats

NUMBER = 10
NAME = "readout"
TITLE = "Hinge read-out"
CLAIM = (
    "Softmax is the usual read-out of a classifier; a multiclass SVM read-"
    "out (linear scores trained with the hinge loss) is the alternative: "
    "the same ReLU network classifies as well with it."
)
MARGIN = Fraction(1, 50)  # 0.02 of accuracy, fixed in advance
RATES = (0.001, 0.01)
RULE = (
    "Over 10 seeds, at each learning rate (0.001, 0.01): the hinge read-out "
    "is non-inferior to the softmax read-out in test accuracy with the "
    "margin 0.02 (one-sided test at 0.05 on correct test examples counted "
    "as integers, Holm over the two rates; exactly -0.02 is not "
    "non-inferior). holds = at both rates, fails = at neither, mixed = at "
    "one."
)
READOUTS = ("softmax", "hinge")
SHOW = ("tests", "arms")
FIGSIZE = (6.5, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    return {
        NAME: suite(
            sys.modules[__name__],
            description="softmax vs multiclass hinge read-out, ReLU MLP",
            seeds=seeds(quick),
            training=training(quick, (2, 20), list(RATES)),
            tasks=[
                {
                    "name": "digits_mlp",
                    "params": {
                        "hidden": 64,
                        "layers": 2,
                        "readout": list(READOUTS),
                    },
                }
            ],
            activations=["relu"],
        )
    }


def measure(ctx):
    """The claim's tables from its run folder."""
    data = _runs.load(ctx.run_dirs[NAME])
    ok = _runs.completed(data.runs)
    per_seed = pd.DataFrame(
        {
            "arm": ok["readout"],
            "learning_rate": ok["learning_rate"],
            "seed": ok["seed"],
            "test_metric": ok["test_metric"],
            "n_test": ok["n_test"].astype(int),
            "nb_ratio": _runs.nb_ratio_of(ok),
        }
    )
    per_seed["correct"] = _runs.correct_counts(
        per_seed["test_metric"], per_seed["n_test"]
    ).astype(int)
    per_seed = per_seed.sort_values(["learning_rate", "arm", "seed"])
    tables = {"per_seed": per_seed.reset_index(drop=True)}
    tables.update(_tests(tables["per_seed"]))
    return tables


def _tests(per_seed):
    n_test = sorted(set(per_seed["n_test"].astype(int)))
    if len(n_test) != 1:
        raise ValueError(
            f"claim {NUMBER} needs one test-set size; got n_test={n_test}"
        )
    nb = per_seed["nb_ratio"].dropna() if "nb_ratio" in per_seed else []
    nb = float(nb.iloc[0]) if len(nb) else None
    family, beside = [], []
    for rate in sorted(set(per_seed["learning_rate"])):
        d = per_seed[per_seed["learning_rate"] == rate]
        a, b = _runs.aligned(d, "correct", "hinge", "softmax")
        family.append(
            _runs.non_inferiority(
                f"lr {rate:g}: hinge vs softmax, correct test examples",
                [int(x) for x in a],
                [int(x) for x in b],
                MARGIN * n_test[0],
                nb_ratio=nb,
            )
        )
        a, b = _runs.aligned(d, "test_metric", "hinge", "softmax")
        beside.append(
            _runs.paired(
                f"lr {rate:g}: hinge vs softmax, test accuracy",
                a,
                b,
                nb_ratio=nb,
                rope=stats.DEFAULT_ROPE["accuracy"],
            )
        )
    tests = _runs.decide_checked(family, beside)
    arms = per_seed.groupby(["learning_rate", "arm"], as_index=False).agg(
        n=("seed", "count"),
        correct=("correct", "sum"),
        n_test=("n_test", "sum"),
        test_accuracy=("test_metric", "mean"),
    )
    return {"tests": tests, "arms": arms}


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` table."""
    per_seed = tables.get("per_seed")
    if per_seed is None or not len(per_seed):
        return no_data("The read-out suite has no completed trials.")
    if not set(READOUTS) <= set(per_seed["arm"]):
        return no_data("The read-out suite lacks one of the read-outs.")
    tests = _tests(per_seed)["tests"]
    checks, parts = {}, []
    for row in tests[tests["checked"]].itertuples():
        rate = row.comparison.split(":")[0]
        checks[f"{rate}: hinge read-out non-inferior to softmax"] = (
            row.verdict == _runs.NON_INFERIOR
        )
        two_sided = _runs.word_of(
            tests, f"{rate}: hinge vs softmax, test accuracy"
        )
        n = float(per_seed["n_test"].iloc[0])
        parts.append(
            f"{rate}: softmax {row.b_mean / n:.3f}, hinge {row.a_mean / n:.3f}"
            f" mean accuracy, {row.diff_mean:+.1f} correct per seed "
            f"({row.verdict}; two-sided {two_sided})"
        )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Test accuracy per read-out and learning rate."""
    import seaborn as sns

    per_seed = tables["per_seed"].assign(
        lr=lambda d: d["learning_rate"].map("{:g}".format)
    )
    ax = fig.add_subplot()
    sns.stripplot(
        per_seed,
        x="lr",
        y="test_metric",
        hue="arm",
        hue_order=list(READOUTS),
        dodge=True,
        ax=ax,
    )
    ax.set_xlabel("learning rate")
    ax.set_ylabel("test accuracy (dots: seeds)")
    return ax
