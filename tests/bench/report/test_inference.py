"""Inference rules of the report (#19) on constructed data: the design
decides Nadeau-Bengio, identical functions are merged, TOST is adjusted,
no post-hoc without a rejecting omnibus, the credible best set, the
Bayesian comparison and the group-sequential decisions."""

import numpy as np
import pandas as pd
import pytest
from report_fixtures import value_records
from report_fixtures import write_run
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from reluplug.bench.report import frames
from reluplug.bench.report import stats
from reluplug.bench.report.stats import sequential

BASE = 0.8 + np.array([3, -1, 4, -1, 5, -9, 2, -6, 5, -3], float) / 1000


def _run(tmp_path, values, *, splits=None, digests=None, history=None):
    """values: activation -> per-seed test metrics; relu is the baseline."""

    def per_trial(act, seed):
        s = dict(splits) if splits else None
        if digests is not None:
            s = dict(s or {}, test_sha256=digests(seed))
        return {"splits": s, "history": history(act, seed) if history else None}

    recs = value_records(values, per_trial=per_trial)
    data = frames.load_run(write_run(tmp_path, recs))
    return data, stats.summarize(data.runs, data.history)


SPLITS = {"resplit": True, "n_train": 600, "n_val": 200, "n_test": 200}
NOISE = np.array([5, -4, 3, -2, 6, -5, 1, 0, 4, -3], float) / 1000


@pytest.mark.parametrize(
    "flag, digests, design, corrected",
    [
        (True, lambda s: "same", "fixed_test", False),
        (True, lambda s: f"d{s}", "resplit", True),
        (False, lambda s: f"d{s}", "independent", False),
        (True, None, "resplit", True),  # old records: the flag decides
    ],
)
def test_design_decides_nadeau_bengio(
    tmp_path, flag, digests, design, corrected
):
    a = BASE + 0.004 + NOISE
    splits = dict(SPLITS, resplit=flag)
    _, s = _run(
        tmp_path, {"relu": BASE, "new": a}, splits=splits, digests=digests
    )
    row = s.set_index("activation").loc["new"]
    d = a - BASE
    n = len(d)
    vf = 1 / n + (200 / 600 if corrected else 0.0)
    t = d.mean() / (d.std(ddof=1) * np.sqrt(vf))
    assert row["design"] == design
    assert bool(row["resplit"]) is corrected
    assert row["t_pvalue"] == pytest.approx(2 * sps.t.sf(abs(t), n - 1))


def test_gz_interval_is_corrected_like_the_difference(tmp_path):
    a = BASE + 0.004 + NOISE
    _, s = _run(
        tmp_path,
        {"relu": BASE, "new": a},
        splits=SPLITS,
        digests=lambda s: f"d{s}",
    )
    row = s.set_index("activation").loc["new"]
    d = a - BASE
    n, dz = len(d), d.mean() / d.std(ddof=1)
    vf = 1 / n + 1 / 3
    j = 1 - 3 / (4 * (n - 1) - 1)
    t_obs = dz / np.sqrt(vf)
    # The interval inverts the noncentral t at the corrected t statistic.
    for bound, q in (("gz_ci_low", 0.975), ("gz_ci_high", 0.025)):
        nc = row[bound] / j / np.sqrt(vf)
        assert sps.nct.cdf(t_obs, n - 1, nc) == pytest.approx(q, abs=1e-6)
    # Wider than the uncorrected one, and it contains 0 as the CI does.
    assert row["diff_ci_low"] < 0 < row["diff_ci_high"]
    assert row["gz_ci_low"] < 0 < row["gz_ci_high"]


def test_no_nadeau_bengio_on_ranks_and_metric_p_best(tmp_path):
    # sigmoid is last on every seed, far below: never in the credible set.
    vals = {
        "relu": BASE,
        "tanh": BASE + 0.002 + NOISE,
        "selu": BASE + 0.001 - NOISE,
        "sigmoid": BASE - 0.3,
    }
    _, s = _run(tmp_path, vals, splits=SPLITS, digests=lambda s: f"d{s}")
    s = s.set_index("activation")
    assert s.loc["sigmoid", "p_best"] == 0.0
    assert not s.loc["sigmoid", "in_credible_best"]
    assert s["p_best"].sum() == pytest.approx(1.0)
    assert "p_vs_best_holm" not in s.columns
    # Credible best: the most probable activations up to 95% of P(best).
    p = s["p_best"].sort_values(ascending=False)
    expected = set(p.index[: int(np.searchsorted(p.cumsum(), 0.95)) + 1])
    assert set(s.index[s["in_credible_best"]]) == expected


def _history(act, seed):
    rng = np.random.default_rng(seed + (0 if act in ("elu", "celu") else 99))
    from report_fixtures import make_history

    return make_history(rng, 4, start=0.5, end=0.9, monitors=False)


def test_identical_functions_shrink_the_holm_family(tmp_path):
    same = BASE + 0.003 + NOISE
    vals = {
        "relu": BASE,
        "elu": same,
        "celu": same,  # ELU = CELU(1): same curves, same test metrics
        "tanh": BASE + 0.01 + NOISE[::-1],
    }
    _, s = _run(tmp_path, vals, history=_history)
    s = s.set_index("activation")
    assert s.loc["elu", "same_as"] == "celu"  # first name represents
    assert pd.isna(s.loc["celu", "same_as"])
    family = ["celu", "tanh"]
    holm = multipletests(s.loc[family, "p_value"], method="holm")[1]
    np.testing.assert_allclose(s.loc[family, "p_holm"], holm, rtol=1e-12)
    assert s.loc["elu", "p_holm"] == s.loc["celu", "p_holm"]
    assert s.loc["elu", "verdict"] == s.loc["celu", "verdict"]
    # Not ranked twice: P(best) is shared by three activations only.
    assert np.isnan(s.loc["elu", "rank"]) and np.isnan(s.loc["elu", "p_best"])
    assert s["p_best"].sum() == pytest.approx(1.0)


def test_tost_is_holm_adjusted_like_the_difference_tests(tmp_path):
    # Five activations close to relu: a0's TOST p is 0.001, the others'
    # 0.03: all below 0.05 on their own, only a0 below it after Holm.
    e = NOISE - NOISE.mean()
    e = e / e.std(ddof=1)
    vals = {"relu": BASE}
    for i, p in enumerate((0.001, 0.03, 0.03, 0.03, 0.03)):
        sd = (0.005 - 0.002) / sps.t.isf(p, 9) * np.sqrt(10)
        vals[f"a{i}"] = BASE + 0.002 + sd * np.roll(e, i)
    _, s = _run(tmp_path, vals)
    s = s.set_index("activation").drop("relu")
    np.testing.assert_allclose(
        s["p_tost"], [0.001, 0.03, 0.03, 0.03, 0.03], rtol=1e-6
    )
    holm = multipletests(s["p_tost"], method="holm")[1]
    np.testing.assert_allclose(s["p_tost_holm"], holm, rtol=1e-12)
    assert s["verdict"].tolist() == ["equivalent"] + ["undecided"] * 4


def _summary_ranks(rank_rows):
    rows = []
    for t, ranks in enumerate(rank_rows):
        for k, r in enumerate(ranks):
            rows.append(
                {"task": f"t{t}", "activation": f"a{k}", "mean_seed_rank": r}
            )
    return pd.DataFrame(rows)


def test_no_post_hoc_after_a_non_rejecting_omnibus():
    # Ranks that disagree across tasks: Friedman/Iman-Davenport do not
    # reject, so no Nemenyi test and no critical difference.
    s = _summary_ranks([[1, 2, 3], [3, 1, 2], [2, 3, 1], [1, 3, 2]])
    res = stats.friedman(s)
    n, k, chi2 = 4, 3, res["statistic"]
    f = (n - 1) * chi2 / (n * (k - 1) - chi2)
    assert res["iman_davenport"] == pytest.approx(f)
    assert res["iman_davenport_pvalue"] == pytest.approx(
        sps.f.sf(f, k - 1, (k - 1) * (n - 1))
    )
    assert not res["rejects"]
    assert res["nemenyi"] is None and res["cd"] is None
    # Same order in every task: it rejects and the post-hoc runs.
    s = _summary_ranks([[1, 2, 3, 4]] * 6)
    res = stats.friedman(s)
    assert res["rejects"] and res["nemenyi"] is not None and res["cd"] > 0


def test_posterior_matches_baycomp_correlated_t_test():
    baycomp = pytest.importorskip("baycomp")
    rng = np.random.default_rng(3)
    x = 0.8 + rng.normal(0, 0.01, 10)
    y = x + 0.004 + rng.normal(0, 0.006, 10)
    d = y - x
    # baycomp's correction is 1/n + 1/(k - 1) for k folds (runs = 2: k = 5),
    # the Nadeau-Bengio factor with n_test / n_train = 1/4.
    ref = baycomp.CorrelatedTTest.probs(x, y, rope=0.005, runs=2)
    got = stats.posterior_probs(
        d.mean(), d.std(ddof=1), 10, var_factor=0.1 + 0.25, rope=0.005
    )
    # baycomp: (P(y - x < -rope), P(rope), P(y - x > rope)); ours is
    # (better, rope, worse) for a max metric.
    assert got == pytest.approx((ref[2], ref[1], ref[0]), abs=1e-9)


def test_posterior_is_a_student_t():
    p = stats.posterior_probs(0.01, 0.02, 8, rope=0.005, mode="min")
    scale = 0.02 / np.sqrt(8)
    worse = sps.t.sf(0.005, 7, loc=0.01, scale=scale)  # min mode: + is worse
    better = sps.t.cdf(-0.005, 7, loc=0.01, scale=scale)
    assert p == pytest.approx((better, 1 - better - worse, worse))
    assert stats.posterior_probs(0.0, 0.0, 5, rope=0.005) == (0, 1, 0)
    # Constant non-zero differences: no spread, no posterior to speak of.
    assert np.isnan(stats.posterior_probs(0.02, 0.0, 2, rope=0.005)).all()


def test_bayes_statement_no_variant_beats_the_baseline(tmp_path):
    vals = {"relu": BASE}
    for i in range(3):
        vals[f"a{i}"] = BASE - 0.002 + NOISE[np.roll(np.arange(10), i)] / 5
    _, s = _run(tmp_path, vals)
    assert s["p_better"].sum() <= 0.05  # jointly, by the union bound
    text = stats.bayes_statements(s)
    assert (
        "No variant beats relu by more than 0.005 (accuracy) with "
        "probability >= 0.95." in text
    )
    head = stats.headline(s).set_index("task")
    assert "No variant beats relu" in head.loc["t", "statement"]
    vals["far"] = BASE + 0.05 + NOISE
    _, s = _run(tmp_path / "b", vals)
    text = " ".join(stats.bayes_statements(s))
    assert "far beats relu by more than 0.005" in text
    assert "No variant" not in text


def test_bayes_claims_hold_jointly():
    # Two variants each 0.97 likely to beat relu: 0.03 + 0.03 > 0.05, so
    # only one claim fits in a joint 0.95; a third at 0.999 joins it.
    rows = [
        ("relu", True, np.nan, np.nan, np.nan),
        ("a", False, 0.97, 0.02, 0.01),
        ("b", False, 0.97, 0.02, 0.01),
        ("c", False, 0.999, 0.001, 0.0),
    ]
    g = pd.DataFrame(
        rows,
        columns=["activation", "is_baseline", "p_better", "p_rope", "p_worse"],
    ).assign(baseline="relu", rope=0.005, metric="accuracy", same_as=None)
    text = stats.bayes_statements(g)
    assert text == [
        "c and a all beat relu by more than 0.005 (accuracy) with "
        "probability >= 0.95."
    ]


# ------------------------------------------------------------ sequential


def test_boundaries_spend_alpha_as_lan_demets():
    t = np.array([0.25, 0.5, 0.75, 1.0])
    c = sequential.boundaries(t)
    # First look: all of alpha(t1) at once, a normal quantile.
    assert c[0] == pytest.approx(sps.norm.isf(sequential.spent(0.25) / 2))
    # Crossing probabilities from the multivariate normal of (Z_1..Z_k),
    # corr(Z_i, Z_j) = sqrt(t_i / t_j), independently of the integration.
    for k in range(1, 5):
        cov = np.sqrt(
            np.minimum.outer(t[:k], t[:k]) / np.maximum.outer(t[:k], t[:k])
        )
        stay = sps.multivariate_normal(np.zeros(k), cov).cdf(
            c[:k], lower_limit=-c[:k], rng=np.random.default_rng(0)
        )
        assert 1 - stay == pytest.approx(sequential.spent(t[k - 1]), abs=3e-4)
    assert sequential.spent(1.0) == pytest.approx(0.05)


def test_one_look_is_the_fixed_holm_procedure():
    rng = np.random.default_rng(4)
    diffs = {f"a{i}": rng.normal(0.4 * i, 1.0, 12) for i in range(4)}
    res = sequential.sequential_decisions(diffs, [12], 12)
    p = [sps.ttest_1samp(diffs[a], 0).pvalue for a in diffs]
    holm = multipletests(p, method="holm")[0]
    for a, reject in zip(diffs, holm):
        assert (res[a][0] in ("better", "worse")) == reject, a


def test_graphical_holm_passes_alpha_on():
    # a0 crosses alpha/2 but a1 only alpha: Holm rejects both, Bonferroni
    # would keep a1.
    n = 10
    base = np.array([1, -1] * 5, float)
    t1 = sps.t.isf(0.02 / 2, n - 1)  # p = 0.02: below 0.05, above 0.025
    d1 = base * 1.0
    d1 = d1 - d1.mean() + t1 * d1.std(ddof=1) / np.sqrt(n)
    d0 = base * 0.1 + 5.0
    res = sequential.sequential_decisions({"a0": d0, "a1": d1}, [n], n)
    assert res["a0"][0] == res["a1"][0] == "better"


def test_decisions_wait_for_the_look_that_crosses():
    # Differences of 1 sd: at 5 of 20 seeds the O'Brien-Fleming boundary is
    # far out, so the decision comes later and stays once made.
    d = 1.0 + np.array([0.5, -0.5, 1, -1, 0.2, -0.2, 0.7, -0.7] * 3)[:20]
    looks = sequential.look_schedule(5, 5, 20)
    first = sequential.sequential_decisions({"a": d}, looks[:1], 20)
    assert first["a"][0] == "undecided"
    words = [
        sequential.sequential_decisions({"a": d}, looks[: k + 1], 20)["a"]
        for k in range(len(looks))
    ]
    at = [w[1] for w in words if w[0] == "better"]
    assert at and all(x == at[0] for x in at) and at[0] > 5


@pytest.mark.slow
def test_sequential_type_one_error_under_the_null():
    rng = np.random.default_rng(0)
    looks = sequential.look_schedule(5, 5, 20)
    n_st, hits = 1000, 0
    for _ in range(n_st):
        d = rng.normal(0, 1, 20)
        res = sequential.sequential_decisions({"a": d}, looks, 20)
        hits += res["a"][0] in ("better", "worse")
    assert hits / n_st <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / n_st)


@pytest.mark.parametrize(
    "args, match",
    [
        ((1, 1, 5), r"start.*>= 2.*Received: start=1"),
        ((5, 0, 10), r"batch.*>= 1.*Received: batch=0"),
        ((5, 5, 3), r"max_seeds.*>= 5.*Received: max_seeds=3"),
    ],
)
def test_look_schedule_validates(args, match):
    with pytest.raises(ValueError, match=match):
        sequential.look_schedule(*args)


def test_definitions_section_is_rendered_from_its_one_source(tmp_path):
    import html
    import re

    from reluplug.bench.report import write_report

    vals = {"relu": BASE, "elu": BASE + 0.003 + NOISE}
    data, _ = _run(tmp_path, vals)
    write_report(data.run_dir, formats=("html",))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for term, body in stats.DEFINITIONS:
        assert f"{term} : {' '.join(body.split())}" in text or (
            f"{term}: {' '.join(body.split())}" in text
        ), term
    # The definitions name the design, the corrections and the method.
    words = " ".join(b for _, b in stats.DEFINITIONS)
    for needle in ("fixed test set", "Nadeau-Bengio", "Holm", "Lan-DeMets"):
        assert needle in words


def test_sequential_decisions_merge_identical_functions(tmp_path):
    # At one look of 10 seeds, celu (= elu) has p = 0.03: decided only when
    # the two are one comparison (Holm over two would need p < 0.025).
    e = NOISE - NOISE.mean()
    e = e / e.std(ddof=1)
    sd = 0.01
    t = sps.t.isf(0.03 / 2, 9)
    d = t * sd / np.sqrt(10) + sd * e
    data, _ = _run(tmp_path, {"relu": BASE, "elu": BASE + d, "celu": BASE + d})
    kw = {"looks": [10], "max_seeds": 10}
    apart = stats.decided(data.runs, **kw).set_index("activation")
    assert set(apart["decision"]) == {"undecided"}
    same = pd.DataFrame({"a": ["celu"], "b": ["elu"], "n_groups": [10]})
    merged = stats.decided(data.runs, identical=same, **kw)
    merged = merged.set_index("activation")
    assert merged.loc["celu", "decision"] == "better"
    assert merged.loc["elu", "decision"] == "better"  # copied
