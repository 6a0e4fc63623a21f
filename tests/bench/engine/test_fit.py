"""One trial: determinism, data order, failure, divergence, selection."""

import hashlib

import numpy as np
import pytest
from runner_fixtures import TINY

from reluplug.bench.engine import data as bench_data
from reluplug.bench.engine import fit as trial
from reluplug.bench.suite import config


def _specs(text=TINY):
    return config.loads(text).expand()


def _swap(name):
    """TINY with activation ``name`` in place of relu (label kept)."""
    return TINY.replace('name = "relu"\n', f'name = "{name}"\nlabel = "relu"\n')


def _strip_times(record):
    out = {k: v for k, v in record.items() if not k.endswith("_s")}
    for key in ("timings", "utc_time"):
        out.pop(key, None)
    out["history"] = [
        {k: v for k, v in h.items() if k != "epoch_time_s"}
        for h in record["history"]
    ]
    return out


def test_rerun_alone_is_identical():
    spec = _specs()[1]
    first = trial.run_trial(spec)
    trial.run_trial(_specs()[0])  # something else in between
    second = trial.run_trial(spec)
    assert first["status"] == "completed", first["error"]
    assert _strip_times(first) == _strip_times(second)


def test_record_fields_follow_the_contract():
    spec = _specs()[0]
    record = trial.run_trial(spec)
    for key in (
        "schema_version trial_id status suite task task_params activation "
        "activation_name activation_params is_baseline seed training metric "
        "metric_mode history monitors best_epoch best_val_metric test_metric "
        "test_loss epochs_run wall_time_s fit_time_s overhead_s init_sha256 "
        "n_params splits machine versions git_commit utc_time error"
    ).split():
        assert key in record, key
    # spirals draws new data per seed (120 points, 60/20/20): no re-split.
    splits = bench_data.load_splits(trial.registry.get(spec.task_name), spec)
    y = splits.y_test
    digest = hashlib.sha256(
        f"{y.dtype.str}{y.shape}{splits.x_test.shape}".encode() + y.tobytes()
    )
    assert record["splits"].pop("test_sha256") == digest.hexdigest()[:16]
    assert record["splits"] == {
        "resplit": False,
        "n_train": 72,
        "n_val": 24,
        "n_test": 24,
    }
    assert record["trial_id"] == spec.trial_id
    assert record["epochs_run"] == len(record["history"]) == 2
    assert [h["epoch"] for h in record["history"]] == [1, 2]
    assert record["metric"] == "accuracy" and record["metric_mode"] == "max"
    assert 0.0 <= record["test_metric"] <= 1.0
    assert record["overhead_s"] == pytest.approx(
        record["wall_time_s"] - record["fit_time_s"]
    )
    assert record["utc_time"].endswith("Z")


def test_best_epoch_is_chosen_on_validation():
    text = TINY.replace("epochs = 2", "epochs = 6").replace(
        "seeds = [0, 1]", "seeds = [0]"
    )
    record = trial.run_trial(_specs(text)[0])
    vals = [h["val_metric"] for h in record["history"]]
    best = int(np.argmax(vals))  # first maximum
    assert record["best_epoch"] == best + 1
    assert record["best_val_metric"] == vals[best]


def _early(patience, min_delta, epochs=10):
    return (
        TINY.replace("epochs = 2", f"epochs = {epochs}")
        .replace("seeds = [0, 1]", "seeds = [0]")
        .replace(
            "batch_size = 32",
            "batch_size = 32\nearly_stopping = "
            f"{{patience = {patience}, min_delta = {min_delta}}}",
        )
    )


def test_early_stopping_waits_patience_epochs_and_restores_the_best():
    # No accuracy can beat the first epoch's by more than 1.0, so epoch 1
    # stays the best and training stops `patience` epochs later, always.
    record = trial.run_trial(_specs(_early(patience=2, min_delta=1.0))[0])
    assert record["status"] == "completed", record["error"]
    assert record["epochs_run"] == 3 and record["best_epoch"] == 1
    assert record["best_val_metric"] == record["history"][0]["val_metric"]
    # The test metric is that of epoch 1's weights: the same as a trial
    # trained for one epoch only (same seed, same data order).
    text = _early(patience=2, min_delta=1.0).replace(
        "epochs = 10", "epochs = 1"
    )
    one = trial.run_trial(_specs(text)[0])
    assert one["history"][0] == {
        **record["history"][0],
        "epoch_time_s": one["history"][0]["epoch_time_s"],
    }
    assert record["test_metric"] == one["test_metric"]
    assert record["test_loss"] == one["test_loss"]
    # ... and not that of the last epoch's weights (which did change).
    assert record["history"][2]["loss"] != record["history"][0]["loss"]


def test_epoch_order_is_a_seeded_permutation(monkeypatch):
    x = np.arange(10, dtype="float32")[:, None]
    y = np.arange(10)
    a = bench_data.EpochOrder(x, y, batch_size=4, seed=3)
    np.random.seed(123)  # global state must not matter
    b = bench_data.EpochOrder(x, y, batch_size=4, seed=3)
    assert len(a) == 3
    for epoch in range(3):
        batches = [a[i][1] for i in range(len(a))]
        assert [bb.tolist() for bb in batches] == [
            b[i][1].tolist() for i in range(len(b))
        ]
        seen = np.concatenate(batches)
        assert sorted(seen.tolist()) == list(range(10))
        expected = np.random.default_rng([3, epoch]).permutation(10)
        assert seen.tolist() == expected.tolist()
        a.on_epoch_end()
        b.on_epoch_end()
    c = bench_data.EpochOrder(x, y, batch_size=4, seed=4)
    assert c.order.tolist() != bench_data.EpochOrder(x, y, 4, 3).order.tolist()


def test_raising_activation_is_recorded_as_failed():
    record = trial.run_trial(_specs(_swap("bench_helpers:Boom"))[0])
    assert record["status"] == "failed"
    assert record["error"]["type"] == "RuntimeError"
    assert "boom" in record["error"]["message"]
    assert "Traceback" in record["error"]["traceback"]
    assert record["test_metric"] is None


def test_nan_loss_is_recorded_as_diverged():
    text = _swap("bench_helpers:Explode").replace("epochs = 2", "epochs = 5")
    record = trial.run_trial(_specs(text)[0])
    assert record["status"] == "diverged", record["error"]
    assert record["test_metric"] is None
    assert record["epochs_run"] == 1  # stopped at the first bad epoch
    assert not np.isfinite(record["history"][0]["loss"])


def test_monitors_are_recorded():
    text = TINY.replace("[training]", "monitors = true\n\n[training]")
    text = text.replace("seeds = [0, 1]", "seeds = [0]")
    record = trial.run_trial(_specs(text)[0])
    assert record["status"] == "completed", record["error"]
    rows = record["monitors"]
    dead = [r for r in rows if r["quantity"] == "dead_fraction"]
    assert sorted({r["epoch"] for r in dead}) == [0, 1, 2]
    assert sorted({(r["layer"], r["depth"]) for r in dead}) == [
        ("act_1", 1),
        ("act_2", 2),
    ]
    assert all(0.0 <= r["value"] <= 1.0 for r in dead)
    assert any(r["quantity"] == "grad_norm" for r in rows)
    assert all("dead_fraction" in h for h in record["history"])


def test_custom_activation_unknown_to_the_monitor_completes():
    text = _swap("bench_helpers:Softsign")
    text += "\n[monitors]\ndead_units = true\ngradient_flow = true\n"
    assert config.loads(text).monitors.dead_units  # the monitor is on
    record = trial.run_trial(_specs(text)[0])
    assert record["status"] == "completed", record["error"]
    quantities = {m["quantity"] for m in record["monitors"]}
    assert "dead_fraction" not in quantities
    assert "inactive_fraction" not in quantities
    assert "grad_norm" in quantities  # gradient flow still measured
