"""Every claim's verdict rule: data built to support the claim gives
`holds`, data built to contradict it gives `fails` (and partial support
`mixed`). The analyses of claims 1, 2 and 6 are also checked against
independent references."""

import math

import numpy as np
import pandas as pd
import pytest

from reluplug.bench.evidence import dead_units
from reluplug.bench.evidence import derivatives
from reluplug.bench.evidence import filter_bank
from reluplug.bench.evidence import idempotence
from reluplug.bench.evidence import softmax
from reluplug.bench.evidence import speed
from reluplug.bench.evidence import step
from reluplug.bench.evidence import switch
from reluplug.bench.evidence import vanishing
from reluplug.bench.evidence._common import combine


def test_combine_words():
    assert combine({"a": True, "b": True}, "").word == "holds"
    assert combine({"a": False, "b": False}, "").word == "fails"
    assert combine({"a": True, "b": False}, "").word == "mixed"
    with pytest.raises(ValueError, match="checks"):
        combine({}, "")


# ------------------------------------------------------------ claim 1


@pytest.fixture(scope="module")
def claim1():
    return derivatives.measure()


def test_claim1_tanh_endpoints_match_closed_form(claim1):
    # tanh'(x) = 1 - tanh(x)^2 = 1/4  <=>  x = +-atanh(sqrt(3)/2).
    exact = math.atanh(math.sqrt(0.75))
    n = claim1["numbers"].set_index("quantity")
    left = n.loc["tanh' = 0.25 at x (left)"]
    right = n.loc["tanh' = 0.25 at x (right)"]
    assert abs(right["value"] - exact) < 1e-6
    assert abs(left["value"] + exact) < 1e-6
    assert right["shown"] == f"{exact:.6f}" == "1.316958"


def test_claim1_curves_match_numpy(claim1):
    c = claim1["curves"]
    x = c.loc[c["function"] == "sigmoid", "x"].to_numpy()
    s = 1 / (1 + np.exp(-x))
    d = c.loc[c["function"] == "sigmoid", "derivative"].to_numpy()
    np.testing.assert_allclose(d, s * (1 - s), atol=1e-12)
    r = c[c["function"] == "relu"]
    np.testing.assert_array_equal(r["derivative"], (r["x"] > 0) * 1.0)


def test_claim1_rule(claim1):
    assert derivatives.verdict(claim1).word == "holds"
    bad = {k: v.copy() for k, v in claim1.items()}
    c = bad["curves"]
    # Contradict all four parts: sigmoid' up to 1, tanh' > 0.25 everywhere
    # (so no roots near 1.31), ReLU' = 0.5, step' = 1.
    c.loc[c["function"] == "sigmoid", "derivative"] *= 4
    c.loc[c["function"] == "tanh", "derivative"] = 0.9
    c.loc[c["function"] == "relu", "derivative"] = 0.5
    c.loc[c["function"] == "step", "derivative"] = 1.0
    n = bad["numbers"]
    n.loc[n["quantity"].str.startswith("tanh' = 0.25"), "value"] = [-3.0, 3.0]
    v = derivatives.verdict(bad)
    assert v.word == "fails", v
    # One part contradicted only: mixed.
    half = {k: v.copy() for k, v in claim1.items()}
    half["curves"].loc[half["curves"]["function"] == "step", "derivative"] = 1
    assert derivatives.verdict(half).word == "mixed"


# ------------------------------------------------------------ claim 2


@pytest.fixture(scope="module")
def claim2():
    return idempotence.measure()


def test_claim2_compositions_match_numpy(claim2):
    x = np.linspace(*idempotence.GRID)
    comp = claim2["compositions"].set_index(["function", "n"])
    y = x.copy()
    for n in range(1, 9):
        y = np.tanh(y)
        assert comp.loc[("tanh", n), "range"] == pytest.approx(
            y.max() - y.min(), rel=1e-12
        )
    # tanh'(0) = 1, so every composition's largest derivative is 1.
    assert comp.loc[("tanh", 8), "max_derivative"] == pytest.approx(1.0)
    assert comp.loc[("sigmoid", 2), "max_derivative"] < 0.25**2 + 1e-12


def test_claim2_rule(claim2):
    v = idempotence.verdict(claim2)
    # Measured: tanh's largest derivative does not shrink (tanh'(0) = 1).
    assert v.word == "mixed"
    assert v.checks == {
        "ReLU∘ReLU = ReLU exactly": True,
        "sigmoid^n range shrinks": True,
        "sigmoid^n max f' shrinks": True,
        "tanh^n range shrinks": True,
        "tanh^n max f' shrinks": False,
    }
    good = {k: v.copy() for k, v in claim2.items()}
    c = good["compositions"]
    c.loc[c["function"] == "tanh", "max_derivative"] = 1.0 / c["n"]
    assert idempotence.verdict(good).word == "holds"
    bad = {k: v.copy() for k, v in claim2.items()}
    c = bad["compositions"]
    c["range"] = c["n"] * 1.0  # grows with n
    c["max_derivative"] = 1.0  # constant
    n = bad["numbers"]
    n.loc[n["quantity"].str.startswith("max |relu"), "value"] = 1e-3
    assert idempotence.verdict(bad).word == "fails"


# ------------------------------------------------------------ claim 6


def test_claim6_active_path_is_the_network(rng):
    # A random 3-layer ReLU MLP in NumPy as the reference.
    sizes = [5, 7, 6, 3]
    weights = [
        (rng.normal(size=(a, b)), rng.normal(size=b))
        for a, b in zip(sizes, sizes[1:])
    ]
    for x in rng.normal(size=(20, 5)):
        h = x
        for kernel, b in weights[:-1]:
            h = np.maximum(h @ kernel + b, 0)
        f = h @ weights[-1][0] + weights[-1][1]
        jac, bias, pattern = switch.active_path(weights, x)
        np.testing.assert_allclose(x @ jac + bias, f, rtol=1e-12, atol=1e-12)
        assert pattern.shape == (13,)


def _numbers(**values):
    return pd.DataFrame(
        [(k, v, str(v)) for k, v in values.items()],
        columns=["quantity", "value", "shown"],
    )


def test_claim6_rule():
    keys = (
        "max |f(x) - (J(x)x + b(x))| / max |f|",
        "distinct activation patterns",
        "max deviation from linear inside a region",
    )
    good = _numbers(
        **dict(zip(keys, (1e-15, 300.0, 1e-13))), **{"test inputs": 360.0}
    )
    assert switch.verdict({"numbers": good}).word == "holds"
    # A network that is not piecewise linear (e.g. tanh): the active-path
    # formula misses, one "pattern" everywhere, curved inside regions.
    bad = _numbers(
        **dict(zip(keys, (0.3, 1.0, 0.05))), **{"test inputs": 360.0}
    )
    assert switch.verdict({"numbers": bad}).word == "fails"


# ------------------------------------------------------------ claim 3


def _vanishing(sigmoid_slope, tanh_slope, sig_word, tanh_word):
    decay = pd.DataFrame(
        {
            "activation": ["relu", "sigmoid", "tanh", "relu"],
            "depth": [40, 40, 40, 5],
            "slope": [-0.05, sigmoid_slope, tanh_slope, -0.9],
        }
    )
    acc = pd.DataFrame(
        {
            "depth": [40, 40, 40],
            "activation": ["relu", "sigmoid", "tanh"],
            "verdict": ["baseline", sig_word, tanh_word],
        }
    )
    return {"decay": decay, "accuracy": acc}


def test_claim3_rule():
    v = vanishing.verdict(_vanishing(-0.6, -0.2, "worse", "worse"))
    assert v.word == "holds", v
    # Sigmoid/tanh keep their gradient better than ReLU and train better.
    v = vanishing.verdict(_vanishing(0.0, 0.1, "better", "undecided"))
    assert v.word == "fails", v
    assert vanishing.verdict(_vanishing(-0.6, 0.0, "worse", "better")).word == (
        "mixed"
    )


# ------------------------------------------------------------ claim 4


def _speed(relu_epochs, other_epochs, ratio, relu_ms, other_ms):
    rows, per_task = [], []
    for task in ("a", "b"):
        rows.append((task, "relu", relu_epochs))
        per_task.append((task, "relu", 1.0))
        for act in ("sigmoid", "tanh"):
            rows.append((task, act, other_epochs))
            per_task.append((task, act, ratio))
    ett = pd.DataFrame(rows, columns=["task", "activation", "km_median_epochs"])
    per_task = pd.DataFrame(
        per_task, columns=["task", "activation", "epoch_time_ratio"]
    )
    ops = pd.DataFrame(
        {
            "activation": ["relu", "sigmoid", "tanh"],
            "fwd_bwd_ms": [relu_ms, other_ms, other_ms],
        }
    )
    return {"epochs_to_target": ett, "per_task": per_task, "op_cost": ops}


def test_claim4_rule():
    assert speed.verdict(_speed(3, 9, 1.1, 0.5, 1.5)).word == "holds"
    assert speed.verdict(_speed(9, 3, 0.8, 1.5, 0.5)).word == "fails"
    # ReLU reaches the target in fewer epochs but is never-reached-aware:
    # censored (inf) sigmoid/tanh count as slower.
    assert speed.verdict(_speed(3, np.inf, 0.8, 1.5, 0.5)).word == "mixed"


# ------------------------------------------------------------ claim 5


def _dead(relu_low, relu_high, variant_acc, relu_acc, revived):
    rows = [
        (0.001, "relu", relu_low, 0.9),
        (0.1, "relu", relu_high, relu_acc),
        (0.1, "relu_revive", revived, relu_acc),
    ]
    rows += [(0.1, a, 0.2, variant_acc) for a in ("leaky_relu", "prelu", "elu")]
    return {
        "final": pd.DataFrame(
            rows,
            columns=[
                "learning_rate",
                "activation",
                "final_fraction",
                "test_accuracy",
            ],
        )
    }


def test_claim5_rule():
    assert dead_units.verdict(_dead(0.01, 0.6, 0.9, 0.5, 0.1)).word == "holds"
    assert dead_units.verdict(_dead(0.6, 0.01, 0.4, 0.9, 0.3)).word == "fails"
    assert dead_units.verdict(_dead(0.01, 0.6, 0.4, 0.9, 0.3)).word == "mixed"


# ------------------------------------------------------------ claim 7


def _softmax(sm_word, rsm_word, gap):
    comp = pd.DataFrame(
        {
            "activation": ["relu", "softmax", "relu∘softmax"],
            "mean": [0.95, 0.5, 0.5],
            "verdict": ["baseline", sm_word, rsm_word],
        }
    )
    per_seed = pd.DataFrame(
        {
            "activation": ["softmax", "relu∘softmax"] * 2,
            "seed": [0, 0, 1, 1],
            "test_metric": [0.5, 0.5 + gap, 0.6, 0.6],
        }
    )
    return {"comparison": comp, "per_seed": per_seed}


def test_claim7_rule():
    assert softmax.verdict(_softmax("worse", "worse", 0.0)).word == "holds"
    assert softmax.verdict(_softmax("better", "equivalent", 0.2)).word == (
        "fails"
    )
    assert softmax.verdict(_softmax("worse", "better", 0.0)).word == "mixed"


# ------------------------------------------------------------ claim 8


def _filter_bank(params, seconds, diff, word):
    return {
        "variants": pd.DataFrame(
            {
                "linear": ["dense", "hadamard", "circulant"],
                "n_params": [9000.0, params, params],
                "epoch_time_s": [1.0, seconds, seconds],
                "test_accuracy": [0.95, 0.95 + diff, 0.95 + diff],
                "diff_vs_dense": [0.0, diff, diff],
                "verdict": ["baseline", word, word],
            }
        )
    }


def test_claim8_rule():
    good = _filter_bank(1000.0, 0.9, -0.005, "undecided")
    assert filter_bank.verdict(good).word == "holds"
    bad = _filter_bank(8000.0, 3.0, -0.2, "worse")
    assert filter_bank.verdict(bad).word == "fails"
    assert filter_bank.verdict(
        _filter_bank(1000.0, 3.0, 0.0, "better")
    ).word == ("mixed")


# ------------------------------------------------------------ claim 9


def _step(step_grad, relu_grad, word):
    grads = pd.DataFrame(
        {
            "activation": ["heaviside", "heaviside", "relu", "relu"],
            "layer_depth": [1, 3, 1, 3],
            "below_last": [True, False, True, False],
            "max_grad_norm": [step_grad, 0.4, relu_grad, 0.5],
            "init_grad_norm": [step_grad, 0.4, relu_grad, 0.5],
            "epochs": [11, 11, 11, 11],
        }
    )
    comp = pd.DataFrame(
        {
            "activation": ["relu", "heaviside"],
            "mean": [0.95, 0.6],
            "verdict": ["baseline", word],
        }
    )
    return {"gradients": grads, "comparison": comp}


def test_claim9_rule():
    assert step.verdict(_step(0.0, 0.3, "worse")).word == "holds"
    assert step.verdict(_step(0.2, 0.0, "better")).word == "fails"
    assert step.verdict(_step(1e-9, 0.3, "worse")).word == "mixed"


def test_missing_data_is_never_holds():
    for module in (
        vanishing,
        speed,
        dead_units,
        softmax,
        filter_bank,
        step,
        switch,
        derivatives,
        idempotence,
    ):
        v = module.verdict({})
        assert v.word == "mixed" and not all(v.checks.values()), module
