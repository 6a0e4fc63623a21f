"""write_report: files, self-contained HTML, escaping, partial runs."""

import base64
import html.parser
import re
import struct

import pandas as pd
import pytest
from report_fixtures import XSS
from report_fixtures import known_run
from report_fixtures import partial_run
from report_fixtures import trial_record
from report_fixtures import write_run

from reluplug.bench.report import frames
from reluplug.bench.report import stats
from reluplug.bench.report import write_report
from reluplug.bench.report.writer import slug
from reluplug.bench.suite.config import ConfigError

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
    "div", "b", "i", "a", "code", "table", "thead", "tbody", "tr", "th",
    "td", "figure", "img", "figcaption", "details", "summary", "pre", "ul",
    "li",
}  # fmt: skip


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.imgs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


def _parse(path):
    p = _Tags()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def known_report(tmp_path_factory):
    run_dir, _ = known_run(tmp_path_factory.mktemp("known"), epochs=4)
    return run_dir, write_report(run_dir)


@pytest.fixture(scope="module")
def partial_report(tmp_path_factory):
    run_dir, info = partial_run(tmp_path_factory.mktemp("partial"))
    return run_dir, info, write_report(run_dir)


def test_writes_every_format(known_report):
    run_dir, written = known_report
    for name in ("summary.csv", "ranking.csv", "summary.md", "report.html"):
        assert written[name] == run_dir / name
        assert (run_dir / name).stat().st_size > 0
    pngs = sorted(k for k in written if k.endswith(".png"))
    svgs = sorted(k for k in written if k.endswith(".svg"))
    assert [p[:-4] for p in pngs] == [s[:-4] for s in svgs]
    # heatmap, critical difference + per task: curves, test, paired,
    # units, grad, time
    assert len(pngs) == 2 + 2 * 6
    assert "figures/acc_task-curves.png" in written
    assert "figures/critical-difference.png" in written
    assert "figures/critical-difference.svg" in written
    for key in svgs:
        assert written[key].read_text().lstrip().startswith("<?xml")
    assert not list(run_dir.rglob("*.tmp"))


def test_summary_csv_matches_summarize(known_report):
    run_dir, _ = known_report
    csv = pd.read_csv(run_dir / "summary.csv")
    assert list(csv.columns) == stats.SUMMARY_COLUMNS
    data = frames.load_run(run_dir)
    expected = stats.summarize(data.runs, data.history)
    for col in ("t_pvalue", "p_holm", "q_bh", "p_best"):
        pd.testing.assert_series_equal(
            csv[col], expected[col], check_dtype=False
        )
    assert csv["verdict"].tolist() == expected["verdict"].tolist()
    assert set(csv["verdict"].dropna()) <= set(stats.VERDICTS)
    assert csv["mean_rank"].notna().all()
    ranking = pd.read_csv(run_dir / "ranking.csv")
    assert ranking["activation"].tolist() == ["elu", "relu", "selu"]


def test_html_is_self_contained_with_embedded_figures(known_report):
    run_dir, written = known_report
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    page = _parse(run_dir / "report.html")
    assert set(page.tags) <= ALLOWED_TAGS
    assert "script" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", text)
    pngs = [k for k in written if k.endswith(".png")]
    assert len(page.imgs) == len(pngs)
    for img in page.imgs:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        png = base64.b64decode(img["src"][len(prefix) :])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = struct.unpack(">II", png[16:24])
        assert (int(img["width"]), int(img["height"])) == (w, h)
        assert w > 200 and h > 100
        name = img["data-name"]
        assert png == written[f"figures/{name}.png"].read_bytes()


def test_html_has_headline_ranking_and_task_sections(known_report):
    run_dir, _ = known_report
    text = " ".join(_parse(run_dir / "report.html").text)
    for needle in (
        "What this run shows",
        "Best set per task",
        "Overall ranking",
        "Region of practical equivalence",
        "Power",
        "Friedman",
        "acc_task",
        "mse_task",
        "All expected trials completed.",
        "Run environment",
        "3.15.1",  # keras version from the manifest
        "Linux-test",  # machine
    ):
        assert needle in text


def test_hostile_strings_are_escaped(partial_report):
    run_dir, _, _ = partial_report
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = _parse(run_dir / "report.html")
    assert "script" not in page.tags
    assert set(page.tags) <= ALLOWED_TAGS
    assert page.tags.count("b") == text.count("<b>")  # only our own
    # As text (after the parser unescapes) the label is intact.
    joined = "".join(page.text)
    assert XSS in joined
    assert "bad <b>shape</b> & worse" in joined
    assert "ValueError: <i>boom</i>" in joined
    md = (run_dir / "summary.md").read_text(encoding="utf-8")
    assert XSS not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md


def test_partial_run_reports_what_is_missing(partial_report):
    run_dir, info, written = partial_report
    assert "report.html" in written
    joined = " ".join(_parse(run_dir / "report.html").text)
    assert "Partial run" in joined
    assert "1 failed, 1 diverged" in joined
    assert "2 of 31 expected trials missing" in joined
    for trial_id in info["missing_ids"]:
        assert trial_id in joined
    assert "truncated.json" in joined
    assert "FloatingPointError: loss became nan at epoch 3" in joined
    # The missing seed is named as a (task, activation, seed) cell.
    md = (run_dir / "summary.md").read_text(encoding="utf-8")
    assert "Missing (task / activation / seed)" in md
    assert "| acc_task | &lt;script&gt;alert(1)&lt;/script&gt; | 4 |" in md
    assert "## Failed and diverged trials" in md
    s = pd.read_csv(run_dir / "summary.csv").set_index(["task", "activation"])
    assert s.loc[("acc_task", "elu"), "n_failed"] == 1
    assert s.loc[("acc_task", "elu"), "n_completed"] == 4
    assert s.loc[("acc_task", XSS), "n_diverged"] == 1
    assert s.loc[("acc_task", XSS), "n_trials"] == 4
    # Paired over seeds both completed: elu lacks 3, the label lacks 1, 4.
    assert s.loc[("acc_task", "elu"), "n_paired"] == 4
    assert s.loc[("acc_task", XSS), "n_paired"] == 3


def test_monitors_off_panels_say_so(partial_report):
    run_dir, _, written = partial_report
    joined = " ".join(_parse(run_dir / "report.html").text)
    assert "No dead fraction per layer recorded" in joined
    assert "No gradient norms recorded" in joined
    assert "figures/quiet_task-units.png" not in written
    assert "figures/acc_task-units.png" in written
    assert "figures/quiet_task-curves.png" in written


def test_init_hash_conflict_is_flagged(tmp_path):
    recs = [
        trial_record(
            task="t",
            activation=a,
            seed=s,
            init_sha256="f" * 64 if (a, s) == ("elu", 1) else None,
        )
        for a in ("relu", "elu")
        for s in range(3)
    ]
    write_report(write_run(tmp_path, recs), formats=("html", "md", "csv"))
    joined = " ".join(_parse(tmp_path / "report.html").text)
    assert "Refused to compare" in joined
    assert "elu=ffffffffffff" in joined
    md = (tmp_path / "summary.md").read_text()
    assert "**Refused to compare**" in md
    s = pd.read_csv(tmp_path / "summary.csv").set_index("activation")
    assert s.loc["elu", "n_paired"] == 2
    assert s.loc["elu", "n_init_conflicts"] == 1


def test_formats_subset_and_validation(tmp_path):
    run_dir, _ = known_run(tmp_path, epochs=3)
    written = write_report(run_dir, formats=("csv",))
    assert sorted(written) == ["ranking.csv", "summary.csv"]
    assert not (run_dir / "figures").exists()
    written = write_report(run_dir, formats=("html",))
    assert sorted(written) == ["report.html"]
    assert len(_parse(run_dir / "report.html").imgs) == 14
    with pytest.raises(ValueError, match=r"`formats`.*'pdf'"):
        write_report(run_dir, formats=("csv", "pdf"))


def test_empty_run_folder_still_reports(tmp_path):
    written = write_report(tmp_path)
    assert "report.html" in written
    joined = " ".join(_parse(tmp_path / "report.html").text)
    assert "No trial has finished yet." in joined
    assert pd.read_csv(tmp_path / "summary.csv").empty


def test_markdown_table_survives_a_pipe_in_a_label(tmp_path):
    recs = [
        trial_record(task="t", activation=a, seed=s)
        for a in ("relu", "a|b")
        for s in range(2)
    ]
    write_report(write_run(tmp_path, recs), formats=("md",))
    md = (tmp_path / "summary.md").read_text()
    assert "a\\|b" in md
    tables, current = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            current.append(len(re.split(r"(?<!\\)\|", line)))
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 3  # headline, ranking, task t
    for cells in tables:
        assert len(set(cells)) == 1, cells


@pytest.mark.parametrize(
    "text, expected",
    [("digits_mlp", "digits_mlp"), ("a/b c", None), (XSS, None)],
)
def test_slug_is_file_safe_and_unique(text, expected):
    s = slug(text)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", s)
    if expected:
        assert s == expected
    else:
        assert s != slug(text + "x")


def test_task_where_everything_failed_still_reports(tmp_path):
    err = {"type": "RuntimeError", "message": "OOM", "traceback": "tb"}
    recs = [
        # Distinct test metrics: otherwise the two are the same function
        # and elu is merged into relu.
        trial_record(task="ok", activation=a, seed=s, test_metric=m)
        for a, m in (("relu", 0.9), ("elu", 0.8))
        for s in range(2)
    ] + [
        trial_record(
            task="broken", activation=a, seed=s, status="failed", error=err
        )
        for a in ("relu", "elu")
        for s in range(2)
    ]
    write_report(write_run(tmp_path, recs))
    joined = " ".join(_parse(tmp_path / "report.html").text)
    assert "no completed trial" in joined
    assert "No paired comparison" in joined
    assert joined.count("RuntimeError: OOM") == 4
    s = pd.read_csv(tmp_path / "summary.csv").set_index(["task", "activation"])
    assert s.loc[("broken", "elu"), "n_failed"] == 2
    assert pd.isna(s.loc[("broken", "elu"), "mean"])
    assert pd.isna(s.loc[("broken", "elu"), "rank"])
    assert s.loc[("broken", "elu"), "mean_rank"] == s.loc[("ok", "elu"), "rank"]


def test_unit_figure_legend_names_every_activation_drawn():
    # Dead (relu) and inactive (elu, prelu) rows draw different activations;
    # the one figure legend must name all of them, in the given order.
    from reluplug.bench.report.writer import _unit_figure

    rows = []
    for act, quantity in [
        ("relu", "dead_fraction"),
        ("elu", "inactive_fraction"),
        ("prelu", "inactive_fraction"),
    ]:
        for seed in (0, 1):
            for epoch in (0, 1, 2):
                rows.append(
                    dict(trial_id=f"{act}{seed}", task="t", activation=act,
                         seed=seed, epoch=epoch, quantity=quantity,
                         layer="act_1", depth=1, value=0.1 * epoch)
                )  # fmt: skip
    mons = pd.DataFrame(rows)
    fig = _unit_figure(
        "t",
        "t",
        mons,
        ["dead_fraction", "inactive_fraction"],
        ["relu", "elu", "prelu"],
        lambda fig, stem, caption: fig,
        {},
    )
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "relu",
        "elu",
        "prelu",
    ]


def test_markdown_states_the_verdicts_and_the_rope(known_report):
    run_dir, _ = known_report
    md = (run_dir / "summary.md").read_text(encoding="utf-8")
    assert "## What this run shows" in md
    s = pd.read_csv(run_dir / "summary.csv").set_index(["task", "activation"])
    # Each verdict sentence names what it found, and only the adjusted
    # verdicts count: acc_task has one "worse" (selu), one undecided (elu).
    assert s.loc[("acc_task", "selu"), "verdict"] == "worse"
    line = next(ln for ln in md.splitlines() if ln.startswith("* acc_task"))
    assert "1 worse (selu" in line and "1 undecided (elu)" in line
    assert "Credible best set" in line
    assert "acc_task ±0.005" in md


def test_rope_from_the_suites_report_table(tmp_path):
    run_dir, _ = known_run(tmp_path, epochs=3)
    (run_dir / "suite.toml").write_text(
        'name = "demo"\n[report]\nrope = {accuracy = 0.05, mse = 0.5}\n'
    )
    write_report(run_dir, formats=("csv", "md"))
    s = pd.read_csv(run_dir / "summary.csv").set_index(["task", "activation"])
    assert s.loc[("acc_task", "elu"), "rope"] == 0.05
    assert s.loc[("mse_task", "elu"), "rope"] == pytest.approx(0.25)
    # elu's 90% interval now lies inside the wide ROPE on acc_task.
    assert s.loc[("acc_task", "elu"), "verdict"] == "equivalent"
    md = (run_dir / "summary.md").read_text()
    assert "'accuracy': 0.05" in md
    (run_dir / "suite.toml").write_text('name = "demo"\n[report]\nrope = -1\n')
    with pytest.raises(ConfigError, match=r"report\.rope.*-1"):
        write_report(run_dir, formats=("csv",))


def test_recommendation_is_first_and_generated(known_report):
    from reluplug.bench.report import recommend

    run_dir, _ = known_report
    expected = recommend.recommend(pd.read_csv(run_dir / "summary.csv"))
    md = (run_dir / "summary.md").read_text(encoding="utf-8")
    heads = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert heads[0] == "## Recommendation"
    page = " ".join(" ".join(_parse(run_dir / "report.html").text).split())
    assert page.index("Recommendation") < page.index("trials:")
    for r in expected.itertuples():
        assert f"* **{r.task}**: " in md
        text = r.text.replace("`", "\\`")
        assert text in md
        assert f"{r.task} : {r.text}" in page or f"{r.task}: {r.text}" in page
    assert len(expected) == 2


def test_three_seeds_one_task_wording_and_figures(tmp_path):
    # Below 5 seeds the intervals are the seeds' [min, max]: every word that
    # names the method says so. One task: no one-row rank heatmap.
    recs = [
        trial_record(task="t", activation=a, seed=s, test_metric=0.9 + d * s)
        for a, d in (("relu", 0.01), ("elu", 0.02))
        for s in range(3)
    ]
    written = write_report(write_run(tmp_path, recs), formats=("md", "png"))
    assert "figures/rank-heatmap.png" not in written
    assert "figures/t-test.png" in written
    md = (tmp_path / "summary.md").read_text()
    assert "bootstrap" not in md
    assert "[min, max] of the seeds" in md
    assert "| test metric [min, max] |" in md
