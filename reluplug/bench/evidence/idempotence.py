"""Claim 2: ReLU is idempotent; sigmoid and tanh compositions squash.

``relu(relu(x))`` is compared with ``relu(x)`` exactly on a grid; the
n-fold compositions ``f∘...∘f`` of sigmoid and tanh (n = 1..8) are measured
by their output range and largest derivative (autodiff of the whole
composition, float64) over the same grid.
"""

import numpy as np
import pandas as pd

from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data

NUMBER = 2
NAME = "idempotence"
TITLE = "Idempotence vs squashing"
CLAIM = (
    "ReLU∘ReLU = ReLU exactly, while n-fold compositions of sigmoid and "
    "tanh shrink the output range and the derivative toward 0."
)
RULE = (
    "Checks on a grid of x in [-10, 10]: max |relu(relu(x)) - relu(x)| is "
    "exactly 0; for sigmoid and for tanh, the output range and the max "
    "derivative of the n-fold composition each never grow with n and are "
    "at n = 8 below half their n = 1 value. holds = all checks, fails = "
    "none, mixed = some."
)
SQUASHERS = ("sigmoid", "tanh")
GRID = (-10.0, 10.0, 4001)
MAX_N = 8
TOL = 1e-12


def measure(ctx=None):
    """The claim's tables (``ctx``, a ``runner.Context``, is not needed).

    Returns:
        ``{"compositions": function, n, range, max_derivative;
        "numbers": quantity, value, shown}``.
    """
    from keras import ops

    from reluplug.bench.evidence._autodiff import derivative

    del ctx
    x = np.linspace(*GRID)
    relu1, _ = derivative(ops.relu, x)
    relu2, _ = derivative(lambda t: ops.relu(ops.relu(t)), x)
    error = float(np.max(np.abs(relu2 - relu1)))
    rows = []
    for name in SQUASHERS:
        fn = getattr(ops, name)
        for n in range(1, MAX_N + 1):

            def composed(t, fn=fn, n=n):
                for _ in range(n):
                    t = fn(t)
                return t

            y, dy = derivative(composed, x)
            rows.append(
                {
                    "function": name,
                    "n": n,
                    "range": float(y.max() - y.min()),
                    "max_derivative": float(np.abs(dy).max()),
                }
            )
    comp = pd.DataFrame(rows)
    numbers = [("max |relu(relu(x)) - relu(x)|", error, f"{error:g}")]
    for r in comp[comp["n"].isin([1, MAX_N])].itertuples():
        numbers.append((f"{r.function}^{r.n} range", r.range, f"{r.range:.6f}"))
        numbers.append(
            (
                f"{r.function}^{r.n} max derivative",
                r.max_derivative,
                f"{r.max_derivative:.6f}",
            )
        )
    numbers = pd.DataFrame(numbers, columns=["quantity", "value", "shown"])
    return {"compositions": comp, "numbers": numbers}


def _shrinks(values):
    values = np.asarray(values, dtype=float)
    never_grows = bool(np.all(np.diff(values) <= TOL))
    return never_grows and values[-1] < 0.5 * values[0]


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    comp, numbers = tables.get("compositions"), tables.get("numbers")
    if comp is None or numbers is None or not len(comp):
        return no_data("No compositions were computed.")
    value = dict(zip(numbers["quantity"], numbers["value"]))
    error = value.get("max |relu(relu(x)) - relu(x)|", np.nan)
    checks = {"ReLU∘ReLU = ReLU exactly": error == 0}
    parts = [f"max |relu(relu(x)) - relu(x)| = {error:g}"]
    for name in SQUASHERS:
        g = comp[comp["function"] == name].sort_values("n")
        if not len(g):
            return no_data(f"No compositions of {name}.")
        for col, label in (("range", "range"), ("max_derivative", "max f'")):
            checks[f"{name}^n {label} shrinks"] = _shrinks(g[col])
            parts.append(
                f"{name}^n {label}: {g[col].iloc[0]:.6f} (n=1) -> "
                f"{g[col].iloc[-1]:.6f} (n={int(g['n'].iloc[-1])})"
            )
    return combine(checks, "; ".join(parts) + ".")


def plot(tables, fig):
    """Range and max derivative of the n-fold compositions against n."""
    import seaborn as sns

    comp = tables["compositions"]
    axes = fig.subplots(1, 2)
    for ax, col, label in (
        (axes[0], "range", "output range"),
        (axes[1], "max_derivative", "max |derivative|"),
    ):
        sns.lineplot(
            comp,
            x="n",
            y=col,
            hue="function",
            hue_order=list(SQUASHERS),
            marker="o",
            ax=ax,
        )
        ax.set_ylabel(label)
        ax.set_xlabel("n (compositions)")
        ax.set_ylim(bottom=0)
    axes[1].get_legend().remove()
    return axes
