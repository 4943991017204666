"""Tests of dlcore.layers: linear and linear+activation steps, forward and backward."""
import numpy as np
import pytest

from dlcore.activations import leaky_relu, relu, sigmoid, tanh
from dlcore.gradcheck import check_gradients
from dlcore.layers import linear_activation_backward, linear_activation_forward, linear_backward, linear_forward

# (n_prev, n, m)
SIZES = [(1, 1, 1), (3, 2, 5), (4, 6, 3), (5, 1, 8), (2, 3, 1)]
G = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "leaky_relu": leaky_relu}


def _layer(seed, n_prev, n, m):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1))


# --- forward ---------------------------------------------------------------------------


def test_linear_forward_hand_example():
    A_prev = np.array([[1.0, -1.0], [2.0, 0.5]])
    W = np.array([[3.0, -1.0]])
    b = np.array([[0.25]])
    Z, cache = linear_forward(A_prev, W, b)
    np.testing.assert_array_equal(Z, [[3 - 2 + 0.25, -3 - 0.5 + 0.25]])
    assert len(cache) == 3
    for got, want in zip(cache, (A_prev, W, b)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed,size", list(enumerate(SIZES)))
def test_linear_forward_matches_explicit_sums(seed, size):
    A_prev, W, b = _layer(seed, *size)
    Z, _ = linear_forward(A_prev, W, b)
    n_prev, n, m = size
    expected = np.array([[sum(W[i, k] * A_prev[k, j] for k in range(n_prev)) + b[i, 0] for j in range(m)] for i in range(n)])
    assert Z.shape == (n, m) and Z.dtype == np.float64
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", sorted(G))
def test_linear_activation_forward_applies_activation(activation):
    A_prev, W, b = _layer(3, 4, 3, 6)
    A, cache = linear_activation_forward(A_prev, W, b, activation)
    linear_cache, Z = cache
    np.testing.assert_allclose(Z, W @ A_prev + b, rtol=1e-14)
    np.testing.assert_allclose(A, G[activation](W @ A_prev + b), rtol=1e-14)
    assert len(linear_cache) == 3


def test_forward_does_not_modify_arguments():
    A_prev, W, b = _layer(4, 3, 2, 5)
    copies = [x.copy() for x in (A_prev, W, b)]
    linear_activation_forward(A_prev, W, b, "relu")
    for x, c in zip((A_prev, W, b), copies):
        np.testing.assert_array_equal(x, c)


# --- backward --------------------------------------------------------------------------


def _linear_objective(G_up, m):
    """J(A_prev, W, b) = (1/m) sum(G_up * Z): the per-example upstream gradient is G_up."""
    return lambda p: float(np.sum(G_up * (p["W"] @ p["A_prev"] + p["b"])) / m)


@pytest.mark.parametrize("seed,size", list(enumerate(SIZES)))
def test_linear_backward_matches_finite_differences(seed, size):
    A_prev, W, b = _layer(10 + seed, *size)
    m = size[2]
    dZ = np.random.default_rng(50 + seed).standard_normal((size[1], m))
    _, cache = linear_forward(A_prev, W, b)
    dA_prev, dW, db = linear_backward(dZ, cache)
    assert (dA_prev.shape, dW.shape, db.shape) == (A_prev.shape, W.shape, b.shape)
    params = {"A_prev": A_prev.copy(), "W": W.copy(), "b": b.copy()}
    # dW and db carry the 1/m of the cost; dA_prev is per example (the 1/m comes later).
    report = check_gradients(_linear_objective(dZ, m), params, {"A_prev": dA_prev / m, "W": dW, "b": db})
    assert report.skipped == 0
    assert report.difference < 1e-7, str(report)


def test_linear_backward_hand_example():
    A_prev = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, -1.0]])
    dZ = np.array([[2.0, -4.0]])
    dA_prev, dW, db = linear_backward(dZ, (A_prev, W, np.zeros((1, 1))))
    np.testing.assert_allclose(dW, [[(2 - 8) / 2, (6 - 16) / 2]])
    np.testing.assert_allclose(db, [[-1.0]])
    np.testing.assert_allclose(dA_prev, [[2.0, -4.0], [-2.0, 4.0]])


@pytest.mark.parametrize("activation", sorted(G))
@pytest.mark.parametrize("seed,size", list(enumerate(SIZES[1:])))
def test_linear_activation_backward_matches_finite_differences(activation, seed, size):
    A_prev, W, b = _layer(20 + seed, *size)
    m = size[2]
    dA = np.random.default_rng(70 + seed).standard_normal((size[1], m))
    _, cache = linear_activation_forward(A_prev, W, b, activation)
    dA_prev, dW, db = linear_activation_backward(dA, cache, activation)
    g = G[activation]

    def J(p):
        return float(np.sum(dA * g(p["W"] @ p["A_prev"] + p["b"])) / m)

    params = {"A_prev": A_prev.copy(), "W": W.copy(), "b": b.copy()}
    report = check_gradients(J, params, {"A_prev": dA_prev / m, "W": dW, "b": db})
    assert report.difference < 1e-7, str(report)
    assert report.skipped == 0  # random Z never sits within a step of the kink


def test_backward_does_not_modify_cache_or_gradient():
    A_prev, W, b = _layer(5, 3, 4, 6)
    _, cache = linear_activation_forward(A_prev, W, b, "tanh")
    dA = np.ones((4, 6))
    snapshot = [A_prev.copy(), W.copy(), b.copy(), cache[1].copy(), dA.copy()]
    linear_activation_backward(dA, cache, "tanh")
    for x, c in zip((A_prev, W, b, cache[1], dA), snapshot):
        np.testing.assert_array_equal(x, c)


# --- bad arguments ---------------------------------------------------------------------


def test_linear_forward_rejects_mismatched_shapes():
    A_prev, W, b = _layer(6, 3, 2, 4)
    with pytest.raises(ValueError, match=r"`W`.*\(any, 3\).*\(2, 5\)"):
        linear_forward(A_prev, np.ones((2, 5)), b)
    with pytest.raises(ValueError, match=r"`b`.*\(2, 1\)"):
        linear_forward(A_prev, W, np.ones((1, 2)))
    with pytest.raises(ValueError, match="`A_prev`.*2-D"):
        linear_forward(np.ones(3), W, b)
    with pytest.raises(ValueError, match="`A_prev`.*empty"):
        linear_forward(np.ones((3, 0)), W, b)


@pytest.mark.parametrize("bad", ["softmax", "ReLU", None])
def test_unknown_activation_is_named(bad):
    A_prev, W, b = _layer(7, 3, 2, 4)
    with pytest.raises(ValueError, match="`activation`"):
        linear_activation_forward(A_prev, W, b, bad)
    _, cache = linear_activation_forward(A_prev, W, b, "relu")
    with pytest.raises(ValueError, match="`activation`"):
        linear_activation_backward(np.ones((2, 4)), cache, bad)


def test_backward_rejects_bad_dZ_and_cache():
    A_prev, W, b = _layer(8, 3, 2, 4)
    _, cache = linear_forward(A_prev, W, b)
    with pytest.raises(ValueError, match=r"`dZ`.*\(2, 4\)"):
        linear_backward(np.ones((2, 5)), cache)
    with pytest.raises(ValueError, match="`cache`"):
        linear_backward(np.ones((2, 4)), (A_prev, W))
    with pytest.raises(ValueError, match="`cache`"):
        linear_activation_backward(np.ones((2, 4)), cache, "relu")  # a linear cache, not (linear_cache, Z)
