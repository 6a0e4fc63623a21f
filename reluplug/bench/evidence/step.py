"""Claim 9: a step-function network does not learn below its last layer.

The digits MLP with the Heaviside step (``reluplug.layers.Heaviside``) as
hidden activation against the same network with ReLU.
``GradientFlowMonitor`` records each Dense layer's gradient norm at
initialisation and after every epoch; a layer whose gradient is exactly 0
throughout keeps its initial weights (Adam's update of a zero gradient is
zero).
"""

import sys

import numpy as np

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import seeds
from reluplug.bench.evidence._common import suite
from reluplug.bench.evidence._common import training

NUMBER = 9
NAME = "step"
TITLE = "Step function"
CLAIM = (
    "A network with a Heaviside step as hidden activation gets zero "
    "gradient below its last layer, so those layers never change, and it "
    "learns worse than the same ReLU network."
)
RULE = (
    "(a) with the step, every layer below the last has gradient norm "
    "exactly 0 at every recorded epoch; (b) with ReLU, every such layer "
    "has a non-zero gradient norm at initialisation; (c) the paired "
    "comparison of test accuracy says the step network is `worse` than "
    "ReLU. holds = all three, fails = none, mixed = some."
)
ACTIVATIONS = ("relu", "heaviside")
SHOW = ("gradients", "comparison")
FIGSIZE = (11, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    return {
        NAME: suite(
            sys.modules[__name__],
            description="Heaviside step vs ReLU",
            seeds=seeds(quick, 5, 2),
            training=training(quick, (2, 10), 0.001, init=None),
            tasks=[
                {"name": "digits_mlp", "params": {"hidden": 64, "layers": 2}}
            ],
            activations=list(ACTIVATIONS),
            monitors={"dead_units": False, "gradient_flow": True},
        )
    }


def measure(ctx):
    """The claim's tables from its run folder."""
    data = _runs.load(ctx.run_dirs[NAME])
    mons = data.monitors[data.monitors["quantity"] == "grad_norm"]
    last = mons.groupby("trial_id")["layer_depth"].transform("max")
    mons = mons.assign(below_last=mons["layer_depth"] < last)
    gradients = (
        mons.groupby(["activation", "layer_depth", "below_last"])
        .agg(
            max_grad_norm=("value", "max"),
            init_grad_norm=(
                "value",
                lambda v: v[mons.loc[v.index, "epoch"] == 0].min(),
            ),
            epochs=("epoch", "nunique"),
        )
        .reset_index()
    )
    summary = _runs.compare(data)
    comparison = summary[
        ["activation", "n_completed", "mean", "diff_mean", "verdict"]
    ].reset_index(drop=True)
    curves = data.history[["activation", "seed", "epoch", "val_metric"]]
    return {
        "gradients": gradients,
        "comparison": comparison,
        "curves": curves.reset_index(drop=True),
        "per_epoch": mons[
            ["activation", "seed", "epoch", "layer_depth", "value"]
        ].reset_index(drop=True),
    }


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    grads, comp = tables.get("gradients"), tables.get("comparison")
    if grads is None or comp is None or not len(grads):
        return no_data("The step suite recorded no gradients.")
    below = grads[grads["below_last"].astype(bool)]
    step = below[below["activation"] == "heaviside"]
    relu = below[below["activation"] == "relu"]
    if not len(step) or not len(relu):
        return no_data("Gradients of the step or ReLU network are missing.")
    step_max = float(step["max_grad_norm"].max())
    relu_min = float(relu["init_grad_norm"].min())
    word = comp.set_index("activation")["verdict"].get("heaviside")
    mean = comp.set_index("activation")["mean"]
    checks = {
        "step: zero gradient below the last layer": step_max == 0,
        "ReLU: non-zero gradient below the last layer": relu_min > 0,
        "step network learns worse than ReLU": word == "worse",
    }
    reason = (
        f"largest gradient norm below the last layer with the step: "
        f"{step_max:g} (over {int(step['epochs'].max())} recorded epochs); "
        f"smallest with ReLU at initialisation: {relu_min:.3g}; test "
        f"accuracy ReLU {mean.get('relu', np.nan):.3f}, step "
        f"{mean.get('heaviside', np.nan):.3f} ({word})."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Gradient norm per layer over epochs; validation accuracy."""
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    per_epoch, curves = tables["per_epoch"], tables["curves"]
    axes = fig.subplots(1, 2)
    data = per_epoch.assign(
        series=per_epoch["activation"]
        + " layer "
        + per_epoch["layer_depth"].astype(int).astype(str),
        value=per_epoch["value"].clip(lower=1e-12),
    )
    sns.lineplot(
        data,
        x="epoch",
        y="value",
        hue="series",
        style="activation",
        errorbar=None,
        ax=axes[0],
    )
    axes[0].set_yscale("log")
    axes[0].set_ylabel("gradient norm (0 drawn at 1e-12)")
    axes[0].set_title("per Dense layer (1 = input side)")
    sns.lineplot(
        curves,
        x="epoch",
        y="val_metric",
        hue="activation",
        hue_order=list(ACTIVATIONS),
        ax=axes[1],
    )
    axes[1].set_ylabel("validation accuracy")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return axes
