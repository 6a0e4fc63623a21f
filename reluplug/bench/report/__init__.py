"""Comparison reports of a benchmark run folder.

Needs the `[bench]` extra (pandas, seaborn, matplotlib, scipy); imports
neither Keras nor TensorFlow, so `reluplug-bench report DIR` stays fast.
"""

from reluplug.bench.report.frames import RunData
from reluplug.bench.report.frames import history_frame
from reluplug.bench.report.frames import load_results
from reluplug.bench.report.frames import load_run
from reluplug.bench.report.frames import monitors_frame
from reluplug.bench.report.frames import runs_frame
from reluplug.bench.report.plots import plot_epoch_time
from reluplug.bench.report.plots import plot_grad_norm
from reluplug.bench.report.plots import plot_learning_curves
from reluplug.bench.report.plots import plot_paired_diff
from reluplug.bench.report.plots import plot_rank_heatmap
from reluplug.bench.report.plots import plot_test_metric
from reluplug.bench.report.plots import plot_unit_fraction
from reluplug.bench.report.stats import headline
from reluplug.bench.report.stats import ranking
from reluplug.bench.report.stats import summarize
from reluplug.bench.report.writer import FORMATS
from reluplug.bench.report.writer import write_report

__all__ = [
    "FORMATS",
    "RunData",
    "headline",
    "history_frame",
    "load_results",
    "load_run",
    "monitors_frame",
    "plot_epoch_time",
    "plot_grad_norm",
    "plot_learning_curves",
    "plot_paired_diff",
    "plot_rank_heatmap",
    "plot_test_metric",
    "plot_unit_fraction",
    "ranking",
    "runs_frame",
    "summarize",
    "write_report",
]
