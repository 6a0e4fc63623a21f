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
    "order and the training/validation split; inferred: the mean "
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
DEFINITIONS = (
    (
        "Test metric",
        "of the weights at the epoch chosen on the validation metric (never "
        "on test data). Its interval is a 95% bootstrap percentile interval "
        "of the mean over seeds (seeded; [min, max] below 5 seeds), so it "
        "never leaves the metric's range. Near best: seeds within 0.05 "
        "(accuracy; 50% relative otherwise) of the task's best trial, with a "
        "Clopper-Pearson interval; it shows bimodal outcomes that a mean "
        "hides.",
    ),
    (
        "vs baseline",
        "paired over the seeds both completed (same initial weights); "
        "difference = activation − baseline in metric units, so for a min "
        "metric a negative difference is better; 95% t-interval. Tasks "
        "whose seeds re-split one fixed data set use the Nadeau-Bengio "
        "corrected variance s²(1/n + n_test/n_train). p (t): two-sided "
        "paired t-test (corrected likewise); when all differences are equal "
        "it is undefined and the exact sign-flip permutation p-value takes "
        "its place. p Holm: Holm within the task; q BH: Benjamini-Hochberg "
        "over the whole run. p (sign-flip): exact permutation test of the "
        "mean difference. p (Wilcoxon): signed-rank test, only with at "
        "least 6 non-zero differences (n≠0). g_z: Hedges' bias-corrected "
        "standardized mean difference with a noncentral-t 95% interval. "
        "W/T/L: seeds where the activation is better / tied (within the "
        "metric's resolution, half of 1/n_test for accuracy) / worse.",
    ),
    (
        "Verdict",
        "equivalent when the 90% interval of the difference lies inside the "
        "ROPE (two one-sided tests); otherwise better or worse when p Holm "
        "< 0.05 and the 95% interval is on that side of zero; otherwise "
        "undecided: the seeds cannot tell.",
    ),
    (
        "Rank",
        "within each (task, seed) by test metric, ties within the "
        "resolution shared, diverged and failed trials last; a task ranks "
        "activations by their mean seed rank. P(best): bootstrap over seeds "
        "of having the best mean seed rank. Best set: the top activation "
        "and those a paired t-test on seed ranks (Holm over the comparisons "
        "with the top) cannot separate from it. Mean rank: over tasks; the "
        "critical-difference diagram joins activations the Nemenyi test "
        "(after a Friedman test) cannot separate.",
    ),
    (
        "To baseline's best val",
        "Kaplan-Meier median epochs (and training seconds) until the "
        "activation's validation metric reaches the baseline's best "
        "validation metric of the same seed; trials that never reach it are "
        "censored at the epochs they ran.",
    ),
    (
        "Power",
        "the smallest difference a paired t-test detects with 80% power at "
        "alpha = 0.05 with these seeds, from the pooled spread of the paired "
        "differences; `reluplug-bench plan` says how many seeds a given "
        "difference needs.",
    ),
    (
        "Same function",
        "pairs of activations whose training and validation losses agree "
        "(relative 1e-3) and test metrics tie in every trial, e.g. ELU and "
        "CELU(1).",
    ),
    (
        "epoch time ×",
        "mean seconds per epoch (epoch 1, which includes graph tracing, left "
        "out) relative to the baseline. dead / inactive: fraction of units "
        "at the last epoch, mean over seeds.",
    ),
)
