"""Claim 3: vanishing gradients in deep sigmoid and tanh networks.

A depth sweep of ``deep_mlp`` (digits, 32 units per layer, Glorot-uniform
kernels as Keras gives by default) trained once per activation and seed.
``GradientFlowMonitor`` records each Dense layer's gradient norm at
initialisation (epoch 0); the decay per layer is the slope of
``log10(gradient norm)`` against layer depth, from the output down to the
input, in the deepest network. Whether each depth trains is the runner's
test accuracy, compared with ReLU by the report's paired statistics.
"""

import sys

import numpy as np
import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import suite

NUMBER = 3
NAME = "vanishing"
TITLE = "Vanishing gradients"
CLAIM = (
    "In deep sigmoid and tanh networks the gradient shrinks layer by layer "
    "toward the input, faster than with ReLU, so deep sigmoid and tanh "
    "networks train worse than the same ReLU networks."
)
RULE = (
    "In the deepest network: for sigmoid and for tanh, (a) the gradient "
    "norm at initialisation decays faster per layer toward the input than "
    "ReLU's (more negative slope of log10 norm per layer), and (b) the "
    "paired comparison of test accuracy with ReLU says `worse`. holds = "
    "all four checks, fails = none, mixed = some."
)
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "selu", "tanh", "sigmoid")
SQUASHERS = ("sigmoid", "tanh")


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    epochs = 1 if quick else 8
    depths = [2, 4] if quick else [5, 10, 20, 40]
    return {
        NAME: suite(
            sys.modules[__name__],
            description="depth sweep of deep_mlp per activation",
            seeds=[0, 1] if quick else [0, 1, 2],
            training={
                "epochs": epochs,
                "batch_size": 64,
                "learning_rate": 0.001,
            },
            tasks=[
                {"name": "deep_mlp", "params": {"depth": depths, "width": 32}}
            ],
            activations=("relu", "tanh", "sigmoid") if quick else ACTIVATIONS,
            monitors={
                "dead_units": False,
                "gradient_flow": True,
                "every_n_epochs": epochs,
            },
        )
    }


def measure(ctx):
    """The claim's tables from its run folder (``ctx.run_dirs``).

    Returns:
        ``{"gradients": activation, depth (network), layer_depth, grad_norm
        (mean over seeds, at initialisation); "decay": activation, depth,
        slope; "accuracy": summary rows with depth; "numbers"}``.
    """
    data = _runs.load(ctx.run_dirs[NAME])
    mons = data.monitors
    g = mons[(mons["quantity"] == "grad_norm") & (mons["epoch"] == 0)]
    grads = g.groupby(["activation", "depth", "layer_depth"], as_index=False)[
        "value"
    ].mean()
    grads = grads.rename(columns={"value": "grad_norm"})
    rows = []
    for (act, depth), d in grads.groupby(["activation", "depth"]):
        d = d[d["grad_norm"] > 0]
        if len(d) >= 2:
            slope = np.polyfit(
                d["layer_depth"].max() - d["layer_depth"],
                np.log10(d["grad_norm"]),
                1,
            )[0]
        else:
            slope = np.nan
        rows.append({"activation": act, "depth": depth, "slope": slope})
    decay = pd.DataFrame(rows, columns=["activation", "depth", "slope"])
    summary = _runs.compare(data)
    depth_of = data.runs.drop_duplicates("task").set_index("task")["depth"]
    summary["depth"] = summary["task"].map(depth_of)
    accuracy = (
        summary[
            [
                "depth",
                "activation",
                "n_completed",
                "mean",
                "ci_low",
                "ci_high",
                "diff_mean",
                "verdict",
            ]
        ]
        .sort_values(["depth", "activation"])
        .reset_index(drop=True)
    )
    per_seed = _runs.completed(data.runs)[
        ["depth", "activation", "seed", "test_metric"]
    ]
    return {
        "gradients": grads,
        "decay": decay,
        "accuracy": accuracy,
        "per_seed": per_seed.reset_index(drop=True),
    }


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    decay, acc = tables.get("decay"), tables.get("accuracy")
    if decay is None or acc is None or not len(decay) or not len(acc):
        return no_data("The depth sweep has no completed trials.")
    deepest = decay["depth"].max()
    slope = decay[decay["depth"] == deepest].set_index("activation")["slope"]
    verdicts = acc[acc["depth"] == deepest].set_index("activation")["verdict"]
    if "relu" not in slope or not np.isfinite(slope["relu"]):
        return no_data("No ReLU gradients at the deepest depth.")
    checks, parts = {}, []
    for act in SQUASHERS:
        s = slope.get(act, np.nan)
        checks[f"{act} gradient decays faster than ReLU's"] = bool(
            np.isfinite(s) and s < slope["relu"]
        )
        word = verdicts.get(act, "missing")
        checks[f"deep {act} trains worse than ReLU"] = word == "worse"
        parts.append(
            f"{act}: {s:+.3f} decades per layer (ReLU {slope['relu']:+.3f}),"
            f" accuracy vs ReLU {word}"
        )
    reason = f"Depth {deepest:g}: " + "; ".join(parts) + "."
    return combine(checks, reason)


def plot(tables, fig):
    """Gradient norm per layer at init (deepest net); accuracy vs depth."""
    import seaborn as sns

    grads, acc = tables["gradients"], tables["per_seed"]
    order = [a for a in ACTIVATIONS if a in set(grads["activation"])]
    axes = fig.subplots(1, 2)
    deepest = grads["depth"].max()
    sns.lineplot(
        grads[grads["depth"] == deepest],
        x="layer_depth",
        y="grad_norm",
        hue="activation",
        hue_order=order,
        marker="o",
        markersize=3,
        ax=axes[0],
    )
    axes[0].set_yscale("log")
    axes[0].set_xlabel(f"layer (1 = input side), depth {deepest:g}")
    axes[0].set_ylabel("gradient norm at initialisation")
    sns.lineplot(
        acc,
        x="depth",
        y="test_metric",
        hue="activation",
        hue_order=order,
        marker="o",
        errorbar=None,
        ax=axes[1],
        legend=False,
    )
    axes[1].set_xscale("log", base=2)
    axes[1].set_xlabel("depth (hidden layers), swept")
    axes[1].set_ylabel("test accuracy (mean over seeds)")
    return axes
