"""Claim 5: ReLU units die at high learning rates; the variants do not.

A learning-rate sweep of the digits MLP over 10 seeds, trained with ReLU,
LeakyReLU, PReLU and ELU (He initialisation for all, their recommended
one), and (a second run folder, same tasks and seeds, so the same initial
weights) ReLU with ``DeadUnitMonitor(revive=True)``. The dead-unit monitor
measures, every epoch, the fraction of units that output <= 0 on every
probe sample: ``dead_fraction`` for ReLU (no gradient there) and
``inactive_fraction`` for the others (which still pass gradient).

Every comparison is the report's paired test over seeds
(``stats.paired_test``; accuracy with the Nadeau-Bengio correction and the
report's ROPE for equivalence), at every learning rate; the checked ones
are adjusted together by Holm, the others (reported) separately. The
accuracy that reviving costs (or gains) is one of the reported rows.
"""

import sys

import numpy as np
import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import seeds
from reluplug.bench.evidence._common import suite
from reluplug.bench.evidence._common import training
from reluplug.bench.report import stats

NUMBER = 5
NAME = "dead_units"
TITLE = "Dead units"
CLAIM = (
    "ReLU units die (never activate again) more as the learning rate "
    "grows; LeakyReLU, PReLU and ELU, whose inactive units still get "
    "gradient, train at least as well there, and reviving dead ReLU units "
    "lowers the dead fraction."
)
RULE = (
    "Over 10 seeds, with the report's paired tests (Holm over the five "
    "checked comparisons): (a) ReLU's final dead fraction at the highest "
    "learning rate is `worse` (higher) than at the lowest; (b) at the "
    "highest learning rate, LeakyReLU's, PReLU's and ELU's test accuracy "
    "is each `better` than or `equivalent` to ReLU's (ROPE ±0.005); (c) at "
    "the highest learning rate, ReLU with revive=True ends with a `better` "
    "(lower) dead fraction than ReLU. The same tests at every learning "
    "rate, and revive's accuracy against ReLU's, are reported beside. "
    "holds = all five checks, fails = none, mixed = some."
)
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu")
REVIVE = "relu_revive"
ROPE = stats.DEFAULT_ROPE["accuracy"]
SHOW = ("tests", "final")
FIGSIZE = (12, 4)


def suites(quick=False):
    """``{name: suite dict}``: the sweep, and ReLU with revive."""
    common = {
        "description": "learning-rate sweep, dead units",
        "seeds": seeds(quick),
        "training": training(
            quick,
            (2, 10),
            [0.001, 0.1] if quick else [0.001, 0.01, 0.1],
            batch_size=32,
        ),
        "tasks": [
            {"name": "digits_mlp", "params": {"hidden": 64, "layers": 3}}
        ],
    }

    def monitors(revive):
        return {
            "dead_units": True,
            "gradient_flow": False,
            "max_samples": 512,
            "revive": revive,
        }

    acts = ACTIVATIONS[:2] if quick else ACTIVATIONS
    return {
        NAME: suite(
            sys.modules[__name__],
            activations=[(a, a) for a in acts],
            monitors=monitors(False),
            **common,
        ),
        f"{NAME}_revive": suite(
            sys.modules[__name__],
            name=f"{NAME}_revive",
            activations=[("relu", REVIVE)],
            monitors=monitors(True),
            baseline=REVIVE,
            **common,
        ),
    }


def measure(ctx):
    """The claim's tables from its two run folders."""
    parts = [_runs.load(ctx.run_dirs[n]) for n in suites(ctx.quick)]
    runs = pd.concat([p.runs for p in parts], ignore_index=True)
    history = pd.concat([p.history for p in parts], ignore_index=True)
    history["fraction"] = history["dead_fraction"].fillna(
        history["inactive_fraction"]
    )
    history["measure"] = np.where(
        history["dead_fraction"].notna(), "dead", "inactive"
    )
    curves = history[
        ["activation", "learning_rate", "seed", "epoch", "fraction", "measure"]
    ]
    ok = _runs.completed(runs)
    last = (
        history.sort_values("epoch")
        .groupby("trial_id", as_index=False)
        .last()[["trial_id", "fraction", "measure"]]
    )
    per_seed = ok.merge(last, on="trial_id", how="left").rename(
        columns={"activation": "arm"}
    )[["arm", "learning_rate", "seed", "fraction", "measure", "test_metric"]]
    per_seed["nb_ratio"] = _runs.nb_ratio_of(ok)
    tables = {
        "per_seed": per_seed.sort_values(
            ["learning_rate", "arm", "seed"]
        ).reset_index(drop=True),
        "curves": curves.reset_index(drop=True),
    }
    tables.update(_tests(tables["per_seed"]))
    return tables


def _tests(per_seed):
    """``{"tests", "final"}``: the checked comparisons, those reported
    beside, and means per (learning rate, arm)."""
    rates = sorted(set(per_seed["learning_rate"]))
    low, high = rates[0], rates[-1]
    nb = per_seed["nb_ratio"].dropna() if "nb_ratio" in per_seed else []
    nb = float(nb.iloc[0]) if len(nb) else None

    def at(rate):
        return per_seed[per_seed["learning_rate"] == rate]

    def accuracy(rate, arm):
        a, b = _runs.aligned(at(rate), "test_metric", arm, "relu")
        return _runs.paired(
            f"lr {rate:g}: {arm} vs relu, test accuracy",
            a,
            b,
            nb_ratio=nb,
            rope=ROPE,
        )

    def dead(rate, arm):
        a, b = _runs.aligned(at(rate), "fraction", arm, "relu")
        return _runs.paired(
            f"lr {rate:g}: {arm} vs relu, final dead fraction", a, b, mode="min"
        )

    relu = per_seed[per_seed["arm"] == "relu"].assign(
        arm=lambda d: d["learning_rate"].map({low: "low", high: "high"})
    )
    a, b = _runs.aligned(relu, "fraction", "high", "low")
    family = [
        _runs.paired(
            f"relu: final dead fraction at lr {high:g} vs lr {low:g}",
            a,
            b,
            mode="min",
        )
    ]
    variants = [a for a in ACTIVATIONS[1:] if a in set(per_seed["arm"])]
    family += [accuracy(high, v) for v in variants]
    family.append(dead(high, REVIVE))
    beside = []
    for rate in rates:
        beside += [accuracy(rate, REVIVE)]
        if rate != high:
            beside += [accuracy(rate, v) for v in variants]
            beside.append(dead(rate, REVIVE))
    tests = _runs.decide_checked(family, beside)
    final = (
        per_seed.groupby(["learning_rate", "arm"], as_index=False)
        .agg(
            measure=("measure", "first"),
            final_fraction=("fraction", "mean"),
            test_accuracy=("test_metric", "mean"),
            n=("seed", "count"),
        )
        .sort_values(["learning_rate", "arm"])
        .reset_index(drop=True)
    )
    return {"tests": tests, "final": final}


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` table."""
    per_seed = tables.get("per_seed")
    if per_seed is None or not len(per_seed):
        return no_data("The learning-rate sweep has no completed trials.")
    if "relu" not in set(per_seed["arm"]):
        return no_data("The learning-rate sweep has no ReLU trials.")
    t = _tests(per_seed)
    tests, final = t["tests"], t["final"]
    f = final.set_index(["learning_rate", "arm"])
    rates = sorted(set(per_seed["learning_rate"]))
    low, high = rates[0], rates[-1]

    def mean(rate, arm, col):
        return f[col].get((rate, arm), np.nan)

    word = _runs.word_of(
        tests, f"relu: final dead fraction at lr {high:g} vs lr {low:g}"
    )
    checks = {"ReLU dies more at the highest learning rate": word == "worse"}
    parts = [
        f"ReLU dead fraction {mean(low, 'relu', 'final_fraction'):.3f} at lr "
        f"{low:g}, {mean(high, 'relu', 'final_fraction'):.3f} at lr "
        f"{high:g} ({word})"
    ]
    for act in ACTIVATIONS[1:]:
        word = _runs.word_of(
            tests, f"lr {high:g}: {act} vs relu, test accuracy"
        )
        checks[f"{act} trains at least as well as ReLU at lr {high:g}"] = (
            word in ("better", "equivalent")
        )
        parts.append(
            f"{act} accuracy {mean(high, act, 'test_accuracy'):.3f} vs ReLU "
            f"{mean(high, 'relu', 'test_accuracy'):.3f} ({word})"
        )
    word = _runs.word_of(
        tests, f"lr {high:g}: {REVIVE} vs relu, final dead fraction"
    )
    checks["revive=True lowers ReLU's dead fraction"] = word == "better"
    cost = _runs.word_of(tests, f"lr {high:g}: {REVIVE} vs relu, test accuracy")
    parts.append(
        f"with revive=True dead fraction "
        f"{mean(high, REVIVE, 'final_fraction'):.3f} ({word}), accuracy "
        f"{mean(high, REVIVE, 'test_accuracy'):.3f} vs ReLU "
        f"{mean(high, 'relu', 'test_accuracy'):.3f} ({cost}; reported, not "
        "part of the verdict)"
    )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Final dead/inactive fraction and accuracy against learning rate."""
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    final, curves = tables["final"], tables["curves"]
    order = [*ACTIVATIONS, REVIVE]
    axes = fig.subplots(1, 3)
    high = curves["learning_rate"].max()
    sns.lineplot(
        curves[curves["learning_rate"] == high],
        x="epoch",
        y="fraction",
        hue="activation",
        hue_order=order,
        errorbar=None,
        ax=axes[0],
        legend=False,
    )
    axes[0].set_ylabel("dead (ReLU) / inactive fraction")
    axes[0].set_title(f"over training, lr {high:g}")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax, col, label in (
        (axes[1], "final_fraction", "final dead / inactive fraction"),
        (axes[2], "test_accuracy", "test accuracy"),
    ):
        sns.lineplot(
            final,
            x="learning_rate",
            y=col,
            hue="arm",
            hue_order=order,
            marker="o",
            ax=ax,
            legend=ax is axes[2],
        )
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (swept)")
        ax.set_ylabel(label)
    return axes
