"""Swish: `trainable` (frozen flag) and `learnable` (beta is a weight)."""

import keras
import numpy as np

from reluplug import layers


def _model(layer):
    inputs = keras.Input((3,))
    return keras.Model(inputs, layer(inputs))


def test_frozen_learnable_swish_reloads_frozen_with_its_beta(tmp_path):
    layer = layers.Swish(beta=1.0)
    model = _model(layer)
    layer.beta_weight.assign(np.array(2.5, dtype="float32"))
    layer.trainable = False
    path = str(tmp_path / "m.keras")
    model.save(path)

    loaded = keras.models.load_model(path, safe_mode=True).layers[-1]
    assert loaded.learnable is True
    assert loaded.trainable is False
    assert float(keras.ops.convert_to_numpy(loaded.beta_weight)) == 2.5
    assert loaded.trainable_weights == []
    x = np.array([[-1.0, 0.5, 2.0]], dtype="float32")
    expected = x / (1.0 + np.exp(-2.5 * x))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, rtol=1e-6
    )


def test_trainable_false_at_construction_means_a_constant_beta():
    layer = layers.Swish(beta=2.0, trainable=False)
    _model(layer)
    assert layer.learnable is False
    assert layer.weights == []
    config = layer.get_config()
    assert config["learnable"] is False and config["trainable"] is False
    assert layers.Swish.from_config(config).learnable is False
