"""Run until decided: the engine's loop adds seeds only where undecided."""

import json
import pathlib

import numpy as np
import pytest
from report_fixtures import trial_record
from runner_fixtures import TINY

from reluplug.bench.engine import until_decided
from reluplug.bench.engine.run import RunSummary
from reluplug.bench.report import frames
from reluplug.bench.report import stats
from reluplug.bench.suite import config

SUITE = TINY.replace(
    'label = "lrelu"\n',
    'label = "lrelu"\n\n[[activations]]\nname = "elu"\n',
)
# Paired differences per seed: lrelu is far better than relu from the first
# look on; elu is 0.01 +- 0.01 off, never inside a 0.005 ROPE nor clearly
# different at these few seeds.
NOISE = np.array([1, -1, 2, -2, 1.5, -1.5, 0.5, -0.5, 1, -1, 2, -2], float)


def _value(act, seed):
    base = 0.8 + 0.002 * seed
    if act == "lrelu":
        return base + 0.1 + 0.001 * NOISE[seed]
    if act == "elu":
        return base + 0.01 * NOISE[seed]
    return base


def _fake_run_suite(calls):
    def run_suite(suite, out, *, selection=None, **kwargs):
        del kwargs
        out = pathlib.Path(out)
        trials = out / "trials"
        trials.mkdir(parents=True, exist_ok=True)
        ran = []
        for spec in suite.expand():
            if selection is not None and not selection.keep(spec):
                continue
            path = trials / f"{spec.trial_id}.json"
            if path.exists():
                continue
            rec = trial_record(
                task=spec.task,
                activation=spec.activation,
                seed=spec.seed,
                test_metric=_value(spec.activation, spec.seed),
                monitors=False,
            )
            rec["trial_id"] = spec.trial_id
            path.write_text(json.dumps(rec))
            ran.append((spec.activation, spec.seed))
        ids = [p.stem for p in trials.glob("*.json")]
        (out / "manifest.json").write_text(
            json.dumps({"schema_version": 1, "trial_ids": ids})
        )
        calls.append(sorted(ran))
        return RunSummary(
            run_dir=str(out),
            n_expected=len(ids),
            n_skipped=0,
            n_run=len(ran),
            counts={"completed": len(ran)},
            elapsed_s=0.0,
            trial_wall_s=0.0,
            fit_s=0.0,
            write_s=0.0,
            timings={},
            n_rows=len(ids),
        )

    return run_suite


def test_seeds_are_added_only_to_undecided_comparisons(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(until_decided, "run_suite", _fake_run_suite(calls))
    suite = config.loads(SUITE.replace("seeds = [0, 1]", "seeds = [0, 1, 2]"))
    _, dec = until_decided.run_until_decided(
        suite, tmp_path, max_seeds=9, batch=3
    )
    dec = dec.set_index("activation")
    # Look 1 (3 seeds): everything runs.
    assert calls[0] == sorted(
        (a, s) for a in ("relu", "lrelu", "elu") for s in range(3)
    )
    assert dec.loc["lrelu", "decision"] == "better"
    assert dec.loc["lrelu", "n_paired"] < 9
    # Later looks: only elu and the baseline get seeds 3..8.
    later = [x for c in calls[1:] for x in c]
    assert {a for a, _ in later} == {"relu", "elu"}
    assert sorted({s for _, s in later}) == list(range(3, 9))
    assert dec.loc["elu", "decision"] == "undecided"
    assert dec.loc["elu", "n_paired"] == 9
    info = json.loads((tmp_path / until_decided.FILE).read_text())
    assert info["looks"] == [3, 6, 9] and info["max_seeds"] == 9
    # The report takes its verdicts from the same sequential rule.
    data = frames.load_run(tmp_path)
    assert data.sequential == info
    s = stats.summarize(data.runs, data.history, sequential=data.sequential)
    s = s.set_index("activation")
    assert set(s.loc[["lrelu", "elu"], "verdict_method"]) == {"sequential"}
    assert s.loc["lrelu", "verdict"] == "better"
    assert s.loc["lrelu", "decided_at"] == dec.loc["lrelu", "decided_at"]
    assert s.loc["elu", "verdict"] == "undecided"
    fixed = stats.summarize(data.runs, data.history).set_index("activation")
    assert fixed.loc["elu", "verdict_method"] == "fixed"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_seeds": 1}, r"max_seeds.*>= 2.*Received: max_seeds=1"),
        ({"batch": 0}, r"batch.*>= 1.*Received: batch=0"),
    ],
)
def test_bad_caps_fail_before_training(tmp_path, monkeypatch, kwargs, match):
    monkeypatch.setattr(until_decided, "run_suite", _fake_run_suite([]))
    suite = config.loads(SUITE)
    with pytest.raises(config.ConfigError, match=match):
        until_decided.run_until_decided(suite, tmp_path, **kwargs)
    assert not (tmp_path / "trials").exists()


def test_cli_until_decided(tmp_path, monkeypatch, capsys):
    from runner_fixtures import write_suite

    from reluplug.bench import cli

    calls = []
    monkeypatch.setattr(until_decided, "run_suite", _fake_run_suite(calls))
    path = write_suite(tmp_path, SUITE.replace("[0, 1]", "[0, 1, 2]"))
    out = tmp_path / "run"
    argv = ["run", path, "--out", str(out), "--no-report"]
    assert cli.main([*argv, "--max-seeds", "6"]) == cli.EXIT_CONFIG
    assert "--max-seeds and --batch need --until-decided" in (
        capsys.readouterr().out
    )
    assert not calls
    argv += ["--until-decided", "--max-seeds", "6", "--batch", "3"]
    assert cli.main(argv) == cli.EXIT_OK
    assert len(calls) == 2  # elu is still undecided at 3 seeds
    assert {a for a, _ in calls[1]} == {"relu", "elu"}


def test_compare_until_decided_knobs_need_the_flag(tmp_path):
    from reluplug.bench import compare

    with pytest.raises(ValueError, match=r"need until_decided=True.*max_s"):
        compare(
            None, None, ["relu"], seeds=[0], out=tmp_path, epochs=1, max_seeds=5
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_compare_until_decided_trains_more_seeds(tmp_path):
    from test_compare import KNOBS
    from test_compare import build
    from test_compare import digits

    from reluplug.bench import compare

    out = str(tmp_path / "run")
    result = compare(
        build,
        digits(),
        ["relu", "elu"],
        seeds=[0, 1],
        out=out,
        until_decided=True,
        max_seeds=4,
        seed_batch=2,
        **KNOBS,
    )
    info = json.loads((tmp_path / "run" / until_decided.FILE).read_text())
    assert info["looks"] == [2, 4]
    seeds = sorted(result.runs["seed"].unique())
    # Two seeds cannot decide anything: the second look ran seeds 2 and 3.
    assert seeds == [0, 1, 2, 3]
