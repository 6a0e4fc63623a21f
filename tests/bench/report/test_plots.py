"""Plot functions: assertions on the returned Axes' artists, not pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.colors import to_hex
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from report_fixtures import KNOWN  # noqa: E402
from report_fixtures import bootstrap_ci  # noqa: E402
from report_fixtures import known_run  # noqa: E402

from reluplug.bench.report import frames  # noqa: E402
from reluplug.bench.report import plots  # noqa: E402
from reluplug.bench.report import stats  # noqa: E402

ACTS = ["elu", "relu", "selu"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    run_dir, _ = known_run(tmp_path_factory.mktemp("plots"), epochs=5)
    return frames.load_run(run_dir)


@pytest.fixture
def acc(data):
    keep = lambda df: df[df["task"] == "acc_task"]  # noqa: E731
    return keep(data.runs), keep(data.history), keep(data.monitors)


@pytest.fixture(autouse=True)
def _no_file_output(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("plot functions must not save or show")

    monkeypatch.setattr(Figure, "savefig", boom)
    monkeypatch.setattr(plt, "show", boom)


def _line_for(ax, label):
    (handle,) = [
        h for h, t in zip(*ax.get_legend_handles_labels()) if t == label
    ]
    color = handle.get_color()
    return [ln for ln in ax.lines if ln.get_color() == color][0]


def test_learning_curves_mean_and_bounded_band(acc):
    _, hist, _ = acc
    fig, ax = plt.subplots()
    out = plots.plot_learning_curves(hist, hue_order=ACTS, ax=ax)
    assert out is ax
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ACTS
    assert len(ax.collections) == 3  # one CI band per activation
    g = hist[hist["activation"] == "elu"]
    expected = g.groupby("epoch")["val_metric"].mean()
    line = _line_for(ax, "elu")
    np.testing.assert_allclose(line.get_xdata(), expected.index)
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    # Band at epoch 3: the seeded bootstrap percentile interval over the
    # 5 seeds (scipy, called here on its own), inside the observed values.
    x = np.sort(g[g["epoch"] == 3]["val_metric"].to_numpy())
    lo, hi = bootstrap_ci(x, stats.N_BOOT)
    assert x.min() <= lo <= hi <= x.max()
    band = ax.collections[ACTS.index("elu")].get_paths()[0].vertices
    at3 = band[np.isclose(band[:, 0], 3.0), 1]
    np.testing.assert_allclose(sorted(at3)[0], lo, rtol=1e-9)
    np.testing.assert_allclose(sorted(at3)[-1], hi, rtol=1e-9)


def test_learning_curves_without_ax_use_current_axes(acc):
    _, hist, _ = acc
    fig, ax = plt.subplots()
    assert plots.plot_learning_curves(hist) is ax


def test_test_metric_dots_per_seed_and_mean_points(acc):
    runs, _, _ = acc
    fig, ax = plt.subplots()
    plots.plot_test_metric(runs, order=ACTS, ax=ax)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in dots] == [5, 5, 5]
    for act, c in zip(ACTS, dots):
        ys = sorted(np.asarray(c.get_offsets())[:, 1])
        np.testing.assert_allclose(ys, sorted(KNOWN[("acc_task", act)]))
    means = [ln for ln in ax.lines if ln.get_marker() == "D"]
    assert len(means) == 1
    np.testing.assert_allclose(
        means[0].get_ydata(),
        [np.mean(KNOWN[("acc_task", a)]) for a in ACTS],
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ACTS


def test_test_metric_ignores_failed_trials(acc):
    runs, _, _ = acc
    runs = runs.copy()
    runs.loc[runs.index[0], "status"] = "failed"
    fig, ax = plt.subplots()
    plots.plot_test_metric(runs, order=ACTS, ax=ax)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 14


def test_unit_fraction_per_layer_over_epochs(acc):
    _, _, mons = acc
    one = mons[mons["layer"] == "act_2"]
    fig, ax = plt.subplots()
    plots.plot_unit_fraction(
        one, quantity="dead_fraction", hue_order=ACTS, ax=ax
    )
    line = _line_for(ax, "relu")
    q = one[
        (one["quantity"] == "dead_fraction") & (one["activation"] == "relu")
    ]
    expected = q.groupby("epoch")["value"].mean()
    np.testing.assert_allclose(line.get_xdata(), expected.index)
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    assert line.get_xdata()[0] == 0  # epoch 0 = at initialisation
    assert ax.get_ylim()[0] == 0
    assert ax.get_ylabel() == "dead fraction"


def test_grad_norm_init_and_end_on_log_axis(acc):
    _, _, mons = acc
    fig, ax = plt.subplots()
    plots.plot_grad_norm(mons, hue_order=ACTS, ax=ax)
    assert ax.get_yscale() == "log"
    data_lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 3]
    assert len(data_lines) == 6  # 3 activations x {init, end}
    g = mons[(mons["quantity"] == "grad_norm") & (mons["epoch"] == 0)]
    init = g.groupby("depth")["value"].mean().to_numpy()
    ys = [tuple(np.round(ln.get_ydata(), 12)) for ln in data_lines]
    assert tuple(np.round(init, 12)) in ys
    ends = plots.grad_norm_ends(mons)
    assert set(ends["epoch"]) == {0.0, 5.0}
    assert set(ends["when"]) == {"init", "end"}


def test_epoch_time_boxes_leave_out_epoch_one(acc):
    _, hist, _ = acc
    hist = hist.copy()
    hist.loc[hist["epoch"] == 1, "epoch_time_s"] = 100.0
    fig, ax = plt.subplots()
    plots.plot_epoch_time(hist, order=ACTS, ax=ax)
    assert len(ax.patches) == 3
    assert ax.get_ylim()[1] < 10
    fig, ax = plt.subplots()
    plots.plot_epoch_time(hist, order=ACTS, skip_first=False, ax=ax)
    assert ax.get_ylim()[1] > 100


def test_paired_diff_error_bars(data):
    s = stats.summarize(data.runs, data.history)
    s = s[s["task"] == "acc_task"]
    fig, ax = plt.subplots()
    palette = plots.activation_palette(ACTS, "relu")
    plots.plot_paired_diff(s, order=ACTS, palette=palette, ax=ax)
    x = [c.lines[0].get_xdata()[0] for c in ax.containers]
    rows = s.set_index("activation").loc[["elu", "selu"]]
    np.testing.assert_allclose(x, rows["diff_mean"].to_numpy())
    colors = [to_hex(c.lines[0].get_color()) for c in ax.containers]
    assert colors == [palette["elu"].lower(), palette["selu"].lower()]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"elu ({rows.loc['elu', 'verdict']})",
        f"selu ({rows.loc['selu', 'verdict']})",
    ]
    # The ROPE band spans [-rope, +rope].
    (band,) = [p for p in ax.patches if p.get_width() > 0]
    rope = rows["rope"].iloc[0]
    assert band.get_x() == pytest.approx(-rope)
    assert band.get_width() == pytest.approx(2 * rope)


def test_palette_has_twelve_distinct_colours_and_a_black_baseline():
    labels = ["relu"] + [f"a{i}" for i in range(20)]
    palette = plots.activation_palette(labels, "relu")
    assert palette["relu"] == "#000000"
    others = [palette[a] for a in labels[1:]]
    assert len(set(others)) == 20
    # The first 12 are pairwise far apart in RGB (no near-duplicates) and
    # far from the baseline's black.
    rgb = np.array([to_rgb(c) for c in others[:12]])
    dist = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1)
    assert dist[np.triu_indices(12, 1)].min() > 0.15
    assert np.linalg.norm(rgb, axis=1).min() > 0.3


def test_critical_difference_diagram_draws_every_activation(data):
    s = stats.summarize(data.runs, data.history)
    res = stats.friedman(s)
    fig, ax = plt.subplots()
    palette = plots.activation_palette(list(res["avg_ranks"].index), "relu")
    out = plots.plot_critical_difference(
        res["avg_ranks"], res["nemenyi"], cd=res["cd"], palette=palette, ax=ax
    )
    assert out is ax
    texts = " ".join(t.get_text() for t in ax.texts)
    for act, r in res["avg_ranks"].items():
        assert f"{act}" in texts and f"{r:.2f}" in texts


def test_rank_heatmap_cells_are_ranks(data):
    s = stats.summarize(data.runs, data.history)
    fig, ax = plt.subplots()
    plots.plot_rank_heatmap(s, ax=ax)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    table = s.pivot(index="task", columns="activation", values="rank")
    order = [t.get_text() for t in ax.get_xticklabels()]
    assert order == ["elu", "relu", "selu"]  # best mean rank first
    np.testing.assert_allclose(
        np.asarray(mesh.get_array()).ravel(),
        table[order].to_numpy().ravel(),
    )
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        ["1.0", "2.0", "3.0"] * 2
    )


@pytest.mark.parametrize(
    "func, frame",
    [
        (plots.plot_learning_curves, "history"),
        (plots.plot_test_metric, "runs"),
        (plots.plot_unit_fraction, "monitors"),
        (plots.plot_grad_norm, "monitors"),
        (plots.plot_epoch_time, "history"),
    ],
)
def test_empty_data_draws_a_note(data, func, frame):
    empty = getattr(data, frame).iloc[0:0]
    fig, ax = plt.subplots()
    assert func(empty, ax=ax) is ax
    (text,) = ax.texts
    assert text.get_text().startswith("no ")
    assert not ax.lines and not ax.collections
