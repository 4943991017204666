"""Tests of dlcore.activations: forward values, overflow safety, backward vs finite differences."""
import math
import warnings

import numpy as np
import pytest

from dlcore.activations import (
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from dlcore.gradcheck import check_gradients

SHAPES = [(1, 1), (3, 5), (4, 1), (2, 3, 2), (7,)]

FORWARD_BACKWARD = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "tanh": (tanh, tanh_backward),
}


def _away_from_zero(rng, shape, margin=1e-2):
    """Random values with |z| >= margin, so kinks at 0 are never within a finite-difference step."""
    Z = rng.standard_normal(shape) * 2
    return np.where(np.abs(Z) < margin, np.sign(Z + 0.5) * margin * 3, Z)


# --- forward ---------------------------------------------------------------------------


def test_sigmoid_hand_values():
    np.testing.assert_allclose(sigmoid(np.array([0.0, math.log(3.0), -math.log(3.0)])), [0.5, 0.75, 0.25], rtol=1e-15)


@pytest.mark.parametrize("shape", SHAPES)
def test_sigmoid_matches_textbook_formula(shape):
    Z = np.random.default_rng(1).standard_normal(shape) * 5
    A = sigmoid(Z)
    assert A.shape == Z.shape and A.dtype == np.float64
    expected = np.reshape([1.0 / (1.0 + math.exp(-z)) for z in Z.ravel()], shape)
    np.testing.assert_allclose(A, expected, rtol=1e-14)


def test_sigmoid_symmetry_and_range():
    Z = np.linspace(-40, 40, 801)
    A = sigmoid(Z)
    np.testing.assert_allclose(A + sigmoid(-Z), 1.0, rtol=0, atol=1e-15)
    assert np.all((A >= 0) & (A <= 1)) and np.all(np.diff(A) >= 0)


def test_sigmoid_extreme_inputs_raise_no_warning():
    Z = np.array([[1000.0, -1000.0, 710.0, -710.0, 0.0, 800.0, -800.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        A = sigmoid(Z)
        dZ = sigmoid_backward(np.ones_like(Z), Z)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(dZ))
    assert A[0, 0] == 1.0 and A[0, 1] == 0.0 and A[0, 4] == 0.5
    assert A[0, 3] == pytest.approx(math.exp(-710.0), rel=1e-12)  # tiny but exact, not rounded to 0
    np.testing.assert_array_equal(dZ[0, [0, 1]], [0.0, 0.0])


def test_relu_and_leaky_relu_hand_values():
    Z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu(Z), [[0.0, 0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_allclose(leaky_relu(Z), [[-0.02, -0.005, 0.0, 0.5, 3.0]], rtol=1e-15)
    np.testing.assert_allclose(leaky_relu(Z, alpha=0.2), [[-0.4, -0.1, 0.0, 0.5, 3.0]], rtol=1e-15)


@pytest.mark.parametrize("shape", SHAPES)
def test_relu_family_match_max_formulas(shape):
    Z = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_array_equal(relu(Z), np.maximum(Z, 0))
    for alpha in (0.0, 0.01, 0.3):
        np.testing.assert_allclose(leaky_relu(Z, alpha), np.maximum(alpha * Z, Z), rtol=1e-15)


def test_tanh_matches_exponential_formula():
    Z = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(tanh(Z), (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z)), rtol=1e-13, atol=1e-15)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(tanh(np.array([1000.0, -1000.0])), [1.0, -1.0])


@pytest.mark.parametrize("name", sorted(FORWARD_BACKWARD))
def test_forward_accepts_lists_and_leaves_input_unchanged(name):
    g, _ = FORWARD_BACKWARD[name]
    Z = np.array([[-1.0, 2.0], [0.5, -3.0]])
    before = Z.copy()
    np.testing.assert_allclose(g([[-1.0, 2.0], [0.5, -3.0]]), g(Z))
    np.testing.assert_array_equal(Z, before)


# --- backward --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORWARD_BACKWARD))
@pytest.mark.parametrize("seed,shape", list(enumerate(SHAPES)))
def test_backward_matches_finite_differences(name, seed, shape):
    g, g_backward = FORWARD_BACKWARD[name]
    rng = np.random.default_rng(100 + seed)
    Z = _away_from_zero(rng, shape)
    dA = rng.standard_normal(shape)
    dZ = g_backward(dA, Z)
    assert dZ.shape == Z.shape
    report = check_gradients(lambda z: float(np.sum(dA * g(z))), Z, dZ)
    assert report.skipped == 0
    assert report.difference < 1e-7, str(report)


def test_backward_hand_values():
    Z = np.array([[-1.0, 2.0, 0.0]])
    dA = np.array([[3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(relu_backward(dA, Z)[0, :2], [0.0, 4.0])
    np.testing.assert_allclose(leaky_relu_backward(dA, Z)[0, :2], [0.03, 4.0])
    np.testing.assert_allclose(sigmoid_backward(dA, np.zeros((1, 3))), [[0.75, 1.0, 1.25]])
    np.testing.assert_allclose(tanh_backward(dA, np.zeros((1, 3))), dA)


@pytest.mark.parametrize("name", sorted(FORWARD_BACKWARD))
def test_backward_does_not_modify_arguments(name):
    _, g_backward = FORWARD_BACKWARD[name]
    rng = np.random.default_rng(7)
    dA, Z = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    dA0, Z0 = dA.copy(), Z.copy()
    g_backward(dA, Z)
    np.testing.assert_array_equal(dA, dA0)
    np.testing.assert_array_equal(Z, Z0)


# --- bad arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORWARD_BACKWARD))
def test_backward_shape_mismatch_names_arguments(name):
    _, g_backward = FORWARD_BACKWARD[name]
    with pytest.raises(ValueError, match=r"`dA` and `Z`.*\(3, 4\).*\(4, 3\)"):
        g_backward(np.ones((3, 4)), np.ones((4, 3)))


@pytest.mark.parametrize("name", sorted(FORWARD_BACKWARD))
def test_forward_rejects_non_numeric(name):
    g, _ = FORWARD_BACKWARD[name]
    with pytest.raises(ValueError, match="`Z`"):
        g(np.array(["a", "b"]))


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 2.0])
def test_leaky_relu_rejects_bad_alpha(alpha):
    with pytest.raises(ValueError, match="`alpha`"):
        leaky_relu(np.ones(3), alpha=alpha)
