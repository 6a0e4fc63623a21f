"""The population engine's epoch equals JAX ``model.fit``'s (issue #18).

From the same initial weights and the same batches in the same order, one
epoch of the population program gives every member the weights one epoch
of ``model.fit`` gives that model, to 1e-5 relative: for a population of 1
and for each member of a population of 4, on an MLP and a CNN with a PReLU
layer (a parametric activation); for members at different learning rates
in one program (``mlp-rates``, ``cnn-rates``: each member against ``fit``
at its own rate); and for the CNN with its members mapped one at a time
(``cnn-map``, ``jax.lax.map``, as the engine maps convolutions on CPU).
The cases run in a JAX process
(``population_cases.py``), since the tests run on the default backend.
"""

import os

import pytest
from runner_fixtures import run_jax_cases

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = (
    "mlp-1",
    "mlp-4",
    "cnn-1",
    "cnn-4",
    "mlp-rates",
    "cnn-rates",
    "cnn-map",
)


@pytest.fixture(scope="module")
def results():
    return run_jax_cases(os.path.join(HERE, "population_cases.py"), timeout=900)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_one_epoch_equals_fit(results, case):
    members = results[case]
    size = case.split("-")[1]
    assert len(members) == {"rates": 4, "map": 3}.get(size) or int(size)
    for member in members:
        assert member["moved"] > 1e-3  # the epoch changed the weights
        assert member["max_rel_diff"] <= 1e-5, member
        for key in ("loss", "val_loss", "val_metric"):
            got, ref = member[key]
            assert got == pytest.approx(ref, rel=1e-5, abs=1e-6), (key, member)


@pytest.mark.slow
def test_members_differ(results):
    """Four seeds are four different trainings, not one repeated."""
    losses = [m["loss"][0] for m in results["mlp-4"]]
    assert len(set(losses)) == 4
