"""Claim 6: a ReLU network is a switch between linear maps.

A ReLU MLP is trained on the digits task (``model.fit``). On its test set,
for each input ``x`` the hidden pre-activations' signs (the activation
pattern) select a path through the network; with ``D_l`` the diagonal 0/1
matrix of layer ``l``'s pattern, the logits are

    f(x) = J(x) x + b(x),   J(x) = W_L D_{L-1} W_{L-1} ... D_1 W_1,
    b(x) = b_L + sum_l W_L D_{L-1} ... W_{l+1} D_l b_l,

(weights acting on columns). ``J`` and ``b`` are built in NumPy from the
trained weights and compared with the network's own logits, computed by its
Keras layers in float64. Within one pattern's region (a convex polytope:
every pre-activation is affine there) the network is exactly linear: checked
along segments whose both ends have the pattern of their start.
"""

import numpy as np
import pandas as pd

from reluplug.bench.evidence._common import combine
from reluplug.bench.evidence._common import no_data
from reluplug.bench.evidence._fit import dense_weights
from reluplug.bench.evidence._fit import fit_task

NUMBER = 6
NAME = "switch"
TITLE = "ReLU is a switch"
CLAIM = (
    "For a trained ReLU MLP and an input x, the output equals J(x)·x + b(x) "
    "of its active path, the test set falls into many activation patterns, "
    "and within one pattern's region the network is exactly linear."
)
RULE = (
    "Three checks on the trained network's test set (float64): the largest "
    "|f(x) - (J(x)·x + b(x))| relative to the largest |f(x)| is <= 1e-9; "
    "there is more than one distinct activation pattern; along segments "
    "inside one pattern's region the largest deviation of f from the "
    "straight line through its ends, relative to the change of f, is "
    "<= 1e-9. holds = all three, fails = none, mixed = some."
)
TOL = 1e-9
TASK = "digits_mlp"
PARAMS = {"hidden": 32, "layers": 2, "linear": "dense"}
SEED = 0
N_SEGMENTS = 50
N_POINTS = 11


def _train(epochs):
    import keras

    import reluplug

    task, splits, model, accuracy = fit_task(
        TASK, "relu", SEED, epochs, PARAMS, validation=True
    )
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        model64 = task.build(
            splits, lambda: reluplug.get("relu"), SEED, **PARAMS
        )
    finally:
        keras.config.set_dtype_policy(policy)
    model64.set_weights(model.get_weights())
    return model64, splits, float(accuracy)


def _keras_forward(model, x):
    """Logits and hidden pre-activations by the model's own layers."""
    import keras
    from keras import ops

    dense = [layer for layer in model.layers if isinstance(layer, keras.Layer)]
    h = ops.convert_to_tensor(np.asarray(x, "float64"))
    pre = []
    for layer in dense[:-1]:
        h = layer(h)
        if isinstance(layer, keras.layers.Dense):
            pre.append(np.asarray(h, "float64"))
    head = dense[-1]
    logits = ops.matmul(h, head.kernel) + head.bias
    return np.asarray(logits, "float64"), pre


def active_path(weights, x):
    """``(J, b, pattern)`` of one input from the weights, in NumPy.

    Args:
        weights: ``[(kernel, bias), ...]`` of the Dense layers, the last
            one being the output layer (kernels are ``in x out``).
        x: one input vector.

    Returns:
        ``J`` (``in x out``), ``b`` (``out``) and the boolean pattern of
        all hidden units (layer after layer).
    """
    jac = np.eye(len(x))
    bias = np.zeros(len(x))
    h = np.asarray(x, "float64")
    pattern = []
    for kernel, b in weights[:-1]:
        z = h @ kernel + b
        on = z > 0
        pattern.append(on)
        jac = (jac @ kernel) * on
        bias = (bias @ kernel + b) * on
        h = z * on
    kernel, b = weights[-1]
    return jac @ kernel, bias @ kernel + b, np.concatenate(pattern)


def _pattern(weights, x):
    return active_path(weights, x)[2]


def measure(ctx):
    """Trains the network and measures the claim (3 epochs if
    ``ctx.quick``, else 20).

    Returns:
        ``{"outputs": sample, logit, network, linear;
        "segment": s, network, pattern_id;
        "numbers": quantity, value, shown}``.
    """
    model, splits, accuracy = _train(epochs=3 if ctx.quick else 20)
    weights = dense_weights(model)
    x_test = np.asarray(splits.x_test, "float64")
    logits, _ = _keras_forward(model, x_test)
    linear = np.empty_like(logits)
    patterns = []
    for i, x in enumerate(x_test):
        jac, b, pattern = active_path(weights, x)
        linear[i] = x @ jac + b
        patterns.append(pattern.tobytes())
    err = np.abs(logits - linear).max() / np.abs(logits).max()
    n_patterns = len(set(patterns))

    rng = np.random.default_rng(SEED)
    deviations, lengths = [], []
    for i in rng.choice(len(x_test), N_SEGMENTS, replace=False):
        x0 = x_test[i]
        direction = rng.normal(size=x0.shape)
        direction /= np.linalg.norm(direction)
        t = 1.0
        p0 = _pattern(weights, x0)
        while t > 1e-12 and not np.array_equal(
            _pattern(weights, x0 + t * direction), p0
        ):
            t /= 2
        s = np.linspace(0, t, N_POINTS)
        points = x0 + s[:, None] * direction
        f, _ = _keras_forward(model, points)
        line = f[0] + (s / t)[:, None] * (f[-1] - f[0])
        change = max(np.abs(f[-1] - f[0]).max(), np.finfo(float).tiny)
        deviations.append(np.abs(f - line).max() / change)
        lengths.append(t)

    # One segment between two test inputs: pieces of different patterns.
    a, b = x_test[0], x_test[1]
    s = np.linspace(0, 1, 401)
    points = a + s[:, None] * (b - a)
    f, _ = _keras_forward(model, points)
    ids, seen = [], {}
    for p in points:
        key = _pattern(weights, p).tobytes()
        ids.append(seen.setdefault(key, len(seen)))
    k = int(np.argmax(np.abs(f[-1] - f[0])))
    segment = pd.DataFrame({"s": s, "network": f[:, k], "pattern_id": ids})
    outputs = pd.DataFrame(
        {
            "sample": np.repeat(np.arange(len(x_test)), logits.shape[1]),
            "logit": np.tile(np.arange(logits.shape[1]), len(x_test)),
            "network": logits.ravel(),
            "linear": linear.ravel(),
        }
    )
    numbers = [
        ("test inputs", len(x_test), f"{len(x_test)}"),
        ("test accuracy", accuracy, f"{accuracy:.4f}"),
        ("hidden units", len(p0), f"{len(p0)}"),
        ("max |f(x) - (J(x)x + b(x))| / max |f|", err, f"{err:.3g}"),
        ("distinct activation patterns", n_patterns, f"{n_patterns}"),
        (
            "max deviation from linear inside a region",
            max(deviations),
            f"{max(deviations):.3g} ({N_SEGMENTS} segments)",
        ),
        (
            "median segment length inside a region",
            float(np.median(lengths)),
            f"{np.median(lengths):.3g}",
        ),
        (
            "patterns crossed between two test inputs",
            len(seen),
            f"{len(seen)}",
        ),
    ]
    numbers = pd.DataFrame(
        [(q, float(v), t) for q, v, t in numbers],
        columns=["quantity", "value", "shown"],
    )
    return {"outputs": outputs, "segment": segment, "numbers": numbers}


def verdict(tables):
    """The rule (see ``RULE``) on ``tables`` from ``measure``."""
    numbers = tables.get("numbers")
    if numbers is None or not len(numbers):
        return no_data("No trained network was measured.")
    value = dict(zip(numbers["quantity"], numbers["value"]))
    err = value.get("max |f(x) - (J(x)x + b(x))| / max |f|", np.nan)
    n = value.get("distinct activation patterns", np.nan)
    total = value.get("test inputs", np.nan)
    dev = value.get("max deviation from linear inside a region", np.nan)
    checks = {
        "f(x) = J(x)·x + b(x)": err <= TOL,
        "more than one activation pattern": n > 1,
        "exactly linear within a region": dev <= TOL,
    }
    reason = (
        f"relative error of J(x)·x + b(x): {err:.3g}; {n:.0f} distinct "
        f"patterns among {total:.0f} test inputs; largest deviation from "
        f"linear inside a region: {dev:.3g}."
    )
    return combine(checks, reason)


def plot(tables, fig):
    """Network logits vs J(x)·x + b(x); one logit along a segment."""
    import seaborn as sns

    out, seg = tables["outputs"], tables["segment"]
    axes = fig.subplots(1, 2)
    ax = axes[0]
    ax.scatter(out["linear"], out["network"], s=3, alpha=0.4)
    lo = min(out["linear"].min(), out["network"].min())
    hi = max(out["linear"].max(), out["network"].max())
    ax.plot([lo, hi], [lo, hi], color="0.4", lw=0.8, ls="--")
    ax.set_xlabel("J(x)·x + b(x) (active path)")
    ax.set_ylabel("network logit f(x)")
    ax.set_title("test set, every logit")
    ax = axes[1]
    sns.scatterplot(
        seg,
        x="s",
        y="network",
        hue="pattern_id",
        palette="tab20",
        s=8,
        linewidth=0,
        legend=False,
        ax=ax,
    )
    changes = seg["s"][seg["pattern_id"].diff().fillna(0) != 0]
    for s in changes:
        ax.axvline(s, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("s along x_a + s (x_b - x_a)")
    ax.set_ylabel("one logit")
    ax.set_title("straight within each pattern (colour)")
    return axes
