"""Which epoch budget would a suite need? Replays full-length histories.

Reads a run of ``probe.toml`` (50 epochs, no early stopping, a learning-rate
sweep) and, for each cap ``epochs`` and ``patience``, replays early stopping
on every trial's validation curve (Keras' rule: an epoch is best when it
beats the best so far) and prints:

* ``last``: trials whose best epoch is the last one run (still improving
  when the budget ran out; ``report.protocol.last_epoch_peaks`` counts them
  in a real run);
* ``early``: trials stopped more than 0.01 below their 50-epoch best
  (patience too short for a plateau);
* ``mean_epochs``: epochs run (the cost).

Training is deterministic per trial, so the first N epochs of a 50-epoch
run are the epochs a run capped at N would train.

    python benchmarks/budget/simulate.py runs/budget
"""

import sys

from reluplug.bench.report import frames


def replay(curve, epochs, patience):
    """``(best value, best epoch, epochs run)`` of early stopping."""
    best, best_epoch, epoch = -float("inf"), 0, 0
    for epoch, value in enumerate(curve[:epochs], start=1):
        if value != value:  # NaN: diverged
            break
        if value > best:
            best, best_epoch = value, epoch
        if patience and epoch - best_epoch >= patience:
            break
    return best, best_epoch, epoch


def main(run_dir):
    data = frames.load_run(run_dir)
    sign = {
        row.trial_id: (1.0 if row.metric_mode == "max" else -1.0)
        for row in data.runs.itertuples()
    }
    curves = {
        trial: [sign[trial] * v for v in group.sort_values("epoch").val_metric]
        for trial, group in data.history.groupby("trial_id")
    }
    print("epochs patience  last  early  mean_epochs")
    for epochs, patience in [(20, 5), (30, 5), (40, 5), (50, 5), (50, 10)]:
        last = early = total = 0
        for curve in curves.values():
            best, best_epoch, run = replay(curve, epochs, patience)
            full = max(v for v in curve if v == v)
            last += best_epoch == run
            early += full - best > 0.01
            total += run
        n = len(curves)
        print(
            f"{epochs:>6} {patience:>8} {last:>3}/{n} {early:>3}/{n} "
            f"{total / n:>8.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1])
