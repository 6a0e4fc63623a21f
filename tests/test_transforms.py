"""``reluplug.transforms`` against explicit SciPy matrices (float64)."""

import math

import numpy as np
import pytest
import scipy.linalg
from keras import ops
from layer_testing import grads
from layer_testing import to_numpy64

from reluplug import transforms

SIZES = [2**k for k in range(13)]  # 1 ... 4096


@pytest.mark.parametrize("n", SIZES)
def test_walsh_hadamard_is_the_scipy_hadamard_product(n, rng, float64_backend):
    x = rng.normal(size=(3, n))
    y = transforms.walsh_hadamard(ops.convert_to_tensor(x, "float64"))
    assert ops.convert_to_numpy(y).dtype == np.float64
    expected = x @ scipy.linalg.hadamard(n) / math.sqrt(n)
    np.testing.assert_allclose(to_numpy64(y), expected, rtol=0, atol=1e-12)
    raw = transforms.walsh_hadamard(
        ops.convert_to_tensor(x, "float64"), normalize=False
    )
    np.testing.assert_allclose(
        to_numpy64(raw), x @ scipy.linalg.hadamard(n), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("n", [1, 8, 64, 128, 4096])
def test_walsh_hadamard_is_its_own_inverse(n, rng, float64_backend):
    x = ops.convert_to_tensor(rng.normal(size=(2, n)), "float64")
    twice = transforms.walsh_hadamard(transforms.walsh_hadamard(x))
    np.testing.assert_allclose(to_numpy64(twice), to_numpy64(x), atol=1e-12)
    # Unnormalised: H @ H = n * I.
    raw = transforms.walsh_hadamard(x, normalize=False)
    raw = transforms.walsh_hadamard(raw, normalize=False)
    np.testing.assert_allclose(to_numpy64(raw), n * to_numpy64(x), atol=1e-9)


@pytest.mark.parametrize("n", [4, 256, 2048])
def test_walsh_hadamard_gradient_is_the_transform_of_upstream(
    n, rng, float64_backend
):
    x = rng.normal(size=(3, n))
    upstream = rng.normal(size=(3, n))
    (dx,) = grads(
        transforms.walsh_hadamard,
        ops.convert_to_tensor(x, "float64"),
        upstream=upstream,
    )
    expected = upstream @ scipy.linalg.hadamard(n) / math.sqrt(n)
    np.testing.assert_allclose(dx, expected, atol=1e-12)


@pytest.mark.parametrize("axis", [0, 1, -3])
def test_walsh_hadamard_along_any_axis(axis, rng, float64_backend):
    x = rng.normal(size=(8, 4, 2))
    y = transforms.walsh_hadamard(ops.convert_to_tensor(x, "float64"), axis)
    n = x.shape[axis]
    h = scipy.linalg.hadamard(n) / math.sqrt(n)
    expected = np.moveaxis(np.moveaxis(x, axis, -1) @ h, -1, axis)
    np.testing.assert_allclose(to_numpy64(y), expected, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_walsh_hadamard_low_precision(dtype, rng):
    x = rng.normal(size=(4, 1024))
    y = transforms.walsh_hadamard(ops.convert_to_tensor(x, dtype))
    assert str(ops.convert_to_numpy(y).dtype) == dtype or dtype == "bfloat16"
    tol = {"float16": 2e-2, "bfloat16": 1.5e-1, "float32": 1e-5}[dtype]
    expected = x @ scipy.linalg.hadamard(1024) / 32
    np.testing.assert_allclose(to_numpy64(y), expected, atol=tol * 4)


def test_walsh_hadamard_rejects_bad_sizes_and_axes():
    with pytest.raises(ValueError, match=r"power of two.*x\.shape\[1\]=6"):
        transforms.walsh_hadamard(np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"`axis`.*Received: axis=2"):
        transforms.walsh_hadamard(np.ones((2, 4)), axis=2)


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 1000])
def test_circulant_matmul_is_the_scipy_circulant_product(
    n, rng, float64_backend
):
    x = rng.normal(size=(3, n))
    c = rng.normal(size=n)
    y = transforms.circulant_matmul(
        ops.convert_to_tensor(x, "float64"), ops.convert_to_tensor(c, "float64")
    )
    expected = x @ scipy.linalg.circulant(c).T
    np.testing.assert_allclose(to_numpy64(y), expected, atol=1e-10)


def test_circulant_matmul_gradients_match_the_documented_formulas(
    rng, float64_backend
):
    n = 12
    x = rng.normal(size=(3, n))
    c = rng.normal(size=n)
    g = rng.normal(size=(3, n))
    dx, dc = grads(
        transforms.circulant_matmul,
        ops.convert_to_tensor(x, "float64"),
        ops.convert_to_tensor(c, "float64"),
        upstream=g,
    )
    circ = scipy.linalg.circulant(c)
    np.testing.assert_allclose(dx, g @ circ, atol=1e-10)  # C^T g per row
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n  # (i - k) mod n
    expected_dc = np.einsum("bi,bik->k", g, x[:, idx])
    np.testing.assert_allclose(dc, expected_dc, atol=1e-10)


def test_circulant_matmul_rejects_a_wrong_kernel_shape():
    with pytest.raises(ValueError, match=r"`c`.*c\.shape=\(3,\)"):
        transforms.circulant_matmul(np.ones((2, 4)), np.ones(3))


def test_helpers():
    assert [transforms.next_power_of_two(n) for n in (1, 2, 3, 784)] == [
        1,
        2,
        4,
        1024,
    ]
    with pytest.raises(ValueError, match=r"`n`.*Received: n=0"):
        transforms.next_power_of_two(0)
    np.testing.assert_array_equal(
        transforms.hadamard_matrix(16), scipy.linalg.hadamard(16)
    )
    perm = transforms.random_permutation(10, 3)
    assert sorted(perm) == list(range(10))
    np.testing.assert_array_equal(perm, transforms.random_permutation(10, 3))
    assert set(transforms.random_signs(50, 1)) == {-1.0, 1.0}
