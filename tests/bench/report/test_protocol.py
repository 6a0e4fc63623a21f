"""The report's protocol tables on constructed runs frames."""

import pandas as pd
import pytest

from reluplug.bench.report import protocol


def _runs(rows):
    columns = ["task", "activation", "seed", "status", "best_epoch"]
    columns += ["epochs_run", "init", "learning_rate"]
    return pd.DataFrame(rows, columns=columns)


def test_last_epoch_peaks_counts_best_equal_last():
    runs = _runs(
        [
            ("a", "relu", 0, "completed", 20, 20, "he_normal", 1e-3),
            ("a", "relu", 1, "completed", 12, 17, "he_normal", 1e-3),
            ("a", "relu", 2, "diverged", None, 3, "he_normal", 1e-3),
            ("a", "tanh", 0, "completed", 20, 20, "glorot_normal", 3e-3),
            ("a", "tanh", 1, "completed", 19, 20, "glorot_normal", 3e-3),
        ]
    )
    peaks = protocol.last_epoch_peaks(runs).set_index("activation")
    assert peaks.loc["relu", "n_trials"] == 2  # the diverged one left out
    assert peaks.loc["relu", "n_last_epoch"] == 1
    assert peaks.loc["tanh", "n_last_epoch"] == 1
    assert peaks.loc["tanh", "fraction"] == pytest.approx(0.5)
    assert peaks["n_last_epoch"].sum() == 2


def test_protocol_table_states_scheme_rate_and_tuning(tmp_path):
    runs = _runs(
        [
            ("a", "relu", 0, "completed", 5, 9, "he_normal", 3e-3),
            ("a", "relu", 1, "completed", 5, 9, "he_normal", 3e-3),
            ("a", "selu", 0, "completed", 5, 9, "lecun_normal", 1e-3),
            ("b", "relu", 0, "completed", 5, 9, None, 1e-3),
        ]
    )
    (tmp_path / "tuning.csv").write_text(
        "task,activation,learning_rate,chosen\n"
        "a,relu,0.001,False\na,relu,0.003,True\n"
        "a,selu,0.001,True\na,selu,0.003,False\n"
    )
    tuning = protocol.read_tuning(tmp_path)
    table = protocol.protocol_table(runs, tuning)
    table = table.set_index(["task", "activation"])
    assert table.loc[("a", "relu"), "init"] == "he_normal"
    assert "He et al. 2015" in table.loc[("a", "relu"), "init_reference"]
    assert "Klambauer" in table.loc[("a", "selu"), "init_reference"]
    assert table.loc[("a", "relu"), "learning_rate"] == 3e-3
    assert bool(table.loc[("a", "relu"), "tuned"])
    assert table.loc[("b", "relu"), "init"] == "same"  # an older record
    assert not bool(table.loc[("b", "relu"), "tuned"])
    assert protocol.read_tuning(tmp_path / "nothing").empty


def test_protocol_view_pivots_rates_by_task_and_counts_peaks(tmp_path):
    runs = _runs(
        [
            ("a", "relu", 0, "completed", 9, 9, "he_normal", 3e-3),
            ("a", "selu", 0, "completed", 5, 9, "lecun_normal", 1e-3),
            ("b", "relu", 0, "completed", 5, 9, "he_normal", 1e-2),
            ("b", "selu", 0, "completed", 5, 9, "lecun_normal", 1e-2),
        ]
    )
    (tmp_path / "tuning.csv").write_text(
        "task,activation,learning_rate,chosen\na,relu,0.003,True\n"
    )
    table, references, peaks = protocol.protocol_view(
        runs, protocol.read_tuning(tmp_path)
    )
    assert list(table.columns) == ["activation", "init", "a", "b"]
    rows = table.set_index("activation")
    assert rows.loc["relu", "a"] == "0.003*"  # tuned
    assert rows.loc["relu", "b"] == "0.01"  # fixed by the suite
    assert rows.loc["selu", "init"] == "lecun_normal"
    assert len(references) == 2 and "Klambauer" in " ".join(references)
    assert peaks.startswith("1 of 4 completed trials")
    old = runs.assign(init=None)  # records from before the protocol
    assert protocol.protocol_view(old)[0] is None
