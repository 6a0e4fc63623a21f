"""The statistical definitions of a report: levels, tolerances, wording.

The one source of every constant the statistics use and of the words the
report prints about them (`DEFINITIONS`): the report's definitions section
is rendered from here, never written twice.
"""

import math

from reluplug.bench.suite import schema

ALPHA = 0.05
CONFIDENCE = 1 - ALPHA
POWER = 0.8
MIN_WILCOXON = 6  # non-zero differences; below, its p cannot reach 0.05
BOOT_MIN_N = 5
N_BOOT = 2000
PERM_RESAMPLES = 2**16  # exact sign-flip enumeration up to 16 seeds
FLOAT_RTOL = 1e-6
BOUNDS = {"accuracy": (0.0, 1.0), "mse": (0.0, math.inf)}
# Region of practical equivalence: absolute for metrics bounded on both sides
# (accuracy), relative to the baseline's mean for the others (losses, mse).
DEFAULT_ROPE = {"accuracy": 0.005, "mse": 0.02}
DEFAULT_ROPE_OTHER = 0.02
# A seed "succeeds" when its test metric is within this margin of the task's
# best trial (absolute for bounded metrics, relative otherwise).
SUCCESS_MARGIN = {"accuracy": 0.05, "mse": 0.5}
SUCCESS_MARGIN_OTHER = 0.5
VERDICTS = ("better", "worse", "equivalent", "undecided")
STATUS_WORST = ("diverged", "failed")
GROUP = list(schema.GROUP_KEY)  # (task label, seed): the one group key
# The credible best set holds this much of P(best); the Bayesian sentences
# ("X beats the baseline by more than the ROPE") need this posterior mass.
CREDIBLE_BEST = 0.95
POSTERIOR_LEVEL = 0.95
# What a task's seeds vary, read from the records (`design.design_of`), and
# what its comparisons then infer.
DESIGNS = {
    "fixed_test": "fixed test set: seeds vary the initial weights, the batch "
    "order and, unless the task's split_seed fixes it, the "
    "training/validation split; inferred: the mean "
    "difference over seeds on this test set (plain paired t)",
    "resplit": "re-split data: each seed re-splits one data set into "
    "training and test sets, which overlap across seeds; inferred: the "
    "mean difference over splits of this data set (Nadeau-Bengio "
    "corrected variance)",
    "independent": "independent data: each seed draws new data; inferred: "
    "the mean difference over data sets from the task's generator "
    "(plain paired t)",
}


def bounds_of(metric):
    """`(low, high)` range of `metric`; unbounded when unknown."""
    return BOUNDS.get(metric, (-math.inf, math.inf))


# The report's definitions section, in plain words (rendered by the HTML
# and Markdown writers; nowhere else): (term, explanation) pairs.
_PCT = f"{CONFIDENCE:.0%}"
DEFINITIONS = (
    (
        "Design (what is inferred)",
        "read per task from the trial records (a digest of each seed's "
        "test set): "
        + "; ".join(f"{text}" for text in DESIGNS.values())
        + ". The Nadeau-Bengio correction widens intervals only for "
        "re-split data, where overlapping training and test sets make the "
        "seeds' differences correlated; it is never applied to a fixed test "
        "set, to independent data or to ranks.",
    ),
    (
        "Test metric",
        "of the weights at the epoch chosen on the validation metric (never "
        f"on test data). Its interval is a {_PCT} bootstrap percentile "
        f"interval of the mean over seeds (seeded; [min, max] below "
        f"{BOOT_MIN_N} seeds), so it never leaves the metric's range. Near "
        "best: seeds within 0.05 (accuracy; 50% relative otherwise) of the "
        "task's best trial, with a Clopper-Pearson interval; it shows "
        "bimodal outcomes that a mean hides.",
    ),
    (
        "vs baseline",
        "paired over the seeds both completed (same initial weights); "
        "difference = activation − baseline in metric units, so for a min "
        f"metric a negative difference is better; {_PCT} t-interval, "
        "Nadeau-Bengio corrected (variance s²(1/n + n_test/n_train)) for "
        "re-split data only. p (t): two-sided paired t-test (corrected "
        "likewise); when all differences are equal it is undefined and the "
        "exact sign-flip permutation p-value takes its place. p (sign-flip): "
        "exact permutation test of the mean difference (it cannot go below "
        "2/2^n: 0.0625 with 5 seeds). p (Wilcoxon): signed-rank test, only "
        f"with at least {MIN_WILCOXON} non-zero differences (n≠0). g_z: "
        "Hedges' bias-corrected standardized mean difference with a "
        f"noncentral-t {_PCT} interval, corrected like the difference. "
        "W/T/L: seeds where the activation is better / tied (within the "
        "metric's resolution, half of 1/n_test for accuracy) / worse.",
    ),
    (
        "Same function",
        "pairs of activations whose training and validation losses agree "
        "(relative 1e-3) and test metrics tie in every trial, e.g. ELU and "
        "CELU(1). They are merged before testing: one of them (the baseline "
        "if it is one, else the first name) is tested and ranked, the "
        "others take its verdict, so they neither enlarge the Holm family "
        "nor split P(best).",
    ),
    (
        "Multiplicity",
        "p Holm: Holm's step-down adjustment within the task over its "
        "comparisons with the baseline; the equivalence tests (TOST) are "
        "Holm-adjusted the same way. q BH: Benjamini-Hochberg over the "
        "whole run.",
    ),
    (
        "Verdict",
        "equivalent when the two one-sided tests against the ROPE reject "
        f"at {ALPHA} after Holm; otherwise better or worse when p Holm < "
        f"{ALPHA} and the {_PCT} interval is on that side of zero; otherwise "
        "undecided: the seeds cannot tell. In a run until decided the "
        "verdicts come from the sequential rule below instead (verdict "
        "method: sequential).",
    ),
    (
        "Bayesian comparison",
        "the correlated Bayesian t-test (Corani & Benavoli 2015; Benavoli "
        "et al. 2017, JMLR 18(77)): the posterior of the mean difference is "
        "a Student t centred on the observed mean with the same (corrected) "
        "scale as the t-interval. P(better / ROPE / worse): its mass beyond "
        "+ROPE, inside the ROPE and beyond −ROPE, oriented so that better "
        "is better. A sentence such as 'No variant beats relu by more than "
        f"0.005 with probability >= {POSTERIOR_LEVEL}' is printed only when "
        "every comparison's posterior supports it.",
    ),
    (
        "Rank",
        "within each (task, seed) by test metric, ties within the "
        "resolution shared, diverged and failed trials last; a task ranks "
        "activations by their mean seed rank. P(best): probability of the "
        "best mean test metric under the Bayesian bootstrap over seeds "
        "(Dirichlet weights, Rubin 1981; a failed or diverged trial counts "
        "as its seed's worst value). Credible best set: the fewest "
        f"activations, most probable first, whose P(best) adds up to "
        f"{CREDIBLE_BEST:.0%}. Mean rank: over tasks. The Friedman test and "
        "its Iman-Davenport F test equal ranks across tasks; the Nemenyi "
        "post-hoc and its critical-difference diagram are shown only when "
        "the Iman-Davenport test rejects.",
    ),
    (
        "Time to target",
        "the target of a (task, seed) is the median, over its completed "
        "trials, of their best validation metric (not the baseline's alone, "
        "so the baseline can miss it too). Kaplan-Meier median epochs until "
        "an activation's validation metric reaches it, and training seconds "
        "with epoch 1's graph building left out (epoch 1 counts as the "
        "trial's median later epoch); trials that never reach it are "
        "censored at the epochs they ran.",
    ),
    (
        "Power",
        f"the smallest difference a paired t-test detects with {POWER:.0%} "
        f"power at alpha = {ALPHA} with these seeds, from the pooled spread "
        "of the paired differences (Nadeau-Bengio corrected for re-split "
        "data: no number of seeds then gets below a floor); "
        "`reluplug-bench plan` says how many seeds a given difference needs.",
    ),
    (
        "Run until decided",
        "`reluplug-bench run --until-decided` adds seeds in batches only to "
        "the comparisons still undecided, up to --max-seeds. Each look is a "
        "paired t-test against group-sequential boundaries: Lan-DeMets "
        "O'Brien-Fleming-type alpha spending (Lan & DeMets 1983) over the "
        "information fraction (seeds / max seeds), boundaries by numerical "
        "integration (Jennison & Turnbull 2000), equivalence with the same "
        "spending, and Holm across a task's comparisons as a graphical "
        "procedure (Maurer & Bretz 2013). Within each task the chance of any "
        f"false better or worse stays at most {ALPHA} however early the "
        "comparisons stop (checked by simulation: "
        "benchmarks/sequential_design.py).",
    ),
    (
        "epoch time ×",
        "mean seconds per epoch (epoch 1, which includes graph tracing, left "
        "out) relative to the baseline. dead / inactive: fraction of units "
        "at the last epoch, mean over seeds.",
    ),
)
