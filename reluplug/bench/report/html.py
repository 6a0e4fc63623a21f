"""The self-contained `report.html`: no script, no external resource.

Figures are embedded as base64 PNG. Every string that comes from the run
folder (suite name, task and activation labels, parameters, error text,
versions) goes through `html.escape` on its way into the page.
"""

import base64
import dataclasses
import html
import json

import pandas as pd

from reluplug.bench.report import tables

# Defence in depth: even an unescaped string could not run a script or load
# anything from outside the page.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto;
  max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc;
  margin-top: 2em; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left;
  vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
.box { border-left: 5px solid; padding: .4em 1em; margin: 1em 0; }
.error { border-color: #c0392b; background: #fdecea; }
.warn { border-color: #e67e22; background: #fff4e5; }
.ok { border-color: #27ae60; background: #eafaf1; }
.note { color: #666; font-style: italic; }
figure { display: inline-block; margin: .5em 1em .5em 0;
  vertical-align: top; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; font-size: 12px; background: #f6f6f6;
  padding: .5em; }
code { background: #f3f3f3; padding: 0 3px; }
"""


@dataclasses.dataclass
class FigureOut:
    """One rendered figure.

    Attributes:
        name: File stem under `figures/`.
        caption: Text under the figure (plain text; escaped on output).
        png: PNG bytes.
        width: Pixel width of the PNG.
        height: Pixel height of the PNG.
    """

    name: str
    caption: str
    png: bytes
    width: int
    height: int


def esc(x):
    """HTML-escapes `str(x)`, quotes included."""
    return html.escape("" if x is None else str(x), quote=True)


def table(df, *, cls=None):
    """A DataFrame of strings as an escaped `<table>`."""
    if df is None or not len(df):
        return '<p class="note">(none)</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    attr = f' class="{esc(cls)}"' if cls else ""
    return (
        f"<table{attr}><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def figure(fig):
    """An `<img>` with the PNG as a data URI, in a `<figure>`."""
    data = base64.b64encode(fig.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" '
        f'width="{fig.width}" height="{fig.height}" alt="{esc(fig.caption)}"'
        f' data-name="{esc(fig.name)}">'
        f"<figcaption>{esc(fig.caption)}</figcaption></figure>"
    )


def _kv(mapping):
    if not mapping:
        return '<p class="note">(not recorded)</p>'
    df = pd.DataFrame(
        [
            (k, v if isinstance(v, str) else json.dumps(v))
            for k, v in mapping.items()
        ],
        columns=["key", "value"],
    )
    return table(df)


def _problems(ctx):
    data = ctx["data"]
    runs = data.runs
    out = []
    if len(data.init_conflicts):
        out.append(
            '<div class="box error"><b>Refused to compare</b>: these '
            "(task, seed) groups have different initial weights "
            "(<code>init_sha256</code>) across activations, so they are left "
            "out of every paired statistic."
            + table(data.init_conflicts.astype(str))
            + "</div>"
        )
    n_bad = int((runs["status"] != "completed").sum())
    n_miss = len(data.missing_ids) + len(data.missing_cells)
    if n_bad or n_miss or data.unreadable:
        parts = []
        if n_bad:
            counts = runs["status"].value_counts()
            parts.append(
                ", ".join(
                    f"{int(counts.get(s, 0))} {s}"
                    for s in ("failed", "diverged")
                    if counts.get(s, 0)
                )
            )
        if data.missing_ids:
            parts.append(
                f"{len(data.missing_ids)} of "
                f"{len(data.manifest.get('trial_ids') or [])} expected "
                "trials missing"
            )
        if len(data.missing_cells):
            parts.append(
                f"{len(data.missing_cells)} task/activation/seed cells "
                "without a trial"
            )
        if data.unreadable:
            parts.append(f"{len(data.unreadable)} unreadable trial files")
        out.append(
            '<div class="box warn"><b>Partial run</b>: '
            + esc("; ".join(parts))
            + '. See <a href="#problems">failed, diverged and missing '
            "trials</a>; statistics use the completed trials only.</div>"
        )
    if not out:
        out.append('<div class="box ok">All expected trials completed.</div>')
    if data.left_out:
        out.append(f'<p class="note">{esc(data.left_out_note)}</p>')
    return "".join(out)


def _task_section(task, ctx):
    s = ctx["summary"]
    runs = ctx["data"].runs
    g = runs[runs["task"] == task]
    params = sorted(set(g["task_params"].dropna()))
    metric = g["metric"].dropna()
    mode = g["metric_mode"].dropna()
    parts = [f'<h3 id="task-{esc(ctx["slugs"][task])}">{esc(task)}</h3>']
    parts.append(
        "<p>metric: <code>"
        + esc(metric.iloc[0] if len(metric) else "?")
        + "</code> ("
        + esc(mode.iloc[0] if len(mode) else "?")
        + " is better); task parameters: "
        + ", ".join(f"<code>{esc(p)}</code>" for p in params)
        + "</p>"
    )
    parts.append(table(tables.summary_table(s[s["task"] == task])))
    for fig in ctx["figures"].get(task, []):
        parts.append(figure(fig))
    for note in ctx["notes"].get(task, []):
        parts.append(f'<p class="note">{esc(note)}</p>')
    return "".join(parts)


def _failed_section(ctx):
    runs = ctx["data"].runs
    bad = runs[runs["status"] != "completed"]
    parts = [table(tables.problem_trials_table(runs))]
    tbs = bad.dropna(subset=["error_traceback"])
    for _, r in tbs.iterrows():
        parts.append(
            "<details><summary>traceback: "
            + esc(f"{r['task']} / {r['activation']} / seed {r['seed']:.0f}")
            + "</summary><pre>"
            + esc(r["error_traceback"])
            + "</pre></details>"
        )
    return "".join(parts)


def _missing_section(ctx):
    data = ctx["data"]
    parts = []
    if data.missing_ids:
        parts.append(
            "<p>The manifest expects "
            f"{len(data.manifest.get('trial_ids') or [])} trials; "
            f"{len(data.missing_ids)} have no trial file yet (not run, or "
            "still running):</p><p>"
            + ", ".join(f"<code>{esc(i)}</code>" for i in data.missing_ids)
            + "</p>"
        )
    if len(data.missing_cells):
        cells = data.missing_cells.copy()
        cells["seed"] = [f"{x:.0f}" for x in cells["seed"]]
        parts.append(
            "<p>Task / activation / seed combinations with no trial "
            "(from the grid of trials present):</p>" + table(cells)
        )
    if data.unreadable:
        parts.append(
            "<p>Unreadable files (skipped):</p>"
            + table(pd.DataFrame(data.unreadable, columns=["file", "reason"]))
        )
    if data.left_out:
        parts.append(
            f"<p>{esc(data.left_out_note)}</p><p>"
            + ", ".join(f"<code>{esc(i)}</code>" for i in data.left_out)
            + "</p>"
        )
    if len(data.duplicates):
        parts.append(
            "<p>Older duplicates of a (task, activation, seed), ignored:</p>"
            + table(
                data.duplicates[
                    ["trial_id", "task", "activation", "seed", "utc_time"]
                ].astype(str)
            )
        )
    return "".join(parts) or '<p class="note">Nothing is missing.</p>'


def _environment(ctx):
    data = ctx["data"]
    m = data.manifest
    runs = data.runs
    info = {
        "suite": m.get("suite") or ", ".join(runs["suite"].dropna().unique()),
        "suite_sha256": m.get("suite_sha256"),
        "created_utc": m.get("created_utc"),
        "updated_utc": m.get("updated_utc"),
        "reluplug_version": m.get("reluplug_version"),
        "run folder": str(data.run_dir),
    }
    parts = ["<h3>Suite</h3>", _kv({k: v for k, v in info.items() if v})]
    parts += ["<h3>Versions</h3>", _kv(ctx["versions"])]
    parts += ["<h3>Machine</h3>", _kv(ctx["machine"])]
    if ctx["heterogeneous"]:
        parts.append(
            '<div class="box warn">Trials ran on more than one machine or '
            "software version: "
            + esc("; ".join(ctx["heterogeneous"]))
            + ". Timings are not comparable across them.</div>"
        )
    return "".join(parts)


DEFINITIONS = """
<ul>
<li>Test metric: of the weights at the epoch chosen on the validation metric
(never on test data). Its interval is a 95% bootstrap percentile interval of
the mean over seeds (seeded; [min, max] below 5 seeds), so it never leaves
the metric's range. Near best: seeds within 0.05 (accuracy; 50% relative
otherwise) of the task's best trial, with a Clopper-Pearson interval; it
shows bimodal outcomes that a mean hides.</li>
<li>vs baseline: paired over the seeds both completed (same initial weights);
difference = activation &minus; baseline in metric units, so for a
<i>min</i> metric a negative difference is better; 95% t-interval. Tasks
whose seeds re-split one fixed data set use the Nadeau-Bengio corrected
variance s&sup2;(1/n + n_test/n_train). p (t): two-sided paired t-test
(corrected likewise); when all differences are equal it is undefined and
the exact sign-flip permutation p-value takes its place. p Holm: Holm
within the task; q BH: Benjamini-Hochberg over the whole run. p (sign-flip):
exact permutation test of the mean difference. p (Wilcoxon): signed-rank
test, only with at least 6 non-zero differences (n&ne;0). g_z: Hedges'
bias-corrected standardized mean difference with a noncentral-t 95%
interval. W/T/L: seeds where the activation is better / tied (within the
metric's resolution, half of 1/n_test for accuracy) / worse.</li>
<li>Verdict: <i>equivalent</i> when the 90% interval of the difference
lies inside the ROPE (two one-sided tests); otherwise <i>better</i> or
<i>worse</i> when p Holm &lt; 0.05 and the 95% interval is on that side of
zero; otherwise <i>undecided</i>: the seeds cannot tell.</li>
<li>Rank: within each (task, seed) by test metric, ties within the
resolution shared, diverged and failed trials last; a task ranks activations
by their mean seed rank. P(best): bootstrap over seeds of having the best
mean seed rank. Best set: the top activation and those a paired t-test on
seed ranks (Holm over the comparisons with the top) cannot separate from
it. Mean rank: over tasks; the critical-difference diagram joins
activations the Nemenyi test (after a Friedman test) cannot separate.</li>
<li>To baseline's best val: Kaplan-Meier median epochs (and training
seconds) until the activation's validation metric reaches the baseline's
best validation metric of the same seed; trials that never reach it are
censored at the epochs they ran.</li>
<li>Power: the smallest difference a paired t-test detects with 80%
power at alpha = 0.05 with these seeds, from the pooled spread of the
paired differences; <code>reluplug-bench plan</code> says how many seeds a
given difference needs.</li>
<li>Same function: pairs of activations whose training and validation
losses agree (relative 1e-3) and test metrics tie in every trial, e.g.
ELU and CELU(1).</li>
<li>epoch time &times;: mean seconds per epoch (epoch 1, which includes graph
tracing, left out) relative to the baseline. dead / inactive: fraction of
units at the last epoch, mean over seeds.</li>
</ul>
"""


def render(ctx):
    """The whole page as one string.

    Args:
        ctx: Dict built by `writer.write_report`: `data` (`frames.RunData`),
            `summary`, `ranking`, `headline`, `figures` (`{"overall" or task:
            [FigureOut]}`), `notes` (`{task: [str]}`), `slugs`, `versions`,
            `machine`, `heterogeneous`, `title`.

    Returns:
        The HTML document.
    """
    data = ctx["data"]
    runs = data.runs
    counts = runs["status"].value_counts()
    tasks = sorted(runs["task"].dropna().unique())
    nav = " · ".join(
        f'<a href="#task-{esc(ctx["slugs"][t])}">{esc(t)}</a>' for t in tasks
    )
    status = ", ".join(
        f"{int(counts.get(s, 0))} {s}" for s in ("completed", "diverged")
    )
    status += f", {int(counts.get('failed', 0))} failed"
    status += f", {len(data.missing_ids)} missing"
    from reluplug.bench.report import markdown

    findings = "".join(f"<li>{esc(t)}</li>" for t in ctx["findings"])
    rope = markdown.rope_sentence(ctx)
    body = [
        f"<h1>{esc(ctx['title'])}</h1>",
        f"<p>{len(runs)} trials: {esc(status)}. Tasks: {nav or '(none)'}</p>",
        _problems(ctx),
        "<h2>Headline</h2>",
        "<h3>What this run shows</h3>",
        f"<ul>{findings}</ul>" if findings else '<p class="note">-</p>',
        f"<p>{esc(rope)}</p>",
        "<h3>Best set per task</h3>",
        table(tables.headline_table(ctx["headline"])),
        "<h3>Overall ranking</h3>",
        table(tables.ranking_table(ctx["ranking"])),
        "<h3>Power</h3>",
        table(tables.power_table(ctx["summary"])),
    ]
    if len(ctx["identical"]):
        body += [
            "<h3>Same function</h3>",
            table(tables.identical_table(ctx["identical"])),
        ]
    body += [figure(f) for f in ctx["figures"].get("overall", [])]
    body += [
        f'<p class="note">{esc(n)}</p>' for n in ctx["notes"].get("overall", [])
    ]
    body.append("<h2>Tasks</h2>")
    if not tasks:
        body.append('<p class="note">No trial has finished yet.</p>')
    body += [_task_section(t, ctx) for t in tasks]
    body += [
        '<h2 id="problems">Failed and diverged trials</h2>',
        _failed_section(ctx),
        "<h2>Missing trials</h2>",
        _missing_section(ctx),
        "<h2>Run environment</h2>",
        _environment(ctx),
        "<h2>Definitions</h2>",
        DEFINITIONS,
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{esc(ctx['title'])}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
