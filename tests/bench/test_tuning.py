"""Learning-rate tuning: the choice on constructed validation metrics."""

import pytest

from reluplug.bench.suite import tuning

GRID = (3e-4, 1e-3, 3e-3, 1e-2)
SEEDS = (1000, 1001)


def _record(rate, seed, value, status="completed", mode="max", **extra):
    return {
        "task": "t",
        "activation": "relu",
        "seed": seed,
        "status": status,
        "training": {"learning_rate": rate},
        "best_val_metric": value,
        "metric": "accuracy" if mode == "max" else "mse",
        "metric_mode": mode,
        "role": "tuning",
        **extra,
    }


def _records(values, mode="max", status=None):
    """``values``: rate -> per-seed validation metrics."""
    status = status or {}
    return [
        _record(r, s, v, status.get((r, s), "completed"), mode)
        for r, vs in values.items()
        for s, v in zip(SEEDS, vs)
    ]


def _chosen(records, mode="max"):
    points, complete = tuning.curve(records, GRID, SEEDS)
    assert complete
    return tuning.choose(points, mode)


def test_argmax_of_the_mean_validation_metric():
    values = {
        3e-4: [0.80, 0.82],
        1e-3: [0.90, 0.80],  # mean 0.85
        3e-3: [0.86, 0.86],  # mean 0.86: chosen
        1e-2: [0.95, 0.70],  # best single seed, mean 0.825
    }
    assert _chosen(_records(values)) == 3e-3


def test_argmin_for_a_loss_metric():
    values = {
        3e-4: [0.5, 0.5],
        1e-3: [0.3, 0.4],
        3e-3: [0.2, 0.6],
        1e-2: [1, 1],
    }
    # means 0.5, 0.35, 0.4, 1.0: the smallest mse wins.
    assert _chosen(_records(values, "min"), "min") == 1e-3


def test_ties_go_to_the_smaller_rate():
    values = {r: [0.9, 0.8] for r in GRID}
    assert _chosen(_records(values)) == 3e-4
    values = {
        3e-4: [0.1, 0.1],
        1e-3: [0.9, 0.8],
        3e-3: [0.8, 0.9],
        1e-2: [0, 0],
    }
    assert _chosen(_records(values)) == 1e-3


def test_a_diverged_trial_counts_as_the_worst_value():
    values = {3e-4: [0.80, 0.80], 1e-3: [0.85, 0.85], 3e-3: [0.99, None]}
    values[1e-2] = [0.1, 0.1]
    status = {(3e-3, 1001): "diverged"}
    records = _records(values, status=status)
    points, _ = tuning.curve(records, GRID, SEEDS)
    row = next(p for p in points if p["learning_rate"] == 3e-3)
    assert (row["n_completed"], row["n_diverged"]) == (1, 1)
    assert row["mean_val_metric"] == pytest.approx(0.99)
    assert tuning.choose(points, "max") == 1e-3
    # Every rate diverging somewhere: all tie at the worst, smallest wins.
    status = {(r, 1000): "diverged" for r in GRID}
    assert _chosen(_records(values, status=status)) == 3e-4


def test_missing_or_failed_trials_leave_the_pair_undecided():
    values = {r: [0.5, 0.6] for r in GRID}
    records = _records(values, status={(1e-3, 1000): "failed"})
    assert tuning.curve(records, GRID, SEEDS)[1] is False
    chosen, rows = tuning.decide(records, [("t", "relu")], _tuning())
    assert chosen == {} and rows == []
    chosen, rows = tuning.decide(records[1:], [("t", "relu")], _tuning())
    assert chosen == {}


def _tuning():
    return tuning.Tuning(learning_rate=GRID, seeds=SEEDS)


def test_decide_reads_no_test_metric():
    values = {3e-4: [0.8, 0.8], 1e-3: [0.9, 0.9], 3e-3: [0.7, 0.7]}
    values[1e-2] = [0.6, 0.6]
    records = _records(values)
    other = [dict(r, test_metric=1.0 - r["best_val_metric"]) for r in records]
    a = tuning.decide(records, [("t", "relu")], _tuning())
    b = tuning.decide(other, [("t", "relu")], _tuning())
    assert a == b
    chosen, rows = a
    assert chosen == {("t", "relu"): 1e-3}
    assert [r["chosen"] for r in rows] == [False, True, False, False]
    assert [r["mean_val_metric"] for r in rows] == pytest.approx(
        [0.8, 0.9, 0.7, 0.6]
    )


def test_choose_refuses_a_bad_mode():
    with pytest.raises(ValueError, match=r"`metric_mode`.*'maximum'"):
        tuning.choose([{"learning_rate": 1e-3, "score": 0.5}], "maximum")
