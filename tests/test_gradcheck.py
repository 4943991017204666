"""Tests of dlcore.gradcheck: finite differences, the relative difference, check_gradients."""
import numpy as np
import pytest

from dlcore.gradcheck import check_gradients, gradient_difference, numerical_gradient
from dlcore.layers import linear_activation_backward, linear_activation_forward

# --- numerical_gradient ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1,), (4,), (3, 2), (2, 2, 3)])
def test_numerical_gradient_of_known_function(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    original = x.copy()
    approx = numerical_gradient(lambda v: float(np.sum(v**3) + 2 * np.sum(v)), x)
    assert approx.shape == x.shape
    np.testing.assert_allclose(approx, 3 * original**2 + 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, original)  # restored bit for bit


def test_numerical_gradient_restores_x_even_if_f_looks_at_it():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    seen = []

    def f(v):
        seen.append(v.copy())
        return float(v[0, 0] * v[1, 1])

    approx = numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(approx, [[3.0, 0.0], [0.0, 1.0]], atol=1e-7)
    assert len(seen) == 8  # two evaluations per element
    assert sum(not np.array_equal(s, x) for s in seen) == 8  # each one perturbed


def test_numerical_gradient_bad_arguments():
    with pytest.raises(ValueError, match="`x`.*float64"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
    with pytest.raises(ValueError, match="`x`"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="`epsilon`"):
        numerical_gradient(lambda v: 0.0, np.ones(2), epsilon=0.0)


# --- gradient_difference ---------------------------------------------------------------


def test_gradient_difference_values():
    zero = gradient_difference(np.zeros(5), np.zeros(5))
    assert zero == 0.0 and type(zero) is float
    assert gradient_difference(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradient_difference(np.array([1.0, 0.0]), np.zeros(2)) == pytest.approx(1.0)
    assert gradient_difference(np.array([3.0, 4.0]), -np.array([3.0, 4.0])) == pytest.approx(1.0)
    # ||(0, 1)|| / (||(3, 4)|| + ||(3, 5)||)
    expected = 1.0 / (5.0 + np.sqrt(34.0))
    assert gradient_difference(np.array([3.0, 4.0]), np.array([3.0, 5.0])) == pytest.approx(expected, rel=1e-14)


def test_gradient_difference_is_scale_invariant_and_symmetric():
    rng = np.random.default_rng(1)
    g, h = rng.standard_normal(10), rng.standard_normal(10)
    d = gradient_difference(g, h)
    assert gradient_difference(h, g) == pytest.approx(d, rel=1e-14)
    assert gradient_difference(1e6 * g, 1e6 * h) == pytest.approx(d, rel=1e-12)
    assert 0.0 <= d <= 1.0


def test_gradient_difference_shape_mismatch():
    with pytest.raises(ValueError, match="`grad` and `grad_approx`"):
        gradient_difference(np.ones(3), np.ones(4))


# --- check_gradients on smooth functions -----------------------------------------------


def _quadratic(seed, n=4):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    A = A @ A.T
    c = rng.standard_normal(n)
    return A, c


def test_check_gradients_accepts_a_correct_gradient_and_restores_params():
    A, c = _quadratic(2)
    params = {"W": np.random.default_rng(3).standard_normal(4), "b": np.array([0.5, -1.0])}
    before = {k: v.copy() for k, v in params.items()}

    def f(p):
        return float(0.5 * p["W"] @ A @ p["W"] + c @ p["W"] + np.sum(np.exp(p["b"])))

    grads = {"dW": A @ params["W"] + c, "db": np.exp(params["b"])}
    report = check_gradients(f, params, grads)
    assert report.passed and report.difference < 1e-7 and report.skipped == 0
    assert set(report.per_key) == {"W", "b"}
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert "OK" in str(report)


def test_check_gradients_flags_a_wrong_gradient_and_names_the_worst_element():
    A, c = _quadratic(4)
    params = {"W": np.random.default_rng(5).standard_normal((2, 2)), "b": np.zeros(3)}

    def f(p):
        return float(0.5 * p["W"].ravel() @ A @ p["W"].ravel() + np.sum(p["b"] ** 2))

    grads = {"W": (A @ params["W"].ravel()).reshape(2, 2), "b": 2 * params["b"]}
    grads["W"][1, 0] += 0.3
    report = check_gradients(f, params, grads)
    assert not report.passed and report.difference > 1e-3
    key, idx, analytic, numeric = report.worst
    assert key == "W" and tuple(int(i) for i in idx) == (1, 0)
    assert analytic - numeric == pytest.approx(0.3, rel=1e-5)
    text = str(report)
    assert "MISMATCH" in text and "W[1, 0]" in text


def test_wrong_gradient_at_a_stationary_point_is_not_skipped():
    """A smooth function with zero slope and strong curvature is not a kink."""
    w = np.array([0.0, 0.0, 1.0])
    f = lambda v: float(50 * np.sum(v**2))
    assert check_gradients(f, w, 100 * w).skipped == 0
    report = check_gradients(f, w, np.array([5.0, 0.0, 100.0]))
    assert not report.passed and report.skipped == 0
    assert tuple(int(i) for i in report.worst[1]) == (0,)


def test_check_gradients_bad_arguments():
    with pytest.raises(ValueError, match="`grads`.*'b'"):
        check_gradients(lambda p: 0.0, {"W": np.ones(2), "b": np.ones(1)}, {"dW": np.ones(2)})
    with pytest.raises(ValueError, match="`grads`.*shape"):
        check_gradients(lambda p: 0.0, {"W": np.ones(2)}, {"dW": np.ones(3)})
    with pytest.raises(ValueError, match="`params"):
        check_gradients(lambda p: 0.0, {"W": np.ones(2, dtype=int)}, {"dW": np.ones(2)})


# --- check_gradients at ReLU kinks -----------------------------------------------------
#
# One ReLU layer, J = (1/m) sum(G * relu(W X + b)). The numbers are small dyadic values,
# so W X is computed exactly and a pre-activation can be put exactly on the kink.

X_KINK = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]])
W_KINK = np.array([[1.0, -2.0], [0.5, 1.0], [-1.5, 0.25]])
G_KINK = np.array([[1.0, -2.0, 0.5], [2.0, 1.5, -1.0], [0.75, 1.0, 1.25]])


def _relu_layer(b):
    params = {"W": W_KINK.copy(), "b": b}
    m = X_KINK.shape[1]

    def J(p):
        A, _ = linear_activation_forward(X_KINK, p["W"], p["b"], "relu")
        return float(np.sum(G_KINK * A) / m)

    _, cache = linear_activation_forward(X_KINK, params["W"], params["b"], "relu")
    _, dW, db = linear_activation_backward(G_KINK, cache, "relu")
    return J, params, {"W": dW, "b": db}


def test_relu_input_exactly_on_the_kink_does_not_fail_a_correct_backward():
    b = np.array([[0.0], [0.3], [0.2]])
    J, params, grads = _relu_layer(b)
    Z = W_KINK @ X_KINK + b
    assert Z[0, 0] == 0.0  # 1 * 1 + (-2) * 0.5: on the kink
    report = check_gradients(J, params, grads)
    assert report.passed, str(report)
    assert report.skipped >= 1


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.9, 0.999, 0.9999995, 1.0, 1.5])
def test_relu_input_within_epsilon_of_the_kink_does_not_fail_a_correct_backward(fraction):
    eps = 1e-6
    b = np.array([[0.0], [0.3], [0.2]])
    b[1, 0] = -(W_KINK[1] @ X_KINK[:, 0]) - fraction * eps  # Z[1, 0] sits fraction * eps below 0
    J, params, grads = _relu_layer(b)
    Z = W_KINK @ X_KINK + b
    assert -2 * eps < Z[1, 0] < 0
    report = check_gradients(J, params, grads, epsilon=eps)
    assert report.passed, str(report)


def test_kink_handling_still_flags_a_wrong_relu_backward():
    b = np.array([[0.0], [0.3], [0.2]])
    J, params, grads = _relu_layer(b)
    Z = W_KINK @ X_KINK + b
    # A classic mistake: letting the gradient through where Z < 0 as well (dZ = dA).
    m = X_KINK.shape[1]
    wrong = {"W": G_KINK @ X_KINK.T / m, "b": G_KINK.sum(axis=1, keepdims=True) / m}
    assert (Z < 0).any()
    report = check_gradients(J, params, wrong)
    assert not report.passed and report.difference > 1e-2
    assert report.worst[0] in ("W", "b")
