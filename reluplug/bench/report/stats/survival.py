"""Time to target: first epoch (and seconds) a validation score is reached,
summarized over seeds by the Kaplan-Meier median (right-censored)."""

import numpy as np


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
        metric reaches `target`, and the sum of `epoch_time_s` over epochs
        1..e; `(nan, nan)` if it never does.
    """
    h = history.sort_values("epoch")
    val = h["val_metric"].to_numpy(dtype=float)
    hit = val >= target if mode == "max" else val <= target
    if not np.isfinite(target) or not hit.any():
        return np.nan, np.nan
    i = int(np.argmax(hit))
    secs = float(np.nansum(h["epoch_time_s"].to_numpy(dtype=float)[: i + 1]))
    return float(h["epoch"].iloc[i]), secs


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


def _time_to_target(by_trial, trials, base_trials, seeds, mode):
    """Kaplan-Meier time to the baseline's best validation score.

    Per seed the target is the baseline trial's best validation metric; the
    activation's trial of the same seed reaches it at its first epoch whose
    validation metric is at least (max) / at most (min) it, or is censored
    at the epochs (and seconds) it ran.
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
        if seed not in base_trials or seed not in trials:
            continue
        hb = by_trial.get(base_trials[seed])
        ha = by_trial.get(trials[seed])
        if hb is None or ha is None or not len(ha):
            continue
        vals = hb["val_metric"].dropna()
        if not len(vals):
            continue
        target = float(vals.max() if mode == "max" else vals.min())
        e, s = first_hit(ha, target, mode)
        if np.isfinite(e):
            epochs.append(e)
            secs.append(s)
            hit.append(1)
        else:
            epochs.append(float(ha["epoch"].max()))
            secs.append(float(np.nansum(ha["epoch_time_s"])))
            hit.append(0)
    if not hit:
        return out
    out["n_reached_target"] = int(sum(hit))
    out["n_censored"] = len(hit) - int(sum(hit))
    out["target_epochs"] = km_median(epochs, hit)
    out["target_seconds"] = km_median(secs, hit)
    return out
