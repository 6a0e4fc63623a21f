"""Report statistics against an independent scipy.stats computation."""

import itertools
import json
import statistics

import numpy as np
import pandas as pd
import pytest
from bench.report_fixtures import KNOWN
from bench.report_fixtures import MODES
from bench.report_fixtures import known_run
from bench.report_fixtures import trial_record
from bench.report_fixtures import write_run
from scipy import stats as sps

from reluplug.bench.report import frames
from reluplug.bench.report import stats


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    run_dir, _ = known_run(tmp_path_factory.mktemp("known"))
    data = frames.load_run(run_dir)
    summary = stats.summarize(
        data.runs, data.history, conflicts=data.init_conflicts
    )
    return data, summary.set_index(["task", "activation"])


def _exact_wilcoxon(d):
    """Two-sided exact signed-rank p-value by enumerating all 2^n signs."""
    ranks = sps.rankdata(np.abs(d))
    w_obs = ranks[d > 0].sum()
    total = ranks.sum()
    sums = [
        sum(r for r, s in zip(ranks, signs) if s)
        for signs in itertools.product([0, 1], repeat=len(d))
    ]
    sums = np.array(sums)
    low = min(w_obs, total - w_obs)
    return min(1.0, 2 * np.mean(sums <= low + 1e-9))


@pytest.mark.parametrize("key", sorted(KNOWN))
def test_per_activation_mean_std_ci_match_scipy(known, key):
    _, summary = known
    x = np.array(KNOWN[key])
    row = summary.loc[key]
    lo, hi = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert row["n_completed"] == len(x)
    assert row["mean"] == pytest.approx(statistics.fmean(x), rel=1e-12)
    assert row["std"] == pytest.approx(statistics.stdev(x), rel=1e-12)
    assert row["ci_low"] == pytest.approx(lo, rel=1e-12)
    assert row["ci_high"] == pytest.approx(hi, rel=1e-12)


@pytest.mark.parametrize("key", [k for k in sorted(KNOWN) if k[1] != "relu"])
def test_paired_statistics_match_scipy(known, key):
    _, summary = known
    task, _ = key
    a = np.array(KNOWN[key])
    b = np.array(KNOWN[(task, "relu")])
    d = a - b
    row = summary.loc[key]
    lo, hi = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
    assert row["baseline"] == "relu"
    assert row["n_paired"] == 5
    assert row["diff_mean"] == pytest.approx(d.mean(), abs=1e-12)
    assert row["diff_ci_low"] == pytest.approx(lo, rel=1e-9)
    assert row["diff_ci_high"] == pytest.approx(hi, rel=1e-9)
    assert row["t_pvalue"] == pytest.approx(
        sps.ttest_rel(a, b).pvalue, rel=1e-9
    )
    assert row["wilcoxon_pvalue"] == pytest.approx(
        sps.wilcoxon(a, b).pvalue, rel=1e-9
    )
    assert row["wilcoxon_pvalue"] == pytest.approx(_exact_wilcoxon(d))
    assert row["effect_dz"] == pytest.approx(
        d.mean() / statistics.stdev(d), rel=1e-9
    )


@pytest.mark.parametrize("key", [k for k in sorted(KNOWN) if k[1] != "relu"])
def test_wins_ties_losses_respect_metric_mode(known, key):
    _, summary = known
    task, _ = key
    a = np.array(KNOWN[key])
    b = np.array(KNOWN[(task, "relu")])
    better = a > b if MODES[task] == "max" else a < b
    row = summary.loc[key]
    assert (row["wins"], row["ties"], row["losses"]) == (
        int(better.sum()),
        int((a == b).sum()),
        int((~better & (a != b)).sum()),
    )


def test_known_values_give_the_expected_win_counts(known):
    # Independent of the formula above: counted by hand from KNOWN.
    _, summary = known
    assert summary.loc[("acc_task", "elu"), ["wins", "losses"]].tolist() == [
        4,
        1,
    ]
    assert summary.loc[("mse_task", "elu"), ["wins", "losses"]].tolist() == [
        5,
        0,
    ]
    assert summary.loc[("mse_task", "selu"), ["wins", "losses"]].tolist() == [
        1,
        4,
    ]


def test_ranks_respect_metric_mode_and_average_over_tasks(known):
    _, summary = known
    for task, mode in MODES.items():
        acts = sorted(a for t, a in KNOWN if t == task)
        means = np.array([np.mean(KNOWN[(task, a)]) for a in acts])
        expected = sps.rankdata(-means if mode == "max" else means)
        got = [summary.loc[(task, a), "rank"] for a in acts]
        assert got == pytest.approx(expected)
    # elu is best on both tasks (max accuracy, min mse).
    assert summary.loc[("acc_task", "elu"), "mean_rank"] == 1.0
    assert summary.loc[("mse_task", "selu"), "mean_rank"] == 3.0
    ranking = stats.ranking(summary.reset_index())
    assert ranking["activation"].tolist() == ["elu", "relu", "selu"]
    assert ranking["n_best"].tolist() == [2, 0, 0]
    # selu's paired CI on acc_task lies entirely below zero.
    assert ranking.set_index("activation").loc["selu", "n_worse"] == 1


def test_headline_names_best_per_task(known):
    _, summary = known
    head = stats.headline(summary.reset_index()).set_index("task")
    assert head.loc["acc_task", "best"] == "elu"
    assert head.loc["mse_task", "best"] == "elu"
    assert head.loc["mse_task", "baseline_mean"] == pytest.approx(0.5)


def test_t_interval_edge_cases():
    assert np.isnan(stats.t_interval([])[0])
    mean, sd, lo, hi = stats.t_interval([0.5, np.nan])
    assert mean == 0.5 and np.isnan(sd) and np.isnan(lo) and np.isnan(hi)


def test_paired_test_ties_and_constant_differences():
    res = stats.paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (res["wins"], res["ties"], res["losses"]) == (0, 3, 0)
    assert np.isnan(res["t_pvalue"]) and np.isnan(res["wilcoxon_pvalue"])
    res = stats.paired_test([2.0, 3.0, 4.0], [1.0, 2.0, 3.0], mode="min")
    assert res["t_pvalue"] == 0.0
    assert (res["wins"], res["losses"]) == (0, 3)
    # Below MIN_WILCOXON paired seeds there is no Wilcoxon p-value.
    res = stats.paired_test([1.0, 2.5, 3.2, 4.1], [1.1, 2.0, 3.0, 4.0])
    assert np.isnan(res["wilcoxon_pvalue"])
    assert res["t_pvalue"] == pytest.approx(
        sps.ttest_rel([1.0, 2.5, 3.2, 4.1], [1.1, 2.0, 3.0, 4.0]).pvalue
    )


def _hist(vals, times):
    return pd.DataFrame(
        {
            "epoch": np.arange(1, len(vals) + 1, dtype=float),
            "val_metric": vals,
            "epoch_time_s": times,
        }
    )


@pytest.mark.parametrize(
    "vals, target, mode, expected",
    [
        ([0.5, 0.7, 0.8, 0.79], 0.7, "max", (2.0, 3.0)),
        ([0.5, 0.6, 0.65], 0.7, "max", (np.nan, np.nan)),
        ([2.0, 1.0, 0.4, 0.3], 0.5, "min", (3.0, 6.0)),
        ([0.9, 0.5], 0.9, "max", (1.0, 1.0)),
    ],
)
def test_time_to_target(vals, target, mode, expected):
    times = [1.0, 2.0, 3.0, 4.0][: len(vals)]
    got = stats.time_to_target(_hist(vals, times), target, mode)
    np.testing.assert_allclose(got, expected)


def _timed(task, act, seed, vals, times, mode="max", **kw):
    hist = [
        {
            "epoch": i + 1,
            "loss": 1.0,
            "metric": v,
            "val_loss": 1.0,
            "val_metric": v,
            "epoch_time_s": t,
        }
        for i, (v, t) in enumerate(zip(vals, times))
    ]
    return trial_record(
        task=task, activation=act, seed=seed, history=hist, mode=mode, **kw
    )


def test_epochs_and_seconds_to_baseline_and_epoch_time_ratio(tmp_path):
    recs = []
    for seed in range(2):
        # Baseline ends at 0.8; elu reaches 0.8 at epoch 2 (seed 0) and 3
        # (seed 1); slow never does.  Epoch 1 (tracing) is 10 s everywhere.
        recs.append(
            _timed("t", "relu", seed, [0.5, 0.7, 0.9, 0.8], [10, 1, 1, 1])
        )
        e = [0.6, 0.8, 0.85, 0.9] if seed == 0 else [0.6, 0.7, 0.8, 0.9]
        recs.append(_timed("t", "elu", seed, e, [10, 2, 2, 2]))
        recs.append(_timed("t", "slow", seed, [0.1] * 4, [10, 3, 3, 3]))
    data = frames.load_run(write_run(tmp_path, recs))
    s = stats.summarize(data.runs, data.history).set_index("activation")
    assert s.loc["elu", "n_reached_baseline"] == 2
    assert s.loc["elu", "epochs_to_baseline"] == pytest.approx(2.5)
    # seed 0: 10 + 2 = 12 s; seed 1: 10 + 2 + 2 = 14 s.
    assert s.loc["elu", "seconds_to_baseline"] == pytest.approx(13.0)
    assert s.loc["slow", "n_reached_baseline"] == 0
    assert np.isnan(s.loc["slow", "epochs_to_baseline"])
    # The baseline reaches its own final value at epoch 3 (0.9 >= 0.8).
    assert s.loc["relu", "epochs_to_baseline"] == pytest.approx(3.0)
    assert s.loc["elu", "epoch_time_ratio"] == pytest.approx(2.0)
    assert s.loc["slow", "epoch_time_ratio"] == pytest.approx(3.0)
    assert s.loc["relu", "epoch_time_s"] == pytest.approx(1.0)


def test_init_hash_mismatch_is_refused(tmp_path):
    recs = []
    for (task, act), values in KNOWN.items():
        if task != "acc_task":
            continue
        for seed, v in enumerate(values):
            h = "bad" if (act == "elu" and seed == 2) else None
            recs.append(
                trial_record(
                    task=task,
                    activation=act,
                    seed=seed,
                    test_metric=v,
                    init_sha256=h,
                )
            )
    data = frames.load_run(write_run(tmp_path, recs))
    conflicts = data.init_conflicts
    assert conflicts[["task", "seed"]].values.tolist() == [["acc_task", 2]]
    assert "elu=bad" in conflicts["activations"].iloc[0]
    s = stats.summarize(data.runs, data.history, conflicts=conflicts)
    row = s.set_index("activation").loc["elu"]
    keep = [0, 1, 3, 4]
    a = np.array(KNOWN[("acc_task", "elu")])[keep]
    b = np.array(KNOWN[("acc_task", "relu")])[keep]
    assert row["n_paired"] == 4
    assert row["n_init_conflicts"] == 1
    assert row["t_pvalue"] == pytest.approx(sps.ttest_rel(a, b).pvalue)
    # selu's seed 2 shares the baseline's hash but the group is refused.
    assert s.set_index("activation").loc["selu", "n_paired"] == 4


def test_no_baseline_leaves_paired_columns_empty(tmp_path):
    recs = [
        trial_record(task="t", activation=a, seed=s, baseline="none")
        for a in ("elu", "selu")
        for s in range(3)
    ]
    data = frames.load_run(write_run(tmp_path, recs))
    s = stats.summarize(data.runs, data.history)
    assert s["baseline"].isna().all()
    assert (s["n_paired"] == 0).all()
    assert s["t_pvalue"].isna().all()
    # An explicit baseline label overrides the flags.
    s = stats.summarize(data.runs, data.history, baseline="elu")
    assert s.set_index("activation").loc["selu", "n_paired"] == 3


def test_summary_csv_round_trip_keeps_columns(tmp_path, known):
    data, summary = known
    path = tmp_path / "s.csv"
    summary.reset_index().to_csv(path, index=False)
    back = pd.read_csv(path)
    assert list(back.columns) == stats.SUMMARY_COLUMNS
    assert json.loads(data.runs["task_params"].iloc[0]) == {"hidden": 16}
