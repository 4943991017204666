"""Tests for dlcore.regularization: L2, dropout and early stopping."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import random_problem

from dlcore.activations import relu, sigmoid
from dlcore.gradcheck import check_gradients
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward
from dlcore.regularization import (
    compute_cost_with_l2,
    dropout_backward,
    dropout_forward,
    early_stopping,
    model_backward_with_dropout,
    model_backward_with_l2,
    model_forward_with_dropout,
)

SHAPES = [[3, 4, 1], [4, 5, 3, 1], [2, 6, 4, 3, 1]]


def global_state_unchanged(call) -> bool:
    before = np.random.get_state()
    call()
    after = np.random.get_state()
    return before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


# ----------------------------------------------------------------------------- L2


def test_cost_with_l2_hand_worked():
    # Cross-entropy of AL = 0.5 for both examples is ln 2; ||W1||^2 = 1 + 4 = 5, ||W2||^2 = 9;
    # penalty = lambd / (2 m) * 14 = 0.2 / 4 * 14 = 0.7.  The huge bias is not penalised.
    p = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([[100.0]]), "W2": np.array([[3.0]]), "b2": np.array([[-50.0]])}
    cost = compute_cost_with_l2(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]), p, 0.2)
    assert isinstance(cost, float)
    assert cost == pytest.approx(math.log(2) + 0.7, rel=1e-14)


@pytest.mark.parametrize("layer_dims", SHAPES)
def test_cost_with_l2_matches_independent_formula(layer_dims):
    X, Y, params = random_problem(layer_dims, 7, len(layer_dims))
    AL, _ = model_forward(X, params)
    lambd = 0.3
    squares = 0.0
    for l in range(1, len(layer_dims)):
        for w in params[f"W{l}"].ravel():
            squares += w * w
    expected = compute_cost(AL, Y) + lambd / (2 * 7) * squares
    assert compute_cost_with_l2(AL, Y, params, lambd) == pytest.approx(expected, rel=1e-13)
    assert compute_cost_with_l2(AL, Y, params, 0.0) == compute_cost(AL, Y)


@pytest.mark.parametrize("layer_dims", SHAPES)
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_backward_with_l2_against_finite_differences(layer_dims, lambd):
    X, Y, params = random_problem(layer_dims, 5, 10 + len(layer_dims))
    AL, caches = model_forward(X, params)
    grads = model_backward_with_l2(AL, Y, caches, lambd)

    def cost(p):
        return compute_cost_with_l2(model_forward(X, p)[0], Y, p, lambd)

    report = check_gradients(cost, params, grads)
    assert report.passed, str(report)
    assert report.difference < 1e-7


def test_backward_with_l2_adds_exactly_the_weight_term_and_leaves_the_rest():
    X, Y, params = random_problem([3, 4, 2, 1], 6, 3)
    AL, caches = model_forward(X, params)
    plain = model_backward(AL, Y, caches)
    l2 = model_backward_with_l2(AL, Y, caches, 1.2)
    assert set(l2) == set(plain)
    for l in (1, 2, 3):
        np.testing.assert_allclose(l2[f"dW{l}"] - plain[f"dW{l}"], 1.2 / 6 * params[f"W{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(l2[f"db{l}"], plain[f"db{l}"])
        np.testing.assert_array_equal(l2[f"dA{l - 1}"], plain[f"dA{l - 1}"])


def test_l2_functions_do_not_modify_arguments():
    X, Y, params = random_problem([3, 4, 1], 5, 4)
    AL, caches = model_forward(X, params)
    saved_params, saved_caches, saved_AL = copy.deepcopy(params), copy.deepcopy(caches), AL.copy()
    compute_cost_with_l2(AL, Y, params, 0.5)
    model_backward_with_l2(AL, Y, caches, 0.5)
    np.testing.assert_array_equal(AL, saved_AL)
    for k in params:
        np.testing.assert_array_equal(params[k], saved_params[k])
    for (lin, Z), (lin0, Z0) in zip(caches, saved_caches):
        np.testing.assert_array_equal(Z, Z0)
        for a, b in zip(lin, lin0):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("lambd", [-0.1, float("nan"), "a"])
def test_l2_bad_lambd(lambd):
    X, Y, params = random_problem([2, 3, 1], 4, 5)
    AL, caches = model_forward(X, params)
    with pytest.raises(ValueError, match="lambd"):
        compute_cost_with_l2(AL, Y, params, lambd)
    with pytest.raises(ValueError, match="lambd"):
        model_backward_with_l2(AL, Y, caches, lambd)


def test_l2_bad_parameters_named():
    with pytest.raises(ValueError, match="parameters"):
        compute_cost_with_l2(np.array([[0.5]]), np.array([[1.0]]), {"W1": np.ones((1, 2)), "W2": np.ones((1, 1))}, 0.1)


# ------------------------------------------------------------------- dropout_forward


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.85])
def test_dropout_mask_statistics(keep_prob):
    rng = np.random.default_rng(42)
    A = rng.uniform(0.5, 1.5, size=(300, 400))
    A_drop, D = dropout_forward(A, keep_prob, np.random.default_rng(7))
    n = D.size
    assert D.shape == A.shape and A_drop.shape == A.shape
    assert set(np.unique(D)) <= {0.0, 1.0}
    # P(D = 1) = keep_prob: the observed fraction is within 5 standard errors.
    assert abs(D.mean() - keep_prob) < 5 * math.sqrt(keep_prob * (1 - keep_prob) / n)
    # Inverted dropout keeps the expected activation: mean(A_drop) ~ mean(A).
    se = A_drop.std() / math.sqrt(n)
    assert abs(A_drop.mean() - A.mean()) < 5 * se
    # Each unit is either dropped or scaled by exactly 1 / keep_prob.
    np.testing.assert_allclose(A_drop, A * D / keep_prob, rtol=1e-15)
    # Masks are not row- or column-constant (each unit drawn on its own).
    assert 0 < D[:, 0].mean() < 1 and 0 < D[0, :].mean() < 1


def test_dropout_keep_prob_one_returns_A_and_ones():
    A = np.random.default_rng(0).standard_normal((4, 6))
    rng = np.random.default_rng(3)
    rng_state = copy.deepcopy(rng.bit_generator.state)
    A_drop, D = dropout_forward(A, 1.0, rng)
    np.testing.assert_array_equal(A_drop, A)
    np.testing.assert_array_equal(D, np.ones_like(A))
    assert not np.shares_memory(A_drop, A)
    assert rng.bit_generator.state == rng_state  # nothing is drawn


def test_dropout_is_deterministic_per_seed_and_leaves_global_state_alone():
    A = np.ones((20, 30))
    out1 = dropout_forward(A, 0.6, np.random.default_rng(123))
    out2 = dropout_forward(A, 0.6, np.random.default_rng(123))
    out3 = dropout_forward(A, 0.6, np.random.default_rng(124))
    np.testing.assert_array_equal(out1[1], out2[1])
    np.testing.assert_array_equal(out1[0], out2[0])
    assert not np.array_equal(out1[1], out3[1])
    np.random.seed(0)
    assert global_state_unchanged(lambda: dropout_forward(A, 0.6, np.random.default_rng(1)))


def test_dropout_does_not_modify_A():
    A = np.random.default_rng(1).standard_normal((5, 7))
    saved = A.copy()
    dropout_forward(A, 0.5, np.random.default_rng(0))
    np.testing.assert_array_equal(A, saved)


@pytest.mark.parametrize("keep_prob", [0, 0.0, -0.2, 1.0001, 2, float("nan"), "half", None])
def test_dropout_bad_keep_prob(keep_prob):
    with pytest.raises(ValueError, match="keep_prob"):
        dropout_forward(np.ones((2, 2)), keep_prob, np.random.default_rng(0))
    with pytest.raises(ValueError, match="keep_prob"):
        dropout_backward(np.ones((2, 2)), np.ones((2, 2)), keep_prob)


@pytest.mark.parametrize("rng", [0, None, np.random.RandomState(0)])
def test_dropout_bad_rng(rng):
    with pytest.raises(ValueError, match="rng"):
        dropout_forward(np.ones((2, 2)), 0.5, rng)


# ------------------------------------------------------------------ dropout_backward


@pytest.mark.parametrize("shape, keep_prob", [((3, 4), 0.5), ((1, 7), 0.8), ((6, 2), 0.3)])
def test_dropout_backward_against_finite_differences(shape, keep_prob):
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape)
    G = rng.standard_normal(shape)  # upstream gradient: the scalar is sum(G * A_drop)

    def f(a):
        return float(np.sum(G * dropout_forward(a, keep_prob, np.random.default_rng(99))[0]))

    _, D = dropout_forward(A, keep_prob, np.random.default_rng(99))
    report = check_gradients(f, A, dropout_backward(G, D, keep_prob))
    assert report.passed, str(report)


def test_dropout_backward_hand_worked_and_no_mutation():
    dA = np.array([[1.0, 2.0], [3.0, -4.0]])
    D = np.array([[1.0, 0.0], [0.0, 1.0]])
    saved = dA.copy(), D.copy()
    np.testing.assert_allclose(dropout_backward(dA, D, 0.8), [[1.25, 0.0], [0.0, -5.0]], rtol=1e-15)
    np.testing.assert_array_equal(dA, saved[0])
    np.testing.assert_array_equal(D, saved[1])


def test_dropout_backward_bad_mask():
    with pytest.raises(ValueError, match="`D`"):
        dropout_backward(np.ones((2, 3)), np.ones((3, 2)), 0.5)
    with pytest.raises(ValueError, match="`D`"):
        dropout_backward(np.ones((2, 2)), np.full((2, 2), 0.5), 0.5)


# --------------------------------------------------------------- dropout network


def manual_forward(X, params, masks, keep_prob):
    """The dropout network written out directly with the masks it used."""
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = np.maximum(0.0, params[f"W{l}"] @ A + params[f"b{l}"]) * masks[l - 1] / keep_prob
    return 1.0 / (1.0 + np.exp(-(params[f"W{L}"] @ A + params[f"b{L}"])))


@pytest.mark.parametrize("layer_dims", SHAPES)
def test_model_forward_with_dropout_matches_manual_forward(layer_dims):
    X, _, params = random_problem(layer_dims, 9, 20)
    AL, caches = model_forward_with_dropout(X, params, 0.7, np.random.default_rng(5))
    L = len(layer_dims) - 1
    assert AL.shape == (1, 9) and len(caches) == L
    masks = [c[2] for c in caches[:-1]]
    for l, D in enumerate(masks, start=1):
        assert D.shape == (layer_dims[l], 9)
        assert set(np.unique(D)) <= {0.0, 1.0}
    assert caches[-1][2] is None
    np.testing.assert_array_equal(caches[0][0][0], X)  # X itself is never dropped
    np.testing.assert_allclose(AL, manual_forward(X, params, masks, 0.7), rtol=1e-12)


def test_model_forward_with_dropout_keep_prob_one_is_model_forward():
    X, _, params = random_problem([4, 5, 3, 1], 6, 21)
    AL, caches = model_forward_with_dropout(X, params, 1.0, np.random.default_rng(0))
    AL_plain, _ = model_forward(X, params)
    np.testing.assert_array_equal(AL, AL_plain)
    for c in caches[:-1]:
        np.testing.assert_array_equal(c[2], 1.0)


def test_model_forward_with_dropout_mask_rate_and_determinism():
    X, _, params = random_problem([3, 200, 150, 1], 100, 22)
    AL1, c1 = model_forward_with_dropout(X, params, 0.6, np.random.default_rng(8))
    AL2, c2 = model_forward_with_dropout(X, params, 0.6, np.random.default_rng(8))
    np.testing.assert_array_equal(AL1, AL2)
    for a, b in zip(c1[:-1], c2[:-1]):
        np.testing.assert_array_equal(a[2], b[2])
    for D in (c1[0][2], c1[1][2]):
        assert abs(D.mean() - 0.6) < 5 * math.sqrt(0.24 / D.size)
    assert not np.array_equal(c1[0][2][:150], c1[1][2])  # a fresh mask for each layer
    assert global_state_unchanged(lambda: model_forward_with_dropout(X, params, 0.6, np.random.default_rng(1)))


def test_model_forward_with_dropout_bad_arguments():
    X, _, params = random_problem([3, 4, 1], 5, 23)
    with pytest.raises(ValueError, match="keep_prob"):
        model_forward_with_dropout(X, params, 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        model_forward_with_dropout(X, params, 0.5, 0)
    with pytest.raises(ValueError, match="`W`"):  # X has 2 features, W1 expects 3
        model_forward_with_dropout(np.ones((2, 5)), params, 0.5, np.random.default_rng(0))


@pytest.mark.parametrize("layer_dims", SHAPES)
@pytest.mark.parametrize("keep_prob", [0.5, 0.8])
def test_model_backward_with_dropout_against_finite_differences(layer_dims, keep_prob):
    X, Y, params = random_problem(layer_dims, 6, 30 + len(layer_dims))
    AL, caches = model_forward_with_dropout(X, params, keep_prob, np.random.default_rng(11))
    grads = model_backward_with_dropout(AL, Y, caches, keep_prob)

    def cost(p):  # the same seed re-draws the same masks, so the network is fixed
        return compute_cost(model_forward_with_dropout(X, p, keep_prob, np.random.default_rng(11))[0], Y)

    report = check_gradients(cost, params, {k: grads[k] for k in grads if not k.startswith("dA")})
    assert report.passed, str(report)

    # dA0 is the gradient of m * cost with respect to X (the 1/m lives in linear_backward).
    def cost_of_x(x):
        return 6 * compute_cost(model_forward_with_dropout(x, params, keep_prob, np.random.default_rng(11))[0], Y)

    report_x = check_gradients(cost_of_x, X.copy(), grads["dA0"])
    assert report_x.passed, str(report_x)


def test_model_backward_with_dropout_hidden_dA_is_before_dropout():
    # Two layers: cost depends on A1 (pre-dropout) through sigmoid(W2 (A1 * D1 / kp) + b2).
    X, Y, params = random_problem([3, 5, 1], 4, 40)
    kp = 0.6
    AL, caches = model_forward_with_dropout(X, params, kp, np.random.default_rng(2))
    grads = model_backward_with_dropout(AL, Y, caches, kp)
    D1 = caches[0][2]
    A1 = relu(caches[0][1])

    def cost_of_a1(a1):
        return 4 * compute_cost(sigmoid(params["W2"] @ (a1 * D1 / kp) + params["b2"]), Y)

    report = check_gradients(cost_of_a1, A1, grads["dA1"])
    assert report.passed, str(report)
    assert np.all(grads["dA1"][D1 == 0] == 0)


def test_model_backward_with_dropout_keep_prob_one_is_model_backward():
    X, Y, params = random_problem([4, 5, 3, 1], 6, 41)
    AL, caches = model_forward_with_dropout(X, params, 1.0, np.random.default_rng(0))
    grads = model_backward_with_dropout(AL, Y, caches, 1.0)
    AL_plain, caches_plain = model_forward(X, params)
    plain = model_backward(AL_plain, Y, caches_plain)
    assert set(grads) == set(plain)
    for k in plain:
        np.testing.assert_allclose(grads[k], plain[k], rtol=1e-14, atol=1e-16)


def test_model_backward_with_dropout_does_not_modify_arguments():
    X, Y, params = random_problem([3, 4, 2, 1], 5, 42)
    AL, caches = model_forward_with_dropout(X, params, 0.5, np.random.default_rng(0))
    saved = copy.deepcopy((AL, Y, caches))
    model_backward_with_dropout(AL, Y, caches, 0.5)
    np.testing.assert_array_equal(AL, saved[0])
    for (lin, Z, D), (lin0, Z0, D0) in zip(caches, saved[2]):
        np.testing.assert_array_equal(Z, Z0)
        if D0 is not None:
            np.testing.assert_array_equal(D, D0)
        for a, b in zip(lin, lin0):
            np.testing.assert_array_equal(a, b)


def test_model_backward_with_dropout_bad_arguments():
    X, Y, params = random_problem([3, 4, 1], 5, 43)
    AL, plain_caches = model_forward(X, params)
    with pytest.raises(ValueError, match="caches"):
        model_backward_with_dropout(AL, Y, plain_caches, 0.5)  # 2-tuples from model_forward
    AL, caches = model_forward_with_dropout(X, params, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="caches"):
        model_backward_with_dropout(AL, Y, [(caches[0][0], caches[0][1], None), caches[1]], 0.5)
    with pytest.raises(ValueError, match="caches"):
        model_backward_with_dropout(AL, Y, [], 0.5)
    with pytest.raises(ValueError, match="keep_prob"):
        model_backward_with_dropout(AL, Y, caches, 1.5)


# ------------------------------------------------------------------- early stopping


@pytest.mark.parametrize(
    "costs, patience, expected",
    [
        ([3.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.5], 3, (5, 2)),  # tie at epoch 4 is not an improvement
        ([3.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.5], 5, (6, 6)),  # never stops: last epoch, best overall
        ([1.0, 2.0, 3.0], 1, (1, 0)),
        ([5.0, 4.0, 3.0, 2.0], 1, (3, 3)),  # always improving
        ([2.0], 4, (0, 0)),
        ([1.0, 1.0, 1.0, 1.0], 2, (2, 0)),  # all ties: the first one is best
        ([float("nan"), 3.0, 4.0, 5.0], 2, (3, 1)),  # a NaN cost never counts as the best
    ],
)
def test_early_stopping_hand_worked(costs, patience, expected):
    result = early_stopping(costs, patience)
    assert result == expected
    assert all(type(x) is int for x in result)


def reference_early_stopping(costs, patience):
    for e in range(len(costs)):
        best = int(np.argmin(costs[: e + 1]))  # argmin returns the first of tied minima
        if e - best >= patience:
            return e, best
    return len(costs) - 1, int(np.argmin(costs))


@settings(max_examples=150, deadline=None)
@given(
    costs=st.lists(st.integers(0, 6).map(float), min_size=1, max_size=25),
    patience=st.integers(1, 6),
)
def test_early_stopping_matches_brute_force(costs, patience):
    assert early_stopping(costs, patience) == reference_early_stopping(costs, patience)
    assert early_stopping(np.array(costs), patience) == reference_early_stopping(costs, patience)


@pytest.mark.parametrize("patience", [0, -1, 1.5, "3", None, True])
def test_early_stopping_bad_patience(patience):
    with pytest.raises(ValueError, match="patience"):
        early_stopping([1.0, 2.0], patience)


@pytest.mark.parametrize("costs", [[], [[1.0, 2.0]], "abc"])
def test_early_stopping_bad_costs(costs):
    with pytest.raises(ValueError, match="dev_costs"):
        early_stopping(costs, 2)
