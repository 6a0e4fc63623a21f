"""Claim 11: ReLU switches at zero, yet the output has no sudden jumps.

A ReLU MLP on digits (two hidden layers of 32) and the same network with
the Heaviside step (``reluplug.layers.Heaviside``) as hidden activation,
each trained with ``model.fit`` (one network per seed). Along straight
paths between pairs of test inputs, ``x(t) = x_a + t (x_b - x_a)``, the
logits are evaluated (NumPy, float64, from the trained weights) on grids of
step ``h``; the largest jump of a path at step ``h`` is
``max_k ‖f(x(t_k + h)) - f(x(t_k))‖₂``.

ReLU is 1-Lipschitz, so for the ReLU network every such jump is at most
``L h ‖x_b - x_a‖₂`` with ``L`` the product of the layers' spectral norms
(``ord=2``): the jumps shrink with the step. The step function is not
continuous: where a path crosses a hidden unit's threshold the output
jumps by the same amount however fine the grid.
"""

import numpy as np
import pandas as pd

from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._fit import dense_weights
from reluplug.bench.evidence._fit import fit_task

NUMBER = 11
NAME = "continuity"
TITLE = "No sudden jumps"
CLAIM = (
    "Since ReLU switches at zero without a jump, the output of a ReLU "
    "network changes continuously along gradual changes of the input, "
    "while a step-function network of the same shape jumps."
)
TASK = "digits_mlp"
PARAMS = {"hidden": 32, "layers": 2, "linear": "dense"}
ACTIVATIONS = ("relu", "heaviside")
STEPS = (2.0**-4, 2.0**-6, 2.0**-8, 2.0**-10)
N_PATHS = 50
SHRINK = 0.1  # finest/coarsest largest jump at most this (steps: 1/64)
KEEP = 0.5  # the step network's: at least this
RULE = (
    "On 50 straight paths between test inputs, steps h = 1/16 ... 1/1024, "
    "for every seed's pair of networks: (a) ReLU's largest jump is at most "
    "L·h·‖x_b − x_a‖ (L: product of the layers' spectral norms) at every "
    "step; (b) ReLU's largest jump at h = 1/1024 is at most 0.1 of that at "
    "h = 1/16 (64x finer); (c) the step network's is at least 0.5 of it "
    "(it does not shrink); (d) the step network breaks the bound of (a) at "
    "h = 1/1024. holds = all four, fails = none, mixed = some."
)
SHOW = ("jumps", "networks")
FIGSIZE = (11, 4)


def _train(activation, seed, epochs):
    """``(weights, accuracy, forward_error)`` of one trained network."""
    _, splits, model, accuracy = fit_task(
        TASK, activation, seed, epochs, PARAMS
    )
    weights = dense_weights(model)
    probs = np.asarray(model.predict(splits.x_test, verbose=0), "float64")
    logits = logits_of(weights, splits.x_test, activation)
    mine = np.exp(logits - logits.max(axis=1, keepdims=True))
    mine /= mine.sum(axis=1, keepdims=True)
    return weights, accuracy, float(np.abs(mine - probs).max()), splits


def logits_of(weights, x, activation):
    """The network's logits in NumPy float64 (``relu``: ``max(z, 0)``,
    ``heaviside``: ``1`` where ``z > 0`` else ``0``)."""
    h = np.asarray(x, "float64")
    for kernel, bias in weights[:-1]:
        z = h @ kernel + bias
        h = np.maximum(z, 0.0) if activation == "relu" else (z > 0) * 1.0
    kernel, bias = weights[-1]
    return h @ kernel + bias


def lipschitz_bound(weights):
    """Product of the kernels' spectral norms (``numpy.linalg.norm(ord=2)``)."""
    return float(np.prod([np.linalg.norm(k, ord=2) for k, _ in weights]))


def path_jumps(weights, activation, x_a, x_b, steps=STEPS):
    """Largest jump of the logits along ``x_a -> x_b`` at each step.

    Returns:
        ``{step: (largest jump, step length h ‖x_b - x_a‖)}``.
    """
    finest = min(steps)
    n = int(round(1 / finest))
    t = np.arange(n + 1) / n
    x = x_a[None, :] + t[:, None] * (x_b - x_a)[None, :]
    f = logits_of(weights, x, activation)
    out = {}
    for h in steps:
        stride = int(round(h / finest))
        g = f[::stride]
        jump = float(np.linalg.norm(np.diff(g, axis=0), axis=1).max())
        out[h] = (jump, h * float(np.linalg.norm(x_b - x_a)))
    return out


def measure(ctx):
    """Trains the networks and measures their jumps (see ``RULE``)."""
    seeds = [0] if ctx.quick else [0, 1, 2, 3, 4]
    epochs = 2 if ctx.quick else 20
    rows, nets = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for activation in ACTIVATIONS:
            weights, acc, err, splits = _train(activation, seed, epochs)
            bound = lipschitz_bound(weights)
            nets.append(
                {
                    "activation": activation,
                    "seed": seed,
                    "test_accuracy": acc,
                    "lipschitz_bound": bound,
                    "numpy_vs_keras": err,
                }
            )
            pairs = rng.choice(len(splits.x_test), size=(N_PATHS, 2))
            for path, (i, j) in enumerate(pairs):
                x_a = np.asarray(splits.x_test[i], "float64")
                x_b = np.asarray(splits.x_test[j], "float64")
                for h, (jump, length) in path_jumps(
                    weights, activation, x_a, x_b
                ).items():
                    rows.append(
                        {
                            "activation": activation,
                            "seed": seed,
                            "path": path,
                            "step": h,
                            "jump": jump,
                            "bound": bound * length,
                        }
                    )
            rng = np.random.default_rng(seed)  # same paths for both nets
    paths = pd.DataFrame(rows)
    return {
        "paths": paths,
        "jumps": summarize(paths),
        "networks": pd.DataFrame(nets),
    }


def summarize(paths):
    """Per (activation, seed, step): the largest jump over paths and the
    largest jump / bound ratio."""
    p = paths.assign(ratio=paths["jump"] / paths["bound"])
    return (
        p.groupby(["activation", "seed", "step"], as_index=False)
        .agg(max_jump=("jump", "max"), max_ratio=("ratio", "max"))
        .sort_values(["activation", "seed", "step"], ascending=[1, 1, 0])
        .reset_index(drop=True)
    )


def verdict(tables):
    """The rule (see ``RULE``) on the ``paths`` table."""
    paths = tables.get("paths")
    if paths is None or not len(paths):
        return no_data("No paths measured.")
    jumps = summarize(paths)
    if not set(ACTIVATIONS) <= set(jumps["activation"]):
        return no_data("One of the two networks was not measured.")
    coarse, fine = jumps["step"].max(), jumps["step"].min()

    def at(activation, step):
        d = jumps[(jumps["activation"] == activation) & (jumps["step"] == step)]
        return d.set_index("seed")

    relu = jumps[jumps["activation"] == "relu"]
    r_ratio = float(relu["max_ratio"].max())
    r_shrink = (
        at("relu", fine)["max_jump"] / at("relu", coarse)["max_jump"]
    ).max()
    s_keep = (
        at("heaviside", fine)["max_jump"] / at("heaviside", coarse)["max_jump"]
    ).min()
    s_ratio = float(at("heaviside", fine)["max_ratio"].min())
    checks = {
        "ReLU: every jump within the weight-norm bound": r_ratio <= 1 + 1e-9,
        f"ReLU: largest jump shrinks with the step (<= {SHRINK:g})": bool(
            r_shrink <= SHRINK
        ),
        f"step network: largest jump does not shrink (>= {KEEP:g})": bool(
            s_keep >= KEEP
        ),
        "step network breaks the bound at the finest step": s_ratio > 1,
    }
    reason = (
        f"ReLU: largest jump / bound {r_ratio:.3g}, finest / coarsest "
        f"largest jump {r_shrink:.3g} (step ratio {fine / coarse:.3g}); "
        f"step network: finest / coarsest {s_keep:.3g}, jump / bound at the "
        f"finest step {s_ratio:.3g} (smallest over seeds)."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Largest jump against the step, both networks, per seed."""
    import seaborn as sns

    jumps = summarize(tables["paths"])
    ax = fig.add_subplot()
    sns.lineplot(
        jumps,
        x="step",
        y="max_jump",
        hue="activation",
        hue_order=list(ACTIVATIONS),
        units="seed",
        estimator=None,
        marker="o",
        ax=ax,
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("step along the path (fraction of its length)")
    ax.set_ylabel("largest jump of the logits (L2)")
    return ax
