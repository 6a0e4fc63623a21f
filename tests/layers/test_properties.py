"""Property tests (hypothesis): monotonicity, sign, identity for x > 0.

Layers run in float64 (``float64_backend`` enables it on JAX). Inputs stay
away from 0 by 1e-6 so a sign is never lost to underflow.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from layer_testing import to_numpy64

from reluplug import layers

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

values = st.floats(-40.0, 40.0, allow_nan=False).filter(lambda v: abs(v) > 1e-6)
inputs = st.lists(values, min_size=1, max_size=24).map(
    lambda v: np.array(v, "float64")
)
slope = st.floats(0.01, 1.0)
positive = st.floats(0.1, 4.0)


@st.composite
def _srelu(draw):
    return layers.SReLU(
        t_left=draw(st.floats(-3.0, -0.01)),
        a_left=draw(slope),
        t_right=draw(st.floats(0.01, 3.0)),
        a_right=draw(slope),
        granularity="shared",
        dtype="float64",
    )


@st.composite
def _rrelu(draw):
    lower = draw(st.floats(0.01, 0.5))
    upper = draw(st.floats(lower, 0.9))
    return layers.RReLU(lower=lower, upper=upper, seed=0, dtype="float64")


F64 = {"dtype": st.just("float64")}
LAYERS = {
    "leaky_relu": st.builds(layers.LeakyReLU, slope, **F64),
    "prelu": st.builds(
        layers.PReLU,
        initial_slope=slope,
        granularity=st.just("shared"),
        **F64,
    ),
    "rrelu": _rrelu(),
    "elu": st.builds(layers.ELU, positive, **F64),
    "celu": st.builds(layers.CELU, positive, **F64),
    "selu": st.builds(layers.SELU, **F64),
    "pelu": st.builds(layers.PELU, positive, positive, **F64),
    "srelu": _srelu(),
    "swish": st.builds(layers.Swish, st.floats(0.1, 0.7), **F64),
}
MONOTONE = sorted(set(LAYERS) - {"swish"})  # Swish dips below 0 for x < 0
SIGN = sorted(LAYERS)
IDENTITY = ["celu", "elu", "leaky_relu", "prelu", "rrelu"]


def _with_rrelu_training(names):
    """Inference for every layer, plus training for RReLU (the only layer
    that behaves differently in training)."""
    return [(n, False) for n in names] + [("rrelu", True)]


def _apply(layer, x, training=False):
    return to_numpy64(layer(x[None], training=training))[0]


def _monotone_nondecreasing(layer, x, training):
    x = np.sort(x)
    y = _apply(layer, x, training)
    assert np.all(np.diff(y) >= 0), (x, y)


def _sign_preserved(layer, x, training):
    y = _apply(layer, x, training)
    np.testing.assert_array_equal(np.sign(y), np.sign(x))


def _identity_for_positive_inputs(layer, x, training):
    x = np.abs(x)
    np.testing.assert_array_equal(_apply(layer, x, training), x)


# (property, layer name, training): each property on its layers.
CASES = (
    [(_monotone_nondecreasing, n, False) for n in MONOTONE]
    + [(_sign_preserved, n, t) for n, t in _with_rrelu_training(SIGN)]
    + [
        (_identity_for_positive_inputs, n, t)
        for n, t in _with_rrelu_training(IDENTITY)
    ]
)


@pytest.mark.usefixtures("float64_backend")
@pytest.mark.parametrize(
    "prop, name, training",
    CASES,
    ids=[f"{p.__name__[1:]}-{n}-{t}" for p, n, t in CASES],
)
def test_property_holds(prop, name, training):
    @SETTINGS
    @given(layer=LAYERS[name], x=inputs)
    def check(layer, x):
        prop(layer, x, training)

    check()


@pytest.mark.usefixtures("float64_backend")
def test_srelu_identity_between_thresholds():
    @SETTINGS
    @given(layer=_srelu(), u=st.lists(st.floats(0.01, 0.99), min_size=1))
    def check(layer, u):
        x = layer.t_left + np.array(u) * (layer.t_right - layer.t_left)
        np.testing.assert_allclose(_apply(layer, x), x, rtol=1e-15)

    check()
