"""The population engine's monitor values are the monitors' own.

For each member of a cell (three seeds; ReLU, ELU and sigmoid sites, so
dead, inactive and saturated units and gradient norms), the values
``PopulationMonitors`` measures for the stacked members equal those the
member's own ``DeadUnitMonitor`` and ``GradientFlowMonitor`` measure on its
model alone; also for a model whose loss includes an activity
regularizer (``regularized``). The cases run in a JAX process
(``population_monitor_cases.py``), since the tests run on the default
backend.
"""

import os

import pytest
from runner_fixtures import run_jax_cases

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def results():
    return run_jax_cases(
        os.path.join(HERE, "population_monitor_cases.py"), timeout=600
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "quantity"),
    [
        ("relu", "dead_fraction"),
        ("elu", "inactive_fraction"),
        ("sigmoid", "saturated_fraction"),
        ("regularized", "dead_fraction"),
    ],
)
def test_members_measure_as_their_own_monitors(results, case, quantity):
    members = results[case]
    assert len(members) == 3
    for member in members:
        got, own = member["population"], member["own"]
        assert quantity in own
        assert any(key.startswith("grad_norm/") for key in own)
        assert set(got) == set(own)
        for key, value in own.items():
            assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key
    norms = [m["own"]["grad_norm_ratio"] for m in members]
    assert len(set(norms)) == 3  # three members, not one repeated
