"""The run-folder contract as constants (see ``docs/run-folder.md``).

Pure data, no imports: the runner (``store.py``) writes these columns and the
report (``report/frames.py``) reads them, so both name them from here.
"""

SCHEMA_VERSION = 1
STATUSES = ("completed", "diverged", "failed")

RUN_COLUMNS = (
    "trial_id",
    "suite",
    "task",
    "activation",
    "activation_name",
    "is_baseline",
    "seed",
    "status",
    "metric",
    "metric_mode",
    "best_epoch",
    "best_val_metric",
    "test_metric",
    "test_loss",
    "epochs_run",
    "wall_time_s",
    "fit_time_s",
    "overhead_s",
    "mean_epoch_time_s",
    "final_dead_fraction",
    "final_inactive_fraction",
    "init_sha256",
    "n_params",
    "error_type",
    "error_message",
)
HISTORY_COLUMNS = (
    "trial_id",
    "task",
    "activation",
    "seed",
    "epoch",
    "loss",
    "metric",
    "val_loss",
    "val_metric",
    "epoch_time_s",
    "dead_fraction",
    "inactive_fraction",
)
MONITOR_COLUMNS = (
    "trial_id",
    "task",
    "activation",
    "seed",
    "epoch",
    "quantity",
    "layer",
    "depth",
    "value",
)
