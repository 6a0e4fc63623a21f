"""Claim 8: cheap weighted sums (structured hidden layers).

The digits ReLU MLP (two hidden layers of 256) with its hidden ``Dense``
layers replaced by ``HadamardDense`` or ``CirculantDense`` of the same
width (the MLP task parameter ``linear``, swept), against ``Dense`` of the
same width and against parameter-matched ``Dense`` controls: hidden width
40 (4,650 parameters; HadamardDense's network has 4,618) and 33 (3,607;
CirculantDense's has 3,594). 10 seeds, He initialisation.

Accuracy is compared as whole test examples: each trial's correct count is
``n_test x accuracy`` rounded to an integer, and the non-inferiority test
(``_runs.non_inferiority``: the report's paired test on the differences
shifted by the margin, one-sided) runs in exact integer arithmetic, so a
difference of exactly the margin is exactly at it. The margin, 0.02 of
accuracy (7.2 of the 360 test examples), and the 1.1x margin on seconds
per epoch were fixed before the run.
"""

import json
import sys
from fractions import Fraction

import numpy as np
import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import seeds
from reluplug.bench.evidence._common import suite
from reluplug.bench.evidence._common import training

NUMBER = 8
NAME = "filter_bank"
TITLE = "Cheap weighted sums"
CLAIM = (
    "ReLU networks whose hidden layers are HadamardDense or CirculantDense "
    "(fast transforms plus a diagonal) need far fewer parameters than "
    "Dense layers of the same width, are no slower per epoch, and reach "
    "comparable accuracy."
)
ACCURACY_MARGIN = Fraction(1, 50)  # 0.02 of accuracy, fixed in advance
TIME_MARGIN = 1.1  # seconds per epoch at most 1.1x dense's, fixed in advance
RULE = (
    "Over 10 seeds, for each of hadamard and circulant: (a) fewer than half "
    "the parameters of dense (same width); non-inferiority tests, one-sided "
    "at 0.05 with Holm over the six, margins fixed in advance: (b) test "
    "accuracy against dense of the same width and (c) against the "
    "parameter-matched Dense, margin 0.02 (correct test examples counted "
    "as integers; a difference of exactly -0.02 is not non-inferior); (d) "
    "seconds per epoch against dense, margin 1.1x (on log10 seconds). "
    "holds = all eight checks, fails = none, mixed = some."
)
VARIANTS = ("dense", "hadamard", "circulant")
MATCHED = {"hadamard": ("dense_h40", 40), "circulant": ("dense_h33", 33)}
ORDER = ("dense", "hadamard", "dense_h40", "circulant", "dense_h33")
HIDDEN, LAYERS = 256, 2
SHOW = ("tests", "arms")
FIGSIZE = (12, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    return {
        NAME: suite(
            sys.modules[__name__],
            description="Dense vs HadamardDense vs CirculantDense, and "
            "parameter-matched Dense",
            seeds=seeds(quick),
            training=training(quick, (2, 15), 0.002),
            tasks=[
                {
                    "name": "digits_mlp",
                    "params": {
                        "hidden": HIDDEN,
                        "layers": LAYERS,
                        "linear": list(VARIANTS),
                    },
                },
                {
                    "name": "digits_mlp",
                    "label": "matched",
                    "params": {
                        "hidden": sorted(w for _, w in MATCHED.values()),
                        "layers": LAYERS,
                    },
                },
            ],
            activations=["relu"],
        )
    }


def _arm(task_params):
    params = json.loads(task_params)
    linear = params.get("linear", "dense")
    if linear == "dense" and params.get("hidden") != HIDDEN:
        return f"dense_h{params.get('hidden')}"
    return linear


def measure(ctx):
    """The claim's tables from its run folder."""
    data = _runs.load(ctx.run_dirs[NAME])
    ok = _runs.completed(data.runs)
    per_seed = pd.DataFrame(
        {
            "arm": ok["task_params"].map(_arm),
            "seed": ok["seed"],
            "n_params": ok["n_params"].astype(int),
            "test_metric": ok["test_metric"],
            "n_test": ok["n_test"].astype(int),
            "epoch_time_s": ok["mean_epoch_time_s"],
            "nb_ratio": _runs.nb_ratio_of(ok),
        }
    )
    per_seed["correct"] = _runs.correct_counts(
        per_seed["test_metric"], per_seed["n_test"]
    ).astype(int)
    per_seed = per_seed.sort_values(["arm", "seed"]).reset_index(drop=True)
    tables = {"per_seed": per_seed}
    tables.update(_tests(per_seed))
    return tables


def _tests(per_seed):
    n_test = sorted(set(per_seed["n_test"].astype(int)))
    if len(n_test) != 1:
        raise ValueError(
            f"claim {NUMBER} needs one test-set size; got n_test={n_test}"
        )
    margin = ACCURACY_MARGIN * n_test[0]  # in whole examples, exact
    nb = per_seed["nb_ratio"].dropna() if "nb_ratio" in per_seed else []
    nb = float(nb.iloc[0]) if len(nb) else None
    rows = []
    for variant in VARIANTS[1:]:
        for control in ("dense", MATCHED[variant][0]):
            a, b = _runs.aligned(per_seed, "correct", variant, control)
            rows.append(
                _runs.non_inferiority(
                    f"{variant} vs {control}: correct test examples",
                    [int(x) for x in a],
                    [int(x) for x in b],
                    margin,
                    nb_ratio=nb,
                )
            )
        a, b = _runs.aligned(per_seed, "epoch_time_s", variant, "dense")
        rows.append(
            _runs.non_inferiority(
                f"{variant} vs dense: log10 seconds per epoch",
                np.log10(a),
                np.log10(b),
                float(np.log10(TIME_MARGIN)),
                mode="min",
            )
        )
    tests = _runs.decide(rows)
    arms = (
        per_seed.groupby("arm")
        .agg(
            n=("seed", "count"),
            n_params=("n_params", "median"),
            correct=("correct", "sum"),
            n_test=("n_test", "sum"),
            test_accuracy=("test_metric", "mean"),
            epoch_time_s=("epoch_time_s", "mean"),
        )
        .reindex([a for a in ORDER if a in set(per_seed["arm"])])
        .reset_index()
    )
    return {"tests": tests, "arms": arms}


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` table."""
    per_seed = tables.get("per_seed")
    if per_seed is None or not len(per_seed):
        return no_data("The filter-bank suite has no completed trials.")
    if "dense" not in set(per_seed["arm"]):
        return no_data("The filter-bank suite has no completed dense trials.")
    t = _tests(per_seed)
    tests, arms = t["tests"], t["arms"].set_index("arm")
    params = arms["n_params"]
    checks, parts = {}, []
    for variant in VARIANTS[1:]:
        matched = MATCHED[variant][0]
        p = params.get(variant, np.nan)
        # Exact: 2 * parameters < dense's parameters.
        checks[f"{variant}: under half the parameters"] = bool(
            np.isfinite(p) and 2 * int(p) < int(params["dense"])
        )
        words = {}
        for control, what in (
            ("dense", "as accurate as dense (margin 0.02)"),
            (matched, "as accurate as parameter-matched Dense"),
        ):
            words[control] = _runs.word_of(
                tests, f"{variant} vs {control}: correct test examples"
            )
            checks[f"{variant}: {what}"] = words[control] == _runs.NON_INFERIOR
        time_word = _runs.word_of(
            tests, f"{variant} vs dense: log10 seconds per epoch"
        )
        checks[f"{variant}: no slower per epoch (margin 1.1x)"] = (
            time_word == _runs.NON_INFERIOR
        )
        row = tests[
            tests["comparison"] == f"{variant} vs dense: correct test examples"
        ]
        diff = row["diff_mean"].iloc[0] if len(row) else np.nan
        n = per_seed.loc[per_seed["arm"] == variant, "n_test"]
        parts.append(
            f"{variant}: {p:.0f} vs {params['dense']:.0f} parameters; "
            f"{diff:+.1f} correct of {int(n.iloc[0]) if len(n) else 0} per "
            f"seed vs dense ({words['dense']}), vs {matched} "
            f"({words[matched]}); seconds per epoch {time_word}"
        )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Parameters, seconds per epoch and accuracy per arm."""
    import seaborn as sns

    per_seed = tables["per_seed"]
    order = [x for x in ORDER if x in set(per_seed["arm"])]
    axes = fig.subplots(1, 3)
    sns.barplot(
        per_seed, x="arm", y="n_params", order=order, errorbar=None, ax=axes[0]
    )
    axes[0].set_ylabel("parameters")
    axes[0].set_yscale("log")
    sns.stripplot(per_seed, x="arm", y="epoch_time_s", order=order, ax=axes[1])
    axes[1].set_ylabel("seconds per epoch (dots: seeds)")
    sns.stripplot(per_seed, x="arm", y="test_metric", order=order, ax=axes[2])
    axes[2].set_ylabel("test accuracy (dots: seeds)")
    for ax in axes:
        ax.set_xlabel("hidden layers")
        ax.tick_params(axis="x", labelrotation=30)
    return axes
