"""recommend: the one line per task, from constructed verdict tables."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from reluplug.bench.report import recommend

T4 = sps.t.ppf(0.975, 4)  # 95% t quantile, 5 paired seeds


def _row(act, verdict, diff, half, *, n=5, task="t", nb_ratio=np.nan, p=np.nan):
    return {
        "task": task,
        "activation": act,
        "metric": "accuracy",
        "metric_mode": "max",
        "is_baseline": verdict is None,
        "baseline": "relu",
        "n_paired": n,
        "diff_mean": diff,
        "diff_ci_low": diff - half,
        "diff_ci_high": diff + half,
        "verdict": verdict,
        "rope": 0.005,
        "nb_ratio": nb_ratio,
        "p_better": p,  # optional: shown when finite
        # Columns recommend does not read (old, new, renamed) are ignored.
        "p_best": 0.5,
        "some_future_column": "x",
    }


def _table(*rows):
    return pd.DataFrame([_row("relu", None, 0.0, 0.0), *rows])


def _recommend_one(*rows):
    """The one recommendation (a single task) for comparison ``rows``."""
    (r,) = recommend.recommend(_table(*rows)).itertuples()
    return r


def _seeds_for(sd, effect, power=0.8, alpha=0.05):
    """Smallest n whose two-sided paired t-test has `power`, from the
    noncentral t directly (not via statsmodels)."""
    for n in range(2, 1001):
        crit = sps.t.ppf(1 - alpha / 2, n - 1)
        nc = effect / sd * math.sqrt(n)
        p = sps.nct.sf(crit, n - 1, nc) + sps.nct.cdf(-crit, n - 1, nc)
        if p >= power:
            return n
    return None


def test_decided_better_says_so_plainly():
    r = _recommend_one(
        _row("selu", "better", 0.010, 0.006),
        _row("prelu", "better", 0.012, 0.008, p=0.994),
        _row("elu", "undecided", 0.03, 0.05),
    )
    assert r.action == "switch" and r.candidate == "prelu"
    assert r.text == (
        "prelu is better than relu by 0.012 [0.004, 0.020] (accuracy, 5 "
        "seeds, P(better) 0.99): use prelu. Also better: selu."
    )


def test_better_on_a_lower_is_better_metric():
    s = _table(_row("elu", "better", -0.5, 0.3))
    s["metric"], s["metric_mode"] = "mse", "min"
    (r,) = recommend.recommend(s).itertuples()
    assert r.action == "switch"
    assert r.text.startswith(
        "elu is better than relu by 0.50 [0.20, 0.80] (mse, 5 seeds)"
    )


def test_all_worse_keeps_the_baseline():
    r = _recommend_one(
        _row("sigmoid", "worse", -0.3, 0.05),
        _row("tanh", "worse", -0.05, 0.02),
    )
    assert r.action == "keep" and r.candidate == "tanh"
    assert r.text == (
        "every alternative is worse than relu (accuracy, 5 seeds): keep relu."
    )


def test_equivalent_keeps_the_baseline_and_names_the_worse():
    r = _recommend_one(
        _row("leaky_relu", "equivalent", -0.001, 0.003),
        _row("sigmoid", "worse", -0.3, 0.05),
    )
    assert r.action == "keep"
    assert r.text == (
        "leaky_relu is equivalent to relu within ±0.005 (accuracy, 5 seeds) "
        "and nothing is better: keep relu. Worse: sigmoid."
    )


def test_undecided_names_the_candidate_and_the_seeds_it_needs():
    sd = 0.1
    half = T4 * sd / math.sqrt(5)
    r = _recommend_one(
        _row("elu", "undecided", 0.05, half, p=0.8),
        _row("selu", "undecided", 0.02, half),  # ahead too, less so
        _row("sigmoid", "worse", -0.3, 0.05),
    )
    # Three comparisons: the verdicts' Holm correction starts at 0.05 / 3.
    expected = _seeds_for(sd, 0.05, alpha=0.05 / 3)
    assert 40 <= expected <= 50  # ~ ((2.39 + 0.84) * 2)^2 + 1
    assert r.action == "undecided" and r.candidate == "elu"
    assert r.seeds_needed == expected and r.effect == pytest.approx(0.05)
    assert r.text == (
        "elu +0.05 [-0.07, +0.17] accuracy vs relu, P(better) 0.80: not "
        f"shown with 5 seeds; about {expected} seeds would detect 0.05 — "
        "keep relu, or run `--until-decided`."
    )


def test_undecided_below_the_rope_asks_for_the_rope():
    # The difference seen (0.001) is below the ROPE: the seeds needed are
    # those that detect the ROPE (0.005), not the noise.
    sd = 0.004
    r = _recommend_one(_row("elu", "undecided", 0.001, T4 * sd / math.sqrt(5)))
    assert r.effect == 0.005
    assert r.seeds_needed == _seeds_for(sd, 0.005)


def test_undecided_on_resplit_data_out_of_reach():
    # Nadeau-Bengio: the variance never falls below sd^2 * r, so a small
    # difference cannot be detected by any number of seeds.
    sd, r = 0.02, 0.25
    half = T4 * sd * math.sqrt(1 / 5 + r)
    s = _table(_row("selu", "undecided", 0.009, half, nb_ratio=r))
    (row,) = recommend.recommend(s).itertuples()
    assert row.seeds_needed is None or np.isnan(row.seeds_needed)
    assert "no number of seeds would detect 0.009" in row.text
    assert row.text.endswith("keep relu.")  # no "run until decided"
    assert recommend.diff_sd(s.iloc[1]) == pytest.approx(sd)


def test_nothing_ahead_keeps_the_baseline():
    r = _recommend_one(
        _row("prelu", "undecided", -0.006, 0.02),
        _row("sigmoid", "worse", -0.3, 0.05),
    )
    assert r.action == "keep" and r.candidate == "prelu"
    assert r.text == (
        "nothing is ahead of relu with 5 seeds (closest: prelu -0.006 "
        "[-0.026, +0.014] accuracy, undecided): keep relu. Worse: sigmoid."
    )


def test_one_line_per_task_and_the_cases_without_a_verdict():
    s = pd.concat(
        [
            _table(_row("elu", "better", 0.02, 0.01)),
            _table(_row("elu", "worse", -0.02, 0.01)).assign(task="u"),
            # No completed baseline: nothing paired, no verdict.
            _table(
                dict(_row("elu", None, np.nan, np.nan, n=0), is_baseline=False)
            ).assign(task="v"),
        ]
    )
    rec = recommend.recommend(s)
    assert list(rec["task"]) == ["t", "u", "v"]
    assert list(rec["action"]) == ["switch", "keep", "none"]
    assert rec["text"].iloc[2] == "no paired comparison with relu yet."
    assert recommend.lines(s)[0].startswith("t: elu is better than relu")


def test_missing_column_is_a_clear_error():
    s = _table(_row("elu", "better", 0.02, 0.01)).drop(columns="verdict")
    with pytest.raises(ValueError, match=r"lacks the columns \['verdict'\]"):
        recommend.recommend(s)


@pytest.mark.parametrize("nb_ratio", [np.nan, 0.25])
def test_undecided_without_spread_says_too_few_seeds(nb_ratio):
    # Two seeds with the same difference (a zero-width interval, as two
    # seeds of a task with few test examples give): no spread to plan
    # from, and no division by it (it warned "divide by zero" on re-split
    # data).
    row = _row("elu", "undecided", 0.01, 0.0, n=2, nb_ratio=nb_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (r,) = recommend.recommend(_table(row)).itertuples()
    assert "too few paired seeds to say how many would settle it" in r.text
    assert r.seeds_needed is None or np.isnan(r.seeds_needed)


def test_undecided_after_a_run_until_decided_asks_for_more_seeds():
    # The run already added seeds until its cap: the next step is a higher
    # cap, not the same command again.
    sd = 0.1
    row = _row("elu", "undecided", 0.05, T4 * sd / math.sqrt(5))
    row["verdict_method"] = "sequential"
    r = _recommend_one(row)
    assert r.text.endswith(
        "keep relu, or resume it with a higher `--max-seeds`."
    )
    assert "--until-decided" not in r.text
