"""The MLP tasks' ``linear`` parameter: dense, hadamard or circulant."""

import numpy as np
import pytest
from test_tasks import _build
from test_tasks import _non_activation_weights
from test_tasks import _spec

from reluplug import layers
from reluplug.bench import tasks
from reluplug.bench.suite import config
from reluplug.bench.tasks import registry

MLP_TASKS = sorted(
    name for name in registry.names() if "linear" in tasks.get(name).params
)
KINDS = {
    "dense": "Dense",
    "hadamard": "HadamardDense",
    "circulant": "CirculantDense",
}
SMALL = {
    "deep_mlp": {"depth": 3, "width": 8},
    "spirals": {"n_samples": 200},
}


def test_every_mlp_task_has_the_parameter():
    assert {
        "digits_mlp",
        "mnist5k_mlp",
        "mnist1d_mlp",
        "deep_mlp",
        "spirals",
        "regression",
        "mnist",
        "fashion_mnist",
    } <= set(MLP_TASKS)
    for name in MLP_TASKS:
        param = tasks.get(name).params["linear"]
        assert param.default == "dense"
        assert param.choices == ("dense", "hadamard", "circulant")


@pytest.mark.parametrize("linear", sorted(KINDS))
@pytest.mark.parametrize("name", ["digits_mlp", "deep_mlp", "spirals"])
def test_hidden_layers_are_of_the_chosen_kind(name, linear):
    params = {**SMALL.get(name, {}), "linear": linear}
    built = {
        act: _build(_spec(name, act, params=params))
        for act in ("relu", "prelu")
    }
    model, acts, sha = built["relu"]
    hidden = [
        type(layer).__name__
        for layer in model.layers[:-1]
        if layer not in acts and type(layer).__name__ != "Flatten"
    ]
    assert hidden and set(hidden) == {KINDS[linear]}
    assert type(model.layers[-1]).__name__ == "Dense"  # the head
    # Same (task, seed): same initial weights for every activation.
    other, other_acts, other_sha = built["prelu"]
    for a, b in zip(
        _non_activation_weights(model, acts),
        _non_activation_weights(other, other_acts),
    ):
        np.testing.assert_array_equal(a, b)
    assert sha == other_sha
    # Another seed: other weights (the fixed permutations too).
    _, _, sha1 = _build(_spec(name, "relu", seed=1, params=params))
    assert sha1 != sha


def _hidden_params(model, acts):
    return sum(
        layer.count_params() for layer in model.layers[:-1] if layer not in acts
    )


def test_mnist5k_hadamard_uses_50x_fewer_hidden_parameters():
    counts = {}
    for linear in ("dense", "hadamard"):
        params = {"hidden": 1024, "layers": 2, "linear": linear}
        model, acts, _ = _build(_spec("mnist5k_mlp", params=params))
        counts[linear] = _hidden_params(model, acts)
    # Dense: 784*1024 + 1024 + 1024*1024 + 1024; HadamardDense: n = 1024,
    # 3 diagonals of 1024 + 1024 biases per layer.
    assert counts["dense"] == 784 * 1024 + 1024 + 1024 * 1024 + 1024
    assert counts["hadamard"] == 2 * (3 * 1024 + 1024)
    assert counts["dense"] / counts["hadamard"] >= 50


def test_unknown_linear_is_a_config_error():
    with pytest.raises(config.ConfigError, match=r"linear.*'hadamrd'"):
        _spec("digits_mlp", params={"linear": "hadamrd"})


def test_linear_layer_rejects_unknown_kinds():
    from reluplug.bench.tasks import base

    with pytest.raises(ValueError, match=r"`linear`.*'sparse'"):
        base.linear_layer("sparse", 4, 0, 1)
    assert isinstance(
        base.linear_layer("hadamard", 4, 0, 1), layers.HadamardDense
    )


def test_linear_suite_compares_dense_and_hadamard_only():
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(
        here, "..", "..", "..", "benchmarks", "suites", "linear_mnist5k.toml"
    )
    specs = config.load(path).expand()
    labels = sorted({spec.task for spec in specs})
    assert labels == [
        "mnist5k_mlp[linear=dense]",
        "mnist5k_mlp[linear=hadamard]",
    ]
    assert len(specs) == 6
    params = {spec.task: dict(spec.task_params) for spec in specs}
    dense, hadamard = (params[label] for label in labels)
    assert dense["hidden"] == hadamard["hidden"] == 1024
    assert {k for k in dense if dense[k] != hadamard[k]} == {"linear"}
