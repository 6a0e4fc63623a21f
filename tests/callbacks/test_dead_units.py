"""DeadUnitMonitor: exact counts against NumPy, training, logs, actions."""

import csv
import sys

import keras
import numpy as np
import pytest

import reluplug
from reluplug import layers as rp_layers
from reluplug import registry
from reluplug.callbacks import DeadUnitMonitor

relu = lambda v: np.maximum(v, 0.0)  # noqa: E731


def _start(monitor, model):
    """Runs the train-begin measurement without training."""
    monitor.set_model(model)
    monitor.on_train_begin()
    return monitor.initial


def _weights(layer):
    return [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]


def _conv_valid(x, kernel, bias):
    """NumPy 2-D convolution, stride 1, 'valid' padding, channels last."""
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), (1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias


# --- Exactness against an independent NumPy forward pass -------------------


def _mlp(style, seed):
    keras.utils.set_random_seed(seed)
    bias = keras.initializers.RandomNormal(mean=-0.1, stddev=0.5)
    denses, stack = [], [keras.Input((32,))]
    for _ in range(10):
        fused = "relu" if style == "fused" else None
        dense = keras.layers.Dense(64, fused, bias_initializer=bias)
        denses.append(dense)
        stack.append(dense)
        if style == "relu_layer":
            stack.append(keras.layers.ReLU())
        elif style == "activation_layer":
            stack.append(keras.layers.Activation("relu"))
    stack.append(keras.layers.Dense(3))
    return keras.Sequential(stack), denses


@pytest.mark.parametrize("style", ["fused", "relu_layer", "activation_layer"])
def test_mlp_dead_fractions_equal_numpy_forward_pass(style, probe_x):
    model, denses = _mlp(style, seed=3)
    monitor = DeadUnitMonitor(probe_x, batch_size=200)  # 3 batches, 1 padded
    initial = _start(monitor, model)

    h = probe_x.astype(np.float64)
    expected = []
    for dense in denses:
        kernel, bias = _weights(dense)
        h = relu(h @ kernel + bias)
        expected.append(h.max(axis=0) <= 0.0)
    sites = [k for k in initial if k.startswith("dead_fraction/")]
    assert len(sites) == 10
    fractions = []
    for key, dead in zip(sites, expected):
        name = key.split("/", 1)[1]
        np.testing.assert_array_equal(monitor.unit_masks[name], dead)
        assert initial[key] == dead.sum() / 64
        fractions.append(initial[key])
    # Not a trivial network: some layers have dead units, none is all dead.
    assert max(fractions) > 0.0 and max(fractions) < 1.0
    total = sum(d.sum() for d in expected) / 640
    assert initial["dead_fraction"] == total
    assert "inactive_fraction" not in initial


def _cnn(seed):
    keras.utils.set_random_seed(seed)
    bias = keras.initializers.RandomNormal(mean=-0.3, stddev=0.5)
    conv1 = keras.layers.Conv2D(8, 3, activation="relu", bias_initializer=bias)
    conv2 = keras.layers.Conv2D(12, 3, bias_initializer=bias)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            conv1,
            conv2,
            keras.layers.ReLU(),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(10),
        ]
    )
    return model, conv1, conv2


@pytest.mark.parametrize("granularity", ["channel", "unit"])
def test_cnn_dead_fractions_equal_numpy_forward_pass(granularity, digits):
    x = digits[0][:300].reshape(-1, 8, 8, 1)
    model, conv1, conv2 = _cnn(seed=5)
    monitor = DeadUnitMonitor(x, granularity=granularity, batch_size=128)
    initial = _start(monitor, model)

    h1 = relu(_conv_valid(x.astype(np.float64), *_weights(conv1)))
    h2 = relu(_conv_valid(h1, *_weights(conv2)))
    for name, h in ((conv1.name, h1), ("re_lu", h2)):
        if granularity == "channel":
            dead = h.max(axis=(0, 1, 2)) <= 0.0
        else:
            dead = h.max(axis=0).reshape(-1) <= 0.0
        np.testing.assert_array_equal(monitor.unit_masks[name], dead)
        assert initial[f"dead_fraction/{name}"] == dead.sum() / dead.size
    assert 0.0 < initial["dead_fraction"] < 1.0


# --- Which sites, which kind ----------------------------------------------


def _gate_model(activation_layer=None, dense_activation=None, nested=False):
    """Dense(4) whose units get pre-activations -5, -5, +5, +5."""
    dense = keras.layers.Dense(4, activation=dense_activation)
    stack = [keras.Input((3,)), dense]
    if activation_layer is not None:
        stack.append(activation_layer)
    inner = keras.Sequential(stack, name="inner")
    dense.set_weights([np.zeros((3, 4)), np.array([-5.0, -5.0, 5.0, 5.0])])
    if not nested:
        return inner
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(2)(inner(inputs))
    return keras.Model(inputs, outputs)


DEAD_SITES = [
    ("keras_relu", lambda: keras.layers.ReLU(), None),
    ("keras_relu6", lambda: keras.layers.ReLU(max_value=6.0), None),
    ("keras_relu_thr", lambda: keras.layers.ReLU(threshold=0.5), None),
    ("activation_relu", lambda: keras.layers.Activation("relu"), None),
    ("activation_relu6", lambda: keras.layers.Activation("relu6"), None),
    ("fused_relu", None, "relu"),
]
INACTIVE_SITES = [
    ("keras_relu_slope", lambda: keras.layers.ReLU(negative_slope=0.1), None),
    ("keras_leaky", lambda: keras.layers.LeakyReLU(0.1), None),
    ("keras_prelu", lambda: keras.layers.PReLU(), None),
    ("keras_elu", lambda: keras.layers.ELU(), None),
    ("activation_selu", lambda: keras.layers.Activation("selu"), None),
    ("activation_silu", lambda: keras.layers.Activation("silu"), None),
    ("fused_gelu", None, "gelu"),
    ("fused_elu", None, "elu"),
] + [
    (f"reluplug_{name}", lambda name=name: getattr(rp_layers, name)(), None)
    for name in [
        "LeakyReLU",
        "PReLU",
        "RReLU",
        "ELU",
        "CELU",
        "SELU",
        "PELU",
        "SReLU",
        "Swish",
    ]
]


@pytest.mark.parametrize(
    "case, metric",
    [(c, "dead_fraction") for c in DEAD_SITES]
    + [(c, "inactive_fraction") for c in INACTIVE_SITES],
    ids=lambda v: v[0] if isinstance(v, tuple) else v,
)
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_site_kind_and_value(case, metric, nested):
    _, make_layer, dense_activation = case
    layer = make_layer() if make_layer else None
    model = _gate_model(layer, dense_activation, nested=nested)
    initial = _start(DeadUnitMonitor(np.ones((4, 3), "float32")), model)
    other = {"dead_fraction": "inactive_fraction"}.get(metric, "dead_fraction")
    site = layer.name if layer is not None else "dense"
    assert initial == {f"{metric}/{site}": 0.5, metric: 0.5}
    assert other not in initial


def _user_layer(side):
    """A user's activation layer: ReLU, or a slope-0.2 leaky ReLU."""

    class UserActivation(keras.layers.Layer):
        def call(self, x):
            return keras.ops.leaky_relu(x, 0.0 if side == "zero" else 0.2)

    if side is not None:
        UserActivation.negative_side = side
    return UserActivation


@pytest.fixture
def user_registry(monkeypatch):
    """Registrations made by a test vanish after it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


@pytest.mark.usefixtures("user_registry")
@pytest.mark.parametrize(
    "side, metric",
    [
        ("zero", "dead_fraction"),
        ("leaky", "inactive_fraction"),
        ("saturating", "inactive_fraction"),
    ],
)
def test_registered_user_layer_is_monitored_by_its_negative_side(side, metric):
    reluplug.register(_user_layer(side), name=f"user_{side}")
    layer = reluplug.get(f"user_{side}")
    model = _gate_model(layer)
    initial = _start(DeadUnitMonitor(np.ones((4, 3), "float32")), model)
    assert initial == {f"{metric}/{layer.name}": 0.5, metric: 0.5}


@pytest.mark.usefixtures("user_registry")
def test_user_layer_without_negative_side_is_not_a_site():
    reluplug.register(_user_layer(None), name="user_plain")
    model = _gate_model(reluplug.get("user_plain"))
    with pytest.raises(ValueError, match=r"no activation sites.*negative_side"):
        _start(DeadUnitMonitor(np.ones((4, 3), "float32")), model)


@pytest.mark.usefixtures("user_registry")
def test_register_refuses_an_unknown_negative_side():
    with pytest.raises(ValueError, match=r"negative_side='dying'"):
        reluplug.register(_user_layer("dying"), name="user_dying")


@pytest.mark.parametrize(
    "layer, metric",
    [
        (lambda: rp_layers.LeakyReLU(negative_slope=0.0), "dead_fraction"),
        (lambda: rp_layers.RReLU(lower=0.0, upper=0.0), "dead_fraction"),
        (lambda: rp_layers.LeakyReLU(negative_slope=0.1), "inactive_fraction"),
    ],
)
def test_zero_slope_reluplug_layers_are_dead_sites(layer, metric):
    layer = layer()
    model = _gate_model(layer)
    initial = _start(DeadUnitMonitor(np.ones((4, 3), "float32")), model)
    assert initial == {f"{metric}/{layer.name}": 0.5, metric: 0.5}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "hard_sigmoid"])
def test_saturated_fraction(activation):
    dense = keras.layers.Dense(4, activation=activation)
    model = keras.Sequential([keras.Input((3,)), dense])
    dense.set_weights([np.zeros((3, 4)), np.array([-50.0, 50.0, 0.1, -0.1])])
    probe = np.ones((4, 3), "float32")
    assert _start(DeadUnitMonitor(probe, saturation_eps=1e-6), model) == {
        "saturated_fraction/dense": 0.5,
        "saturated_fraction": 0.5,
    }
    with pytest.raises(ValueError, match="no activation sites"):
        _start(DeadUnitMonitor(probe), model)  # Saturation not requested.


class _Unknown(keras.layers.Layer):
    """An activation the monitor cannot classify."""

    def call(self, inputs):
        return keras.ops.abs(inputs)


def test_on_no_sites_skip_trains_and_logs_nothing(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), _Unknown()]
    )
    model.compile("sgd", "mse")
    x = np.ones((8, 3), "float32")
    with pytest.raises(ValueError, match="no activation sites"):
        model.fit(x, x[:, :1], epochs=1, verbose=0,
                  callbacks=[DeadUnitMonitor(x)])  # fmt: skip
    monitor = DeadUnitMonitor(x, on_no_sites="skip")
    history = model.fit(
        x, np.ones((8, 4)), epochs=2, verbose=0, callbacks=[monitor]
    )
    assert list(history.history) == ["loss"]
    assert monitor.initial == {} and monitor.epochs == []
    with pytest.raises(ValueError, match=r"`on_no_sites` must be one of"):
        DeadUnitMonitor(x, on_no_sites="ignore")


def test_subclassed_model_needs_layers(probe_x):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model(probe_x[:1])
    with pytest.raises(ValueError, match=r"subclassed.*`layers=\[\.\.\.\]`"):
        _start(DeadUnitMonitor(probe_x), model)
    h = relu(probe_x.astype(np.float64) @ _weights(model.hidden)[0])
    initial = _start(DeadUnitMonitor(probe_x, layers=[model.hidden]), model)
    assert initial["dead_fraction/dense"] == np.mean(h.max(axis=0) <= 0)


# --- Probe inputs ----------------------------------------------------------


def _probe_variants(x, y):
    import tensorflow as tf

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            rows = slice(index * 100, (index + 1) * 100)
            return x[rows], y[rows]

    return {
        "numpy": x,
        "tuple": (x, y),
        "tuple_weights": (x, y, np.ones(len(x))),
        "tf_data": tf.data.Dataset.from_tensor_slices((x, y)).batch(64),
        "py_dataset": Batches(),
    }


@pytest.mark.parametrize(
    "kind", ["numpy", "tuple", "tuple_weights", "tf_data", "py_dataset"]
)
def test_probe_kinds_give_same_result(kind, digits):
    x, y = digits[0][:600], digits[1][:600]
    probe = _probe_variants(x, y)[kind]
    keras.utils.set_random_seed(2)
    bias = keras.initializers.RandomNormal(mean=-1.0, stddev=1.0)
    model = keras.Sequential(
        [keras.Input((64,))]
        + [keras.layers.Dense(32, "relu", bias_initializer=bias)]
        + [keras.layers.Dense(32, "relu", bias_initializer=bias)]
    )
    expected = _start(DeadUnitMonitor(x[:300]), model)
    got = _start(DeadUnitMonitor(probe, max_samples=300), model)
    assert got == expected
    assert 0 < expected["dead_fraction"] < 1  # differs with other samples


@pytest.mark.parametrize(
    "probe, match",
    [
        (np.zeros((0, 32), "float32"), "empty"),
        (np.float32(1.0), "leading sample axis"),
        ((np.zeros((5, 32)), np.zeros(4)), "`y` has 4 samples"),
        ([np.zeros((5, 32)), np.zeros((4, 32))], "different numbers"),
    ],
)
def test_bad_probe_raises_at_construction(probe, match):
    with pytest.raises(ValueError, match=match):
        DeadUnitMonitor(probe)


def test_misshaped_probe_raises_before_any_training_step(probe_x):
    model, _ = _mlp("fused", seed=0)
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    monitor = DeadUnitMonitor(probe_x[:, :31])
    with pytest.raises(ValueError, match=r"shape \(31,\).*expects \(32,\)"):
        model.fit(probe_x, probe_x[:, :3], epochs=1, callbacks=[monitor])
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


# --- Arguments ------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"granularity": "chanel"},
            r"The value for `granularity` must be one of \['channel', "
            r"'unit'\], but 'chanel' was passed\.",
        ),
        ({"threshold": float("nan")}, r"`threshold`.*Received: threshold=nan"),
        ({"max_samples": 0}, r"`max_samples`.*>= 1.*Received: max_samples=0"),
        ({"batch_size": 2.5}, r"`batch_size`.*Received: batch_size=2.5"),
        ({"every_n_epochs": 0}, r"Received: every_n_epochs=0"),
        ({"saturation_eps": 0.0}, r"\(0, inf\].*Received: saturation_eps=0"),
        ({"warn_above": 1.5}, r"\[0, 1\].*Received: warn_above=1.5"),
        ({"stop_above": -0.1}, r"\[0, 1\].*Received: stop_above=-0.1"),
        ({"revive": "yes"}, r"True or False.*Received: revive='yes'"),
        ({"layers": "dense"}, r"`layers`.*Received: layers='dense'"),
        ({"layers": []}, r"`layers`.*Received: layers=\[\]"),
    ],
)
def test_invalid_arguments(kwargs, match, probe_x):
    with pytest.raises(ValueError, match=match):
        DeadUnitMonitor(probe_x, **kwargs)


def test_unknown_layer_name_and_non_activation_layer(probe_x):
    model, denses = _mlp("relu_layer", seed=0)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        _start(DeadUnitMonitor(probe_x, layers=["nope"]), model)
    with pytest.raises(ValueError, match="applies no activation"):
        _start(DeadUnitMonitor(probe_x, layers=[denses[0]]), model)


# --- During fit -------------------------------------------------------------


def _digits_mlp(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((64,))]
        + [keras.layers.Dense(32, activation="relu") for _ in range(3)]
        + [keras.layers.Dense(10)]
    )
    model.compile(
        keras.optimizers.SGD(0.02, clipnorm=5.0),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _kill_then_calm(epoch):
    return 3.0 if epoch == 0 else 0.02  # One huge step size kills units.


@pytest.mark.parametrize("revive", [False, True])
def test_large_learning_rate_kills_units_and_revive_restores(revive, digits):
    x, y = digits
    model = _digits_mlp(seed=0)
    monitor = DeadUnitMonitor(x[:512], revive=revive)
    schedule = keras.callbacks.LearningRateScheduler(_kill_then_calm)
    history = model.fit(
        x, y, epochs=3, batch_size=64, verbose=0, callbacks=[schedule, monitor]
    ).history
    dead = history["dead_fraction"]
    assert len(dead) == 3
    assert dead[0] > monitor.initial["dead_fraction"] + 0.3
    assert monitor.history["dead_fraction"][1:] == dead
    if revive:
        assert dead[-1] < 0.5 * dead[0]
        assert sum(v[0] for k, v in history.items() if "revived/" in k) > 0
    else:
        assert dead[-1] >= dead[0] - 0.05  # Dead ReLUs stay dead.
        assert not any("revived/" in k for k in history)


@pytest.mark.parametrize("kind", ["dense_fused", "dense_then_relu", "conv"])
def test_revive_redraws_exactly_the_dead_units(kind):
    keras.utils.set_random_seed(1)
    if kind == "conv":
        layer = keras.layers.Conv2D(6, 3, activation="relu")
        stack = [keras.Input((5, 5, 2)), layer, keras.layers.Flatten()]
        probe = np.random.rand(16, 5, 5, 2).astype("float32")
    else:
        fused = "relu" if kind == "dense_fused" else None
        layer = keras.layers.Dense(6, activation=fused)
        stack = [keras.Input((4,)), layer]
        stack += [] if fused else [keras.layers.ReLU()]
        probe = np.random.rand(16, 4).astype("float32")
    model = keras.Sequential([*stack, keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse")  # Only revive moves.
    kernel, _ = layer.get_weights()
    bias = np.array([-100.0, 0.5, -100.0, 0.5, 0.5, 0.5])  # units 0, 2 dead
    layer.set_weights([kernel, bias])
    monitor = DeadUnitMonitor(probe, revive=True)
    target = np.zeros((16, 1), "float32")
    history = model.fit(
        probe, target, epochs=2, verbose=0, callbacks=[monitor]
    ).history
    site = "re_lu" if kind == "dense_then_relu" else layer.name
    dead_fraction = history[f"dead_fraction/{site}"]
    assert dead_fraction[0] == pytest.approx(2 / 6)
    assert dead_fraction[1] < 2 / 6
    # Each epoch revives the units dead at its end; whether a redrawn unit
    # is alive on the probe depends on the backend's random stream.
    assert history[f"revived/{site}"] == [2.0, 6 * dead_fraction[1]]
    new_kernel, new_bias = layer.get_weights()
    dead = np.array([True, False, True, False, False, False])
    np.testing.assert_array_equal(new_kernel[..., ~dead], kernel[..., ~dead])
    assert np.all(new_kernel[..., dead] != kernel[..., dead])
    np.testing.assert_array_equal(new_bias, np.where(dead, 0.0, bias))


def test_logs_reach_csv_logger_in_same_fit(digits, tmp_path):
    x, y = digits
    model = _digits_mlp(seed=0)
    path = tmp_path / "log.csv"
    monitor = DeadUnitMonitor(x[:256])
    history = model.fit(
        x[:256],
        y[:256],
        epochs=2,
        verbose=0,
        callbacks=[monitor, keras.callbacks.CSVLogger(str(path))],
    ).history
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [k for k in rows[0] if k.startswith("dead_fraction/")]
    assert len(keys) == 3
    for key in keys + ["dead_fraction"]:
        assert [float(r[key]) for r in rows] == history[key]
        assert all(type(v) is float for v in history[key])


def test_warn_above_and_stop_above(probe_x):
    model, denses = _mlp("fused", seed=0)
    kernel, bias = denses[4].get_weights()
    denses[4].set_weights([kernel, bias - 100.0])  # layer 5 all dead
    model.compile("sgd", "mse")
    name = denses[4].name
    monitor = DeadUnitMonitor(probe_x, warn_above=0.9, stop_above=0.9)
    with pytest.warns(UserWarning, match=rf"warn_above=0.9.*{name}=1.000"):
        history = model.fit(
            probe_x, probe_x[:, :3], epochs=5, verbose=0, callbacks=[monitor]
        )
    assert history.epoch == [0]  # Stopped after the first epoch.
    assert monitor.epochs == [0, 1]


def test_every_n_epochs_and_frame(probe_x):
    pytest.importorskip("pandas")
    model, _ = _mlp("fused", seed=0)
    model.compile("sgd", "mse")
    monitor = DeadUnitMonitor(probe_x, every_n_epochs=2)
    history = model.fit(
        probe_x[:64],
        probe_x[:64, :3],
        epochs=3,
        verbose=0,
        callbacks=[monitor],
    ).history
    assert monitor.epochs == [0, 2, 3]  # and always the last epoch
    # Keras' History appends only the keys present at each epoch.
    assert history["dead_fraction"] == monitor.history["dead_fraction"][1:]
    frame = monitor.to_frame()
    assert list(frame.index) == [0, 2, 3]
    assert frame.index.name == "epoch"
    assert list(frame.columns) == list(monitor.history)
    assert frame["dead_fraction"].tolist() == monitor.history["dead_fraction"]


def test_to_frame_without_pandas(monkeypatch, probe_x):
    model, _ = _mlp("fused", seed=0)
    monitor = DeadUnitMonitor(probe_x)
    _start(monitor, model)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="to_frame\\(\\) needs pandas"):
        monitor.to_frame()


def test_probe_runs_in_inference_mode(probe_x):
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(64)
    model = keras.Sequential(
        [keras.Input((32,)), dense, keras.layers.Dropout(0.999)]
        + [keras.layers.ReLU()]
    )
    # In training mode dropout would zero nearly everything: all "dead".
    h = relu(probe_x.astype(np.float64) @ _weights(dense)[0])
    initial = _start(DeadUnitMonitor(probe_x), model)
    assert initial["dead_fraction"] == np.mean(h.max(axis=0) <= 0) < 0.5


@pytest.mark.parametrize("hook", ["batch_begin", "batch_end"])
@pytest.mark.parametrize(
    "stage", ["on_train_", "on_test_", "on_predict_", "on_"]
)
def test_no_per_batch_hooks(hook, stage):
    from reluplug.callbacks import GradientFlowMonitor

    base = getattr(keras.callbacks.Callback, stage + hook)
    for cls in (DeadUnitMonitor, GradientFlowMonitor):
        assert getattr(cls, stage + hook) is base
