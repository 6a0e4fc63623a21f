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


# ------------------------------------------------------------- the suite


def _suite(tuning_table, training=None, seeds=(0,), task="tuning_tasks:TASK"):
    from reluplug.bench.suite import config

    data = {
        "version": 1,
        "name": "tuned",
        "seeds": list(seeds),
        "training": training or {"epochs": 3, "batch_size": 32},
        "tasks": [{"name": task, "label": "blobs"}],
        "activations": [{"name": "relu"}, {"name": "tanh"}],
    }
    if tuning_table is not None:
        data["tuning"] = tuning_table
    return config.from_mapping(data)


@pytest.mark.parametrize(
    "table, key, received",
    [
        ({"learning_rate": []}, "tuning.learning_rate", "[]"),
        ({"learning_rate": 1e-3}, "tuning.learning_rate", "0.001"),
        ({"learning_rate": [1e-3, -1.0]}, "tuning.learning_rate[1]", "-1.0"),
        ({"learning_rate": [1e-3, 1e-3]}, "tuning.learning_rate", "[0.001"),
        ({"learning_rate": [1e-3], "seeds": [0, 5]}, "tuning.seeds", "[0, 5]"),
        ({"learning_rate": [1e-3], "seeds": [-1]}, "tuning.seeds[0]", "-1"),
        ({"learning_rate": [1e-3], "seed": [5]}, "tuning.seed", "[5]"),
        ({"seeds": [5]}, None, None),
    ],
)
def test_bad_tuning_table_is_a_config_error(table, key, received):
    from reluplug.bench.suite import config

    with pytest.raises(config.ConfigError) as info:
        _suite(table)
    message = str(info.value)
    if key is None:
        assert "missing required key 'learning_rate' in [tuning]" in message
    else:
        assert f"Received: {key}={received}" in message
    if key == "tuning.seeds" and received == "[0, 5]":
        assert "shared: [0]" in message
    if key == "tuning.seed":
        assert "did you mean 'seeds'" in message


def test_tuning_and_a_training_learning_rate_conflict():
    from reluplug.bench.suite import config

    training = {"epochs": 3, "learning_rate": 1e-3}
    with pytest.raises(config.ConfigError) as info:
        _suite({"learning_rate": [1e-3, 1e-2]}, training=training)
    assert "Received: training.learning_rate=0.001" in str(info.value)
    assert "[tuning] learning_rate" in str(info.value)


def test_expand_with_chosen_rates():
    suite = _suite({"learning_rate": [1e-3, 1e-2], "seeds": [7]})
    tune = suite.expand_tuning()
    assert [(s.activation, s.seed, s.training.learning_rate) for s in tune] == [
        ("relu", 7, 1e-3),
        ("relu", 7, 1e-2),
        ("tanh", 7, 1e-3),
        ("tanh", 7, 1e-2),
    ]
    assert {s.role for s in tune} == {"tuning"}
    assert all(s.identity()["role"] == "tuning" for s in tune)
    assert suite.expand() == []  # no rate chosen yet
    (spec,) = suite.expand({("blobs", "tanh"): 1e-2})
    assert (spec.activation, spec.training.learning_rate) == ("tanh", 1e-2)
    assert spec.to_dict()["tuning"] == {
        "learning_rate": [1e-3, 1e-2],
        "seeds": [7],
    }
    assert "tuning" not in spec.identity() and "role" not in spec.identity()
    # The same training without [tuning] has the same id (resume works).
    plain = _suite(
        None, training={"epochs": 3, "batch_size": 32, "learning_rate": 1e-2}
    )
    assert plain.expand()[1].trial_id == spec.trial_id


def _run(tmp_path, name, task):
    import pandas as pd

    from reluplug.bench import run_suite

    suite = _suite({"learning_rate": [1e-3, 3e-2], "seeds": [100]}, task=task)
    out = tmp_path / name
    summary = run_suite(suite, str(out))
    return suite, out, summary, pd.read_csv(out / "tuning.csv")


@pytest.mark.slow  # 12 trials
def test_the_choice_never_reads_test_labels(tmp_path):
    """Two runs that differ only in the test labels choose the same rates
    from the same validation curves; the tuning trials have no test
    metric; the evaluation trials train with the chosen rate; a resume
    runs nothing again."""
    import json

    import pandas as pd

    from reluplug.bench import run_suite

    suite, out, summary, curve = _run(tmp_path, "a", "tuning_tasks:TASK")
    _, out_b, _, curve_b = _run(tmp_path, "b", "tuning_tasks:FLIPPED")
    assert summary.counts == {"completed": 6}  # 4 tuning + 2 evaluation
    assert summary.n_tuning == 4 and summary.n_rows == 2
    pd.testing.assert_frame_equal(curve, curve_b)
    # Independent reference: the best validation metric per rate, read
    # from the tuning trials' files (one tuning seed: no mean needed).
    records = [
        json.loads(p.read_text()) for p in (out / "trials").glob("*.json")
    ]
    tune = [r for r in records if r.get("role") == "tuning"]
    assert len(tune) == 4
    assert all(r["test_metric"] is None for r in tune)
    chosen = {}
    for act in ("relu", "tanh"):
        values = {
            r["training"]["learning_rate"]: r["best_val_metric"]
            for r in tune
            if r["activation"] == act
        }
        best = max(values.values())
        chosen[act] = min(r for r, v in values.items() if v == best)
        rows = curve[curve["activation"] == act].set_index("learning_rate")
        for rate, value in values.items():
            assert rows.loc[rate, "mean_val_metric"] == pytest.approx(value)
        assert rows.loc[chosen[act], "chosen"]
        assert rows["chosen"].sum() == 1
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["seed"]) == [0, 0]  # no tuning trial in the tables
    evaluation = [r for r in records if r.get("role") != "tuning"]
    for record in evaluation:
        act = record["activation"]
        assert record["training"]["learning_rate"] == chosen[act]
        assert record["tuning"]["learning_rate"] == [1e-3, 3e-2]
    runs_b = pd.read_csv(out_b / "runs.csv")
    # The shuffled test labels did change the test metric.
    assert list(runs["test_metric"]) != list(runs_b["test_metric"])
    again = run_suite(suite, str(out))
    assert again.n_run == 0 and again.n_skipped == 6
    assert again.n_left_out == 0 and again.n_rows == 2


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"init": "he"}, "Received: init='he'"),
        (
            {"tuning": {"learning_rate": [1e-3], "seeds": [0]}},
            "Received: tuning.seeds=[0]",
        ),
        (
            {"tuning": {"learning_rate": [1e-3]}, "learning_rate": 0.01},
            "Received: learning_rate=0.01",
        ),
    ],
)
def test_compare_takes_init_and_tuning_keywords(tmp_path, kwargs, expected):
    import keras
    import numpy as np

    from reluplug.bench import compare

    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(40, 2)).astype("float32"), rng.integers(0, 2, 40))
    with pytest.raises(ValueError) as info:
        compare(
            model,
            data,
            ["relu"],
            seeds=[0],
            out=tmp_path / "out",
            epochs=1,
            **kwargs,
        )
    assert expected in str(info.value)
