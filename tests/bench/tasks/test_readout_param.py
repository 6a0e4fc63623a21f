"""digits_mlp's ``readout`` parameter: softmax or a multiclass hinge."""

import keras
import numpy as np
import pytest
from test_tasks import _build
from test_tasks import _spec

from reluplug.bench.engine import model as bench_model
from reluplug.bench.suite import config
from reluplug.bench.tasks import base
from reluplug.bench.tasks import registry


def _ref_hinge(labels, scores):
    """max(0, 1 + max_{j != y} s_j - s_y), averaged, in NumPy loops."""
    losses = []
    for y, s in zip(labels, scores):
        other = max(s[j] for j in range(len(s)) if j != y)
        losses.append(max(0.0, 1.0 + other - s[y]))
    return float(np.mean(losses))


def test_hinge_matches_reference(rng):
    scores = rng.normal(size=(40, 10)).astype("float32")
    scores[0] = 0.0  # every score tied: loss 1
    labels = rng.integers(0, 10, size=40)
    loss = keras.ops.mean(base.multiclass_hinge(labels, scores))
    assert float(loss) == pytest.approx(_ref_hinge(labels, scores), rel=1e-6)
    assert float(base.multiclass_hinge(labels[:1], scores[:1])[0]) == 1.0


def test_trial_ids_of_suites_without_readout_are_unchanged():
    # Trial ids from before the parameter (e.g. the evidence suites of
    # commit 8725b0f): a digits_mlp trial without `readout` hashes its
    # params without the key, and readout = "softmax" is that same trial.
    plain = _spec("digits_mlp", params={"hidden": 16})
    assert "readout" not in plain.task_params
    same = _spec("digits_mlp", params={"hidden": 16, "readout": "softmax"})
    assert same.trial_id == plain.trial_id
    hinge = _spec("digits_mlp", params={"hidden": 16, "readout": "hinge"})
    assert hinge.task_params["readout"] == "hinge"
    assert hinge.trial_id != plain.trial_id
    # The id commit 8725b0f (before the parameter and the init protocol;
    # _spec says init = "same") gives this trial.
    assert plain.trial_id == "41170cb34562bfad", plain.trial_id


def test_hinge_model_is_the_softmax_model_with_linear_scores():
    soft, _, sha_soft = _build(_spec("digits_mlp", params={"hidden": 16}))
    spec = _spec("digits_mlp", params={"hidden": 16, "readout": "hinge"})
    hinge, _, sha_hinge = _build(spec)
    assert sha_soft == sha_hinge  # same weights everywhere
    x = registry.get("digits_mlp").load(0).x_test[:8]
    logits = hinge(x)
    np.testing.assert_allclose(
        keras.ops.softmax(logits), soft(x), rtol=1e-5, atol=1e-6
    )
    task = registry.get("digits_mlp")
    bench_model.compile_model(hinge, task, spec.training)
    assert hinge.loss is base.multiclass_hinge
    bench_model.compile_model(soft, task, spec.training)
    assert isinstance(soft.loss, keras.losses.SparseCategoricalCrossentropy)


def test_bad_readout_names_the_choices():
    text = """
version = 1
name = "t"
seeds = [0]
[training]
epochs = 1
[[tasks]]
name = "digits_mlp"
params = {readout = "svm"}
[[activations]]
name = "relu"
"""
    with pytest.raises(config.ConfigError, match="readout.*softmax.*hinge"):
        config.loads(text)
