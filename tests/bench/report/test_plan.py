"""`reluplug-bench plan`: seeds needed per task, from a finished run."""

import numpy as np
import pytest
from report_fixtures import KNOWN
from report_fixtures import known_run
from statsmodels.stats.power import TTestPower

from reluplug.bench import cli
from reluplug.bench.report import frames
from reluplug.bench.report import stats


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    run_dir, _ = known_run(tmp_path_factory.mktemp("pilot"), monitors=False)
    (run_dir / "suite.toml").write_text(
        'name = "demo"\nseeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n'
        "[report]\nrope = 0.005\n"
    )
    return run_dir


def _sd(task, act):
    d = np.array(KNOWN[(task, act)]) - np.array(KNOWN[(task, "relu")])
    return d.std(ddof=1)


def test_plan_uses_the_median_spread_and_statsmodels_power(pilot):
    data = frames.load_run(pilot)
    s = stats.summarize(data.runs, data.history)
    table = stats.plan(s, effect=0.01, n_seeds=10).set_index("task")
    sd = np.median([_sd("acc_task", "elu"), _sd("acc_task", "selu")])
    row = table.loc["acc_task"]
    assert row["sd_diff"] == pytest.approx(sd)
    assert row["effect"] == 0.01
    n = row["seeds_needed"]
    power = TTestPower()
    assert power.power(0.01 / sd, n, 0.05) >= 0.8
    assert power.power(0.01 / sd, n - 1, 0.05) < 0.8
    # mse: the effect is relative to the baseline's mean (0.5).
    assert table.loc["mse_task", "effect"] == pytest.approx(0.005)
    mde = power.solve_power(nobs=10, alpha=0.05, power=0.8) * sd
    assert row["mde"] == pytest.approx(mde)


def test_plan_command_prints_seeds_per_task(pilot, capsys):
    assert cli.main(["plan", str(pilot), "--effect", "0.01"]) == 0
    out = capsys.readouterr().out
    data = frames.load_run(pilot)
    s = stats.summarize(data.runs, data.history)
    table = stats.plan(s, effect=0.01, n_seeds=10).set_index("task")
    line = next(ln for ln in out.splitlines() if ln.startswith("acc_task"))
    assert str(table.loc["acc_task", "seeds_needed"]) in line.split()
    assert "detectable with 10" in out


def test_plan_needs_a_run_and_a_valid_effect(tmp_path, capsys):
    assert cli.main(["plan", "quick"]) == cli.EXIT_CONFIG
    assert "pilot" in capsys.readouterr().out
    assert cli.main(["plan", str(tmp_path), "--effect", "-1"]) == 2
    assert "--effect" in capsys.readouterr().out
    assert cli.main(["plan", "quick", "--run", str(tmp_path)]) == 2
    assert "--run" in capsys.readouterr().out
