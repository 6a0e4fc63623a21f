"""Hand-made run folders for the report tests.

Writes `trials/<id>.json` and `manifest.json` exactly as `docs/run-folder.md`
describes, with values chosen by the test, so that the report's statistics can
be checked against an independent computation. No Keras, no training.
"""

import hashlib
import json
import zlib
from pathlib import Path

import numpy as np
from scipy import stats as sps

LAYERS = ("act_1", "act_2", "act_3")


def trial_id(task, activation, seed):
    """Content-hash id, like the runner's (first 16 hex digits)."""
    key = json.dumps([task, activation, seed]).encode()
    return hashlib.sha256(key).hexdigest()[:16]


def make_history(rng, epochs, *, start, end, mode="max", monitors=True):
    """A plausible, noisy learning curve from `start` to `end`."""
    rows = []
    for epoch in range(1, epochs + 1):
        frac = 1.0 - np.exp(-3.0 * epoch / epochs)
        val = start + (end - start) * frac + rng.normal(0, 0.002)
        loss = float(np.exp(-epoch / epochs) + rng.normal(0, 0.01))
        row = {
            "epoch": epoch,
            "loss": loss,
            "metric": float(val + 0.01 * (1 if mode == "max" else -1)),
            "val_loss": loss + 0.05,
            "val_metric": float(val),
            "epoch_time_s": float(0.5 + rng.uniform(0, 0.05)),
        }
        if monitors:
            row["dead_fraction"] = float(0.1 * frac)
            row["inactive_fraction"] = float(0.02 * frac)
        rows.append(row)
    return rows


def make_monitors(rng, epochs, *, dead_end=0.1, grad0=0.05, layers=LAYERS):
    """Long-form monitor rows: epoch 0 (init) .. epochs, per layer."""
    rows = []
    for epoch in range(0, epochs + 1):
        for depth, layer in enumerate(layers, start=1):
            frac = epoch / max(epochs, 1) * (1 + rng.normal(0, 0.1))
            rows.append(
                {
                    "epoch": epoch,
                    "quantity": "dead_fraction",
                    "layer": layer,
                    "depth": depth,
                    "value": float(dead_end * frac * depth / len(layers)),
                }
            )
            rows.append(
                {
                    "epoch": epoch,
                    "quantity": "inactive_fraction",
                    "layer": layer,
                    "depth": depth,
                    "value": float(0.5 * dead_end * frac),
                }
            )
            rows.append(
                {
                    "epoch": epoch,
                    "quantity": "grad_norm",
                    "layer": f"dense_{depth}",
                    "depth": depth,
                    "value": float(grad0 * 0.5**depth * (1 + frac)),
                }
            )
    return rows


def trial_record(
    *,
    task,
    activation,
    seed,
    suite="demo",
    baseline="relu",
    status="completed",
    test_metric=0.9,
    epochs=6,
    metric="accuracy",
    mode="max",
    history=None,
    monitors=True,
    init_sha256=None,
    error=None,
    rng=None,
    task_params=None,
    n_layers=3,
    splits=None,
):
    """One trial record per the run-folder contract (schema version 1)."""
    rng = rng if rng is not None else np.random.default_rng(seed)
    if history is None:
        n = epochs if status != "diverged" else max(1, epochs // 2)
        start, end = (0.5, test_metric) if mode == "max" else (2.0, 0.5)
        history = make_history(
            rng, n, start=start, end=end, mode=mode, monitors=monitors
        )
        if status == "failed":
            history = history[:1]
    vals = [h["val_metric"] for h in history]
    pick = np.nanargmax if mode == "max" else np.nanargmin
    best = int(pick(vals)) + 1 if vals else None
    ok = status == "completed"
    if init_sha256 is None:
        init_sha256 = hashlib.sha256(f"{task}/{seed}".encode()).hexdigest()
    layers = [f"act_{i}" for i in range(1, n_layers + 1)]
    mons = []
    if monitors and history:
        mons = make_monitors(rng, len(history), layers=layers)
    times = [h["epoch_time_s"] for h in history]
    return {
        "schema_version": 1,
        "trial_id": trial_id(task, activation, seed),
        "status": status,
        "suite": suite,
        "task": task,
        "task_params": task_params or {"hidden": 16},
        "activation": activation,
        "activation_name": activation,
        "activation_params": {},
        "is_baseline": activation == baseline,
        "seed": seed,
        "training": {"epochs": epochs, "batch_size": 32},
        "metric": metric,
        "metric_mode": mode,
        "history": history,
        "monitors": mons,
        "best_epoch": best if ok else None,
        "best_val_metric": vals[best - 1] if ok and best else None,
        "test_metric": test_metric if ok else None,
        "test_loss": 0.3 if ok else None,
        "epochs_run": len(history),
        "wall_time_s": float(sum(times) + 0.5),
        "fit_time_s": float(sum(times)),
        "overhead_s": 0.5,
        "init_sha256": init_sha256 if status != "failed" else None,
        "n_params": 1234,
        "machine": {"platform": "Linux-test", "cpu_count": 2, "device": "cpu"},
        "versions": {"python": "3.11", "keras": "3.15.1", "reluplug": "0.1.0"},
        "git_commit": None,
        "utc_time": "2026-11-28T00:00:00Z",
        "error": error,
        "splits": splits,
    }


def value_records(values, *, per_trial=None, **fields):
    """One record of task ``t`` per (activation, seed) of ``values``
    (activation -> per-seed test metrics, in order), monitors off.

    ``per_trial(activation, seed)`` gives a trial's own ``trial_record``
    fields; ``fields`` go to every record.
    """
    records = []
    for act, vals in values.items():
        for seed, v in enumerate(vals):
            extra = per_trial(act, seed) if per_trial else {}
            records.append(
                trial_record(
                    task="t",
                    activation=act,
                    seed=seed,
                    test_metric=float(v),
                    monitors=False,
                    **fields,
                    **extra,
                )
            )
    return records


def bootstrap_ci(x, n_resamples):
    """Reference interval for the report's: scipy's percentile bootstrap
    of the mean of ``x``, seeded with ``default_rng(0)``."""
    return sps.bootstrap(
        (x,),
        np.mean,
        n_resamples=n_resamples,
        method="percentile",
        random_state=np.random.default_rng(0),
    ).confidence_interval


def write_run(run_dir, records, *, suite="demo", extra_ids=()):
    """Write `records` as trial files plus a manifest expecting `extra_ids`."""
    run_dir = Path(run_dir)
    (run_dir / "trials").mkdir(parents=True, exist_ok=True)
    ids = []
    for rec in records:
        ids.append(rec["trial_id"])
        path = run_dir / "trials" / f"{rec['trial_id']}.json"
        path.write_text(json.dumps(rec, allow_nan=True))
    manifest = {
        "schema_version": 1,
        "suite": suite,
        "suite_sha256": "0" * 64,
        "trial_ids": ids + list(extra_ids),
        "created_utc": "2026-11-28T00:00:00Z",
        "updated_utc": "2026-11-28T00:10:00Z",
        "reluplug_version": "0.1.0",
        "machine": {"platform": "Linux-test", "cpu_count": 2, "device": "cpu"},
        "versions": {"python": "3.11", "keras": "3.15.1"},
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (run_dir / "suite.toml").write_text(f'name = "{suite}"\n')
    return run_dir


# Known test metrics: 2 tasks x 3 activations x 5 seeds.  "relu" is the
# baseline; "mse_task" is a min-mode task.  The values are arbitrary but fixed
# and free of ties so the exact Wilcoxon p-value applies.
KNOWN = {
    ("acc_task", "relu"): [0.900, 0.910, 0.880, 0.905, 0.895],
    ("acc_task", "elu"): [0.915, 0.912, 0.899, 0.921, 0.890],
    ("acc_task", "selu"): [0.870, 0.905, 0.860, 0.880, 0.885],
    ("mse_task", "relu"): [0.500, 0.520, 0.480, 0.510, 0.490],
    ("mse_task", "elu"): [0.450, 0.505, 0.470, 0.460, 0.482],
    ("mse_task", "selu"): [0.530, 0.560, 0.470, 0.600, 0.495],
}
MODES = {"acc_task": "max", "mse_task": "min"}


def known_run(run_dir, *, epochs=6, monitors=True):
    """A complete run folder whose test metrics are `KNOWN`."""
    records = []
    for (task, act), values in KNOWN.items():
        mode = MODES[task]
        for seed, value in enumerate(values):
            records.append(
                trial_record(
                    task=task,
                    activation=act,
                    seed=seed,
                    test_metric=value,
                    epochs=epochs,
                    mode=mode,
                    metric="accuracy" if mode == "max" else "mse",
                    monitors=monitors,
                    rng=np.random.default_rng(
                        zlib.crc32(f"{task}{act}{seed}".encode())
                    ),
                )
            )
    return write_run(run_dir, records), records


def synthetic_run(
    run_dir,
    *,
    n_tasks=6,
    n_acts=12,
    n_seeds=5,
    epochs=10,
    seed=0,
    deep_layers=12,
):
    """A synthetic run of the standard suite's shape, to time the report.

    12 activations x 6 tasks x 5 seeds x 10 epochs, monitors on; the last
    task has `deep_layers` layers (like `deep_mlp`), the others 3.
    """
    acts = ["relu"] + [f"act_{i}" for i in range(1, n_acts)]
    tasks = {
        f"task_{t}": {"n_layers": deep_layers if t == n_tasks - 1 else 3}
        for t in range(n_tasks)
    }
    records = grid_records(
        tasks,
        acts,
        range(n_seeds),
        rng=np.random.default_rng(seed),
        base=0.85,
        step=0.005,
        epochs=epochs,
        suite="standard",
    )
    return write_run(run_dir, records, suite="standard")


def grid_records(tasks, acts, seeds, *, rng, base, step, **fields):
    """A record for every (task, activation, seed), in that nesting order.

    The test metric is ``base + step * (index of the activation)`` plus
    N(0, 0.01) noise drawn from ``rng``, which then draws the trial's
    history; ``tasks`` maps each task to its own ``trial_record`` fields,
    ``fields`` go to every record.
    """
    records = []
    for task, task_fields in tasks.items():
        for a, act in enumerate(acts):
            for seed in seeds:
                metric = float(base + step * a + rng.normal(0, 0.01))
                records.append(
                    trial_record(
                        task=task,
                        activation=act,
                        seed=seed,
                        test_metric=metric,
                        rng=rng,
                        **task_fields,
                        **fields,
                    )
                )
    return records


XSS = "<script>alert(1)</script>"


def partial_run(run_dir, *, label=XSS, suite=XSS):
    """A run with a failed trial, a diverged one, a missing seed, a
    missing manifest entry, an unreadable file, a hostile label and one task
    with monitors off.

    Returns:
        `(run_dir, info)` where `info` names the problem trials.
    """
    records = []
    acts = ["relu", "elu", label]
    missing_id = trial_id("acc_task", label, 4)
    for task, monitors in (("acc_task", True), ("quiet_task", False)):
        for act in acts:
            for seed in range(5):
                if task == "acc_task" and act == label and seed == 4:
                    continue  # never ran: missing seed
                status, error = "completed", None
                if task == "acc_task" and act == "elu" and seed == 3:
                    status = "failed"
                    error = {
                        "type": "ValueError",
                        "message": "bad <b>shape</b> & worse",
                        "traceback": "Traceback (most recent call last):\n"
                        '  File "<x>", line 1\nValueError: <i>boom</i>',
                    }
                if task == "acc_task" and act == label and seed == 1:
                    status = "diverged"
                    error = {
                        "type": "FloatingPointError",
                        "message": "loss became nan at epoch 3",
                        "traceback": None,
                    }
                records.append(
                    trial_record(
                        task=task,
                        activation=act,
                        seed=seed,
                        suite=suite,
                        status=status,
                        error=error,
                        test_metric=0.9 + 0.01 * acts.index(act) + 0.001 * seed,
                        monitors=monitors,
                        task_params={"note": label},
                    )
                )
    run_dir = write_run(
        run_dir,
        records,
        suite=suite,
        extra_ids=[missing_id, "feedc0ffee000000"],
    )
    (run_dir / "trials" / "truncated.json").write_text('{"schema_version": 1,')
    info = {
        "failed": ("acc_task", "elu", 3),
        "diverged": ("acc_task", label, 1),
        "missing": ("acc_task", label, 4),
        "missing_ids": [missing_id, "feedc0ffee000000"],
    }
    return run_dir, info
