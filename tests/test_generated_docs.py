"""The README's and docs' statements about the committed runs are generated.

Every block between ``<!-- reluplug:KIND -->`` markers must equal what
``reluplug.bench.report.generated`` writes from the committed verdict
tables (``reports/reference/summary.csv``, ``reports/evidence/
verdicts.csv``); outside the blocks, no sentence compares two activations
(such a sentence would not be checked against the verdicts).
"""

import os
import re

import pandas as pd
import pytest

from reluplug import registry as activations
from reluplug.bench.report import generated

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = {
    "README.md": {"reference", "evidence"},
    "docs/statistics.md": {"reference", "reference-table"},
    "docs/evidence.md": {"evidence"},
}
COMPARATIVE = re.compile(
    r"\b(better|worse|beats?|outperform\w*|faster|slower|superior|"
    r"more accurate|less accurate)\b",
    re.I,
)


def _read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name", sorted(FILES))
def test_generated_blocks_match_the_committed_verdicts(name):
    text = _read(name)
    assert {kind for kind, _ in generated.blocks(text)} == FILES[name]
    assert generated.render(os.path.join(ROOT, name), text) == text, (
        f"{name}: run `python -m reluplug.bench.report.generated {name}`"
    )


def _names():
    names = set()
    for name in activations.available():
        names.add(name.lower())
    names -= {"linear", "exponential"}  # ordinary words in the docs
    return names | {"relu", "sigmoid", "tanh", "softmax", "step", "heaviside"}


def _sentences(text):
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks
    text = re.sub(r"`[^`]*`", " ", text)  # inline code: names, flags
    text = re.sub(r"P\((better|worse)[^)]*\)", " ", text)  # probabilities
    return re.split(r"(?<=[.!?:])\s+|\n\s*\n|\n[*|#]", text)


@pytest.mark.parametrize("name", sorted(FILES))
def test_no_hand_written_comparison_of_activations(name):
    names = _names()
    pattern = re.compile(
        r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b", re.I
    )
    flagged = [
        s.strip()
        for s in _sentences(generated.outside(_read(name)))
        if COMPARATIVE.search(s) and pattern.search(s)
    ]
    assert flagged == [], flagged


def test_counts_against_an_independent_count(tmp_path):
    """The decided share comes from the verdict column, baseline rows out."""
    rows = [
        ("t", "relu", True, None),
        ("t", "a", False, "better"),
        ("t", "b", False, "undecided"),
        ("u", "relu", True, None),
        ("u", "a", False, "equivalent"),
        ("u", "b", False, "worse"),
    ]
    summary = pd.DataFrame(
        rows, columns=["task", "activation", "is_baseline", "verdict"]
    )
    assert generated.comparisons(summary) == {
        "better": 1,
        "worse": 1,
        "equivalent": 1,
        "undecided": 1,
        "total": 4,
        "decided": 3,
    }


def test_a_stale_block_is_found_and_rewritten(tmp_path):
    folder = tmp_path / "reports" / "evidence"
    folder.mkdir(parents=True)
    pd.DataFrame(
        [(1, "Derivatives", "holds", "s", "max | slope = 0.25", "r")],
        columns=["claim", "title", "verdict", "statement", "reason", "rule"],
    ).to_csv(folder / "verdicts.csv", index=False)
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n<!-- reluplug:evidence -->\nSTALE\n"
        "<!-- /reluplug:evidence -->\n"
    )
    assert generated.main(["--check", str(page)]) == 1
    assert generated.main([str(page)]) == 0
    text = page.read_text()
    assert "| 1 Derivatives | holds | max \\| slope = 0.25 |" in text
    assert "STALE" not in text
    assert generated.main(["--check", str(page)]) == 0
