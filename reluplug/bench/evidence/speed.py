"""Claim 4: ReLU networks train faster than sigmoid and tanh networks.

Identical MLPs (same data order, same initial weights) per activation on
two offline tasks: seconds per epoch (the runner's steady-state epoch
time) and epochs until the validation accuracy reaches a common target
(Kaplan-Meier median, trials that never reach it censored). Beside the
networks, the cost of each activation alone: one compiled forward +
backward pass over a 1024 x 1024 float32 tensor, median of 30.
"""

import sys

import numpy as np
import pandas as pd

from reluplug.bench.evidence import _runs
from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._common import suite

NUMBER = 4
NAME = "speed"
TITLE = "Training speed"
CLAIM = (
    "ReLU networks train faster than the same sigmoid and tanh networks: "
    "fewer epochs to a target accuracy, no more seconds per epoch, and a "
    "cheaper activation op."
)
RULE = (
    "On every task, ReLU's Kaplan-Meier median epochs to the target "
    "(90% of the best validation accuracy any trial of the task reaches) "
    "is below sigmoid's and below tanh's; ReLU's mean seconds per epoch is "
    "at most each of theirs (epoch_time_ratio >= 1); ReLU's op forward + "
    "backward is faster than sigmoid's and tanh's. holds = all checks, "
    "fails = none, mixed = some."
)
ACTIVATIONS = ("relu", "sigmoid", "tanh")
OP_ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh")
OP_SHAPE = (1024, 1024)
TARGET_FRACTION = 0.9
SHOW = ("epochs_to_target", "per_task", "op_cost")
FIGSIZE = (15, 4)


def suites(quick=False):
    """``{name: suite dict}`` of the claim's trials."""
    names = ("digits_mlp",) if quick else ("digits_mlp", "mnist1d_mlp")
    return {
        NAME: suite(
            sys.modules[__name__],
            description="ReLU vs sigmoid vs tanh, identical MLPs",
            seeds=[0, 1] if quick else [0, 1, 2],
            training={
                "epochs": 2 if quick else 20,
                "batch_size": 64,
                "learning_rate": 0.001,
            },
            tasks=[
                {"name": n, "params": {"hidden": 64, "layers": 3}}
                for n in names
            ],
            activations=list(ACTIVATIONS),
        )
    }


def op_cost(repeats=30):
    """Forward + backward seconds of each activation alone."""
    import reluplug
    from reluplug.bench.evidence._autodiff import forward_backward_seconds

    rows = []
    for name in OP_ACTIVATIONS:
        layer = reluplug.get(name)
        median, _ = forward_backward_seconds(layer, OP_SHAPE, repeats)
        rows.append({"activation": name, "fwd_bwd_ms": 1e3 * median})
    df = pd.DataFrame(rows)
    df["vs_relu"] = df["fwd_bwd_ms"] / float(
        df.loc[df["activation"] == "relu", "fwd_bwd_ms"].iloc[0]
    )
    return df


def measure(ctx):
    """The claim's tables: run folder (``ctx.run_dirs``) + op timings.

    The op timings are kept in ``ctx.folder/op_cost.csv`` and not redone
    on a resume.
    """
    data = _runs.load(ctx.run_dirs[NAME])
    summary = _runs.compare(data)
    per_task = summary[
        [
            "task",
            "activation",
            "n_completed",
            "mean",
            "epoch_time_s",
            "epoch_time_ratio",
            "verdict",
        ]
    ].reset_index(drop=True)
    rows = []
    curves = []
    for task, h in data.history.groupby("task"):
        runs = data.runs[data.runs["task"] == task]
        best = h["val_metric"].max()
        target = TARGET_FRACTION * best
        ett = _runs.epochs_to_target(h, runs, target)
        for act, g in ett.groupby("activation"):
            rows.append(
                {
                    "task": task,
                    "activation": act,
                    "target": target,
                    "n_trials": len(g),
                    "n_reached": int(g["reached"].sum()),
                    "km_median_epochs": _runs.km_median(
                        g["epochs"], g["reached"]
                    ),
                }
            )
        curves.append(h[["task", "activation", "seed", "epoch", "val_metric"]])
    ett = pd.DataFrame(
        rows,
        columns=[
            "task",
            "activation",
            "target",
            "n_trials",
            "n_reached",
            "km_median_epochs",
        ],
    )
    cached = ctx.folder / "op_cost.csv"
    ops = (
        pd.read_csv(cached)
        if cached.exists()
        else op_cost(repeats=5 if ctx.quick else 30)
    )
    history = pd.concat(curves, ignore_index=True) if curves else None
    return {
        "epochs_to_target": ett,
        "per_task": per_task,
        "op_cost": ops,
        "curves": history if history is not None else pd.DataFrame(),
    }


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    ett = tables.get("epochs_to_target")
    per_task = tables.get("per_task")
    ops = tables.get("op_cost")
    if ett is None or per_task is None or ops is None or not len(ett):
        return no_data("The speed suite has no completed trials.")
    checks, parts = {}, []
    km = ett.set_index(["task", "activation"])["km_median_epochs"]
    ratio = per_task.set_index(["task", "activation"])["epoch_time_ratio"]
    cost = ops.set_index("activation")["fwd_bwd_ms"]
    for other in ("sigmoid", "tanh"):
        fewer, cheaper = [], []
        for task in sorted(set(ett["task"])):
            r, o = km.get((task, "relu"), np.inf), km.get((task, other), np.inf)
            fewer.append(bool(r < o))
            q = ratio.get((task, other), np.nan)
            cheaper.append(bool(np.isfinite(q) and q >= 1.0))
            parts.append(
                f"{task}: ReLU {r:g} vs {other} {o:g} epochs, {other} "
                f"epoch time x{q:.2f}"
            )
        checks[f"fewer epochs to target than {other}"] = all(fewer)
        checks[f"no more seconds per epoch than {other}"] = all(cheaper)
        checks[f"cheaper op than {other}"] = bool(
            cost.get("relu", np.inf) < cost.get(other, -np.inf)
        )
    parts.append(
        "op fwd+bwd ms: " + ", ".join(f"{a} {cost[a]:.3f}" for a in cost.index)
    )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Validation accuracy per epoch; epoch time; op cost."""
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    curves, per_task, ops = (
        tables["curves"],
        tables["per_task"],
        tables["op_cost"],
    )
    axes = fig.subplots(1, 3)
    task = sorted(set(curves["task"]))[0]
    sns.lineplot(
        curves[curves["task"] == task],
        x="epoch",
        y="val_metric",
        hue="activation",
        hue_order=list(ACTIVATIONS),
        errorbar=None,
        ax=axes[0],
    )
    axes[0].set_title(f"{task}")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("validation accuracy (mean)")
    sns.barplot(
        per_task,
        x="task",
        y="epoch_time_s",
        hue="activation",
        hue_order=list(ACTIVATIONS),
        ax=axes[1],
        legend=False,
    )
    axes[1].set_ylabel("seconds per epoch")
    axes[1].tick_params(axis="x", labelrotation=20)
    sns.barplot(ops, x="activation", y="fwd_bwd_ms", color="0.5", ax=axes[2])
    axes[2].set_ylabel("op forward+backward (ms)")
    axes[2].set_title(f"activation alone, {OP_SHAPE[0]}x{OP_SHAPE[1]}")
    axes[2].tick_params(axis="x", labelrotation=30)
    return axes
