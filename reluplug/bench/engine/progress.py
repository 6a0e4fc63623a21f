"""Progress shared by both faces: one line per finished trial, a summary.

``ProgressReporter`` (a rich bar, the CLI) and ``PrintReporter`` (plain
lines, ``compare(verbose=True)``) implement the reporter protocol that
``run_suite`` calls: ``start(n_total, n_pending, n_skipped)``,
``trial(spec, record)``, ``retry(spec, error, attempt, retries)`` and
``stop()``. No Keras import.
"""

import sys

from reluplug.bench.suite import schema
from reluplug.bench.suite.schema import COMPLETED
from reluplug.bench.suite.schema import DIVERGED
from reluplug.bench.suite.schema import FAILED


class ProgressReporter:
    """Rich progress bar with ETA and one line per finished trial."""

    def __init__(self, console):
        self.console = console
        self.progress = None
        self.task = None

    def start(self, n_total, n_pending, n_skipped):
        """Starts the bar for ``n_pending`` trials."""
        from rich.progress import BarColumn
        from rich.progress import MofNCompleteColumn
        from rich.progress import Progress
        from rich.progress import TextColumn
        from rich.progress import TimeElapsedColumn
        from rich.progress import TimeRemainingColumn

        self.console.print(
            f"{n_total} trials in the suite: {n_skipped} done already, "
            f"{n_pending} to run now."
        )
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("trials", total=n_pending)

    def trial(self, spec, record):
        """Prints one line for a finished trial and advances the bar."""
        self.console.print(trial_line(record), highlight=False)
        self.progress.advance(self.task)

    def retry(self, spec, error, attempt, retries):
        """Prints one line for a trial whose worker died (run again)."""
        self.console.print(retry_line(spec, error, attempt, retries))

    def stop(self):
        """Removes the bar."""
        if self.progress is not None:
            self.progress.stop()


def _fmt(value, spec=".4f"):
    return "-" if value is None else format(value, spec)


def trial_line(record):
    """One-line summary of a finished trial."""
    status = record["status"]
    mark = {COMPLETED: "ok ", DIVERGED: "NaN", FAILED: "ERR"}[status]
    task = schema.task_label(record)
    title = f"{task}/{record['activation']}/{record['seed']}"
    wall = record.get("wall_time_s") or 0.0
    fit = record.get("fit_time_s") or 0.0
    if status == COMPLETED and record.get("role") == "tuning":
        rate = record["training"]["learning_rate"]
        detail = (
            f"tuning lr {rate:g}: val {record['metric']} "
            f"{_fmt(record['best_val_metric'])} "
            f"(best epoch {record['best_epoch']}/{record['epochs_run']})"
        )
    elif status == COMPLETED:
        detail = (
            f"test {record['metric']} {_fmt(record['test_metric'])} "
            f"(best epoch {record['best_epoch']}/{record['epochs_run']})"
        )
    elif status == DIVERGED:
        detail = f"diverged after {record['epochs_run']} epochs"
    else:
        error = record.get("error") or {}
        message = str(error.get("message", "")).splitlines()
        detail = f"{error.get('type')}: {message[0] if message else ''}"
        detail = detail[:100]
    return f"{mark} {title:<40} {detail}  {wall:.1f}s (fit {fit:.1f}s)"


def retry_line(spec, error, attempt, retries):
    """One line for a trial run again after its worker process died."""
    message = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {message[0] if message else ''}"
    return (
        f"RUN {spec.title:<40} again ({attempt} of {retries + 1} runs "
        f"failed): {detail[:100]}"
    )


def summary_lines(summary):
    """Lines of the run summary (counts, time, overhead outside fit)."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.counts.items()))
    t = summary.timings
    lines = [
        f"Ran {summary.n_run} trials ({counts or 'none'}) in "
        f"{summary.elapsed_s:.1f}s; skipped {summary.n_skipped} done "
        f"already; runs.csv has {summary.n_rows} of "
        f"{summary.n_expected} trials.",
    ]
    if summary.n_run:
        lines.append(
            "Per-trial overhead outside model.fit: "
            f"{100 * summary.overhead_fraction:.1f}% of trial time "
            f"(data {t.get('data_s', 0):.2f}s, "
            f"build {t.get('build_s', 0):.2f}s, "
            f"evaluate {t.get('evaluate_s', 0):.2f}s, write "
            f"{t.get('write_s', 0):.2f}s; fit {summary.fit_s:.1f}s)."
        )
    if getattr(summary, "n_untuned", 0):
        lines.append(
            f"{summary.n_untuned} (task, activation) pairs wait for their "
            "learning rate: a tuning trial failed or was not run "
            "(--max-trials); run again to finish them."
        )
    if summary.resume_line:
        lines.insert(0, summary.resume_line)
    lines.append(f"Results: {summary.run_dir}")
    return lines


class PrintReporter:
    """Progress for ``verbose=True``: one line per finished trial."""

    def start(self, n_total, n_pending, n_skipped):
        print(
            f"{n_total} trials: {n_skipped} done already, {n_pending} to "
            "run now.",
            file=sys.stdout,
        )

    def trial(self, spec, record):
        print(trial_line(record), file=sys.stdout, flush=True)

    def stop(self):
        pass
