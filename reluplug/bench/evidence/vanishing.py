"""Claim 3: vanishing gradients in deep sigmoid and tanh networks.

A depth sweep of ``deep_mlp`` (digits, 32 units per layer) over 10 seeds,
each activation with its recommended initialisation (He for ReLU, Glorot
for sigmoid and tanh; ``[training] init = "recommended"``), plus a second
ReLU arm with Glorot weights (``relu_glorot``, its own run folder: the
same standard draws, only scaled differently, so every arm of a seed
starts from the same random numbers). ``GradientFlowMonitor`` records each
Dense layer's gradient norm at initialisation (epoch 0). Per trial:

* the total attenuation ``log10(‖g_1‖ / ‖g_L‖)``, first hidden layer
  against the output layer (0: no loss on the way down; -3: a thousandth
  reaches the input side);
* the absolute level ``log10 ‖g_1‖`` of the first layer's gradient;
* the test accuracy at the validation-chosen epoch.

Each is compared with ReLU (He) seed by seed in the deepest network by the
report's paired test (``stats.paired_test``), Holm over the claim's six
comparisons; accuracy with the Nadeau-Bengio correction (digits re-splits
its data per seed).
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

NUMBER = 3
NAME = "vanishing"
TITLE = "Vanishing gradients"
CLAIM = (
    "In deep sigmoid and tanh networks the gradient shrinks layer by layer "
    "toward the input, faster than with ReLU, so deep sigmoid and tanh "
    "networks train worse than the same ReLU networks."
)
RULE = (
    "In the deepest network (40 hidden layers), over 10 seeds, each "
    "activation with its recommended initialisation (He for ReLU, Glorot "
    "for sigmoid and tanh): for sigmoid and for tanh against ReLU, the "
    "report's paired test (Holm over the six comparisons) says `worse` for "
    "(a) the total attenuation log10(‖g_1‖/‖g_L‖) at initialisation, "
    "(b) the absolute level log10 ‖g_1‖ of the first layer's gradient and "
    "(c) the test accuracy. ReLU with Glorot weights is reported beside "
    "(not a check). holds = all six checks, fails = none, mixed = some."
)
RELU = "relu"
RELU_GLOROT = "relu_glorot"
SQUASHERS = ("sigmoid", "tanh")
ARMS = (RELU, RELU_GLOROT, "tanh", "sigmoid")
QUANTITIES = (
    ("log10_attenuation", "attenuation log10(‖g_1‖/‖g_L‖)"),
    ("log10_g1", "first-layer gradient log10 ‖g_1‖"),
    ("test_metric", "test accuracy"),
)
SHOW = ("tests", "levels")
FIGSIZE = (13, 4)


def suites(quick=False):
    """``{name: suite dict}``: the recommended-init sweep, ReLU-Glorot."""
    recommended = training(quick, (1, 6), 0.001)
    common = {
        "description": "depth sweep of deep_mlp per activation",
        "seeds": seeds(quick),
        "tasks": [
            {
                "name": "deep_mlp",
                "params": {
                    "depth": [2, 4] if quick else [10, 20, 40],
                    "width": 32,
                },
            }
        ],
        "monitors": {
            "dead_units": False,
            "gradient_flow": True,
            "every_n_epochs": recommended["epochs"],
        },
    }

    module = sys.modules[__name__]
    return {
        NAME: suite(
            module,
            training=recommended,
            activations=[RELU, *SQUASHERS],
            **common,
        ),
        f"{NAME}_glorot": suite(
            module,
            name=f"{NAME}_glorot",
            training={**recommended, "init": "glorot_normal"},
            activations=[("relu", RELU_GLOROT)],
            baseline=RELU_GLOROT,
            **common,
        ),
    }


def measure(ctx):
    """The claim's tables from its two run folders.

    Returns:
        ``{"per_seed": arm, depth, seed, log10_attenuation, log10_g1,
        test_metric, nb_ratio; "gradients": arm, depth, layer_depth,
        grad_norm (geometric mean over seeds, at initialisation); "tests"
        and "levels": the verdict's tables}``.
    """
    parts = [_runs.load(ctx.run_dirs[n]) for n in suites(ctx.quick)]
    runs = pd.concat([p.runs for p in parts], ignore_index=True)
    mons = pd.concat([p.monitors for p in parts], ignore_index=True)
    g = mons[(mons["quantity"] == "grad_norm") & (mons["epoch"] == 0)]
    rows = []
    for trial, t in g.groupby("trial_id"):
        t = t.sort_values("layer_depth")
        first, last = float(t["value"].iloc[0]), float(t["value"].iloc[-1])
        rows.append(
            {
                "trial_id": trial,
                "g1": first,
                "gL": last,
                "log10_attenuation": _log10(first) - _log10(last),
                "log10_g1": _log10(first),
            }
        )
    grads = pd.DataFrame(
        rows,
        columns=["trial_id", "g1", "gL", "log10_attenuation", "log10_g1"],
    )
    ok = _runs.completed(runs).rename(columns={"activation": "arm"})
    per_seed = ok[["trial_id", "arm", "depth", "seed", "test_metric"]].merge(
        grads, on="trial_id", how="left"
    )
    per_seed["nb_ratio"] = _runs.nb_ratio_of(ok)
    per_seed = per_seed.drop(columns="trial_id")
    g = g.merge(
        runs[["trial_id", "activation"]].rename(columns={"activation": "arm"}),
        on="trial_id",
    )
    g = g[g["value"] > 0].assign(log=lambda d: np.log10(d["value"]))
    gradients = g.groupby(["arm", "depth", "layer_depth"], as_index=False)[
        "log"
    ].mean()
    gradients["grad_norm"] = 10.0 ** gradients.pop("log")
    tables = {
        "per_seed": per_seed.sort_values(["depth", "arm", "seed"]).reset_index(
            drop=True
        ),
        "gradients": gradients,
    }
    tables.update(_tests(tables["per_seed"]))
    return tables


def _log10(value):
    return float(np.log10(value)) if value > 0 else -np.inf


def _tests(per_seed):
    """``{"tests": the six checked comparisons + ReLU-Glorot's,
    "levels": means per arm}`` in the deepest network."""
    deepest = per_seed["depth"].max()
    d = per_seed[per_seed["depth"] == deepest].replace(-np.inf, np.nan)
    nb = d["nb_ratio"].dropna()
    nb = float(nb.iloc[0]) if len(nb) else None
    family, beside = [], []
    for arm in (*SQUASHERS, RELU_GLOROT):
        for col, words in QUANTITIES:
            a, b = _runs.aligned(d, col, arm, RELU)
            row = _runs.paired(
                f"{arm} vs relu: {words}",
                a,
                b,
                nb_ratio=nb if col == "test_metric" else None,
            )
            (beside if arm == RELU_GLOROT else family).append(row)
    tests = _runs.decide_checked(family, beside)
    tests.insert(1, "depth", deepest)
    levels = (
        d.groupby("arm")[[c for c, _ in QUANTITIES]]
        .mean()
        .reindex([a for a in ARMS if a in set(d["arm"])])
        .reset_index()
    )
    return {"tests": tests, "levels": levels}


def verdict(tables):
    """The rule (see ``RULE``) on the ``per_seed`` table."""
    per_seed = tables.get("per_seed")
    if per_seed is None or not len(per_seed):
        return no_data("The depth sweep has no completed trials.")
    if RELU not in set(per_seed["arm"]):
        return no_data("No ReLU trials in the depth sweep.")
    t = _tests(per_seed)
    tests, levels = t["tests"], t["levels"].set_index("arm")
    checks, parts = {}, []
    for arm in SQUASHERS:
        words = []
        for _, name in QUANTITIES:
            word = _runs.word_of(tests, f"{arm} vs relu: {name}")
            checks[f"{arm}: {name} worse than ReLU's"] = word == "worse"
            words.append(word)
        parts.append(f"{arm} " + "/".join(words))
    depth = int(tests["depth"].iloc[0])

    def level(arm):
        if arm not in levels.index:
            return f"{arm} not measured"
        r = levels.loc[arm]
        return (
            f"{arm} {r['log10_attenuation']:+.2f} / {r['log10_g1']:+.2f} / "
            f"{r['test_metric']:.3f}"
        )

    glorot = [
        _runs.word_of(tests, f"{RELU_GLOROT} vs relu: {name}")
        for _, name in QUANTITIES
    ]
    reason = (
        f"Depth {depth}, attenuation / log10 ‖g_1‖ / accuracy (means): "
        + "; ".join(level(a) for a in ARMS)
        + ". Against ReLU (He): "
        + "; ".join(parts)
        + f"; ReLU with Glorot weights {'/'.join(glorot)} (not checked)."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Gradient norm per layer at init (deepest net); accuracy vs depth."""
    import seaborn as sns

    grads, acc = tables["gradients"], tables["per_seed"]
    order = [a for a in ARMS if a in set(grads["arm"])]
    axes = fig.subplots(1, 2)
    deepest = grads["depth"].max()
    sns.lineplot(
        grads[grads["depth"] == deepest],
        x="layer_depth",
        y="grad_norm",
        hue="arm",
        hue_order=order,
        marker="o",
        markersize=3,
        ax=axes[0],
    )
    axes[0].set_yscale("log")
    axes[0].set_xlabel(f"Dense layer (1 = input side), depth {deepest:g}")
    axes[0].set_ylabel("gradient norm at init (geometric mean)")
    sns.lineplot(
        acc,
        x="depth",
        y="test_metric",
        hue="arm",
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
