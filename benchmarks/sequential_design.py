"""Error control and cost of `--until-decided`, by simulation.

The sequential design of `reluplug.bench.report.stats.sequential` (paired
t-tests at each look, Lan-DeMets O'Brien-Fleming-type alpha spending,
graphical Holm within a task) is run on simulated paired differences:

* under the null (true difference 0) the share of studies that declare any
  difference (better or worse) must stay at or below alpha, within the
  Monte-Carlo error; with several comparisons per task this is the
  family-wise error;
* at a true difference equal to the ROPE the share that declare
  "equivalent" must stay at or below alpha too;
* under a true difference of 1 sd the design's average number of seeds
  (ASN) is compared with the seeds a fixed-size paired t-test needs for
  the same power (`statsmodels` `TTestPower`).

Usage: python benchmarks/sequential_design.py [--studies 2000]
"""

import argparse
import time

import numpy as np
from statsmodels.stats.power import TTestPower

from reluplug.bench.report.stats import sequential

SCHEDULES = ((5, 5, 20), (4, 2, 16))


def run_study(rng, delta, looks, max_seeds, *, m=1, rope=0.0, alpha=0.05):
    """One simulated study: `m` comparisons sharing nothing but the task.

    Seeds are added in batches only to the comparisons still undecided,
    as the engine's loop does.

    Returns:
        `(decisions, seeds)`: the decision per comparison and the seeds
        each one used.
    """
    d = {f"a{i}": rng.normal(delta, 1.0, max_seeds) for i in range(m)}
    stop = dict.fromkeys(d, None)
    for k, n in enumerate(looks):
        data = {a: d[a][: stop[a] or n] for a in d}
        res = sequential.sequential_decisions(
            data, looks[: k + 1], max_seeds, rope=rope, alpha=alpha
        )
        for a, (word, at, _, _) in res.items():
            if word != "undecided" and stop[a] is None:
                stop[a] = at
        if all(stop.values()):
            break
    return res, {a: stop[a] or looks[-1] for a in d}


def simulate(studies, delta, looks, max_seeds, *, m=1, rope=0.0, seed=0):
    rng = np.random.default_rng(seed)
    words, seeds = [], []
    for _ in range(studies):
        res, used = run_study(rng, delta, looks, max_seeds, m=m, rope=rope)
        words.append([res[a][0] for a in sorted(res)])
        seeds.append([used[a] for a in sorted(used)])
    return np.array(words), np.array(seeds, dtype=float)


def mc_error(p, n):
    return 2 * np.sqrt(p * (1 - p) / n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    n_st, alpha = args.studies, args.alpha
    t0 = time.perf_counter()
    for start, batch, cap in SCHEDULES:
        looks = sequential.look_schedule(start, batch, cap)
        print(f"looks at {looks} seeds (start {start}, batch {batch})")
        for m in (1, 3):
            w, _ = simulate(n_st, 0.0, looks, cap, m=m, seed=1)
            fwer = np.mean((w == "better") | (w == "worse"), axis=0)
            any_err = np.mean(((w == "better") | (w == "worse")).any(axis=1))
            print(
                f"  null, {m} comparison(s): type-I error (any difference "
                f"declared) {any_err:.4f} <= {alpha} + "
                f"{mc_error(alpha, n_st):.4f} (2 MC s.e.); per comparison "
                f"{np.round(fwer, 4).tolist()}"
            )
        rope = 0.5
        w, _ = simulate(n_st, rope, looks, cap, rope=rope, seed=2)
        eq = np.mean(w == "equivalent")
        print(
            f"  true difference = ROPE ({rope} sd): 'equivalent' declared in "
            f"{eq:.4f} <= {alpha} + {mc_error(alpha, n_st):.4f}"
        )
        w, s = simulate(n_st, 1.0, looks, cap, seed=3)
        power = float(np.mean(w == "better"))
        asn = float(s.mean())
        fixed = None
        for n in range(2, 200):
            p = TTestPower().power(
                effect_size=1.0, nobs=n, alpha=alpha, alternative="two-sided"
            )
            if p >= power:
                fixed = n
                break
        print(
            f"  true difference 1 sd: power {power:.3f}, average seeds "
            f"{asn:.2f} (max {cap}); fixed design of equal power: "
            f"{fixed} seeds"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
