"""Learning rate tuned per (task, activation) on validation data only.

A suite's ``[tuning]`` table::

    [tuning]
    learning_rate = [3e-4, 1e-3, 3e-3, 1e-2]   # the grid
    seeds = [1000, 1001]                       # disjoint from `seeds`

Protocol. For each (task, activation) the runner first trains one *tuning
trial* per grid value and tuning seed: an ordinary trial (same store,
resume and ids; ``role = "tuning"`` in its id) that selects its epoch on
the validation split and is never evaluated on the test split (its
``test_metric`` stays null). The choice is a pure function of those
trials' best validation metrics (``choose``): the learning rate with the
best mean over the tuning seeds, a diverged trial counting as the worst
value, ties going to the smaller rate. The evaluation trials (the suite's
``seeds``) then train with the chosen rate, which is part of their id, so a
resume that chooses the same rate keeps them. The choice, and the
validation curve over the grid, are written to ``tuning.csv``.

The tuning seeds give other train/validation splits (and initial weights)
than the evaluation seeds. For tasks that re-split one data set per seed
(``Task.resplit``) a tuning seed's validation examples can be test examples
of an evaluation seed's split, as the splits of two evaluation seeds
already overlap; tasks with a fixed test split (``mnist1d_mlp``, the
Keras data sets) keep the test set out of the choice entirely.

No Keras import (the report reads ``tuning.csv`` with these names).
"""

import dataclasses
import math

from reluplug.bench.suite import schema

DEFAULT_SEEDS = (1000, 1001)
ROLE = "tuning"  # the ``role`` of a tuning trial's spec and record


@dataclasses.dataclass(frozen=True)
class Tuning:
    """A suite's ``[tuning]`` table.

    Attributes:
        learning_rate: the grid, as written (distinct numbers > 0).
        seeds: the tuning seeds, disjoint from the suite's ``seeds``.
    """

    learning_rate: tuple
    seeds: tuple = DEFAULT_SEEDS

    def to_dict(self):
        """Plain, JSON-ready dict (lists)."""
        return {
            "learning_rate": list(self.learning_rate),
            "seeds": list(self.seeds),
        }


def parse(check, table, seeds, training_table):
    """Validates a suite's ``[tuning]`` table.

    Args:
        check: the config checker (``config._Checker``).
        table: the parsed ``[tuning]`` table, or None.
        seeds: the suite's (evaluation) seeds.
        training_table: the parsed ``[training]`` table (its
            ``learning_rate`` must be left out when tuning chooses it).

    Returns:
        A ``Tuning``, or None without a table.

    Raises:
        ConfigError: unknown key, a grid that is not distinct numbers > 0,
            seeds that are not distinct integers >= 0 or overlap ``seeds``,
            or ``training.learning_rate`` given as well.
    """
    if table is None:
        return None
    check.table(table, "tuning")
    check.keys(
        table, "tuning", required=("learning_rate",), optional=("seeds",)
    )
    grid = table["learning_rate"]
    if not isinstance(grid, list) or not grid:
        check.fail(
            "tuning.learning_rate",
            "must be a non-empty array of numbers > 0 (the grid)",
            grid,
        )
    values = []
    for i, value in enumerate(grid):
        value = check.number(
            value, f"tuning.learning_rate[{i}]", low=0, low_open=True
        )
        if value in values:
            check.fail(
                "tuning.learning_rate",
                f"must not repeat a value ({value!r})",
                grid,
            )
        values.append(value)
    given = table.get("seeds", list(DEFAULT_SEEDS))
    if not isinstance(given, list) or not given:
        check.fail(
            "tuning.seeds", "must be a non-empty array of integers", given
        )
    for i, seed in enumerate(given):
        check.integer(seed, f"tuning.seeds[{i}]", low=0)
    if len(set(given)) < len(given):
        check.fail("tuning.seeds", "must not repeat a seed", given)
    shared = sorted(set(given) & set(seeds))
    if shared:
        check.fail(
            "tuning.seeds",
            f"must not share a seed with `seeds` (the evaluation seeds; "
            f"shared: {shared}): a learning rate is chosen on other splits "
            "than the ones it is evaluated on",
            given,
        )
    if isinstance(training_table, dict) and "learning_rate" in training_table:
        check.fail(
            "training.learning_rate",
            "must be left out when [tuning] learning_rate is given (the "
            "rate is chosen per task and activation from that grid)",
            training_table["learning_rate"],
        )
    return Tuning(learning_rate=tuple(values), seeds=tuple(given))


# ------------------------------------------------------------- the choice


def _worst(mode):
    return -math.inf if mode == "max" else math.inf


def curve(records, grid, seeds):
    """The validation curve of one (task, activation) over the grid.

    Args:
        records: the tuning trials' records of the pair (any order; others
            are ignored): ``training.learning_rate``, ``seed``, ``status``,
            ``best_val_metric``, ``metric``, ``metric_mode``.
        grid: the learning rates.
        seeds: the tuning seeds.

    Returns:
        ``(points, complete)``: one dict per learning rate with
        ``learning_rate``, ``n_seeds``, ``n_completed``, ``n_diverged``,
        ``mean_val_metric`` (over completed trials; None if none),
        ``sd_val_metric`` and ``score`` (the mean with a diverged trial
        counted as the worst value: what ``choose`` compares); ``complete``
        is True when every (rate, seed) has a completed or diverged trial.
        Test metrics are not read.
    """
    found = {}
    for record in records:
        key = (record["training"]["learning_rate"], record["seed"])
        found[key] = record
    points = []
    complete = True
    for rate in grid:
        values, n_diverged, mode = [], 0, "max"
        for seed in seeds:
            record = found.get((rate, seed))
            if record is None or record["status"] not in schema.DONE:
                complete = False
                continue
            mode = record.get("metric_mode", mode)
            value = record.get("best_val_metric")
            if record["status"] == schema.COMPLETED and value is not None:
                values.append(float(value))
            else:
                n_diverged += 1
        mean = sum(values) / len(values) if values else None
        sd = None
        if len(values) > 1:
            sd = math.sqrt(
                sum((v - mean) ** 2 for v in values) / (len(values) - 1)
            )
        scores = values + [_worst(mode)] * n_diverged
        points.append(
            {
                "learning_rate": rate,
                "n_seeds": len(seeds),
                "n_completed": len(values),
                "n_diverged": n_diverged,
                "mean_val_metric": mean,
                "sd_val_metric": sd,
                "score": sum(scores) / len(scores) if scores else None,
                "metric_mode": mode,
            }
        )
    return points, complete


def choose(points, metric_mode):
    """The chosen learning rate from a validation curve (pure).

    The best ``score`` (mean best validation metric over the tuning seeds,
    a diverged trial counting as the worst value): the largest for
    ``metric_mode="max"``, the smallest for ``"min"``; ties (equal scores,
    every rate diverging included) go to the smaller rate.

    Args:
        points: dicts with ``learning_rate`` and ``score`` (``curve``).
        metric_mode: ``"max"`` or ``"min"``.

    Returns:
        The chosen learning rate (a float).

    Raises:
        ValueError: ``points`` is empty or ``metric_mode`` is not allowed.
    """
    if metric_mode not in ("max", "min"):
        raise ValueError(
            "The value for `metric_mode` must be one of ['max', 'min'], "
            f"but {metric_mode!r} was passed."
        )
    if not points:
        raise ValueError("choose: `points` must not be empty. Received: []")
    sign = 1.0 if metric_mode == "max" else -1.0

    def key(point):
        score = point["score"]
        score = -math.inf if score is None else sign * score
        return (-score, point["learning_rate"])

    return min(points, key=key)["learning_rate"]


def decide(records, pairs, tuning):
    """Chosen rates and the ``tuning.csv`` rows of every decided pair.

    Args:
        records: tuning-trial records (any pairs).
        pairs: ``[(task label, activation label), ...]`` to decide.
        tuning: the suite's ``Tuning``.

    Returns:
        ``(chosen, rows)``: ``{(task, activation): rate}`` for each pair
        whose tuning trials have all finished (completed or diverged), and
        one row per (pair, rate) with ``schema.TUNING_COLUMNS``.
    """
    by_pair = {}
    for record in records:
        pair = (schema.task_label(record), record["activation"])
        by_pair.setdefault(pair, []).append(record)
    chosen, rows = {}, []
    for task, activation in pairs:
        mine = by_pair.get((task, activation), [])
        points, complete = curve(mine, tuning.learning_rate, tuning.seeds)
        if not complete:
            continue
        mode = points[0]["metric_mode"] if points else "max"
        rate = choose(points, mode)
        chosen[(task, activation)] = rate
        metric = mine[0].get("metric") if mine else None
        for point in points:
            rows.append(
                {
                    "task": task,
                    "activation": activation,
                    "metric": metric,
                    **point,
                    "chosen": point["learning_rate"] == rate,
                }
            )
    return chosen, rows
