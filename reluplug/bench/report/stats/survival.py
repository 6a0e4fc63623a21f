"""Time to target: first epoch (and seconds) a validation score is reached,
summarized over seeds by the Kaplan-Meier median (right-censored).

The target of a (task, seed) group is the median, over its completed
trials, of their best validation metric (`group_targets`): defined by the
whole group, not by the baseline alone, so the baseline can miss it too.
Seconds leave out the first epoch's graph building: epoch 1 counts as the
trial's median time of its later epochs (`train_seconds`).
"""

import numpy as np


def train_seconds(times):
    """Cumulative training seconds per epoch, without the compile time.

    Epoch 1 includes graph building (10-21 s against about 1 s for later
    epochs on the reference machine); its time is replaced by the median
    of the later epochs' times (kept when it is the only epoch).

    Args:
        times: `epoch_time_s` of epochs 1..N, in order.

    Returns:
        Array of N cumulative seconds.
    """
    t = np.asarray(times, dtype=float).copy()
    later = t[1:][np.isfinite(t[1:])]
    if later.size:
        t[0] = np.median(later)
    return np.nancumsum(t)


def first_hit(history, target, mode="max"):
    """First epoch, and seconds of training, at which `target` is reached.

    Args:
        history: Rows of one trial, with `epoch`, `val_metric` and
            `epoch_time_s`.
        target: Validation metric to reach (at least it for `"max"`, at most
            it for `"min"`).
        mode: `"max"` or `"min"`.

    Returns:
        `(epoch, seconds)`: the first epoch `e` (1-based) whose validation
        metric reaches `target`, and the training seconds of epochs 1..e
        without the first epoch's compile time (`train_seconds`);
        `(nan, nan)` if it never does.
    """
    h = history.sort_values("epoch")
    val = h["val_metric"].to_numpy(dtype=float)
    hit = val >= target if mode == "max" else val <= target
    if not np.isfinite(target) or not hit.any():
        return np.nan, np.nan
    i = int(np.argmax(hit))
    secs = train_seconds(h["epoch_time_s"].to_numpy(dtype=float))
    return float(h["epoch"].iloc[i]), float(secs[i])


time_to_target = first_hit


def km_median(times, reached):
    """Kaplan-Meier median of right-censored times.

    `statsmodels.duration.survfunc.SurvfuncRight`; NaN when the survival
    curve never falls to one half (most trials censored).

    Args:
        times: Event or censoring time per trial.
        reached: 1 where the event (target reached) happened, 0 censored.

    Returns:
        The median time, or NaN.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(times, dtype=float)
    e = np.asarray(reached, dtype=float)
    ok = np.isfinite(t)
    if not ok.any() or not e[ok].any():
        return np.nan
    sf = SurvfuncRight(t[ok], e[ok])
    q = sf.quantile(0.5)
    return float(q) if q is not None and np.isfinite(q) else np.nan


def group_targets(runs, mode):
    """Target of each seed: the median best validation metric of its group.

    Args:
        runs: Rows of the runs table of one task (completed trials count).
        mode: Unused by the median; kept for symmetry with `first_hit`.

    Returns:
        Dict seed -> target (seeds with no completed trial are absent).
    """
    del mode
    ok = runs[(runs["status"] == "completed") & runs["best_val_metric"].notna()]
    return ok.groupby("seed")["best_val_metric"].median().to_dict()


def _time_to_target(by_trial, trials, targets, seeds, mode):
    """Kaplan-Meier time to the group's target (`group_targets`).

    The activation's trial of a seed reaches the target at its first epoch
    whose validation metric is at least (max) / at most (min) it, or is
    censored at the epochs (and seconds) it ran.
    """
    out = {
        "target_epochs": np.nan,
        "target_seconds": np.nan,
        "n_reached_target": 0,
        "n_censored": 0,
    }
    if not by_trial:
        return out
    epochs, secs, hit = [], [], []
    for seed in seeds:
        if seed not in targets or seed not in trials:
            continue
        ha = by_trial.get(trials[seed])
        if ha is None or not len(ha):
            continue
        target = float(targets[seed])
        e, s = first_hit(ha, target, mode)
        if np.isfinite(e):
            epochs.append(e)
            secs.append(s)
            hit.append(1)
        else:
            h = ha.sort_values("epoch")
            epochs.append(float(h["epoch"].max()))
            secs.append(float(train_seconds(h["epoch_time_s"])[-1]))
            hit.append(0)
    if not hit:
        return out
    out["n_reached_target"] = int(sum(hit))
    out["n_censored"] = len(hit) - int(sum(hit))
    out["target_epochs"] = km_median(epochs, hit)
    out["target_seconds"] = km_median(secs, hit)
    return out
