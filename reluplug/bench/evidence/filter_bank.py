"""Claim 8: cheap weighted sums (structured hidden layers).

The digits ReLU MLP with its hidden ``Dense`` layers replaced by
``HadamardDense`` or ``CirculantDense`` of the same width (the MLP task
parameter ``linear``, swept): parameters, seconds per epoch and test
accuracy, each structured variant paired with ``Dense`` over seeds by the
report's ``stats.paired_test``.
"""

import sys

import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import suite
from reluplug.bench.report import stats

NUMBER = 8
NAME = "filter_bank"
TITLE = "Cheap weighted sums"
CLAIM = (
    "ReLU networks whose hidden layers are HadamardDense or CirculantDense "
    "(fast transforms plus a diagonal) need far fewer parameters than "
    "Dense layers of the same width, are no slower per epoch, and reach "
    "comparable accuracy."
)
RULE = (
    "For each of hadamard and circulant against dense: (a) fewer than half "
    "the parameters; (b) mean seconds per epoch at most 1.1x dense's; "
    "(c) the paired test-accuracy difference is not `worse` and its mean "
    "is above -0.02. holds = all six checks, fails = none, mixed = some."
)
VARIANTS = ("dense", "hadamard", "circulant")
SHOW = ("variants",)
FIGSIZE = (12, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    params = {"hidden": 256, "layers": 2, "linear": list(VARIANTS)}
    return {
        NAME: suite(
            sys.modules[__name__],
            description="Dense vs HadamardDense vs CirculantDense",
            seeds=[0, 1] if quick else [0, 1, 2, 3, 4],
            training={
                "epochs": 2 if quick else 15,
                "batch_size": 64,
                "learning_rate": 0.002,
            },
            tasks=[{"name": "digits_mlp", "params": params}],
            activations=["relu"],
        )
    }


def measure(ctx):
    """The claim's tables from its run folder.

    The variants are compared like activations: the runs table is
    relabelled (``activation`` = the ``linear`` variant, one task) and
    handed to the report's ``stats.summarize`` with ``dense`` as baseline,
    so the pairing over seeds, the corrections and the verdict words are
    the report's. (The variants' initial weights differ by design: their
    hidden layers are different layers.)
    """
    data = _runs.load(ctx.run_dirs[NAME])
    runs = data.runs.assign(
        activation=data.runs["linear"],
        task=data.runs["task_name"]
        if "task_name" in data.runs
        else data.runs["task"].str.split("[").str[0],
        is_baseline=data.runs["linear"] == "dense",
    )
    relabel = runs.set_index("trial_id")[["task", "activation"]]
    history = data.history.drop(columns=["task", "activation"]).join(
        relabel, on="trial_id"
    )
    summary = stats.summarize(runs, history, baseline="dense")
    if "verdict" not in summary.columns:
        summary["verdict"] = [
            _runs.word(r._asdict(), r.metric_mode) for r in summary.itertuples()
        ]
    ok = _runs.completed(runs)
    params = ok.groupby("activation")["n_params"].median()
    variants = pd.DataFrame(
        {
            "linear": summary["activation"],
            "n_params": summary["activation"].map(params),
            "epoch_time_s": summary["epoch_time_s"],
            "test_accuracy": summary["mean"],
            "diff_vs_dense": summary["diff_mean"],
            "diff_ci_low": summary["diff_ci_low"],
            "diff_ci_high": summary["diff_ci_high"],
            "verdict": [
                "baseline" if b else v
                for b, v in zip(summary["is_baseline"], summary["verdict"])
            ],
        }
    )
    per_seed = ok[["linear", "seed", "test_metric", "mean_epoch_time_s"]]
    return {"variants": variants, "per_seed": per_seed.reset_index(drop=True)}


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    v = tables.get("variants")
    if v is None or not len(v) or "dense" not in set(v["linear"]):
        return no_data("The filter-bank suite has no completed dense trials.")
    v = v.set_index("linear")
    d = v.loc["dense"]
    checks, parts = {}, []
    for name in VARIANTS[1:]:
        if name not in v.index:
            checks[f"{name} measured"] = False
            continue
        r = v.loc[name]
        checks[f"{name}: under half the parameters"] = bool(
            r["n_params"] < 0.5 * d["n_params"]
        )
        checks[f"{name}: no slower per epoch"] = bool(
            r["epoch_time_s"] <= 1.1 * d["epoch_time_s"]
        )
        checks[f"{name}: comparable accuracy"] = bool(
            r["verdict"] != "worse" and r["diff_vs_dense"] > -0.02
        )
        parts.append(
            f"{name}: {r['n_params']:.0f} vs {d['n_params']:.0f} parameters, "
            f"{r['epoch_time_s']:.3f} vs {d['epoch_time_s']:.3f} s/epoch, "
            f"accuracy {r['test_accuracy']:.3f} vs {d['test_accuracy']:.3f} "
            f"({r['verdict']})"
        )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Parameters, seconds per epoch and accuracy per variant."""
    import seaborn as sns

    v, per_seed = tables["variants"], tables["per_seed"]
    order = [x for x in VARIANTS if x in set(v["linear"])]
    axes = fig.subplots(1, 3)
    sns.barplot(v, x="linear", y="n_params", order=order, ax=axes[0])
    axes[0].set_ylabel("parameters")
    sns.stripplot(
        per_seed, x="linear", y="mean_epoch_time_s", order=order, ax=axes[1]
    )
    axes[1].set_ylabel("seconds per epoch (dots: seeds)")
    sns.stripplot(
        per_seed, x="linear", y="test_metric", order=order, ax=axes[2]
    )
    axes[2].set_ylabel("test accuracy (dots: seeds)")
    for ax in axes:
        ax.set_xlabel("hidden layers (swept `linear`)")
    return axes
