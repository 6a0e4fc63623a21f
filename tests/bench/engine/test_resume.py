"""Resume after a suite edit: finished trials are kept by what they train.

Must hold (issue 8): editing a finished suite (add a seed, add an
activation, remove a task) and running again trains only the new trials,
and the tables equal those of a fresh run of the edited suite (timings
aside).
"""

import json
import os

import pandas as pd
import pytest
from runner_fixtures import tiny_with
from runner_fixtures import write_suite

from reluplug.bench import run_suite
from reluplug.bench.report import frames
from reluplug.bench.report import write_report
from reluplug.bench.suite import config

NARROW = """
[[tasks]]
name = "spirals"
label = "spirals_narrow"
params = {n_samples = 120, hidden = 4, layers = 2}
"""
# The tiny suite with a second, narrower spirals task.
BEFORE = tiny_with(
    ('name = "tiny"', 'name = "edit-me"'),
    ("layers = 2}\n", "layers = 2}\n" + NARROW),
)
# Edited: one task removed, a seed and an activation added; the suite and
# the leaky activation renamed, and the baseline moved (names only).
AFTER = tiny_with(
    ('name = "edit-me"', 'name = "edited"'),
    ("seeds = [0, 1]", "seeds = [0, 1, 2]"),
    ('baseline = "relu"', 'baseline = "leaky"'),
    (NARROW, ""),
    ('label = "lrelu"\n', 'label = "leaky"\n\n[[activations]]\nname = "elu"\n'),
    text=BEFORE,
)

# Module fixtures train a few suites (about a minute): the slow tier.
pytestmark = pytest.mark.slow


def _timing(column):
    """Columns that hold wall-clock times (or ratios of them)."""
    return column.endswith("_s") or "time" in column or "second" in column


def _table(folder, name):
    df = pd.read_csv(os.path.join(folder, name))
    return df.drop(columns=[c for c in df.columns if _timing(c)])


def _trials(folder):
    out = {}
    for name in os.listdir(os.path.join(folder, "trials")):
        with open(os.path.join(folder, "trials", name)) as f:
            out[name[:-5]] = json.load(f)
    return out


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    before = config.load(write_suite(str(root), BEFORE, "before.toml"))
    after = config.load(write_suite(str(root), AFTER, "after.toml"))
    out, fresh = str(root / "out"), str(root / "fresh")
    first = run_suite(before, out)
    old = _trials(out)
    again = run_suite(after, out)
    write_report(out, formats=("csv", "md"))
    run_suite(after, fresh)
    write_report(fresh, formats=("csv", "md"))
    return before, after, out, fresh, first, again, old


def test_only_the_new_trials_are_trained(edited):
    before, after, out, _, first, again, old = edited
    assert first.counts == {"completed": 8} and not first.resumed
    kept = {s.trial_id for s in before.expand()} & {
        s.trial_id for s in after.expand()
    }
    assert len(kept) == 4  # spirals x {relu, leaky} x seeds {0, 1}
    assert again.n_run == 5 and again.counts == {"completed": 5}
    assert (again.n_kept, again.n_added, again.n_left_out) == (4, 5, 4)
    assert again.resume_line == (
        f"Resumed {out}: kept 4 finished trials, 5 added by the suite, 4 "
        "left out (no longer in the suite; their files stay in trials/, "
        "out of the tables)."
    )
    now = _trials(out)
    assert set(now) == set(old) | {s.trial_id for s in after.expand()}
    for trial_id in kept:  # not retrained: same results, same time stamp
        for key in ("utc_time", "test_metric", "history", "init_sha256"):
            assert now[trial_id][key] == old[trial_id][key]
        # ... but named as the edited suite names it.
        assert now[trial_id]["suite"] == "edited"
        if now[trial_id]["activation_name"] == "leaky_relu":
            assert now[trial_id]["activation"] == "leaky"
            assert now[trial_id]["is_baseline"] is True
    again_ = run_suite(after, out)
    assert again_.n_run == 0 and again_.n_kept == 9


@pytest.mark.parametrize(
    "name", ["runs.csv", "history.csv", "monitors.csv", "summary.csv"]
)
def test_tables_equal_a_fresh_run_of_the_edited_suite(edited, name):
    _, _, out, fresh, _, _, _ = edited
    a, b = _table(out, name), _table(fresh, name)
    if name == "runs.csv":
        assert len(a) == 9
    pd.testing.assert_frame_equal(a, b)


def test_ranking_equals_a_fresh_run(edited):
    _, _, out, fresh, _, _, _ = edited
    pd.testing.assert_frame_equal(
        _table(out, "ranking.csv"), _table(fresh, "ranking.csv")
    )


def test_left_out_trials_stay_on_disk_and_are_named(edited):
    before, after, out, fresh, _, _, _ = edited
    gone = {s.trial_id for s in before.expand()} - {
        s.trial_id for s in after.expand()
    }
    data = frames.load_run(out)
    assert sorted(data.left_out) == sorted(gone) and len(gone) == 4
    assert set(data.runs["task"]) == {"spirals"}
    assert data.left_out_note.startswith("4 trial file(s) in trials/")
    assert data.left_out_note in (open(os.path.join(out, "summary.md")).read())
    assert frames.load_run(fresh).left_out == []
    assert (
        "earlier version" not in open(os.path.join(fresh, "summary.md")).read()
    )
