"""Claim 1: the derivatives of sigmoid, tanh, ReLU and the step function.

Every derivative here comes from the backend's autodiff (float64), never
from a formula; the tanh endpoints are roots of ``tanh'(x) - 1/4`` found by
Brent's method (``scipy.optimize.brentq``) on that autodiff derivative, to
``1e-12`` in ``x``.
"""

import numpy as np
import pandas as pd

from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data

NUMBER = 1
NAME = "derivatives"
TITLE = "Derivatives"
CLAIM = (
    "Sigmoid's derivative is at most 0.25; tanh's exceeds 0.25 exactly on "
    "about [-1.31, 1.31]; ReLU's is 0 or 1; a step function's is 0 almost "
    "everywhere."
)
RULE = (
    "Four checks on the autodiff derivatives over a grid of x in [-6, 6]: "
    "max sigmoid' <= 0.25; the tanh' = 0.25 roots lie within 0.01 of "
    "-1.31 and 1.31 and tanh' > 0.25 holds on the grid exactly between "
    "them; every ReLU' is 0 (x < 0) or 1 (x > 0); every step' at x != 0 is "
    "0. holds = all four, fails = none, mixed = some."
)
FUNCTIONS = ("sigmoid", "tanh", "relu", "step")
GRID = (-6.0, 6.0, 1201)
TOL = 1e-12
ENDPOINT_XTOL = 1e-12
CLAIMED_ENDPOINT = 1.31


def _functions():
    from keras import ops

    from reluplug import activations

    return {
        "sigmoid": ops.sigmoid,
        "tanh": ops.tanh,
        "relu": ops.relu,
        "step": activations.heaviside,
    }


def tanh_endpoints(xtol=ENDPOINT_XTOL):
    """``(left, right)``: where the autodiff ``tanh'`` crosses 0.25."""
    from scipy.optimize import brentq

    from reluplug.bench.evidence._autodiff import derivative

    tanh = _functions()["tanh"]

    def excess(x):
        return float(derivative(tanh, np.array([x]))[1][0]) - 0.25

    right = brentq(excess, 0.0, 3.0, xtol=xtol, rtol=4 * np.finfo(float).eps)
    left = brentq(excess, -3.0, 0.0, xtol=xtol, rtol=4 * np.finfo(float).eps)
    return left, right


def measure(ctx=None):
    """The claim's tables (``ctx``, a ``runner.Context``, is not needed).

    Returns:
        ``{"curves": x, function, value, derivative;
        "numbers": quantity, value, shown}``.
    """
    from reluplug.bench.evidence._autodiff import derivative

    del ctx  # the analysis takes well under a second either way
    x = np.linspace(*GRID)
    rows = []
    for name, fn in _functions().items():
        y, dy = derivative(fn, x)
        rows.append(
            pd.DataFrame(
                {"function": name, "x": x, "value": y, "derivative": dy}
            )
        )
    curves = pd.concat(rows, ignore_index=True)
    left, right = tanh_endpoints()
    by = {n: g for n, g in curves.groupby("function")}
    relu_values = sorted(set(by["relu"]["derivative"].round(12)))
    off_zero = by["step"][by["step"]["x"] != 0]
    numbers = [
        ("max sigmoid' (grid)", by["sigmoid"]["derivative"].max(), "{:.6f}"),
        ("max tanh' (grid)", by["tanh"]["derivative"].max(), "{:.6f}"),
        ("tanh' = 0.25 at x (left)", left, "{:.6f}"),
        ("tanh' = 0.25 at x (right)", right, "{:.6f}"),
        (
            "distinct ReLU' values",
            float(len(relu_values)),
            "{:.0f} (" + ", ".join(f"{v:g}" for v in relu_values) + ")",
        ),
        ("max |step'| at x != 0", off_zero["derivative"].abs().max(), "{:g}"),
    ]
    numbers = pd.DataFrame(
        [(q, float(v), f.format(v)) for q, v, f in numbers],
        columns=["quantity", "value", "shown"],
    )
    return {"curves": curves, "numbers": numbers}


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    curves, numbers = tables.get("curves"), tables.get("numbers")
    if curves is None or numbers is None or not len(curves):
        return no_data("No derivative curves were computed.")
    value = dict(zip(numbers["quantity"], numbers["value"]))
    by = {n: g for n, g in curves.groupby("function")}
    if set(FUNCTIONS) - set(by):
        return no_data(f"Curves missing for {set(FUNCTIONS) - set(by)}.")
    sig = by["sigmoid"]["derivative"].max()
    left = value.get("tanh' = 0.25 at x (left)", np.nan)
    right = value.get("tanh' = 0.25 at x (right)", np.nan)
    t = by["tanh"]
    margin = 1e-6  # grid points this close to a root are not judged
    judged = (np.abs(t["x"] - left) > margin) & (
        np.abs(t["x"] - right) > margin
    )
    inside = (t["x"] > left) & (t["x"] < right)
    above = t["derivative"] > 0.25
    tanh_ok = (
        abs(left + CLAIMED_ENDPOINT) < 0.01
        and abs(right - CLAIMED_ENDPOINT) < 0.01
        and bool((inside == above)[judged].all())
    )
    r = by["relu"]
    relu_ok = bool(
        (r.loc[r["x"] > 0, "derivative"] == 1).all()
        and (r.loc[r["x"] < 0, "derivative"] == 0).all()
    )
    s = by["step"]
    step_max = s.loc[s["x"] != 0, "derivative"].abs().max()
    checks = {
        "sigmoid' <= 0.25": sig <= 0.25 + TOL,
        "tanh' > 0.25 exactly on about [-1.31, 1.31]": tanh_ok,
        "ReLU' is 0 or 1": relu_ok,
        "step' = 0 almost everywhere": step_max == 0,
    }
    reason = (
        f"max sigmoid' = {sig:.6f}; tanh' > 0.25 on ({left:.6f}, "
        f"{right:.6f}); ReLU' takes the values "
        f"{sorted(set(r['derivative'].round(12)))}; max |step'| at x != 0 "
        f"= {step_max:g}."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Derivatives against x, with the 0.25 line and the tanh endpoints."""
    import seaborn as sns

    curves, numbers = tables["curves"], tables["numbers"]
    ax = fig.add_subplot()
    sns.lineplot(
        curves,
        x="x",
        y="derivative",
        hue="function",
        hue_order=list(FUNCTIONS),
        ax=ax,
    )
    ax.axhline(0.25, color="0.5", lw=0.8, ls="--")
    value = dict(zip(numbers["quantity"], numbers["value"]))
    for key in ("tanh' = 0.25 at x (left)", "tanh' = 0.25 at x (right)"):
        if key in value:
            ax.axvline(value[key], color="0.5", lw=0.8, ls=":")
    ax.set_ylabel("f'(x) (autodiff)")
    ax.set_title("derivatives; dashed: 0.25, dotted: tanh' = 0.25")
    return ax
