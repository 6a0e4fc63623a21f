"""The runner's monitor rows: depth in data-flow order through nested
models, and the user's layer path (``block/conv2d``) as the layer, for a
nested functional CNN (a nested Sequential conv block with BatchNorm,
Dropout and fused ReLUs, a softmax read-out). TensorFlow and JAX.

Before: conv3 = 1, fc = 2, readout = 3, block/conv2d = 4, ... and the
dead-unit rows named act_1..act_4, with no link to the user's layers.
"""

import itertools
import os

import keras
import numpy as np
import pandas as pd
import pytest
from model_cases import nested_cnn
from sklearn.datasets import load_digits

from reluplug import swap
from reluplug.bench import compare
from reluplug.bench.engine.monitors import with_depth
from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks import GradientFlowMonitor


def _digits(n=300):
    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32").reshape(-1, 8, 8, 1), y[:n]


def _nested_cnn():
    """``model_cases.nested_cnn()`` and the user paths of its block's two
    convolutions."""
    model, block = nested_cnn()
    conv_a, _, conv_b, _ = (layer.name for layer in block.layers)
    return model, f"block/{conv_a}", f"block/{conv_b}"


def _expected(conv_a, conv_b):
    sites = [conv_a, conv_b, "conv3", "fc"]
    expected = {("grad_norm", "readout", 5)}
    for depth, path in enumerate(sites, start=1):
        expected |= {("dead_fraction", path, depth), ("grad_norm", path, depth)}
    return expected


def test_with_depth_orders_by_data_flow_and_names_the_users_layers():
    model, conv_a, conv_b = _nested_cnn()
    count = itertools.count(1)  # the runner names its layers act_<n>
    new = swap.swap_with(
        model, lambda name: keras.layers.ReLU(name=f"act_{next(count)}")
    )
    new.compile("sgd", "sparse_categorical_crossentropy")
    x, y = _digits(32)
    rows = []
    for monitor in (DeadUnitMonitor(x), GradientFlowMonitor((x, y))):
        monitor.set_model(new)
        monitor.on_train_begin()
        for key, value in monitor.initial.items():
            quantity, sep, layer = key.partition("/")
            if sep:
                rows.append(
                    {
                        "epoch": 0,
                        "quantity": quantity,
                        "layer": layer,
                        "value": value,
                    }
                )
    assert {r["layer"] for r in rows if r["quantity"] == "dead_fraction"} == {
        "act_1",
        "act_2",
        "act_3",
        "act_4",
    }
    got = {
        (r["quantity"], r["layer"], r["depth"]) for r in with_depth(rows, new)
    }
    assert got == _expected(conv_a, conv_b)


@pytest.mark.slow
def test_compare_monitors_csv_has_data_flow_depths_and_user_paths(tmp_path):
    model, conv_a, conv_b = _nested_cnn()
    x, y = _digits()
    out = str(tmp_path / "r")
    compare(
        model,
        (x, y),
        ["relu", "elu"],
        seeds=[0],
        epochs=1,
        out=out,
        monitors=True,
    )
    frame = pd.read_csv(os.path.join(out, "monitors.csv"))
    for activation in ("relu", "elu"):
        rows = frame[frame["activation"] == activation]
        rows = rows[rows["epoch"] == 0]
        quantity = (
            "dead_fraction" if activation == "relu" else ("inactive_fraction")
        )
        got = {
            (q.replace(quantity, "dead_fraction"), layer, int(depth))
            for q, layer, depth in zip(
                rows["quantity"], rows["layer"], rows["depth"]
            )
        }
        assert got == _expected(conv_a, conv_b)
    assert np.isfinite(frame["value"]).all()
