"""Text blocks in the README and docs, generated from committed run folders.

Every sentence of the README and docs that says what the reference run or
the evidence run found sits between two markers and is written here, from
the verdict tables (a reference folder's ``summary.csv``, an evidence
folder's ``verdicts.csv``) and the folder's ``run.json`` (the command and
the measured wall time, written by whoever ran it)::

    <!-- reluplug:reference -->
    ...generated...
    <!-- /reluplug:reference -->

    python -m reluplug.bench.report.generated README.md docs/*.md   # rewrite
    python -m reluplug.bench.report.generated --check README.md      # compare

Kinds: ``reference`` (the decided share and one recommendation line per
task), ``reference-table`` (counts per task), ``evidence`` (one row per
claim). A marker may name folders relative to the file:
``<!-- reluplug:evidence ../reports/evidence -->``; the default is
``reports/reference`` or ``reports/evidence`` under the repository root
(the folder holding the file, or its parent for files in ``docs/``).
"""

import argparse
import json
import os
import re
import sys

import pandas as pd

from reluplug.bench.report import recommend

DEFAULT = {
    "reference": "reports/reference",
    "reference-table": "reports/reference",
    "evidence": "reports/evidence",
}
_BLOCK = re.compile(
    r"(<!-- reluplug:(?P<kind>[a-z-]+)(?: (?P<folder>\S+))? -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- /reluplug:(?P=kind) -->)",
    re.S,
)
VERDICTS = ("better", "worse", "equivalent", "undecided")


def _run_info(folder):
    path = os.path.join(folder, "run.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _minutes(seconds):
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _measured(info):
    """``"took 41 min on ... (`command`)"`` from ``run.json``."""
    parts = []
    if info.get("wall_s") is not None:
        parts.append(f"took {_minutes(float(info['wall_s']))}")
        if info.get("machine"):
            parts.append(f"on {info['machine']}")
        if info.get("date"):
            parts.append(f"({info['date']})")
    text = " ".join(parts)
    if info.get("command"):
        text += f"{'; ' if text else ''}command: `{info['command']}`"
    return text


def _range(values):
    low, high = int(values.min()), int(values.max())
    return str(low) if low == high else f"{low}-{high}"


def comparisons(summary):
    """Verdict counts of the comparisons with the baseline: a dict with
    ``VERDICTS`` and ``"total"``, ``"decided"``."""
    rows = summary[~summary["is_baseline"].astype(bool)]
    counts = {v: int((rows["verdict"] == v).sum()) for v in VERDICTS}
    counts["total"] = int(rows["verdict"].notna().sum())
    counts["decided"] = counts["total"] - counts["undecided"]
    return counts


def reference(folder, link):
    """The reference block: what was run, the decided share, one
    recommendation line per task."""
    summary = pd.read_csv(os.path.join(folder, "summary.csv"))
    info = _run_info(folder)
    counts = comparisons(summary)
    n_tasks = summary["task"].nunique()
    n_acts = summary["activation"].nunique()
    seeds = summary.groupby("task")["n_paired"].max()
    lines = [
        f"The committed reference, [`{link}`]({link}/report.html): "
        f"{n_tasks} tasks × {n_acts} activations"
        + (f", {info['description']}" if info.get("description") else "")
        + f"; {_range(seeds)} seeds per comparison"
        + (f"; {_measured(info)}" if _measured(info) else "")
        + ".",
        "",
        f"**{counts['decided']} of {counts['total']} comparisons with "
        f"{summary['baseline'].dropna().iloc[0]} decided** "
        f"({counts['better']} better, {counts['worse']} worse, "
        f"{counts['equivalent']} equivalent; {counts['undecided']} "
        "undecided), Holm-adjusted within each task. One line per task, "
        "generated from the verdicts:",
        "",
    ]
    lines += [f"* {line}" for line in recommend.lines(summary)]
    return "\n".join(lines) + "\n"


def reference_table(folder, link):
    """Counts per task: seeds, verdicts against the baseline."""
    summary = pd.read_csv(os.path.join(folder, "summary.csv"))
    rows = [
        "| task | metric | seeds | better / worse / equivalent / undecided |",
        "|---|---|---|---|",
    ]
    for task, g in summary.groupby("task", sort=True):
        c = comparisons(g)
        counts = " / ".join(str(c[v]) for v in VERDICTS)
        rows.append(
            f"| {task} | {g['metric'].iloc[0]} | "
            f"{int(g['n_paired'].max())} | {counts} |"
        )
    return "\n".join(rows) + "\n"


def evidence(folder, link):
    """One row per claim: verdict and what decided it."""
    table = pd.read_csv(os.path.join(folder, "verdicts.csv"))
    info = _run_info(folder)
    lines = []
    if _measured(info):
        lines += [
            f"The committed evidence run, [`{link}`]({link}/report.html), "
            f"{_measured(info)}.",
            "",
        ]
    lines += ["| claim | verdict | what decided it |", "|---|---|---|"]
    for row in table.itertuples(index=False):
        reason = str(row.reason).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {row.claim} {row.title} | {row.verdict} | {reason} |")
    return "\n".join(lines) + "\n"


_MAKERS = {
    "reference": reference,
    "reference-table": reference_table,
    "evidence": evidence,
}


def _root(path):
    here = os.path.dirname(os.path.abspath(path))
    return os.path.dirname(here) if os.path.basename(here) == "docs" else here


def render(path, text=None):
    """The text of the file at ``path`` with every block regenerated."""
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()

    def block(match):
        kind = match["kind"]
        if kind not in _MAKERS:
            raise ValueError(
                f"{path}: unknown block kind {kind!r}; allowed: {list(_MAKERS)}"
            )
        if match["folder"]:
            folder = os.path.join(os.path.dirname(path), match["folder"])
            link = match["folder"]
        else:
            folder = os.path.join(_root(path), DEFAULT[kind])
            rel = os.path.relpath(
                folder, os.path.dirname(os.path.abspath(path))
            )
            link = rel.replace(os.sep, "/")
        body = _MAKERS[kind](folder, link)
        return match.group(1) + body + match.group(5)

    return _BLOCK.sub(block, text)


def blocks(text):
    """``[(kind, body)]`` of the blocks in ``text``."""
    return [(m["kind"], m["body"]) for m in _BLOCK.finditer(text)]


def outside(text):
    """``text`` without its generated blocks' bodies."""
    return _BLOCK.sub(lambda m: m.group(1) + m.group(5), text)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m reluplug.bench.report.generated",
        description="Regenerate the README/docs blocks from the committed "
        "reference and evidence folders.",
    )
    parser.add_argument("files", nargs="+")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a file's blocks differ from what would be written",
    )
    args = parser.parse_args(argv)
    stale = []
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new = render(path, text)
        if new == text:
            continue
        if args.check:
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            print(f"rewrote {path}")
    if stale:
        print("stale generated blocks: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
