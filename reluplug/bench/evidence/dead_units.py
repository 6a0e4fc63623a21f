"""Claim 5: ReLU units die at high learning rates; the variants do not.

A learning-rate sweep of the digits MLP, trained with ReLU, LeakyReLU,
PReLU and ELU, and (a second run folder, same tasks and seeds, so the same
initial weights) ReLU with ``DeadUnitMonitor(revive=True)``. The dead-unit
monitor measures, every epoch, the fraction of units that output <= 0 on
every probe sample: ``dead_fraction`` for ReLU (no gradient there) and
``inactive_fraction`` for the others (which still pass gradient).
"""

import sys

import numpy as np
import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import suite

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
    "(a) ReLU's final dead fraction (mean over seeds) at the highest "
    "learning rate exceeds that at the lowest; (b) at the highest learning "
    "rate, LeakyReLU's, PReLU's and ELU's mean test accuracy is each at "
    "least ReLU's; (c) at the highest learning rate, ReLU with revive=True "
    "ends with a lower dead fraction than ReLU. holds = all checks, fails "
    "= none, mixed = some."
)
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu")
REVIVE = "relu_revive"
SHOW = ("final",)
FIGSIZE = (12, 4)


def suites(quick=False):
    """``{name: suite dict}``: the sweep, and ReLU with revive."""
    seeds = [0, 1] if quick else [0, 1, 2]
    training = {
        "epochs": 2 if quick else 10,
        "batch_size": 32,
        "learning_rate": [0.001, 0.1] if quick else [0.001, 0.01, 0.03, 0.1],
    }
    tasks = [{"name": "digits_mlp", "params": {"hidden": 64, "layers": 3}}]

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
            description="learning-rate sweep, dead units",
            seeds=seeds,
            training=training,
            tasks=tasks,
            activations=[(a, a) for a in acts],
            monitors=monitors(False),
        ),
        f"{NAME}_revive": suite(
            sys.modules[__name__],
            name=f"{NAME}_revive",
            description="learning-rate sweep, dead units",
            seeds=seeds,
            training=training,
            tasks=tasks,
            activations=[("relu", REVIVE)],
            monitors=monitors(True),
            baseline="relu_revive",
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
    ok = ok.merge(last, on="trial_id", how="left")
    final = (
        ok.groupby(["learning_rate", "activation"], as_index=False)
        .agg(
            measure=("measure", "first"),
            final_fraction=("fraction", "mean"),
            test_accuracy=("test_metric", "mean"),
            n=("seed", "count"),
        )
        .sort_values(["learning_rate", "activation"])
        .reset_index(drop=True)
    )
    return {"final": final, "curves": curves.reset_index(drop=True)}


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    final = tables.get("final")
    if final is None or not len(final):
        return no_data("The learning-rate sweep has no completed trials.")
    f = final.set_index(["learning_rate", "activation"])
    low, high = final["learning_rate"].min(), final["learning_rate"].max()
    if (low, "relu") not in f.index or (high, "relu") not in f.index:
        return no_data("ReLU is missing at the lowest or highest rate.")
    relu_low = f.loc[(low, "relu"), "final_fraction"]
    relu_high = f.loc[(high, "relu"), "final_fraction"]
    acc = f.loc[(high, "relu"), "test_accuracy"]
    checks = {"ReLU dies more at a higher learning rate": relu_high > relu_low}
    parts = [
        f"ReLU dead fraction {relu_low:.3f} at lr {low:g}, {relu_high:.3f} "
        f"at lr {high:g}"
    ]
    for act in ACTIVATIONS[1:]:
        a = f["test_accuracy"].get((high, act), np.nan)
        checks[f"{act} trains at least as well as ReLU at lr {high:g}"] = bool(
            a >= acc
        )
        parts.append(f"{act} accuracy {a:.3f} vs ReLU {acc:.3f}")
    revived = f["final_fraction"].get((high, REVIVE), np.nan)
    checks["revive=True lowers ReLU's dead fraction"] = bool(
        revived < relu_high
    )
    parts.append(f"with revive=True {revived:.3f}")
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
            hue="activation",
            hue_order=order,
            marker="o",
            ax=ax,
            legend=ax is axes[2],
        )
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (swept)")
        ax.set_ylabel(label)
    return axes
