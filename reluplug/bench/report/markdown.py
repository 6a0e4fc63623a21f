"""`summary.md`: the headline and summary tables as GitHub Markdown.

Cell text is escaped so a label cannot break the table (`|`) or inject markup
(`<`, `>`, `&`, `*`, backticks).
"""

from reluplug.bench.report import protocol
from reluplug.bench.report import recommend
from reluplug.bench.report import tables
from reluplug.bench.report import views

_ESCAPES = {
    "\\": "\\\\",
    "|": "\\|",
    "`": "\\`",
    "*": "\\*",
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
    "\n": " ",
    "\r": " ",
}


def esc(x):
    """Escapes `str(x)` for a Markdown table cell."""
    return "".join(_ESCAPES.get(c, c) for c in ("" if x is None else str(x)))


def table(df):
    """A DataFrame of strings as a pipe table."""
    if df is None or not len(df):
        return "_(none)_\n"
    head = "| " + " | ".join(esc(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = [
        "| " + " | ".join(esc(v) for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body]) + "\n"


def rope_sentence(ctx):
    """The region of practical equivalence per task, as one plain-text
    sentence (escape it for the output format)."""
    s = ctx["summary"]
    if not len(s):
        return "No comparison."
    parts = []
    for task, g in s.groupby("task", sort=True):
        parts.append(f"{task} ±{tables.fmt(g['rope'].iloc[0], '.3g')}")
    cfg = dict(ctx["options"].rope) or "defaults"
    return (
        f"Region of practical equivalence (ROPE, [report] rope = {cfg}; "
        "absolute for accuracy, relative to the baseline's mean "
        f"otherwise): {'; '.join(parts)}. Level alpha = 0.05; equivalence "
        "by two one-sided tests (90% interval inside the ROPE)."
    )


def render(ctx):
    """The Markdown document.

    Args:
        ctx: The same dict `html.render` takes.

    Returns:
        Markdown text.
    """
    data = ctx["data"]
    runs = data.runs
    counts = runs["status"].value_counts()
    lines = [f"# {esc(ctx['title'])}", ""]
    rec = recommend.recommend(ctx["summary"])
    if len(rec):
        lines += ["## Recommendation", ""]
        lines += [
            f"* **{esc(r.task)}**: {esc(r.text)}" for r in rec.itertuples()
        ]
        lines.append("")
    lines.append(
        f"{len(runs)} trials: {int(counts.get('completed', 0))} completed, "
        f"{int(counts.get('diverged', 0))} diverged, "
        f"{int(counts.get('failed', 0))} failed, "
        f"{len(data.missing_ids)} missing."
    )
    if data.left_out:
        lines += ["", data.left_out_note]
    if len(data.init_conflicts):
        lines += [
            "",
            "**Refused to compare**: these (task, seed) groups have "
            "different initial weights across activations and are left out "
            "of the paired statistics.",
            "",
            table(data.init_conflicts.astype(str)),
        ]
    if len(data.missing_cells):
        lines += [
            "",
            "Missing (task / activation / seed):",
            "",
            table(
                data.missing_cells.assign(
                    seed=[f"{x:.0f}" for x in data.missing_cells["seed"]]
                )
            ),
        ]
    lines += ["", "## What this run shows", ""]
    lines += [f"* {esc(text)}" for text in ctx["findings"]] or ["_(nothing)_"]
    lines += [
        "",
        esc(rope_sentence(ctx)),
        "",
        "## Best set per task",
        "",
        table(tables.headline_table(ctx["headline"])),
        "## Overall ranking",
        "",
        table(tables.ranking_table(ctx["ranking"])),
        "## Power",
        "",
        table(tables.power_table(ctx["summary"])),
    ]
    proto, references, peaks = protocol.protocol_view(
        runs, protocol.read_tuning(data.run_dir)
    )
    lines += ["## Protocol", ""]
    if proto is not None:
        lines += [
            "Learning rate per task (* chosen on validation data).",
            "",
            table(proto.astype(str)),
        ]
        lines += [f"* {esc(r)}" for r in references] + [""]
    lines += [esc(peaks), ""]
    if len(ctx["identical"]):
        lines += [
            "## Same function",
            "",
            table(tables.identical_table(ctx["identical"])),
        ]
    s = ctx["summary"]
    for task in sorted(s["task"].unique()):
        st = s[s["task"] == task]
        full = tables.summary_table(st).rename(
            columns={"test metric [95% CI]": views.ci_header(st)}
        )
        lines += [f"## {esc(task)}", "", table(full)]
    bad = tables.problem_trials_table(runs)
    if len(bad):
        lines += ["## Failed and diverged trials", "", table(bad)]
    lines += [
        "Test metric at the validation-chosen epoch; "
        f"{views.ci_sentence(s)}; differences are paired (activation - "
        "baseline, same initial weights) with t intervals; verdicts use "
        "Holm-adjusted p-values within each task. "
        "See report.html for figures and definitions.",
        "",
    ]
    return "\n".join(lines)
