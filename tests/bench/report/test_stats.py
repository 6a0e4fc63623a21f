"""Report statistics against scipy / statsmodels / scikit-posthocs, called
independently here, and hand computations."""

import itertools
import json
import statistics

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from report_fixtures import KNOWN
from report_fixtures import MODES
from report_fixtures import bootstrap_ci
from report_fixtures import known_run
from report_fixtures import make_history
from report_fixtures import trial_record
from report_fixtures import value_records
from report_fixtures import write_run
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import ttost_paired

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


# Every (task, activation) compared with the relu baseline.
PAIRED = [k for k in sorted(KNOWN) if k[1] != "relu"]


def _paired(known, key):
    """(summary row of ``key``, its per-seed values, relu's)."""
    _, summary = known
    a = np.array(KNOWN[key])
    return summary.loc[key], a, np.array(KNOWN[(key[0], "relu")])


def _exact_signflip(d):
    """Two-sided sign-flip p-value by enumerating all 2^n sign vectors."""
    d = np.asarray(d, dtype=float)
    obs = abs(d.mean())
    means = [
        abs(np.mean(d * np.array(signs)))
        for signs in itertools.product([1, -1], repeat=len(d))
    ]
    return float(np.mean(np.array(means) >= obs - 1e-12))


@pytest.mark.parametrize("key", sorted(KNOWN))
def test_per_activation_mean_std_and_bootstrap_ci_match_scipy(known, key):
    _, summary = known
    x = np.sort(KNOWN[key])
    row = summary.loc[key]
    ci = bootstrap_ci(x, stats.N_BOOT)
    assert row["n_completed"] == len(x)
    assert row["mean"] == pytest.approx(statistics.fmean(x), rel=1e-12)
    assert row["std"] == pytest.approx(statistics.stdev(x), rel=1e-12)
    assert row["ci_method"] == "bootstrap"
    assert row["ci_low"] == pytest.approx(ci.low, rel=1e-12)
    assert row["ci_high"] == pytest.approx(ci.high, rel=1e-12)
    assert x.min() <= row["ci_low"] <= row["ci_high"] <= x.max()


@pytest.mark.parametrize("key", PAIRED)
def test_paired_statistics_match_scipy(known, key):
    row, a, b = _paired(known, key)
    d = a - b
    lo, hi = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
    assert row["baseline"] == "relu"
    assert row["n_paired"] == 5
    assert row["diff_mean"] == pytest.approx(d.mean(), abs=1e-12)
    assert row["diff_ci_low"] == pytest.approx(lo, rel=1e-9)
    assert row["diff_ci_high"] == pytest.approx(hi, rel=1e-9)
    assert row["t_pvalue"] == pytest.approx(
        sps.ttest_rel(a, b).pvalue, rel=1e-9
    )
    assert row["p_value"] == row["t_pvalue"]
    assert row["perm_pvalue"] == pytest.approx(_exact_signflip(d))
    # 5 non-zero differences: below MIN_WILCOXON, no Wilcoxon p-value.
    assert row["n_nonzero"] == 5 and np.isnan(row["wilcoxon_pvalue"])
    dz = d.mean() / statistics.stdev(d)
    assert row["effect_gz"] == pytest.approx(dz * (1 - 3 / 15), rel=1e-9)
    # The g_z interval inverts the noncentral t at the observed t.
    t_obs = dz * np.sqrt(5)
    j = 1 - 3 / 15
    for bound, q in (("gz_ci_low", 0.975), ("gz_ci_high", 0.025)):
        nc = row[bound] / j * np.sqrt(5)
        assert sps.nct.cdf(t_obs, 4, nc) == pytest.approx(q, abs=1e-6)


def test_multiplicity_matches_statsmodels(known):
    _, summary = known
    s = summary.reset_index()
    comp = s[~s["is_baseline"]]
    for _, g in comp.groupby("task"):
        holm = multipletests(g["t_pvalue"], method="holm")[1]
        np.testing.assert_allclose(g["p_holm"], holm, rtol=1e-12)
    bh = multipletests(comp["t_pvalue"], method="fdr_bh")[1]
    np.testing.assert_allclose(comp["q_bh"], bh, rtol=1e-12)
    assert s.loc[s["is_baseline"], ["p_holm", "q_bh"]].isna().all().all()


@pytest.mark.parametrize("key", PAIRED)
def test_tost_matches_statsmodels(known, key):
    row, a, b = _paired(known, key)
    rope = row["rope"]
    p, _, _ = ttost_paired(a, b, -rope, rope)
    assert row["p_tost"] == pytest.approx(p, rel=1e-9)


def test_rope_defaults_absolute_for_accuracy_relative_for_mse(known):
    _, summary = known
    assert summary.loc[("acc_task", "elu"), "rope"] == 0.005
    base = np.mean(KNOWN[("mse_task", "relu")])
    assert summary.loc[("mse_task", "elu"), "rope"] == pytest.approx(
        0.02 * base
    )


def _pair_run(tmp_path, a_vals, b_vals, *, mode="max", splits=None):
    metric = "accuracy" if mode == "max" else "mse"
    recs = value_records(
        {"relu": b_vals, "new": a_vals}, mode=mode, metric=metric, splits=splits
    )
    data = frames.load_run(write_run(tmp_path, recs))
    s = stats.summarize(data.runs, data.history)
    return s.set_index("activation").loc["new"]


RNG = np.random.default_rng(7)
BASE = 0.80 + RNG.normal(0, 0.01, 10)


NOISE = np.array([5, -4, 3, -2, 6, -5, 1, 0, 4, -3], dtype=float)


@pytest.mark.parametrize(
    "delta, scale, expected",
    [
        (+0.05, 0.001, "better"),
        (-0.05, 0.001, "worse"),
        (+0.0005, 0.0002, "equivalent"),
        (+0.005, 0.01, "undecided"),
    ],
)
def test_each_verdict_comes_out(tmp_path, delta, scale, expected):
    a = BASE + delta + scale * NOISE
    row = _pair_run(tmp_path, a, BASE)
    assert row["verdict"] == expected


def test_verdict_respects_min_mode(tmp_path):
    b = 0.5 + BASE / 10
    row = _pair_run(tmp_path, b - 0.05, b, mode="min")
    assert row["verdict"] == "better"
    assert row["diff_mean"] < 0


def test_constant_differences_give_no_infinite_effect_or_tiny_p():
    res = stats.paired_test([0.2] * 5, [0.1] * 5)
    assert res["constant_diff"]
    assert np.isnan(res["effect_gz"]) and np.isnan(res["t_pvalue"])
    # Sign flips of 5 equal differences: 2 of 32 are as extreme.
    assert res["perm_pvalue"] == pytest.approx(2 / 32)
    assert res["p_value"] == res["perm_pvalue"]
    res = stats.paired_test([0.2, 0.3, 0.4], [0.1, 0.2, 0.3])
    assert res["p_value"] == pytest.approx(2 / 8)
    assert res["diff_ci_low"] == res["diff_ci_high"] == pytest.approx(0.1)


def test_wilcoxon_needs_six_nonzero_differences():
    b = np.arange(8, dtype=float)
    a = b + np.array([0, 0, 0.3, -0.1, 0.2, 0.5, 0.4, 0.6])
    res = stats.paired_test(a, b, tie_tol=1e-9)
    assert res["n_nonzero"] == 6
    d = (a - b)[a != b]
    assert res["wilcoxon_pvalue"] == pytest.approx(sps.wilcoxon(d).pvalue)
    res = stats.paired_test(a[1:], b[1:] + np.r_[0, 0.3, 0, 0, 0, 0, 0])
    assert res["n_nonzero"] == 5
    assert np.isnan(res["wilcoxon_pvalue"])


def test_nadeau_bengio_correction_for_resplit_seeds(tmp_path):
    a = BASE + 0.01 + np.random.default_rng(3).normal(0, 0.01, 10)
    splits = {"resplit": True, "n_train": 600, "n_val": 200, "n_test": 200}
    row = _pair_run(tmp_path, a, BASE, splits=splits)
    d = a - BASE
    n = len(d)
    se = np.std(d, ddof=1) * np.sqrt(1 / n + 200 / 600)
    t = d.mean() / se
    assert row["resplit"] and row["nb_ratio"] == pytest.approx(1 / 3)
    assert row["t_pvalue"] == pytest.approx(2 * sps.t.sf(abs(t), n - 1))
    half = sps.t.ppf(0.975, n - 1) * se
    assert row["diff_ci_high"] == pytest.approx(d.mean() + half)
    # Resolution of a 200-example test set: ties within half an example.
    assert row["tie_tol"] == pytest.approx(0.5 / 200)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.9, 1.0, allow_nan=False), min_size=1, max_size=12),
    st.lists(st.floats(0.0, 0.1, allow_nan=False), min_size=1, max_size=12),
)
def test_bounded_intervals_never_leave_the_range(high, low):
    for values in (high, low, high + low):
        out = stats.bounded_interval(values, stats.BOUNDS["accuracy"])
        assert 0.0 <= out["ci_low"] <= out["ci_high"] <= 1.0
        assert min(values) - 1e-12 <= out["ci_low"]
        assert out["ci_high"] <= max(values) + 1e-12


def test_small_n_interval_is_the_range():
    out = stats.bounded_interval([0.99, 0.65, 0.98], (0.0, 1.0))
    assert out["ci_method"] == "range"
    assert (out["ci_low"], out["ci_high"]) == (0.65, 0.99)
    assert out["median"] == 0.98


def test_success_count_has_a_clopper_pearson_interval(tmp_path):
    vals = [0.99, 0.65, 0.99, 0.64, 0.99, 0.98, 0.66, 0.99, 0.99, 0.65]
    row = _pair_run(tmp_path, vals, [0.99] * 10)
    assert row["n_success"] == 6  # within 0.05 of the best trial (0.99)
    lo, hi = proportion_confint(6, 10, alpha=0.05, method="beta")
    assert (row["success_low"], row["success_high"]) == pytest.approx((lo, hi))
    # Clopper-Pearson from the beta quantiles, independently.
    assert lo == pytest.approx(sps.beta.ppf(0.025, 6, 5))


@pytest.mark.parametrize("key", PAIRED)
def test_wins_ties_losses_respect_metric_mode(known, key):
    row, a, b = _paired(known, key)
    better = a > b if MODES[key[0]] == "max" else a < b
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
        vals = np.array([KNOWN[(task, a)] for a in acts])  # acts x seeds
        per_seed = sps.rankdata(-vals if mode == "max" else vals, axis=0)
        got = [summary.loc[(task, a), "mean_seed_rank"] for a in acts]
        assert got == pytest.approx(per_seed.mean(axis=1))
    assert summary.loc[("acc_task", "elu"), "mean_rank"] == 1.0
    assert summary.loc[("mse_task", "selu"), "mean_rank"] == 3.0
    ranking = stats.ranking(summary.reset_index())
    assert ranking["activation"].tolist() == ["elu", "relu", "selu"]
    assert ranking.set_index("activation").loc["selu", "n_worse"] == 1


def test_headline_names_the_credible_best_set(known):
    _, summary = known
    head = stats.headline(summary.reset_index()).set_index("task")
    assert head.loc["acc_task", "top"] == "elu"
    assert head.loc["mse_task", "top"] == "elu"
    assert head.loc["mse_task", "baseline_mean"] == pytest.approx(0.5)
    assert head.loc["acc_task", "credible_best"].split(", ")[0] == "elu"


def test_p_best_bayesian_bootstrap():
    m = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]})
    assert stats.p_best(m, "min").to_dict() == {"a": 1.0, "b": 0.0}
    assert stats.p_best(m, "max").to_dict() == {"a": 0.0, "b": 1.0}
    # Two seeds, a = (1, 3), b = (2, 2): with Dirichlet(1, 1) weights
    # (w, 1 - w), w ~ U(0, 1), a's mean 3 - 2w is below 2 iff w > 1/2.
    m = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 2.0]})
    p = stats.p_best(m, "min", n_boot=20000)
    assert p["a"] == pytest.approx(0.5, abs=0.015)
    assert p.sum() == pytest.approx(1.0)
    # Three seeds, a = (0, 0, 3), b = (1, 1, 1): a wins iff w3 < 1/3; for
    # Dirichlet(1, 1, 1), w3 ~ Beta(1, 2): P = 1 - (2/3)^2 = 5/9.
    m = pd.DataFrame({"a": [0.0, 0.0, 3.0], "b": [1.0, 1.0, 1.0]})
    p = stats.p_best(m, "min", n_boot=40000)
    assert p["a"] == pytest.approx(5 / 9, abs=0.01)


def test_credible_best_set_holds_95_percent_of_p_best():
    p = pd.Series({"a": 0.6, "b": 0.3, "c": 0.06, "d": 0.04})
    assert stats.credible_best(p) == ["a", "b", "c"]
    p = pd.Series({"a": 0.97, "b": 0.03, "c": 0.0})
    assert stats.credible_best(p) == ["a"]
    p = pd.Series({"a": 0.5, "b": 0.44, "c": 0.03, "d": 0.03})
    assert stats.credible_best(p) == ["a", "b", "c", "d"]  # tie at margin


def test_diverged_and_failed_trials_rank_last_in_their_seed(tmp_path):
    recs = []
    for seed in range(3):
        for act, v in (("relu", 0.90), ("elu", 0.80), ("bad", 0.99)):
            status = "completed"
            if act == "bad":
                status = "diverged" if seed else "failed"
            recs.append(
                trial_record(
                    task="t",
                    activation=act,
                    seed=seed,
                    test_metric=v,
                    status=status,
                )
            )
    data = frames.load_run(write_run(tmp_path, recs))
    ranks = stats.seed_ranks(data.runs)
    for _, g in ranks.groupby("seed"):
        r = g.set_index("activation")["seed_rank"]
        assert r["bad"] == 3.0 and r["relu"] == 1.0
    s = stats.summarize(data.runs, data.history).set_index("activation")
    assert s.loc["bad", "rank"] == 3.0
    assert (s.loc["bad", "n_diverged"], s.loc["bad", "n_failed"]) == (2, 1)
    ranking = stats.ranking(s.reset_index()).set_index("activation")
    assert ranking.loc["bad", "n_diverged"] == 2
    assert ranking.index[-1] == "bad"


def test_ties_at_resolution_and_identical_functions(tmp_path):
    recs = []
    rng = np.random.default_rng(0)
    for seed in range(4):
        hist = make_history(rng, 5, start=0.5, end=0.9)
        for act, eps in (("relu", 0.02), ("elu", 0.0), ("celu", 7.5e-9)):
            h = [
                {**row, "loss": row["loss"] + eps, "val_loss": row["val_loss"]}
                for row in hist
            ]
            recs.append(
                trial_record(
                    task="t",
                    activation=act,
                    seed=seed,
                    history=h,
                    test_metric=0.9 + eps + 0.01 * seed,
                )
            )
    data = frames.load_run(write_run(tmp_path, recs))
    ranks = stats.seed_ranks(data.runs)
    for _, g in ranks.groupby("seed"):
        r = g.set_index("activation")["seed_rank"]
        assert r["elu"] == r["celu"] == 2.5 and r["relu"] == 1.0
    same = stats.identical_functions(data.runs, data.history)
    assert same[["a", "b"]].values.tolist() == [["celu", "elu"]]
    assert same["n_groups"].tolist() == [4]


def test_friedman_and_nemenyi_match_scipy_and_scikit_posthocs(tmp_path):
    rng = np.random.default_rng(5)
    recs = []
    acts = ["relu", "a1", "a2", "a3"]
    for t in range(5):
        for seed in range(3):
            for k, act in enumerate(acts):
                recs.append(
                    trial_record(
                        task=f"t{t}",
                        activation=act,
                        seed=seed,
                        test_metric=float(0.8 + 0.01 * k + rng.normal(0, 0.01)),
                        monitors=False,
                    )
                )
    data = frames.load_run(write_run(tmp_path, recs))
    s = stats.summarize(data.runs, data.history)
    res = stats.friedman(s)
    m = s.pivot(index="task", columns="activation", values="mean_seed_rank")
    ref = sps.friedmanchisquare(*[m[c] for c in m.columns])
    assert res["pvalue"] == pytest.approx(ref.pvalue)
    assert res["statistic"] == pytest.approx(ref.statistic)
    nem = sp.posthoc_nemenyi_friedman(m)
    pd.testing.assert_frame_equal(
        res["nemenyi"], nem.loc[res["nemenyi"].index, res["nemenyi"].columns]
    )
    # Demsar (2006), table 5: q_0.05 for k = 4 is 2.569.
    assert res["cd"] == pytest.approx(
        2.569 * np.sqrt(4 * 5 / (6 * 5)), rel=1e-3
    )
    assert list(res["avg_ranks"].index) == ["a3", "a2", "a1", "relu"]


def test_minimum_detectable_effect_has_80_percent_power():
    for n, ratio in ((5, None), (10, None), (10, 1 / 3)):
        d = stats.mde(1.0, n, nb_ratio=ratio)
        nc = d / np.sqrt(1 / n + (ratio or 0))
        crit = sps.t.ppf(0.975, n - 1)
        power = sps.nct.sf(crit, n - 1, nc) + sps.nct.cdf(-crit, n - 1, nc)
        assert power == pytest.approx(0.8, abs=1e-6)
    # The number: d_z about 1.7 with 5 seeds.
    assert stats.mde(1.0, 5) == pytest.approx(1.68, abs=0.01)


def test_seeds_needed_and_its_ceiling():
    n = stats.seeds_needed(1.0, 1.0)
    power = TTestPower().power(1.0, n, 0.05)
    assert power >= 0.8 > TTestPower().power(1.0, n - 1, 0.05)
    # With a re-split ratio of 1/3 the noncentrality is capped at
    # effect / sd * sqrt(3): a small effect is out of reach.
    assert stats.seeds_needed(1.0, 0.5, nb_ratio=1 / 3) is None


def test_t_interval_edge_cases():
    assert np.isnan(stats.t_interval([])[0])
    mean, sd, lo, hi = stats.t_interval([0.5, np.nan])
    assert mean == 0.5 and np.isnan(sd) and np.isnan(lo) and np.isnan(hi)


def test_paired_test_ties():
    res = stats.paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (res["wins"], res["ties"], res["losses"]) == (0, 3, 0)
    assert res["p_value"] == 1.0 and np.isnan(res["wilcoxon_pvalue"])
    res = stats.paired_test([2.0, 3.0, 4.0], [1.0, 2.0, 3.0], mode="min")
    assert (res["wins"], res["losses"]) == (0, 3)
    res = stats.paired_test([1.0, 2.5, 3.2, 4.1], [1.1, 2.0, 3.0, 4.0])
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
        # Epoch 1's time (compile) counts as the median of the later ones:
        # times 1, 2, 3, 4 -> 3, 2, 3, 4; times 1, 2 -> 2, 2.
        ([0.5, 0.7, 0.8, 0.79], 0.7, "max", (2.0, 5.0)),
        ([0.5, 0.6, 0.65], 0.7, "max", (np.nan, np.nan)),
        ([2.0, 1.0, 0.4, 0.3], 0.5, "min", (3.0, 8.0)),
        ([0.9, 0.5], 0.9, "max", (1.0, 2.0)),
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


def test_kaplan_meier_time_to_the_groups_median_best(tmp_path):
    recs = []
    elu = {
        0: [0.6, 0.95, 0.9, 0.9],  # reaches 0.9 at epoch 2
        1: [0.6, 0.7, 0.9, 0.9],  # epoch 3
        2: [0.6, 0.7, 0.8, 0.85],  # never: censored at 4
        3: [0.9, 0.7, 0.8, 0.85],  # epoch 1
    }
    for seed in range(4):
        # The baseline's best (0.9) is above its last epoch (0.8).
        recs.append(
            _timed("t", "relu", seed, [0.5, 0.9, 0.85, 0.8], [10, 1, 1, 1])
        )
        recs.append(
            _timed("t", "elu", seed, elu[seed], [10, 2, 2, 2], test_metric=0.8)
        )
        recs.append(
            _timed("t", "slow", seed, [0.1] * 4, [10, 3, 3, 3], test_metric=0.1)
        )
    # Seed 4: the baseline is slow to the group's target, elu is not.
    recs.append(_timed("t", "relu", 4, [0.5, 0.6, 0.7, 0.8], [10, 1, 1, 1]))
    recs.append(
        _timed("t", "elu", 4, [0.9] * 4, [10, 2, 2, 2], test_metric=0.8)
    )
    recs.append(
        _timed("t", "slow", 4, [0.1] * 4, [10, 3, 3, 3], test_metric=0.1)
    )
    data = frames.load_run(write_run(tmp_path, recs))
    s = stats.summarize(data.runs, data.history).set_index("activation")
    # Targets (median best val of the three): 0.9 for seeds 0, 1, 3 and
    # seed 4 (0.8, 0.9, 0.1 -> 0.8), 0.85 for seed 2 (0.9, 0.85, 0.1).
    # elu reaches them at epochs 2, 3, 4, 1, 1: Kaplan-Meier with no
    # censoring is the empirical median, 2 epochs.
    assert s.loc["elu", "n_reached_target"] == 5
    assert s.loc["elu", "target_epochs"] == 2.0
    # Seconds without compile: epoch 1 counts as the median of epochs 2..4
    # (2 s): 4, 6, 8, 2, 2 -> median 4.
    assert s.loc["elu", "target_seconds"] == 4.0
    assert s.loc["slow", "n_censored"] == 5
    assert np.isnan(s.loc["slow", "target_epochs"])
    # The baseline reaches 0.9 / 0.85 at epoch 2 on seeds 0-3 and 0.8 at
    # epoch 4 on seed 4; its time is 1 s per epoch (epoch 1 -> 1 s).
    assert s.loc["relu", "target_epochs"] == 2.0
    assert s.loc["relu", "target_seconds"] == 2.0
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
