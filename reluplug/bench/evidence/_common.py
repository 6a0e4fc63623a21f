"""What every claim module shares: verdict words and how checks combine.

A claim module (``derivatives``, ``idempotence``, ...) defines:

* ``NUMBER``, ``TITLE`` and ``CLAIM`` (the claim in one sentence);
* ``RULE``: the verdict rule in words, shown next to the verdict;
* ``verdict(tables) -> Verdict``: the rule in code, on the claim's tables
  (pandas DataFrames, the same ones written as CSV);
* ``plot(tables, fig)``: draws the claim's figure on a Matplotlib figure;
* ``measure(...)``: builds the tables (from an analysis or a run folder).

``verdict`` and ``plot`` never import Keras, so a report can be rebuilt
from the CSV files with pandas alone.
"""

import dataclasses
from pathlib import Path

HOLDS = "holds"
FAILS = "fails"
MIXED = "mixed"
WORDS = (HOLDS, FAILS, MIXED)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A computed verdict.

    Attributes:
        word: ``"holds"``, ``"fails"`` or ``"mixed"``.
        checks: check name -> bool, the parts the word is computed from.
        reason: one or two sentences with the numbers behind the word.
    """

    word: str
    checks: dict
    reason: str


def combine(checks, reason):
    """``holds`` if every check passed, ``fails`` if none did, else
    ``mixed``.

    Args:
        checks: check name -> bool (at least one).
        reason: text explaining the numbers.

    Returns:
        A ``Verdict``.
    """
    if not checks:
        raise ValueError("`checks` must hold at least one check.")
    values = [bool(v) for v in checks.values()]
    if all(values):
        word = HOLDS
    elif not any(values):
        word = FAILS
    else:
        word = MIXED
    return Verdict(word, {k: bool(v) for k, v in checks.items()}, reason)


def no_data(reason):
    """The verdict when the run has no usable data for a claim: ``mixed``
    (not decided either way), with ``reason`` saying what is missing."""
    return Verdict(MIXED, {"data present": False}, reason)


def seeds(quick, n=10, quick_n=3):
    """The seeds ``0 .. n-1``, or ``0 .. quick_n-1`` for a quick run."""
    return list(range(quick_n if quick else n))


def training(
    quick, epochs, learning_rate, *, batch_size=64, init="recommended", **more
):
    """A claim's ``[training]`` table.

    Args:
        quick: a quick run (takes the first of ``epochs``).
        epochs: ``(quick, full)`` numbers of epochs.
        learning_rate: a rate or a list of rates.
        batch_size: the batch size.
        init: the ``init`` entry; None leaves it out (the suite default).
        **more: further entries (``optimizer``, ...).
    """
    table = {
        "epochs": epochs[0] if quick else epochs[1],
        "batch_size": batch_size,
        **more,
        "learning_rate": learning_rate,
    }
    if init is not None:
        table["init"] = init
    return table


def suite(
    module,
    *,
    description,
    seeds,
    training,
    tasks,
    activations,
    monitors=None,
    name=None,
    baseline="relu",
):
    """A claim's suite as a dict (``suite.config.from_mapping`` input).

    Args:
        module: the claim module (its ``NAME`` and ``NUMBER`` name the
            suite).
        description: what the suite trains, after ``claim N:``.
        seeds: list of seeds.
        training: the ``[training]`` table.
        tasks: list of ``[[tasks]]`` tables.
        activations: names, or ``(name, label)`` pairs.
        monitors: the ``[monitors]`` table, or None for no monitors.
        name: the suite's name without ``evidence-``; ``module.NAME`` by
            default.
        baseline: label of the baseline activation.
    """
    acts = [
        {"name": a} if isinstance(a, str) else {"name": a[0], "label": a[1]}
        for a in activations
    ]
    data = {
        "version": 1,
        "name": f"evidence-{name or module.NAME}",
        "description": f"claim {module.NUMBER}: {description}",
        "seeds": list(seeds),
        "baseline": baseline,
        "training": dict(training),
        "tasks": list(tasks),
        "activations": acts,
    }
    if monitors is not None:
        data["monitors"] = dict(monitors)
    return data


def claim_folder(out, module):
    """``OUT/claims/<n>-<name>``: where a claim's tables and figure live."""
    return Path(out) / "claims" / f"{module.NUMBER}-{module.NAME}"
