"""Claim 4: ReLU networks train faster than sigmoid and tanh networks.

Identical MLPs on digits (same data order, same standard draws for the
initial weights, each activation with its recommended scale: He for
ReLU, Glorot for sigmoid and tanh), 10 seeds, trained with Adam and, in a
second run folder, with plain SGD. Per seed, the target is the report's:
the median best validation accuracy of that seed's three trials
(``stats.group_targets``); a trial's epochs to target is its first epoch
at or above it (``stats.first_hit``), or one past its last epoch when it
never gets there. ReLU is compared with each other activation seed by
seed by the report's paired test (``stats.paired_test``).

The cost of the activation itself is timed apart from training: one
compiled forward + backward pass over a 1024 x 1024 float32 tensor, per
round every activation once in a shuffled order (so drifts in the
machine's load hit all of them alike), paired over rounds on log10
seconds. The trials' seconds per epoch are reported, not checked: on a
shared machine they vary more than the activations do.
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

NUMBER = 4
NAME = "speed"
TITLE = "Training speed"
CLAIM = (
    "ReLU networks train faster than the same sigmoid and tanh networks: "
    "fewer epochs to a target accuracy, with Adam and with plain SGD, and "
    "a cheaper activation op."
)
RULE = (
    "Over 10 seeds (target per seed: the median best validation accuracy "
    "of its three trials; never reached = one epoch past the last): for "
    "sigmoid and for tanh, with Adam and with SGD, the report's paired "
    "test of epochs to target says ReLU is `better` (fewer); over the "
    "timing rounds, the paired test of log10 seconds of the op's forward + "
    "backward says ReLU's is `better` (cheaper). Holm over the six "
    "comparisons. holds = all six, fails = none, mixed = some."
)
ACTIVATIONS = ("relu", "sigmoid", "tanh")
OTHERS = ("sigmoid", "tanh")
OPTIMIZERS = (("adam", 0.001), ("sgd", 0.05))
OP_ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh")
OP_SHAPE = (1024, 1024)
OP_CALLS = 5  # calls per timing (their median)
SHOW = ("tests", "targets", "op_cost")
FIGSIZE = (15, 4)


def suites(quick=False):
    """``{name: suite dict}``: one run folder per optimizer."""
    out = {}
    for optimizer, rate in OPTIMIZERS:
        name = NAME if optimizer == "adam" else f"{NAME}_{optimizer}"
        out[name] = suite(
            sys.modules[__name__],
            name=name,
            description=f"ReLU vs sigmoid vs tanh, identical MLPs, {optimizer}",
            seeds=seeds(quick),
            training=training(quick, (3, 20), rate, optimizer=optimizer),
            tasks=[
                {"name": "digits_mlp", "params": {"hidden": 64, "layers": 3}}
            ],
            activations=list(ACTIVATIONS),
        )
    return out


def op_rounds(rounds=30, seed=0):
    """Seconds of each activation's forward + backward, round by round.

    Returns:
        DataFrame: round, activation, seconds (median of ``OP_CALLS``
        calls), each round in a shuffled order.
    """
    import time

    import reluplug
    from reluplug.bench.evidence._autodiff import compiled_forward_backward

    calls = {
        name: compiled_forward_backward(reluplug.get(name), OP_SHAPE)
        for name in OP_ACTIVATIONS
    }
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(rounds):
        for name in rng.permutation(OP_ACTIVATIONS):
            times = []
            for _ in range(OP_CALLS):
                t0 = time.perf_counter()
                calls[name]()
                times.append(time.perf_counter() - t0)
            rows.append(
                {
                    "round": r,
                    "activation": str(name),
                    "seconds": float(np.median(times)),
                }
            )
    return pd.DataFrame(rows)


def _per_seed(data, optimizer):
    """Epochs to the seed's target per trial (see the module docstring)."""
    runs = _runs.completed(data.runs)
    targets = stats.group_targets(runs, "max")
    rows = []
    for r in runs.itertuples():
        h = data.history[data.history["trial_id"] == r.trial_id]
        target = targets.get(r.seed, np.nan)
        epoch, _ = stats.first_hit(h, target, "max")
        reached = bool(np.isfinite(epoch))
        rows.append(
            {
                "optimizer": optimizer,
                "arm": r.activation,
                "seed": r.seed,
                "target": target,
                "reached": reached,
                "epochs": epoch if reached else float(h["epoch"].max() + 1),
                "test_metric": r.test_metric,
                "epoch_time_s": r.mean_epoch_time_s,
            }
        )
    return rows


def measure(ctx):
    """The claim's tables: both run folders + the op timings.

    The op timings are kept in ``ctx.folder/op_rounds.csv`` and not redone
    on a resume.
    """
    rows, curves = [], []
    for name in suites(ctx.quick):
        data = _runs.load(ctx.run_dirs[name])
        optimizer = "adam" if name == NAME else name.split("_")[-1]
        rows += _per_seed(data, optimizer)
        curves.append(
            data.history[["activation", "seed", "epoch", "val_metric"]].assign(
                optimizer=optimizer
            )
        )
    cached = ctx.folder / "op_rounds.csv"
    ops = (
        pd.read_csv(cached)
        if cached.exists()
        else op_rounds(rounds=5 if ctx.quick else 30)
    )
    tables = {
        "per_seed": pd.DataFrame(rows),
        "op_rounds": ops,
        "curves": pd.concat(curves, ignore_index=True),
    }
    tables.update(_tests(tables["per_seed"], ops))
    return tables


def _tests(per_seed, ops):
    """The six checked comparisons (and the unchecked epoch times),
    ``targets`` (per optimizer and arm) and ``op_cost`` tables."""
    family, beside = [], []
    for optimizer, _ in OPTIMIZERS:
        d = per_seed[per_seed["optimizer"] == optimizer]
        for other in OTHERS:
            a, b = _runs.aligned(d, "epochs", "relu", other)
            family.append(
                _runs.paired(
                    f"{optimizer}: relu vs {other}, epochs to target",
                    a,
                    b,
                    mode="min",
                )
            )
            a, b = _runs.aligned(d, "epoch_time_s", "relu", other)
            beside.append(
                _runs.paired(
                    f"{optimizer}: relu vs {other}, seconds per epoch",
                    np.log10(a),
                    np.log10(b),
                    mode="min",
                )
            )
    wide = ops.pivot_table(
        index="round", columns="activation", values="seconds"
    )
    for other in OTHERS:
        if {"relu", other} <= set(wide.columns):
            a, b = np.log10(wide["relu"]), np.log10(wide[other])
        else:
            a = b = np.array([])
        family.append(
            _runs.paired(
                f"op: relu vs {other}, log10 seconds", a, b, mode="min"
            )
        )
    tests = _runs.decide_checked(family, beside)
    targets = (
        per_seed.groupby(["optimizer", "arm"], sort=False)
        .agg(
            n=("seed", "count"),
            n_reached=("reached", "sum"),
            mean_epochs=("epochs", "mean"),
            km_median_epochs=(
                "epochs",
                lambda e: stats.km_median(
                    e, per_seed.loc[e.index, "reached"].astype(float)
                ),
            ),
            test_accuracy=("test_metric", "mean"),
            epoch_time_s=("epoch_time_s", "mean"),
        )
        .reset_index()
    )
    op_cost = (
        ops.groupby("activation", sort=False)["seconds"]
        .median()
        .mul(1e3)
        .rename("fwd_bwd_ms")
        .reset_index()
    )
    if "relu" in set(op_cost["activation"]):
        relu = op_cost.loc[op_cost["activation"] == "relu", "fwd_bwd_ms"]
        op_cost["vs_relu"] = op_cost["fwd_bwd_ms"] / float(relu.iloc[0])
    return {"tests": tests, "targets": targets, "op_cost": op_cost}


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` and ``op_rounds``
    tables."""
    per_seed, ops = tables.get("per_seed"), tables.get("op_rounds")
    if per_seed is None or ops is None or not len(per_seed):
        return no_data("The speed suites have no completed trials.")
    t = _tests(per_seed, ops)
    tests = t["tests"]
    checks, parts = {}, []
    means = t["targets"].set_index(["optimizer", "arm"])["mean_epochs"]
    for optimizer, _ in OPTIMIZERS:
        for other in OTHERS:
            word = _runs.word_of(
                tests, f"{optimizer}: relu vs {other}, epochs to target"
            )
            checks[f"{optimizer}: fewer epochs to target than {other}"] = (
                word == "better"
            )
            relu = means.get((optimizer, "relu"), np.nan)
            rest = means.get((optimizer, other), np.nan)
            parts.append(
                f"{optimizer}: ReLU {relu:.1f} vs {other} {rest:.1f} mean "
                f"epochs ({word})"
            )
    cost = t["op_cost"].set_index("activation")["fwd_bwd_ms"]
    for other in OTHERS:
        word = _runs.word_of(tests, f"op: relu vs {other}, log10 seconds")
        checks[f"cheaper op than {other}"] = word == "better"
        parts.append(
            f"op ReLU {cost.get('relu', np.nan):.3f} ms vs {other} "
            f"{cost.get(other, np.nan):.3f} ms ({word})"
        )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Validation accuracy per epoch (Adam, SGD); op cost."""
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    curves, ops = tables["curves"], tables["op_rounds"]
    axes = fig.subplots(1, 3)
    for ax, (optimizer, _) in zip(axes, OPTIMIZERS):
        sns.lineplot(
            curves[curves["optimizer"] == optimizer],
            x="epoch",
            y="val_metric",
            hue="activation",
            hue_order=list(ACTIVATIONS),
            errorbar=None,
            ax=ax,
            legend=ax is axes[0],
        )
        ax.set_title(f"digits MLP, {optimizer}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("validation accuracy (mean over seeds)")
    sns.boxplot(
        ops.assign(ms=ops["seconds"] * 1e3),
        x="activation",
        y="ms",
        order=[a for a in OP_ACTIVATIONS if a in set(ops["activation"])],
        color="0.7",
        ax=axes[2],
    )
    axes[2].set_ylabel("op forward+backward (ms, rounds)")
    axes[2].set_title(f"activation alone, {OP_SHAPE[0]}x{OP_SHAPE[1]}")
    axes[2].tick_params(axis="x", labelrotation=30)
    return axes
