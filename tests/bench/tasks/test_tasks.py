"""Built-in tasks: seeded splits, identical initial weights, Keras cache."""

import gzip
import io
import pickle
import tarfile

import keras
import numpy as np
import pytest

from reluplug.bench import tasks
from reluplug.bench.engine import data as bench_data
from reluplug.bench.engine import model as bench_model
from reluplug.bench.suite import config
from reluplug.bench.tasks import _keras_cache
from reluplug.bench.tasks import registry

OFFLINE = list(registry.OFFLINE)
# Small variants so building 20-layer models stays fast.
SMALL = {"deep_mlp": {"depth": 6, "width": 8}, "spirals": {"n_samples": 200}}


def _spec(task, activation="relu", seed=0, params=None, act_params=None):
    # init = "same": every activation gets the weights the task builds, so
    # they are equal to the byte (test_init_protocol covers "recommended",
    # where only the unscaled draws are).
    text = f"""
version = 1
name = "t"
seeds = [{seed}]
[training]
epochs = 1
init = "same"
[[tasks]]
name = "{task}"
params = {_toml(params or SMALL.get(task, {}))}
[[activations]]
name = "{activation}"
params = {_toml(act_params or {})}
"""
    return config.loads(text).expand()[0]


def _build(spec):
    """The spec's model as a trial builds it: ``(model, acts, sha)``."""
    task = registry.get(spec.task_name)
    splits = bench_data.load_splits(task, spec)
    return bench_model.build_model(task, spec, splits)


def _toml(d):
    items = ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in d.items())
    return "{" + items + "}"


def test_registry_names_and_errors():
    names = tasks.names()
    for name in OFFLINE + ["mnist", "fashion_mnist", "cifar10"]:
        assert name in names
    with pytest.raises(ValueError, match="did you mean|Did you mean"):
        tasks.get("digits_mpl")


@pytest.mark.parametrize("name", OFFLINE)
def test_splits_are_seeded_and_disjoint(name):
    task = tasks.get(name)
    params = {**task.defaults(), **SMALL.get(name, {})}
    data = {k: params[k] for k in task.data_params}
    a = task.load(0, **data)
    b = task.load(0, **data)
    c = task.load(1, **data)
    for field in ("x_train", "y_train", "x_val", "x_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, c.x_train)
    n = len(a.x_train)
    assert len(a.y_train) == n and len(a.x_val) > 0 and len(a.x_test) > 0
    assert a.x_train.dtype == np.float32
    # No example is in two splits (rows compared as bytes).
    rows = [
        {r.tobytes() for r in s.reshape(len(s), -1)}
        for s in (a.x_train, a.x_val, a.x_test)
    ]
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2])
    if task.problem == "classification":
        assert set(np.unique(a.y_train)) == set(range(a.n_outputs))
    with pytest.raises(ValueError):
        a.x_train[0] = 0  # the cached arrays are read-only


def _non_activation_weights(model, act_layers):
    ids = {id(layer) for layer in act_layers}
    return [
        keras.ops.convert_to_numpy(w)
        for layer in model.layers
        if id(layer) not in ids
        for w in layer.weights
    ]


@pytest.mark.parametrize("name", OFFLINE)
def test_identical_initial_weights_across_activations(name):
    built = {
        act: _build(_spec(name, act))
        for act in ("relu", "prelu", "tanh", "srelu")
    }
    ref_model, ref_acts, ref_sha = built["relu"]
    ref = _non_activation_weights(ref_model, ref_acts)
    assert len(ref) >= 2
    for act, (model, acts, sha) in built.items():
        assert len(acts) >= 1 and all(a.name.startswith("act_") for a in acts)
        weights = _non_activation_weights(model, acts)
        assert len(weights) == len(ref)
        for w, r in zip(weights, ref):
            np.testing.assert_array_equal(w, r)
        assert sha == ref_sha, act
    # PReLU's own weights are not part of the hash, but exist.
    prelu_model, prelu_acts, _ = built["prelu"]
    assert prelu_model.count_params() > ref_model.count_params()
    # Another seed gives other weights.
    _, _, other = _build(_spec(name, "relu", seed=1))
    assert other != ref_sha


def test_init_sha256_is_sha_of_weights():
    import hashlib

    model, acts, sha = _build(_spec("digits_mlp"))
    digest = hashlib.sha256()
    for layer in model.layers:
        if layer in acts:
            continue
        for w in layer.weights:
            value = np.ascontiguousarray(keras.ops.convert_to_numpy(w))
            digest.update(f"{layer.name}|{value.dtype}|{value.shape}|".encode())
            digest.update(value.tobytes())
    assert sha == digest.hexdigest()


def test_cnn_architecture():
    model, acts, _ = _build(_spec("digits_cnn"))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Conv2D",
        "Activation",
        "MaxPooling2D",
        "Conv2D",
        "Activation",
        "MaxPooling2D",
        "Flatten",
        "Dense",
    ]
    assert model.layers[-1].activation.__name__ == "softmax"


def test_deep_mlp_depth_and_width():
    model, acts, _ = _build(_spec("deep_mlp", params={"depth": 7, "width": 5}))
    assert len(acts) == 7
    dense = [layer for layer in model.layers if layer not in acts]
    assert [layer.units for layer in dense] == [5] * 7 + [10]


def test_regression_is_standardized_mse_task():
    task = tasks.get("regression")
    assert (task.metric, task.metric_mode) == ("mse", "min")
    s = task.load(0, dataset="friedman1")
    assert s.y_train.shape[1:] == (1,)
    assert abs(float(s.y_train.mean())) < 1e-5
    assert abs(float(s.y_train.std()) - 1.0) < 1e-4


def test_spirals_two_balanced_classes():
    from reluplug.bench.tasks.spirals import make_spirals

    x, y = make_spirals(100, 0.0, 1.0, seed=3)
    assert x.shape == (100, 2) and np.bincount(y).tolist() == [50, 50]
    # Arm 1 is arm 0 mirrored through the origin (noise 0).
    np.testing.assert_allclose(x[:50], -x[50:])


# -------------------------------------------------------------- Keras cache


def _fake_mnist(folder, n_train=30, n_test=10):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % 10,
    }
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    np.savez(folder / "datasets" / "mnist.npz", **arrays)
    return arrays


def _fake_fashion(folder, n_train=30, n_test=10):
    rng = np.random.default_rng(1)
    sub = folder / "datasets" / "fashion-mnist"
    sub.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        with gzip.open(sub / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + y.tobytes())
        with gzip.open(sub / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + x.tobytes())
        out[prefix] = (x, y)
    return out


def _fake_cifar_archive(folder, per_batch=4):
    """The tar.gz Keras downloads, shrunk, saved where get_file looks."""
    rng = np.random.default_rng(2)
    batches = {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, 10, per_batch)]
            batches[name] = (data, labels)
            blob = pickle.dumps({b"data": data, b"labels": labels}, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    target = folder / "datasets" / "cifar-10-batches-py-target_archive"
    target.write_bytes(buffer.getvalue())
    return batches


def test_mnist_from_keras_cache(tmp_path):
    arrays = _fake_mnist(tmp_path)
    (x, y), (xt, yt) = _keras_cache.load_mnist(str(tmp_path))
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, arrays["y_test"])
    task = tasks.get("mnist")
    s = task.load(0, n_train=20, cache_dir=str(tmp_path))
    assert len(s.x_train) + len(s.x_val) == 20
    assert s.x_train.shape[1:] == (28, 28) and float(s.x_train.max()) <= 1.0
    np.testing.assert_allclose(s.x_test, arrays["x_test"] / 255.0, rtol=1e-6)
    model, _, _ = _build(
        _spec("mnist", params={"n_train": 20, "cache_dir": str(tmp_path)})
    )
    assert model.output_shape == (None, 10)


def test_fashion_mnist_from_keras_cache(tmp_path):
    fake = _fake_fashion(tmp_path)
    (x, y), (xt, yt) = _keras_cache.load_fashion_mnist(str(tmp_path))
    np.testing.assert_array_equal(x, fake["train"][0])
    np.testing.assert_array_equal(y, fake["train"][1])
    np.testing.assert_array_equal(xt, fake["t10k"][0])
    s = tasks.get("fashion_mnist").load(0, n_train=0, cache_dir=str(tmp_path))
    assert len(s.x_train) + len(s.x_val) == 30


def test_cifar10_from_keras_cache_archive(tmp_path):
    batches = _fake_cifar_archive(tmp_path)
    (x, y), (xt, yt) = _keras_cache.load_cifar10(str(tmp_path))
    assert x.shape == (20, 32, 32, 3) and xt.shape == (4, 32, 32, 3)
    data, labels = batches["data_batch_2"]
    expected = data.reshape(4, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x[4:8], expected)
    assert y[4:8].tolist() == labels
    # A second load reads the extracted folder.
    (x2, _), _ = _keras_cache.load_cifar10(str(tmp_path))
    np.testing.assert_array_equal(x2, x)
    s = tasks.get("cifar10").load(0, n_train=0, cache_dir=str(tmp_path))
    assert s.x_train.shape[1:] == (32, 32, 3)


def test_cifar_unpickler_refuses_code(tmp_path):
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({b"data": print, b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _keras_cache._cifar_batch(str(path))


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_download_tasks_fail_clearly_offline(tmp_path, monkeypatch, name):
    # Port 9 on localhost refuses at once: an offline machine, fast.
    monkeypatch.setattr(_keras_cache, "KERAS_BASE", "http://127.0.0.1:9/")
    monkeypatch.setattr(_keras_cache, "CIFAR10_ORIGIN", "http://127.0.0.1:9/c")
    task = tasks.get(name)
    with pytest.raises(_keras_cache.DatasetUnavailableError) as info:
        task.load(0, n_train=10, cache_dir=str(tmp_path / "empty"))
    message = str(info.value)
    assert f"Task {name!r}" in message
    assert "http://127.0.0.1:9/" in message
    assert str(tmp_path / "empty") in message
