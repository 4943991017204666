"""Tests for dlcore.data: shapes, labels, determinism and randomness hygiene of the data sets."""
from __future__ import annotations

import numpy as np
import pytest

from dlcore import data

BINARY = [data.flower, data.moons, data.circles]
MULTI = [data.spirals, data.blobs]
ALL = BINARY + MULTI


def global_state_unchanged(call) -> bool:
    before = np.random.get_state()
    call()
    after = np.random.get_state()
    return before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("m", [7, 100, 301])
def test_shapes_and_dtypes(make, m):
    X, Y = make(m=m, seed=3)
    assert X.shape == (2, m) and X.dtype == np.float64
    assert Y.shape == (1, m) and np.issubdtype(Y.dtype, np.integer)
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", BINARY, ids=lambda f: f.__name__)
def test_binary_labels_are_balanced_zeros_and_ones(make):
    _, Y = make(m=201, seed=0)
    counts = np.bincount(Y.ravel())
    assert counts.tolist() == [101, 100]


@pytest.mark.parametrize("make", MULTI, ids=lambda f: f.__name__)
@pytest.mark.parametrize("C", [2, 3, 5])
def test_multiclass_labels_cover_every_class(make, C):
    _, Y = make(m=10 * C + 1, C=C, seed=0)
    assert Y.min() == 0 and Y.max() == C - 1
    counts = np.bincount(Y.ravel(), minlength=C)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_same_seed_same_data_and_rng_equivalent_to_seed(make):
    X1, Y1 = make(m=50, seed=11)
    X2, Y2 = make(m=50, seed=11)
    X3, Y3 = make(m=50, rng=np.random.default_rng(11))
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2)
    assert np.array_equal(X1, X3) and np.array_equal(Y1, Y3)
    X4, _ = make(m=50, seed=12)
    assert not np.array_equal(X1, X4)


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_default_is_deterministic_and_global_state_untouched(make):
    assert global_state_unchanged(lambda: make(m=40))
    assert np.array_equal(make(m=40)[0], make(m=40)[0])


def test_rng_is_advanced_so_two_calls_differ():
    rng = np.random.default_rng(0)
    X1, _ = data.moons(m=30, rng=rng)
    X2, _ = data.moons(m=30, rng=rng)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_columns_are_shuffled(make):
    _, Y = make(m=60, seed=0)
    # Sorted labels would have a single change point per class boundary.
    assert np.count_nonzero(np.diff(Y.ravel())) > 10


def test_noise_free_geometry():
    X, Y = data.circles(m=40, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[0], X[1])
    assert np.allclose(radius[Y[0] == 0], 1.0) and np.allclose(radius[Y[0] == 1], 0.3)

    X, Y = data.moons(m=40, noise=0.0, seed=0)
    upper = X[:, Y[0] == 0]
    assert np.allclose(np.hypot(upper[0], upper[1]), 1.0) and (upper[1] >= -1e-12).all()

    X, Y = data.blobs(m=30, noise=0.0, C=3, radius=2.0, seed=0)
    for k in range(3):
        angle = 2 * np.pi * k / 3
        assert np.allclose(X[:, Y[0] == k], [[2 * np.cos(angle)], [2 * np.sin(angle)]])

    X, _ = data.spirals(m=30, noise=0.0, C=3, seed=0)
    assert np.hypot(X[0], X[1]).max() <= 1.0 + 1e-12


def test_noise_scales_the_spread():
    X0, Y0 = data.blobs(m=3000, noise=0.5, C=2, seed=0)
    X1, Y1 = data.blobs(m=3000, noise=1.5, C=2, seed=0)
    spread0 = X0[:, Y0[0] == 0].std(axis=1).mean()
    spread1 = X1[:, Y1[0] == 0].std(axis=1).mean()
    assert spread0 == pytest.approx(0.5, rel=0.1) and spread1 == pytest.approx(1.5, rel=0.1)


def test_flower_lies_on_the_petals():
    X, Y = data.flower(m=400, noise=0.0, seed=0)
    radius = np.hypot(X[0], X[1])
    angle = np.arctan2(X[0], X[1])  # x = r sin t, y = r cos t
    assert np.allclose(radius, np.abs(4 * np.sin(4 * angle)), atol=1e-9)


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: data.moons(m=1), "`m`"),
        (lambda: data.moons(m=2.5), "`m`"),
        (lambda: data.moons(m=True), "`m`"),
        (lambda: data.flower(noise=-0.1), "`noise`"),
        (lambda: data.spirals(C=1), "`C`"),
        (lambda: data.blobs(m=2, C=3), "`m`"),
        (lambda: data.circles(factor=1.5), "`factor`"),
        (lambda: data.moons(seed=1, rng=np.random.default_rng(1)), "`rng` or `seed`"),
        (lambda: data.moons(rng=np.random.RandomState(0)), "`rng`"),
        (lambda: data.moons(seed=-1), "`seed`"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, word):
    with pytest.raises(ValueError, match=word.replace("`", "`?")):
        call()


def test_make_rng():
    rng = np.random.default_rng(4)
    assert data.make_rng(rng) is rng
    assert data.make_rng(seed=4).integers(1000) == np.random.default_rng(4).integers(1000)
    assert data.make_rng().integers(1000) == np.random.default_rng(0).integers(1000)
