"""Tests of dlcore.softmax: softmax, one-hot labels, the softmax cost and the softmax network."""
import math
import warnings

import numpy as np
import pytest
from networks import random_problem

from dlcore.gradcheck import check_gradients
from dlcore.losses import compute_cost
from dlcore.softmax import (
    model_backward_softmax,
    model_forward_softmax,
    one_hot,
    predict_classes,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)

SHAPES = [(2, 1), (3, 4), (5, 7), (10, 2), (4, 1)]
# layer_dims (last = C), m
NETS = [([3, 4, 2, 3], 5), ([2, 5, 3, 4], 2), ([4, 3, 6, 2], 6), ([3, 5], 4), ([2, 3, 4], 1)]


def _softmax_loop(Z):
    """Textbook formula, column by column, in plain Python."""
    out = np.empty_like(Z)
    for j in range(Z.shape[1]):
        e = [math.exp(z) for z in Z[:, j]]
        out[:, j] = [v / sum(e) for v in e]
    return out


def _random_one_hot(rng, C, m):
    Y = np.zeros((C, m))
    Y[rng.integers(0, C, m), np.arange(m)] = 1.0
    return Y


# --- softmax ---------------------------------------------------------------------------


def test_softmax_worked_example():
    A = softmax(np.array([[5.0], [2.0], [-1.0], [3.0]]))
    assert A.shape == (4, 1)
    np.testing.assert_array_equal(np.round(A[:, 0], 3), [0.842, 0.042, 0.002, 0.114])
    np.testing.assert_array_equal(np.round(softmax(np.array([5.0, 2.0, -1.0, 3.0])), 3), [0.842, 0.042, 0.002, 0.114])


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_matches_formula_column_by_column(shape):
    Z = np.random.default_rng(sum(shape)).standard_normal(shape) * 3
    A = softmax(Z)
    assert A.shape == shape and A.dtype == np.float64
    np.testing.assert_allclose(A, _softmax_loop(Z), rtol=1e-13)
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-15)


def test_softmax_is_per_column_and_shift_invariant():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((4, 6))
    shift = rng.standard_normal((1, 6)) * 50
    np.testing.assert_allclose(softmax(Z + shift), softmax(Z), rtol=1e-12)
    # each column depends on that column only
    np.testing.assert_allclose(softmax(Z)[:, 2:3], softmax(Z[:, 2:3]), rtol=1e-15)
    # two classes: softmax is the sigmoid of the score difference
    Z2 = rng.standard_normal((2, 5))
    np.testing.assert_allclose(softmax(Z2)[1], 1 / (1 + np.exp(-(Z2[1] - Z2[0]))), rtol=1e-13)


def test_softmax_extreme_scores_are_exact_without_warnings():
    Z = np.array([[1000.0, -1000.0, 1000.0, -1000.0],
                  [999.0, 1000.0, 1000.0, -1000.0],
                  [-1000.0, -1000.0, -1000.0, -1000.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        A = softmax(Z)
    assert np.all(np.isfinite(A))
    e = math.exp(-1.0)
    np.testing.assert_allclose(A[:, 0], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(A[:, 1], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(A[:, 2], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(A[:, 3], [1 / 3] * 3, rtol=1e-15)


def test_softmax_does_not_modify_input():
    Z = np.array([[1.0, 2.0], [3.0, -4.0]])
    softmax(Z)
    np.testing.assert_array_equal(Z, [[1.0, 2.0], [3.0, -4.0]])


@pytest.mark.parametrize("bad", [np.array([[np.nan], [1.0]]), np.array([[np.inf], [1.0]]), np.ones((2, 2, 2)), np.zeros((3, 0))])
def test_softmax_bad_input(bad):
    with pytest.raises(ValueError, match="`Z`"):
        softmax(bad)


# --- one_hot ---------------------------------------------------------------------------


def test_one_hot_hand_example_and_shapes():
    expected = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(one_hot(np.array([2, 0, 1, 2]), 3), expected)
    np.testing.assert_array_equal(one_hot(np.array([[2, 0, 1, 2]]), 3), expected)
    np.testing.assert_array_equal(one_hot([2.0, 0.0, 1.0, 2.0], 3), expected)
    assert one_hot(np.array([0, 1]), 5).shape == (5, 2)
    assert one_hot(np.array([0]), 1).dtype == np.float64


def test_one_hot_round_trip():
    y = np.random.default_rng(4).integers(0, 6, 50)
    Y = one_hot(y, 6)
    np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=0), y)
    np.testing.assert_array_equal(np.unique(Y), [0.0, 1.0])


@pytest.mark.parametrize("y", [[0, 3], [-1, 0], [0, 1.5], [[0, 1], [1, 0]], [], [0, np.nan]])
def test_one_hot_bad_labels(y):
    with pytest.raises(ValueError, match="`y`"):
        one_hot(np.array(y), 3)


@pytest.mark.parametrize("C", [0, -2, 2.5, None, True])
def test_one_hot_bad_C(C):
    with pytest.raises(ValueError, match="`C`"):
        one_hot(np.array([0, 1]), C)


# --- cost and its gradient -------------------------------------------------------------


def test_softmax_cross_entropy_hand_example():
    AL = np.array([[0.5, 0.2], [0.5, 0.8]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    cost = softmax_cross_entropy(AL, Y)
    assert type(cost) is float
    assert cost == pytest.approx(-(math.log(0.5) + math.log(0.8)) / 2, rel=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_cross_entropy_matches_loop(shape):
    rng = np.random.default_rng(10 + sum(shape))
    AL = softmax(rng.standard_normal(shape))
    Y = _random_one_hot(rng, *shape)
    C, m = shape
    expected = -sum(Y[k, j] * math.log(AL[k, j]) for k in range(C) for j in range(m)) / m
    assert softmax_cross_entropy(AL, Y) == pytest.approx(expected, rel=1e-13)


def test_two_class_cost_equals_binary_cross_entropy():
    rng = np.random.default_rng(5)
    a = rng.uniform(0.05, 0.95, (1, 8))
    y = (rng.random((1, 8)) < 0.5).astype(float)
    AL, Y = np.vstack([1 - a, a]), np.vstack([1 - y, y])
    assert softmax_cross_entropy(AL, Y) == pytest.approx(compute_cost(a, y), rel=1e-13)


def test_softmax_cross_entropy_certain_predictions_without_warnings():
    Y = one_hot(np.array([0, 2]), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax_cross_entropy(Y.copy(), Y) == 0.0
        assert softmax_cross_entropy(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), Y) == math.inf


@pytest.mark.parametrize("seed,shape", list(enumerate(SHAPES)))
def test_backward_composed_with_softmax_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(20 + seed)
    Z = rng.standard_normal(shape) * 2
    Y = _random_one_hot(rng, *shape)
    dZ = softmax_cross_entropy_backward(softmax(Z), Y)
    assert dZ.shape == shape
    m = shape[1]
    # dZ is per example; the cost averages over the m examples.
    report = check_gradients(lambda z: softmax_cross_entropy(softmax(z), Y), Z, dZ / m)
    assert report.skipped == 0
    assert report.difference < 1e-7, str(report)


def test_backward_is_AL_minus_Y():
    AL = np.array([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]])
    Y = one_hot(np.array([0, 2]), 3)
    np.testing.assert_allclose(softmax_cross_entropy_backward(AL, Y), [[-0.3, 0.1], [0.2, 0.3], [0.1, -0.4]], atol=1e-15)


def test_cost_bad_arguments():
    AL = softmax(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="`AL` and `Y`"):
        softmax_cross_entropy(AL, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"`Y` must be a one-hot \(C, m\).*one_hot"):
        softmax_cross_entropy_backward(AL, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="`AL`.*probabilities"):
        softmax_cross_entropy(AL * 4, one_hot(np.array([0, 1, 2, 0]), 3))
    with pytest.raises(ValueError, match="`Y`"):
        softmax_cross_entropy(AL, np.ones(4))


# --- network ---------------------------------------------------------------------------


def _reference_forward(X, params):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = np.maximum(0.0, params[f"W{l}"] @ A + params[f"b{l}"])
    return _softmax_loop(params[f"W{L}"] @ A + params[f"b{L}"])


@pytest.mark.parametrize("seed,net", list(enumerate(NETS)))
def test_model_forward_softmax_matches_reference(seed, net):
    dims, m = net
    X, _, params = random_problem(dims, m, seed, labels="one_hot")
    AL, caches = model_forward_softmax(X, params)
    assert AL.shape == (dims[-1], m)
    assert len(caches) == len(dims) - 1
    np.testing.assert_allclose(AL, _reference_forward(X, params), rtol=1e-12)
    np.testing.assert_allclose(AL.sum(axis=0), 1.0, rtol=1e-15)
    linear_cache, ZL = caches[-1]
    np.testing.assert_allclose(softmax(ZL), AL, rtol=1e-15)
    assert len(linear_cache) == 3


@pytest.mark.parametrize("seed,net", list(enumerate(NETS)))
def test_model_backward_softmax_matches_finite_differences(seed, net):
    dims, m = net
    X, Y, params = random_problem(dims, m, 30 + seed, labels="one_hot")
    AL, caches = model_forward_softmax(X, params)
    grads = model_backward_softmax(AL, Y, caches)
    for l in range(1, len(dims)):
        assert grads[f"dW{l}"].shape == params[f"W{l}"].shape
    report = check_gradients(lambda p: softmax_cross_entropy(model_forward_softmax(X, p)[0], Y), params, grads)
    assert report.skipped == 0
    assert report.difference < 1e-7, str(report)
    # the input gradient too (per example, hence / m)
    report_x = check_gradients(lambda x: softmax_cross_entropy(model_forward_softmax(x, params)[0], Y), X.copy(), grads["dA0"] / m)
    assert report_x.difference < 1e-7, str(report_x)


def test_predict_classes():
    params = {"W1": np.eye(3), "b1": np.zeros((3, 1))}
    X = np.array([[5.0, 0.0, 1.0, -1.0], [1.0, 0.0, 7.0, -2.0], [0.0, 2.0, 6.0, -3.0]])
    pred = predict_classes(X, params)
    assert pred.shape == (4,) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, [0, 2, 1, 0])
    X2, _, params2 = random_problem([3, 4, 5], 20, 9, labels="one_hot")
    np.testing.assert_array_equal(predict_classes(X2, params2), _reference_forward(X2, params2).argmax(axis=0))


def test_network_bad_arguments():
    X, Y, params = random_problem([3, 4, 2], 5, 10, labels="one_hot")
    with pytest.raises(ValueError, match="`X`"):
        model_forward_softmax(X[0], params)
    with pytest.raises(ValueError, match="`parameters`"):
        model_forward_softmax(X, {})
    with pytest.raises(ValueError, match="`caches`"):
        model_backward_softmax(softmax(np.zeros((2, 5))), Y, [])
