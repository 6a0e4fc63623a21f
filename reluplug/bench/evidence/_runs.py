"""Run folders of the trial-based claims, as pandas tables.

The statistics are the report's (``reluplug.bench.report.stats``): a claim
never computes its own tests. No Keras here.
"""

import numpy as np
import pandas as pd

from reluplug.bench.report import frames
from reluplug.bench.report import stats

BETTER, WORSE, EQUIVALENT, UNDECIDED = (
    "better",
    "worse",
    "equivalent",
    "undecided",
)


def load(run_dir):
    """``frames.load_run`` plus the swept values of each trial.

    Returns:
        A ``frames.RunData`` whose ``runs``, ``history`` and ``monitors``
        carry one extra column per swept key (e.g. ``depth``,
        ``learning_rate``); the monitors' own ``depth`` (of a layer) is
        renamed ``layer_depth``.
    """
    data = frames.load_run(run_dir)
    object.__setattr__(
        data, "monitors", data.monitors.rename(columns={"depth": "layer_depth"})
    )
    records, _ = frames.read_trials(run_dir)
    rows = [
        {"trial_id": r["trial_id"], **(r.get("sweep") or {})} for r in records
    ]
    sweep = (
        pd.DataFrame(rows, columns=["trial_id"])
        if not rows
        else (pd.DataFrame(rows))
    )
    keys = [c for c in sweep.columns if c != "trial_id"]
    for name in ("runs", "history", "monitors"):
        df = getattr(data, name)
        drop = [k for k in keys if k in df.columns]
        merged = df.drop(columns=drop).merge(sweep, on="trial_id", how="left")
        object.__setattr__(data, name, merged)
    return data


def compare(data, baseline=None):
    """Per (task, activation) paired comparison against the baseline.

    Returns:
        ``stats.summarize``'s table with a ``verdict`` column: the
        statistics' own verdict where it provides one, else ``better`` /
        ``worse`` when the confidence interval of the paired difference
        excludes 0, ``undecided`` otherwise (``baseline`` for the baseline
        itself).
    """
    summary = stats.summarize(
        data.runs,
        data.history,
        baseline=baseline,
        conflicts=data.init_conflicts,
    )
    if "verdict" not in summary.columns:
        summary["verdict"] = [
            word(r._asdict(), r.metric_mode) for r in summary.itertuples()
        ]
    summary.loc[summary["is_baseline"], "verdict"] = "baseline"
    return summary


def word(paired, mode):
    """``better``/``worse`` when the CI of a ``stats.paired_test`` result
    excludes 0 (respecting the metric ``mode``), else ``undecided``."""
    lo, hi = paired["diff_ci_low"], paired["diff_ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return UNDECIDED
    sign = 1 if mode == "max" else -1
    lo, hi = sorted((sign * lo, sign * hi))
    if lo > 0:
        return BETTER
    if hi < 0:
        return WORSE
    return UNDECIDED


def completed(runs):
    """The completed trials of a runs table."""
    return runs[(runs["status"] == "completed") & runs["test_metric"].notna()]


def epochs_to_target(history, runs, target):
    """Per trial: first epoch whose validation metric reaches ``target``.

    Uses ``stats.time_to_target``; a trial that never reaches it is
    censored at its last epoch (``reached`` False).

    Returns:
        DataFrame: trial_id, task, activation, seed, epochs, reached.
    """
    rows = []
    for r in completed(runs).itertuples():
        h = history[history["trial_id"] == r.trial_id]
        epoch, _ = stats.time_to_target(h, target, r.metric_mode)
        reached = bool(np.isfinite(epoch))
        rows.append(
            {
                "trial_id": r.trial_id,
                "task": r.task,
                "activation": r.activation,
                "seed": r.seed,
                "epochs": epoch if reached else float(h["epoch"].max()),
                "reached": reached,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["trial_id", "task", "activation", "seed", "epochs", "reached"],
    )


def km_median(epochs, reached):
    """Kaplan-Meier median of epochs-to-target with censoring.

    ``inf`` when fewer than half the trials reach the target. Computed by
    ``statsmodels.duration.survfunc.SurvfuncRight`` (Kaplan & Meier, 1958).
    """
    if hasattr(stats, "km_median"):  # the report's own, where it has one
        median = stats.km_median(epochs, np.asarray(reached, dtype=float))
        return float(median) if np.isfinite(median) else float("inf")
    from statsmodels.duration.survfunc import SurvfuncRight

    epochs = np.asarray(epochs, dtype=float)
    reached = np.asarray(reached, dtype=bool)
    if not len(epochs) or not reached.any():
        return float("inf")
    km = SurvfuncRight(epochs, reached.astype(int))
    median = km.quantile(0.5)
    return float(median) if np.isfinite(median) else float("inf")


# ------------------------------------------------- a claim's family of tests
#
# A claim's rule is a handful of paired comparisons written down before the
# run. ``paired`` runs one (``stats.paired_test``), ``non_inferiority`` one
# non-inferiority test with a margin fixed in advance; ``decide`` adjusts
# the claim's whole family by Holm (``stats.adjust``) and gives each row its
# word (``stats.verdict`` for differences; ``non-inferior`` /
# ``not shown`` for non-inferiority). The verdict functions call these on
# the per-seed tables, so a report rebuilt from the CSV files recomputes
# them, and a test can hand them constructed data.

NON_INFERIOR, NOT_SHOWN = "non-inferior", "not shown"
TEST_COLUMNS = (
    "comparison",
    "kind",
    "mode",
    "n_paired",
    "a_mean",
    "b_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "margin",
    "p_value",
    "p_holm",
    "verdict",
)


def paired(name, a, b, *, mode="max", nb_ratio=None, rope=None):
    """One paired comparison of ``a`` against ``b`` (aligned over seeds).

    Args:
        name: the comparison's name in the claim's table.
        a, b: values per seed (same seeds, same order); non-finite pairs
            are dropped.
        mode: ``"max"`` when larger is better, ``"min"`` when smaller is.
        nb_ratio: ``n_test / n_train`` for re-split test sets
            (Nadeau-Bengio), else None.
        rope: half-width of the region of practical equivalence, or None
            for no equivalence test.

    Returns:
        A dict: ``stats.paired_test``'s result plus ``comparison``,
        ``kind`` (``"difference"``), ``mode``, ``a_mean``, ``b_mean``.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    row = stats.paired_test(
        a, b, mode=mode, nb_ratio=nb_ratio, rope=rope, wilcoxon=False
    )
    keep = np.isfinite(a) & np.isfinite(b)
    return {
        "comparison": name,
        "kind": "difference",
        "mode": mode,
        "a_mean": float(a[keep].mean()) if keep.any() else np.nan,
        "b_mean": float(b[keep].mean()) if keep.any() else np.nan,
        "margin": np.nan,
        **row,
    }


def _exact(values):
    """``values`` as Python ints when every one is an integer, else None."""
    out = []
    for v in values:
        if isinstance(v, (int, np.integer)):
            out.append(int(v))
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            out.append(int(v))
        else:
            return None
    return out


def non_inferiority(name, a, b, margin, *, mode="max", nb_ratio=None):
    """Is ``a`` non-inferior to ``b`` by ``margin`` (fixed in advance)?

    H0: ``a`` is worse than ``b`` by ``margin`` or more; H1: it is not
    (for ``mode="max"``: mean(a - b) > -margin). The test is the report's
    paired t-test (``stats.paired_test``; the exact sign-flip test when the
    differences are constant) on the differences shifted by the margin,
    one-sided: p = p_two_sided / 2 when the shifted mean is above 0, else
    1 - p_two_sided / 2. A difference of exactly ``-margin`` is not
    non-inferior.

    Integer ``a`` and ``b`` (counts of correct test examples) with a
    ``fractions.Fraction`` (or int) margin are compared in exact integer
    arithmetic: both sides are multiplied by the margin's denominator, so
    the shifted differences are integers and "exactly at the margin" is
    exactly 0, never -2e-8.

    Args:
        name: the comparison's name.
        a, b: values per seed, aligned.
        margin: the non-inferiority margin (> 0), in the units of ``a``.
        mode: ``"max"`` or ``"min"`` (then ``a`` may be larger by less than
            ``margin``).
        nb_ratio: as for ``paired``.

    Returns:
        A dict like ``paired``'s, ``kind`` ``"non-inferiority"``, with
        ``margin``, ``p_one_sided`` (before Holm) and ``diff_mean`` in the
        units of ``a``.
    """
    from fractions import Fraction

    if not margin > 0:
        raise ValueError(f"`margin` must be > 0. Received: margin={margin!r}")
    a, b = list(a), list(b)
    sign = 1 if mode == "max" else -1
    ia, ib = _exact(a), _exact(b)
    if (
        ia is not None
        and ib is not None
        and isinstance(margin, (int, Fraction))
    ):
        m = Fraction(margin)
        shifted = [
            sign * (x - y) * m.denominator + m.numerator for x, y in zip(ia, ib)
        ]
        unit = m.denominator
    else:
        shifted = [
            sign * (float(x) - float(y)) + float(margin) for x, y in zip(a, b)
        ]
        unit = 1
    shifted = np.asarray(shifted, dtype=float)
    if unit == 1:  # float noise at the margin is the margin
        tol = stats.FLOAT_RTOL * max(1.0, abs(float(margin)))
        shifted[np.abs(shifted) <= tol] = 0.0
    row = stats.paired_test(
        shifted,
        np.zeros_like(shifted),
        mode="max",
        nb_ratio=nb_ratio,
        wilcoxon=False,
    )
    p = row["p_value"]
    if np.isfinite(p):
        p_one = p / 2 if row["diff_mean"] > 0 else 1 - p / 2
    else:
        p_one = np.nan
    fa = np.asarray(a, dtype=float)
    fb = np.asarray(b, dtype=float)
    keep = np.isfinite(fa) & np.isfinite(fb)
    out = dict(row)

    def back(v):  # shifted units -> units of a
        return sign * (v / unit - float(margin))

    lo, hi = sorted((back(row["diff_ci_low"]), back(row["diff_ci_high"])))
    lo90, hi90 = sorted(
        (back(row["diff_ci90_low"]), back(row["diff_ci90_high"]))
    )
    out.update(
        diff_ci90_low=lo90,
        diff_ci90_high=hi90,
        comparison=name,
        kind="non-inferiority",
        mode=mode,
        a_mean=float(fa[keep].mean()) if keep.any() else np.nan,
        b_mean=float(fb[keep].mean()) if keep.any() else np.nan,
        diff_mean=back(row["diff_mean"]),
        diff_ci_low=lo,
        diff_ci_high=hi,
        margin=float(margin),
        p_one_sided=p_one,
        p_value=p_one,
    )
    return out


def decide(rows, alpha=stats.ALPHA):
    """A claim's family of comparisons, Holm-adjusted, with their words.

    Args:
        rows: dicts from ``paired`` and ``non_inferiority``.
        alpha: level of every test.

    Returns:
        DataFrame with ``TEST_COLUMNS`` first: ``p_holm`` adjusts
        ``p_value`` over the rows (``stats.adjust``, Holm; rows without a
        p-value keep NaN and do not count), ``p_tost_holm`` likewise;
        ``verdict`` is ``stats.verdict`` (better / worse / equivalent /
        undecided) for differences and ``non-inferior`` (``p_holm <
        alpha``) or ``not shown`` for non-inferiority tests.
    """
    df = pd.DataFrame(list(rows))
    if not len(df):
        return pd.DataFrame(columns=list(TEST_COLUMNS))
    for col in ("p_value", "p_tost"):
        if col not in df:
            df[col] = np.nan
        adj = np.full(len(df), np.nan)
        ok = df[col].notna().to_numpy()
        if ok.any():
            adj[ok] = stats.adjust(df.loc[ok, col].to_numpy(float), "holm")
        df[f"{col.replace('p_value', 'p')}_holm"] = adj
    words = []
    for row in df.to_dict("records"):
        if row["kind"] == "non-inferiority":
            p = row["p_holm"]
            ok = bool(np.isfinite(p) and p < alpha)
            words.append(NON_INFERIOR if ok else NOT_SHOWN)
        else:
            words.append(stats.verdict(row, row["mode"], alpha))
    df["verdict"] = words
    first = [c for c in TEST_COLUMNS if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]]


def decide_checked(family, beside):
    """``decide`` of the comparisons a claim's rule checks and, as a family
    of their own (their own Holm), of those shown beside them.

    Returns:
        One table, ``family``'s rows first, whose first column
        ``checked`` is True for them and False for ``beside``'s.
    """
    tests = pd.concat([decide(family), decide(beside)], ignore_index=True)
    tests.insert(0, "checked", [True] * len(family) + [False] * len(beside))
    return tests


def word_of(tests, name):
    """The verdict word of comparison ``name`` in a ``decide`` table
    (``"missing"`` when absent)."""
    hit = tests[tests["comparison"] == name]
    return str(hit["verdict"].iloc[0]) if len(hit) else "missing"


def aligned(per_seed, column, a, b, key="arm", seed="seed"):
    """Values of ``column`` for arms ``a`` and ``b`` over their common
    seeds, as two aligned arrays."""
    wide = per_seed[per_seed[key].isin([a, b])].pivot_table(
        index=seed, columns=key, values=column, aggfunc="first"
    )
    if a not in wide or b not in wide:
        return np.array([]), np.array([])
    wide = wide[[a, b]].dropna()
    return wide[a].to_numpy(), wide[b].to_numpy()


def correct_counts(accuracy, n_test):
    """Correct test examples per trial: ``n_test x accuracy`` rounded.

    Raises:
        ValueError: when a product is not within 0.01 of an integer (the
            metric is not a fraction of ``n_test`` examples).
    """
    acc = np.asarray(accuracy, dtype=float)
    n = np.asarray(n_test, dtype=float)
    exact = acc * n
    counts = np.rint(exact)
    bad = np.isfinite(exact) & (np.abs(exact - counts) > 0.01)
    if bad.any():
        raise ValueError(
            "`accuracy` x `n_test` must be a whole number of test examples. "
            f"Received: {exact[bad][:3].tolist()}"
        )
    return counts


def nb_ratio_of(runs):
    """``n_test / n_train`` of a re-split task's trials (Nadeau-Bengio),
    else None (``stats.task_facts``' design of the runs' first task)."""
    if runs is None or not len(runs):
        return None
    facts = stats.task_facts(runs.assign(task="all"))
    return facts["all"]["nb_ratio"]
