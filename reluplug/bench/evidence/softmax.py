"""Claim 7: softmax is a read-out, not a hidden activation.

The digits CNN input→conv→act→pool→conv→act→pool→dense→softmax trained
with ReLU as ``act``, with softmax (over the channels, the last axis) and
with ReLU∘softmax (which equals softmax: softmax is never negative). Same
initial weights, data order and seeds; test accuracy compared with the
report's paired statistics.
"""

import sys

import numpy as np

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import suite

NUMBER = 7
NAME = "softmax"
TITLE = "Softmax is a read-out"
CLAIM = (
    "Softmax belongs at the output: the same CNN with softmax, or with "
    "ReLU∘softmax (which is softmax), between its hidden layers trains "
    "worse than with ReLU."
)
RULE = (
    "(a) the paired comparison of test accuracy says softmax is `worse` "
    "than ReLU; (b) the same for ReLU∘softmax; (c) ReLU∘softmax and "
    "softmax reach the same test accuracy on every seed (within 0.005). "
    "holds = all three, fails = none, mixed = some."
)
SOFTMAX = "softmax"
RELU_SOFTMAX = "relu∘softmax"
ACTIVATIONS = (
    ("relu", "relu"),
    ("keras.layers:Softmax", SOFTMAX),
    ("reluplug.bench.evidence._layers:ReLUOfSoftmax", RELU_SOFTMAX),
)
SHOW = ("comparison",)
FIGSIZE = (6.5, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    return {
        NAME: suite(
            sys.modules[__name__],
            description="ReLU vs softmax as a hidden activation",
            seeds=[0, 1] if quick else [0, 1, 2, 3, 4],
            training={
                "epochs": 2 if quick else 12,
                "batch_size": 64,
                "learning_rate": 0.002,
            },
            tasks=[{"name": "digits_cnn", "params": {"filters": 16}}],
            activations=list(ACTIVATIONS),
        )
    }


def measure(ctx):
    """The claim's tables from its run folder."""
    data = _runs.load(ctx.run_dirs[NAME])
    summary = _runs.compare(data)
    comparison = summary[
        [
            "activation",
            "n_completed",
            "mean",
            "ci_low",
            "ci_high",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "verdict",
        ]
    ].reset_index(drop=True)
    per_seed = _runs.completed(data.runs)[
        ["activation", "seed", "test_metric"]
    ].reset_index(drop=True)
    return {"comparison": comparison, "per_seed": per_seed}


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    comp, per_seed = tables.get("comparison"), tables.get("per_seed")
    if comp is None or per_seed is None or not len(per_seed):
        return no_data("The softmax suite has no completed trials.")
    word = comp.set_index("activation")["verdict"]
    wide = per_seed.pivot_table(
        index="seed", columns="activation", values="test_metric"
    )
    if {SOFTMAX, RELU_SOFTMAX} <= set(wide.columns):
        gap = float((wide[SOFTMAX] - wide[RELU_SOFTMAX]).abs().max())
    else:
        gap = np.nan
    checks = {
        "softmax hidden is worse than ReLU": word.get(SOFTMAX) == "worse",
        "ReLU∘softmax hidden is worse than ReLU": (
            word.get(RELU_SOFTMAX) == "worse"
        ),
        "ReLU∘softmax trains as softmax": bool(gap <= 0.005),
    }
    mean = comp.set_index("activation")["mean"]
    reason = (
        f"mean test accuracy: ReLU {mean.get('relu', np.nan):.3f}, softmax "
        f"{mean.get(SOFTMAX, np.nan):.3f} ({word.get(SOFTMAX)}), "
        f"ReLU∘softmax {mean.get(RELU_SOFTMAX, np.nan):.3f} "
        f"({word.get(RELU_SOFTMAX)}); largest per-seed gap between softmax "
        f"and ReLU∘softmax {gap:.4f}."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Test accuracy per hidden activation: seeds and means."""
    import seaborn as sns

    per_seed = tables["per_seed"]
    order = [label for _, label in ACTIVATIONS]
    ax = fig.add_subplot()
    sns.stripplot(per_seed, x="activation", y="test_metric", order=order, ax=ax)
    sns.pointplot(
        per_seed,
        x="activation",
        y="test_metric",
        order=order,
        color="0.2",
        markers="D",
        linestyle="none",
        errorbar=None,
        ax=ax,
    )
    ax.set_xlabel("hidden activation of the digits CNN")
    ax.set_ylabel("test accuracy (dots: seeds)")
    return ax
