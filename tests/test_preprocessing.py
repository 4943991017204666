"""Tests for dlcore.preprocessing.normalize_inputs."""
from __future__ import annotations

import statistics
import warnings

import numpy as np
import pytest

from dlcore.preprocessing import normalize_inputs


def test_hand_worked_example():
    # Row 0: mean 2, population std 1 -> [-1, 1]; X_other 2 -> 0.  Row 1 is constant -> 0 everywhere.
    X_train = np.array([[1.0, 3.0], [5.0, 5.0]])
    X_other = np.array([[2.0, 4.0], [7.0, 5.0]])
    Xt, Xo = normalize_inputs(X_train, X_other)
    np.testing.assert_array_equal(Xt, [[-1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(Xo, [[0.0, 2.0], [0.0, 0.0]])


@pytest.mark.parametrize("shape, m_other", [((1, 2), 1), ((3, 10), 4), ((6, 25), 9)])
def test_matches_independent_formula_with_training_statistics(shape, m_other):
    rng = np.random.default_rng(sum(shape))
    X_train = rng.normal(5.0, 3.0, size=shape)
    X_other = rng.normal(-2.0, 0.5, size=(shape[0], m_other))  # a different distribution on purpose
    Xt, Xo = normalize_inputs(X_train, X_other)
    assert Xt.shape == X_train.shape and Xo.shape == X_other.shape
    assert Xt.dtype == np.float64 and Xo.dtype == np.float64
    for i in range(shape[0]):
        mu = statistics.fmean(X_train[i])
        sigma = statistics.pstdev(X_train[i])  # population (1/m) standard deviation
        np.testing.assert_allclose(Xt[i], [(x - mu) / sigma for x in X_train[i]], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(Xo[i], [(x - mu) / sigma for x in X_other[i]], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Xt.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xt.std(axis=1), 1.0, rtol=1e-12)
    # Statistics of the other set must NOT be used: its normalised rows are not centred.
    assert np.all(np.abs(Xo.mean(axis=1)) > 0.1)


def test_constant_features_map_to_zero_without_nan_or_warning():
    # 0.1 and 0.7 repeated 7 times have a non-zero float std (rounding in the mean),
    # so a plain `sigma == 0` test would blow these rows up instead of zeroing them.
    assert np.std(np.full(7, 0.1)) > 0 and np.std(np.full(7, 0.7)) > 0
    X_train = np.vstack([np.full(7, 0.1), np.full(7, 0.7), np.zeros(7), np.arange(7.0)])
    X_other = np.array([[0.1, 3.0], [-5.0, 0.7], [1.0, 0.0], [3.0, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xt, Xo = normalize_inputs(X_train, X_other)
    assert np.isfinite(Xt).all() and np.isfinite(Xo).all()
    np.testing.assert_array_equal(Xt[:3], 0.0)
    np.testing.assert_array_equal(Xo[:3], 0.0)
    np.testing.assert_allclose(Xo[3], [0.0, 1.5])  # mean 3, std 2


def test_single_training_example_gives_zeros():
    Xt, Xo = normalize_inputs(np.array([[2.0], [-1.0]]), np.array([[3.0, 4.0], [0.0, 1.0]]))
    np.testing.assert_array_equal(Xt, 0.0)
    np.testing.assert_array_equal(Xo, 0.0)


def test_inputs_not_modified_and_outputs_are_new_arrays():
    rng = np.random.default_rng(1)
    X_train, X_other = rng.normal(size=(3, 8)), rng.normal(size=(3, 5))
    copies = X_train.copy(), X_other.copy()
    Xt, Xo = normalize_inputs(X_train, X_other)
    np.testing.assert_array_equal(X_train, copies[0])
    np.testing.assert_array_equal(X_other, copies[1])
    assert not np.shares_memory(Xt, X_train) and not np.shares_memory(Xo, X_other)


def test_integer_input_is_accepted():
    Xt, Xo = normalize_inputs(np.array([[0, 2]]), np.array([[4]]))
    np.testing.assert_array_equal(Xt, [[-1.0, 1.0]])
    np.testing.assert_array_equal(Xo, [[3.0]])


@pytest.mark.parametrize(
    "X_train, X_other, name",
    [
        (np.ones((3, 4)), np.ones((2, 4)), "X_other"),  # feature counts differ
        (np.ones(4), np.ones((1, 4)), "X_train"),  # 1-D
        (np.ones((3, 0)), np.ones((3, 2)), "X_train"),  # no training example
        (np.array([[1.0, np.nan]]), np.ones((1, 2)), "X_train"),
        (np.ones((1, 2)), np.array([[np.inf]]), "X_other"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(X_train, X_other, name):
    with pytest.raises(ValueError, match=name):
        normalize_inputs(X_train, X_other)
