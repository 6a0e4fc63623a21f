"""Statistics of a run: paired against the baseline, corrected, with verdicts.

One module per job: `paired` (tests against the baseline, multiplicity,
verdicts), `survival` (time to target), `ranks` (within-seed ranks, P(best),
Friedman), `power` (detectable effects, seeds needed), `summary` (the
summary table and headlines), `sequential` (group-sequential decisions for
runs until decided); `design` reads each task's design from the
runs table and `definitions` holds every constant and the report's wording.
Every test is a call into scipy, statsmodels or scikit-posthocs; the
reference is in a comment next to it.
"""

from reluplug.bench.report.stats.definitions import ALPHA
from reluplug.bench.report.stats.definitions import BOOT_MIN_N
from reluplug.bench.report.stats.definitions import BOUNDS
from reluplug.bench.report.stats.definitions import CONFIDENCE
from reluplug.bench.report.stats.definitions import CREDIBLE_BEST
from reluplug.bench.report.stats.definitions import DEFAULT_ROPE
from reluplug.bench.report.stats.definitions import DEFAULT_ROPE_OTHER
from reluplug.bench.report.stats.definitions import DEFINITIONS
from reluplug.bench.report.stats.definitions import DESIGNS
from reluplug.bench.report.stats.definitions import FLOAT_RTOL
from reluplug.bench.report.stats.definitions import GROUP
from reluplug.bench.report.stats.definitions import MIN_WILCOXON
from reluplug.bench.report.stats.definitions import N_BOOT
from reluplug.bench.report.stats.definitions import PERM_RESAMPLES
from reluplug.bench.report.stats.definitions import POSTERIOR_LEVEL
from reluplug.bench.report.stats.definitions import POWER
from reluplug.bench.report.stats.definitions import STATUS_WORST
from reluplug.bench.report.stats.definitions import SUCCESS_MARGIN
from reluplug.bench.report.stats.definitions import SUCCESS_MARGIN_OTHER
from reluplug.bench.report.stats.definitions import VERDICTS
from reluplug.bench.report.stats.definitions import bounds_of
from reluplug.bench.report.stats.design import design_of
from reluplug.bench.report.stats.design import rope_width
from reluplug.bench.report.stats.design import task_facts
from reluplug.bench.report.stats.paired import adjust
from reluplug.bench.report.stats.paired import paired_test
from reluplug.bench.report.stats.paired import posterior_probs
from reluplug.bench.report.stats.paired import t_interval
from reluplug.bench.report.stats.paired import verdict
from reluplug.bench.report.stats.power import mde
from reluplug.bench.report.stats.power import plan
from reluplug.bench.report.stats.power import pooled_diff_sd
from reluplug.bench.report.stats.power import seeds_needed
from reluplug.bench.report.stats.ranks import credible_best
from reluplug.bench.report.stats.ranks import friedman
from reluplug.bench.report.stats.ranks import identical_functions
from reluplug.bench.report.stats.ranks import merge_identical
from reluplug.bench.report.stats.ranks import metric_matrix
from reluplug.bench.report.stats.ranks import p_best
from reluplug.bench.report.stats.ranks import rank_matrix
from reluplug.bench.report.stats.ranks import seed_ranks
from reluplug.bench.report.stats.sequential import DECIDED_COLUMNS
from reluplug.bench.report.stats.sequential import decided
from reluplug.bench.report.stats.sequential import look_schedule
from reluplug.bench.report.stats.sequential import sequential_decisions
from reluplug.bench.report.stats.summary import SUMMARY_COLUMNS
from reluplug.bench.report.stats.summary import bayes_statements
from reluplug.bench.report.stats.summary import bounded_bands
from reluplug.bench.report.stats.summary import bounded_interval
from reluplug.bench.report.stats.summary import headline
from reluplug.bench.report.stats.summary import ranking
from reluplug.bench.report.stats.summary import success_interval
from reluplug.bench.report.stats.summary import summarize
from reluplug.bench.report.stats.survival import first_hit
from reluplug.bench.report.stats.survival import group_targets
from reluplug.bench.report.stats.survival import km_median
from reluplug.bench.report.stats.survival import time_to_target
from reluplug.bench.report.stats.survival import train_seconds

__all__ = [
    "ALPHA",
    "BOOT_MIN_N",
    "BOUNDS",
    "CONFIDENCE",
    "CREDIBLE_BEST",
    "DECIDED_COLUMNS",
    "DEFAULT_ROPE",
    "DEFAULT_ROPE_OTHER",
    "DEFINITIONS",
    "DESIGNS",
    "FLOAT_RTOL",
    "GROUP",
    "MIN_WILCOXON",
    "N_BOOT",
    "PERM_RESAMPLES",
    "POSTERIOR_LEVEL",
    "POWER",
    "STATUS_WORST",
    "SUCCESS_MARGIN",
    "SUCCESS_MARGIN_OTHER",
    "SUMMARY_COLUMNS",
    "VERDICTS",
    "adjust",
    "bayes_statements",
    "bounded_bands",
    "bounded_interval",
    "bounds_of",
    "credible_best",
    "decided",
    "design_of",
    "first_hit",
    "friedman",
    "group_targets",
    "headline",
    "identical_functions",
    "km_median",
    "look_schedule",
    "mde",
    "merge_identical",
    "metric_matrix",
    "p_best",
    "paired_test",
    "plan",
    "pooled_diff_sd",
    "posterior_probs",
    "rank_matrix",
    "ranking",
    "rope_width",
    "seed_ranks",
    "seeds_needed",
    "sequential_decisions",
    "success_interval",
    "summarize",
    "t_interval",
    "task_facts",
    "time_to_target",
    "train_seconds",
    "verdict",
]
