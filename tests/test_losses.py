"""Tests of dlcore.losses: binary cross-entropy and its gradient."""
import math
import warnings

import numpy as np
import pytest

from dlcore.gradcheck import check_gradients
from dlcore.losses import compute_cost, cross_entropy_backward


def test_compute_cost_hand_example():
    cost = compute_cost(np.array([[0.8, 0.1]]), np.array([[1, 0]]))
    assert type(cost) is float
    assert cost == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2, rel=1e-14)


@pytest.mark.parametrize("m", [1, 4, 17])
def test_compute_cost_matches_loop(m):
    rng = np.random.default_rng(m)
    AL = rng.uniform(0.01, 0.99, (1, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    expected = -sum(y * math.log(a) + (1 - y) * math.log(1 - a) for a, y in zip(AL[0], Y[0])) / m
    assert compute_cost(AL, Y) == pytest.approx(expected, rel=1e-13)


def test_certain_predictions_cost_zero_or_inf_without_warnings():
    with warnings.catch_warnings(), np.errstate(over="raise"):
        warnings.simplefilter("error")
        assert compute_cost(np.array([[1.0, 0.0, 0.5]]), np.array([[1, 0, 1]])) == pytest.approx(math.log(2) / 3)
        assert compute_cost(np.array([[0.0, 1.0]]), np.array([[0, 1]])) == 0.0
    assert compute_cost(np.array([[0.0]]), np.array([[1]])) == math.inf


def test_compute_cost_does_not_modify_arguments():
    AL, Y = np.array([[0.3, 0.6]]), np.array([[1.0, 0.0]])
    compute_cost(AL, Y)
    np.testing.assert_array_equal(AL, [[0.3, 0.6]])
    np.testing.assert_array_equal(Y, [[1.0, 0.0]])


@pytest.mark.parametrize("m", [1, 3, 8])
def test_cross_entropy_backward_matches_finite_differences(m):
    rng = np.random.default_rng(10 + m)
    AL = rng.uniform(0.05, 0.95, (1, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    dAL = cross_entropy_backward(AL, Y)
    assert dAL.shape == (1, m)
    # dAL is per example: the 1/m of the cost is applied later, in linear_backward.
    report = check_gradients(lambda a: compute_cost(a, Y), AL, dAL / m)
    assert report.difference < 1e-7, str(report)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`AL` and `Y`"):
        compute_cost(np.full((1, 3), 0.5), np.ones((1, 4)))
    with pytest.raises(ValueError, match="`AL`.*probabilities"):
        compute_cost(np.array([[1.5, 0.5]]), np.array([[1, 0]]))
    with pytest.raises(ValueError, match="`AL`.*probabilities"):
        compute_cost(np.array([[np.nan, 0.5]]), np.array([[1, 0]]))
    with pytest.raises(ValueError, match="`Y`.*2-D"):
        compute_cost(np.full((1, 3), 0.5), np.ones(3))
    with pytest.raises(ValueError, match="`AL`.*empty"):
        compute_cost(np.zeros((1, 0)), np.zeros((1, 0)))


# --- labels outside {0, 1}: the cost follows the literal formula, like its gradient ---------


def _literal_cost(AL, Y):
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1])


def test_random_normal_labels_follow_the_literal_formula():
    # As in a published test of another course: uniform predictions, randn labels. At
    # a = 1/2 every example costs log 2 whatever its label (the masked formula gave 0.9002).
    rng = np.random.default_rng(1)
    Y = np.array([[-1.30315723, 0.34558419, 2.21, -0.5, 1.1]])
    assert compute_cost(np.full((1, 5), 0.5), Y) == pytest.approx(math.log(2), rel=1e-14)
    AL = rng.uniform(0.05, 0.95, (1, 7))
    Y = 2.0 * rng.standard_normal((1, 7))
    assert compute_cost(AL, Y) == pytest.approx(_literal_cost(AL, Y), rel=1e-13)


@pytest.mark.parametrize("labels", [[[-1.5, 0.3, 2.5]], [[1.7, 1.0, 0.0]], [[-0.2, -3.0, 4.0]]])
def test_cost_and_gradient_agree_for_labels_outside_zero_one(labels):
    Y = np.array(labels, dtype=float)
    AL = np.array([[0.2, 0.55, 0.9]])
    dAL = cross_entropy_backward(AL, Y)
    report = check_gradients(lambda a: compute_cost(a, Y), AL.copy(), dAL / Y.shape[1])
    assert report.difference < 1e-7, str(report)


def test_soft_labels_inside_zero_one_unchanged():
    AL, Y = np.array([[0.3, 0.8]]), np.array([[0.25, 0.9]])
    assert compute_cost(AL, Y) == pytest.approx(_literal_cost(AL, Y), rel=1e-14)


def test_non_finite_labels_are_refused_by_cost_and_gradient():
    AL = np.full((1, 3), 0.5)
    for bad in (np.nan, np.inf):
        Y = np.array([[1.0, bad, 0.0]])
        with pytest.raises(ValueError, match="`Y`.*finite"):
            compute_cost(AL, Y)
        with pytest.raises(ValueError, match="`Y`.*finite"):
            cross_entropy_backward(AL, Y)
