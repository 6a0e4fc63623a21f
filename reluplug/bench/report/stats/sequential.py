"""Group-sequential decisions: which comparisons are still undecided.

A run that adds seeds until each comparison is decided looks at the data
several times; testing each look at level alpha would inflate the type-I
error. Here each comparison is a group-sequential test:

* Looks happen at the seed counts `looks` (e.g. 5, 10, 15, 20 seeds), the
  last one at most `max_seeds`; the information fraction of a look is
  `n / max_seeds`.
* Alpha is spent by the Lan-DeMets O'Brien-Fleming-type function
  `alpha(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))` (Lan & DeMets 1983,
  Biometrika 70(3)); the two-sided z boundaries follow by numerical
  integration over the continuation region (Armitage, McPherson & Rowe
  1969; Jennison & Turnbull 2000, "Group Sequential Methods", ch. 19) and
  are used as nominal levels of the paired t-test at each look (the
  t quantile with the look's degrees of freedom, Jennison & Turnbull
  section 3.8), Nadeau-Bengio corrected where the design re-splits data.
* Equivalence (two one-sided tests against the ROPE) uses the same
  boundaries at one-sided level alpha.
* Within a task, Holm's procedure runs over the comparisons as a graphical
  procedure for group-sequential tests (Maurer & Bretz 2013, Statistics in
  Biopharmaceutical Research 5(4)): the remaining comparisons are tested at
  `alpha / m` with `m` the number not yet rejected, and each rejection
  passes its alpha on, at the current and the earlier looks.

`decided` is a pure function of the runs table: the engine's
`--until-decided` loop calls it after each batch of seeds.
"""

import functools

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.design import rope_width
from reluplug.bench.report.stats.design import task_facts
from reluplug.bench.report.stats.ranks import merge_identical

_GRID = 801  # points of the numerical integration per look

DECIDED_COLUMNS = [
    "task",
    "activation",
    "baseline",
    "n_paired",
    "look",
    "decision",
    "decided_at",
    "t_stat",
    "t_crit",
]


def spent(t, alpha=ALPHA):
    """O'Brien-Fleming-type alpha spent by information fraction `t`.

    Lan & DeMets (1983): `2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))`; it is 0
    at `t = 0` and `alpha` at `t = 1`.
    """
    t = np.clip(np.asarray(t, dtype=float), 1e-12, 1.0)
    z = sps.norm.ppf(1 - alpha / 2)
    return 2 - 2 * sps.norm.cdf(z / np.sqrt(t))


def boundaries(fractions, alpha=ALPHA):
    """Two-sided z boundaries (cached `_boundaries`); see there."""
    key = tuple(round(float(x), 12) for x in fractions)
    return _boundaries(key, float(alpha)).copy()


@functools.lru_cache(maxsize=256)
def _boundaries(fractions, alpha):
    """Two-sided z boundaries of a group-sequential test.

    Under the null the score `S_k = Z_k sqrt(t_k)` is a Brownian motion in
    the information fraction `t`; the boundary `c_k` of look `k` makes the
    probability of first crossing at look `k` equal to the alpha spent
    between looks `k-1` and `k` (`spent`). The sub-density of `S_k` on the
    continuation region is carried on a grid from look to look
    (Jennison & Turnbull 2000, ch. 19).

    Args:
        fractions: Increasing information fractions in (0, 1].
        alpha: Two-sided level spent by `t = 1`.

    Returns:
        Array of z boundaries, one per look.
    """
    t = np.asarray(fractions, dtype=float)
    if not len(t) or np.any(np.diff(t) <= 0) or t[0] <= 0 or t[-1] > 1 + 1e-9:
        raise ValueError(
            "fractions must increase within (0, 1]. "
            f"Received: fractions={list(fractions)}"
        )
    cum = spent(t, alpha)
    out = np.empty(len(t))
    out[0] = sps.norm.isf(cum[0] / 2)
    half = out[0] * np.sqrt(t[0])
    grid = np.linspace(-half, half, _GRID)
    dens = sps.norm.pdf(grid, scale=np.sqrt(t[0]))
    for k in range(1, len(t)):
        step = np.sqrt(t[k] - t[k - 1])
        w = dens * _weights(grid)
        target = cum[k] - cum[k - 1]

        def cross(c, k=k, w=w, step=step, grid=grid, target=target):
            b = c * np.sqrt(t[k])
            up = sps.norm.sf((b - grid) / step)
            down = sps.norm.cdf((-b - grid) / step)
            return float(np.sum(w * (up + down))) - target

        hi = 2.0
        while cross(hi) > 0:
            hi *= 2
        out[k] = optimize.brentq(cross, 1e-6, hi, xtol=1e-10)
        half = out[k] * np.sqrt(t[k])
        new = np.linspace(-half, half, _GRID)
        dens = (sps.norm.pdf((new[:, None] - grid[None, :]) / step) / step) @ w
        grid = new
    return out


def _weights(grid):
    """Trapezoid weights of an evenly spaced grid."""
    h = grid[1] - grid[0]
    w = np.full(grid.size, h)
    w[[0, -1]] = h / 2
    return w


def t_critical(z, n):
    """The paired t-test's critical value at the z boundary's nominal level.

    Two-sided nominal level `2 (1 - Phi(z))`, as a t quantile with
    `n - 1` degrees of freedom.
    """
    return sps.t.isf(sps.norm.sf(z), np.asarray(n) - 1)


def look_schedule(start, batch, max_seeds):
    """Seed counts at which the data are looked at.

    Args:
        start: Seeds of the first look (>= 2).
        batch: Seeds added per look (>= 1).
        max_seeds: Cap on the seeds (>= start).

    Returns:
        List `[start, start + batch, ...]` ending at `max_seeds`.
    """
    for name, value, low in (
        ("start", start, 2),
        ("batch", batch, 1),
        ("max_seeds", max_seeds, start),
    ):
        if int(value) != value or value < low:
            raise ValueError(
                f"`{name}` must be an integer >= {low}. "
                f"Received: {name}={value!r}"
            )
    looks = list(range(int(start), int(max_seeds) + 1, int(batch)))
    if looks[-1] != max_seeds:
        looks.append(int(max_seeds))
    return looks


def _stats(d, n, nb_ratio, rope):
    """t statistics of the difference and of the two TOST tests."""
    x = d[:n]
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    se = sd * np.sqrt(1.0 / n + (nb_ratio or 0.0))
    if not se > 0:
        big = np.inf if mean else 0.0
        t = np.sign(mean) * big
        t_lo = np.inf if mean + rope > 0 else -np.inf
        t_hi = np.inf if rope - mean > 0 else -np.inf
        return t, min(t_lo, t_hi)
    t_eq = min((mean + rope) / se, (rope - mean) / se)
    return mean / se, t_eq


def sequential_decisions(
    diffs, looks, max_seeds, *, nb_ratio=None, rope=0.0, mode="max", alpha=ALPHA
):
    """Group-sequential decisions for the comparisons of one task.

    Args:
        diffs: Dict name -> 1-D array of paired differences (activation -
            baseline) in seed order; an array may be shorter than the
            current look (the comparison stopped earlier).
        looks: Seed counts of the looks so far (`look_schedule`, cut at
            the current one).
        max_seeds: The cap that defines the information fractions.
        nb_ratio: `n_test / n_train` when the design re-splits data.
        rope: ROPE half-width (0 or NaN: no equivalence decision).
        mode: `"max"` or `"min"`: the direction of "better".
        alpha: Family-wise level of the task's comparisons.

    Returns:
        Dict name -> `(decision, look, t_stat, t_crit)`: the decision
        (`better`, `worse`, `equivalent`, `undecided`), the seed count
        of the look that decided it (or of its last look), the t
        statistic there and the boundary it was compared with.
    """
    looks = [int(n) for n in looks]
    frac = np.array(looks, dtype=float) / float(max_seeds)
    rope = float(rope) if rope is not None and np.isfinite(rope) else 0.0
    names = list(diffs)
    stats = {}
    for name in names:
        d = np.asarray(diffs[name], dtype=float)
        d = d[np.isfinite(d)]
        stats[name] = [
            (n, *_stats(d, n, nb_ratio, rope)) for n in looks if n <= d.size
        ]
    cache = {}

    def crit(level):
        if level not in cache:
            cache[level] = boundaries(frac, level)
        return cache[level]

    def holm(test):
        """Graphical Holm over the names; `test(name, level)` gives a
        `(look, t, t_crit)` rejection or None."""
        rejected = {}
        while True:
            rest = [n for n in names if n not in rejected]
            if not rest:
                return rejected
            level = alpha / len(rest)
            new = {n: r for n in rest if (r := test(n, level)) is not None}
            if not new:
                return rejected
            rejected.update(new)

    def diff_test(name, level):
        z = crit(level)
        for k, (n, t, _) in enumerate(stats[name]):
            c = float(t_critical(z[k], n))
            if abs(t) >= c:
                return n, t, c
        return None

    def equiv_test(name, level):
        if not rope > 0:
            return None
        z = crit(2 * level)  # one-sided at `level`
        for k, (n, _, t_eq) in enumerate(stats[name]):
            c = float(t_critical(z[k], n))
            if t_eq >= c:
                return n, t_eq, c
        return None

    diff = holm(diff_test)
    equiv = holm(equiv_test)
    out = {}
    for name in names:
        hits = []
        if name in diff:
            n, t, c = diff[name]
            better = t > 0 if mode == "max" else t < 0
            hits.append((n, "better" if better else "worse", t, c))
        if name in equiv:
            hits.append((equiv[name][0], "equivalent", *equiv[name][1:]))
        if hits:
            n, word, t, c = min(hits, key=lambda h: h[0])
            out[name] = (word, n, float(t), float(c))
        elif stats[name]:
            n, t, _ = stats[name][-1]
            z = crit(alpha / len(names))
            c = float(t_critical(z[len(stats[name]) - 1], n))
            out[name] = ("undecided", n, float(t), c)
        else:
            out[name] = ("undecided", 0, np.nan, np.nan)
    return out


def decided(
    runs,
    *,
    looks,
    max_seeds,
    baseline=None,
    rope=None,
    alpha=ALPHA,
    identical=None,
):
    """Which comparisons with the baseline are decided at the current look.

    Args:
        runs: The runs table (`frames.runs_frame`).
        looks: Seed counts of the looks so far (`look_schedule` cut at the
            current one).
        max_seeds: The cap on seeds (defines the information fractions).
        baseline: Label of the baseline; defaults to the trials flagged
            `is_baseline`.
        rope: Mapping metric -> ROPE value (see `rope_width`).
        alpha: Family-wise level within each task.
        identical: `identical_functions(runs, history)` or None: each
            group of identical activations is decided once, through its
            representative (`merge_identical`); the others copy it
            (`equivalent` when it is the baseline).

    Returns:
        DataFrame with `DECIDED_COLUMNS`, one row per (task, activation)
        compared; `decision` is `better`, `worse`, `equivalent` or
        `undecided`, `decided_at` the seeds at the deciding look (NaN
        while undecided).
    """
    rows = []
    facts = task_facts(runs)
    ok = runs[(runs["status"] == "completed") & runs["test_metric"].notna()]
    for task, g in runs.groupby("task", sort=True):
        f = facts[task]
        if baseline is not None:
            base = baseline if (g["activation"] == baseline).any() else None
        else:
            labels = g.loc[g["is_baseline"].astype(bool), "activation"]
            base = labels.iloc[0] if len(labels) else None
        if base is None:
            continue
        gok = ok[ok["task"] == task]
        b = gok[gok["activation"] == base].set_index("seed")["test_metric"]
        width = rope_width(f["metric"], rope, b.mean() if len(b) else None)
        diffs, counts = {}, {}
        same_as = merge_identical(identical, {base})
        for act, ga in g.groupby("activation", sort=True):
            if act == base or act in same_as:
                continue
            a = gok[gok["activation"] == act].set_index("seed")["test_metric"]
            # A seed whose trial diverged or failed counts as the worst
            # difference seen in the task, so stopping never favours it.
            seeds = sorted(set(ga["seed"]) & set(b.index))
            d = pd.Series([a.get(s, np.nan) - b[s] for s in seeds], dtype=float)
            worst = d.min() if f["mode"] == "max" else d.max()
            diffs[act] = d.fillna(worst).to_numpy()
            counts[act] = len(seeds)
        res = sequential_decisions(
            diffs,
            [n for n in looks if n <= max(counts.values(), default=0)],
            max_seeds,
            nb_ratio=f["nb_ratio"],
            rope=width,
            mode=f["mode"],
            alpha=alpha,
        )
        for act, rep in same_as.items():
            if act in set(g["activation"]) and (rep in res or rep == base):
                word, n, t, c = res.get(
                    rep, ("equivalent", np.nan, np.nan, np.nan)
                )
                res[act] = (word, n, t, c)
                a_seeds = set(g.loc[g["activation"] == act, "seed"])
                counts[act] = len(a_seeds & set(b.index))
        for act, (word, n, t, c) in res.items():
            rows.append(
                {
                    "task": task,
                    "activation": act,
                    "baseline": base,
                    "n_paired": counts[act],
                    "look": n,
                    "decision": word,
                    "decided_at": n if word != "undecided" else np.nan,
                    "t_stat": t,
                    "t_crit": c,
                }
            )
    return pd.DataFrame(rows, columns=DECIDED_COLUMNS)
