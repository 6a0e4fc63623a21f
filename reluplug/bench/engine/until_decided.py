"""Run until decided: add seeds in batches to the undecided comparisons.

``run_until_decided`` runs a suite's seeds (the first look), asks the
report's group-sequential rule (``report.stats.sequential.decided``) which
comparisons with the baseline are still undecided, and runs the next batch
of seeds only for those activations (and the baseline), until each is
better, worse or equivalent, or ``max_seeds`` is reached. The looks are
written to ``until_decided.json`` in the run folder, so the report applies
the same sequential boundaries (it reads the file with ``json``; the
engine reads the run folder with pandas through ``report.frames``, which
imports no Keras).
"""

import glob
import json
import os

from reluplug.bench.engine.run import Selection
from reluplug.bench.engine.run import run_suite
from reluplug.bench.store import atomic_write
from reluplug.bench.suite import config

FILE = "until_decided.json"


def _with_seeds(suite, seeds):
    """The suite with ``seeds`` (validated again, written from its
    mapping)."""
    data = config._plain(dict(suite.mapping))
    if not data:
        raise config.ConfigError(
            f"{suite.path or suite.name}: run until decided needs the "
            "suite's mapping to add seeds; load it with config.load or "
            "config.from_mapping."
        )
    data["seeds"] = list(seeds)
    return config.from_mapping(data, suite.path or suite.name, path=suite.path)


def _check(name, value, low):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise config.ConfigError(
            f"`{name}` must be an integer >= {low}. Received: {name}={value!r}"
        )


def run_until_decided(
    suite,
    out,
    *,
    max_seeds=None,
    batch=None,
    selection=None,
    alpha=None,
    **kwargs,
):
    """Runs ``suite``, then adds seeds to undecided comparisons.

    Args:
        suite: a ``config.Suite``; its seeds are the first look.
        out: run folder (resumed like ``run_suite``).
        max_seeds: cap on seeds per comparison (default: 4 x the suite's).
        batch: seeds added per look (default: the suite's number of seeds).
        selection: a ``Selection`` applied to every look (its ``seeds`` must
            be empty: the looks choose the seeds).
        alpha: family-wise level within a task (default
            ``stats.ALPHA``).
        **kwargs: passed to ``run_suite`` (executor, workers, reporter...).

    Returns:
        ``(summaries, decisions)``: the ``RunSummary`` of each look and
        the last ``decided`` table.

    Raises:
        ConfigError: bad ``max_seeds``/``batch`` (before any training).
    """
    from reluplug.bench.report import frames
    from reluplug.bench.report import stats
    from reluplug.bench.report.stats import sequential

    alpha = stats.ALPHA if alpha is None else alpha
    start = len(suite.seeds)
    max_seeds = 4 * start if max_seeds is None else max_seeds
    batch = start if batch is None else batch
    _check("max_seeds", max_seeds, max(start, 2))
    _check("batch", batch, 1)
    selection = selection or Selection()
    if selection.seeds:
        raise config.ConfigError(
            "run until decided chooses the seeds; `seeds` must be empty. "
            f"Received: seeds={list(selection.seeds)}"
        )
    looks = sequential.look_schedule(start, batch, max_seeds)
    first = max(suite.seeds) + 1
    seeds = list(suite.seeds) + list(range(first, first + max_seeds - start))
    rope = dict(suite.report.rope) or None
    summaries, decisions, open_pairs = [], None, None
    for k, n in enumerate(looks):
        look_suite = _with_seeds(suite, seeds[:n])
        sel = selection
        if open_pairs is not None:
            new = seeds[looks[k - 1] : n]
            patterns = [
                glob.escape(f"{task}/{act}/{seed}")
                for task, acts in open_pairs.items()
                for act in acts
                for seed in new
            ]
            sel = Selection(
                tasks=selection.tasks,
                activations=selection.activations,
                patterns=tuple(patterns),
                max_trials=selection.max_trials,
            )
        summaries.append(run_suite(look_suite, out, selection=sel, **kwargs))
        kwargs["overwrite"] = False  # later looks resume the first
        _write(out, looks[: k + 1], max_seeds, alpha, seeds[:n])
        data = frames.load_run(out)
        decisions = sequential.decided(
            data.runs,
            looks=looks[: k + 1],
            max_seeds=max_seeds,
            rope=rope,
            alpha=alpha,
            identical=stats.identical_functions(data.runs, data.history),
        )
        undecided = decisions[decisions["decision"] == "undecided"]
        if not len(undecided):
            break
        open_pairs = {}
        for (task, base), g in undecided.groupby(["task", "baseline"]):
            open_pairs[task] = [*g["activation"], base]
    return summaries, decisions


def _write(out, looks, max_seeds, alpha, seeds):
    atomic_write(
        os.path.join(out, FILE),
        json.dumps(
            {
                "looks": list(looks),
                "max_seeds": int(max_seeds),
                "alpha": float(alpha),
                "seeds": list(seeds),
            },
            indent=1,
        ),
    )
