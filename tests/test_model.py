"""Tests of dlcore.model: the L-layer ReLU/sigmoid network, its gradients and the update step."""
import numpy as np
import pytest
from networks import random_problem

from dlcore.gradcheck import check_gradients
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, predict, update_parameters

# layer_dims, m
NETS = [([3, 4, 2, 1], 5), ([2, 3, 3, 1], 1), ([5, 2, 4, 1], 7), ([4, 1], 6), ([2, 5, 1], 3)]


def _reference_forward(X, params):
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = np.maximum(0.0, params[f"W{l}"] @ A + params[f"b{l}"])
    return 1.0 / (1.0 + np.exp(-(params[f"W{L}"] @ A + params[f"b{L}"])))


# --- forward ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed,net", list(enumerate(NETS)))
def test_model_forward_matches_reference(seed, net):
    dims, m = net
    X, _, params = random_problem(dims, m, seed)
    AL, caches = model_forward(X, params)
    assert AL.shape == (1, m)
    assert len(caches) == len(dims) - 1
    np.testing.assert_allclose(AL, _reference_forward(X, params), rtol=1e-13)
    for l, (linear_cache, Z) in enumerate(caches, start=1):
        assert Z.shape == (dims[l], m)
        np.testing.assert_array_equal(linear_cache[1], params[f"W{l}"])


def test_model_forward_hand_example():
    params = {"W1": np.array([[1.0, -1.0], [2.0, 0.0]]), "b1": np.array([[0.0], [-1.0]]),
              "W2": np.array([[1.0, -0.5]]), "b2": np.array([[0.5]])}
    X = np.array([[2.0], [1.0]])
    # hidden: relu([1, 3]) = [1, 3]; output z = 1 - 1.5 + 0.5 = 0
    AL, _ = model_forward(X, params)
    np.testing.assert_allclose(AL, [[0.5]])


# --- backward --------------------------------------------------------------------------


def _cost_of_params(X, Y):
    return lambda p: compute_cost(model_forward(X, p)[0], Y)


@pytest.mark.parametrize("seed,net", list(enumerate(NETS)))
def test_model_backward_matches_finite_differences(seed, net):
    dims, m = net
    X, Y, params = random_problem(dims, m, 40 + seed)
    AL, caches = model_forward(X, params)
    grads = model_backward(AL, Y, caches)
    L = len(dims) - 1
    assert set(grads) == {f"{k}{l}" for l in range(1, L + 1) for k in ("dW", "db")} | {f"dA{l}" for l in range(L)}
    for l in range(1, L + 1):
        assert grads[f"dW{l}"].shape == params[f"W{l}"].shape
        assert grads[f"db{l}"].shape == params[f"b{l}"].shape
    report = check_gradients(_cost_of_params(X, Y), params, grads)
    assert report.difference < 1e-7, str(report)
    assert report.skipped == 0


def test_model_backward_three_layer_net_dA0_matches_input_gradient():
    dims, m = [4, 5, 3, 1], 6
    X, Y, params = random_problem(dims, m, 99)
    AL, caches = model_forward(X, params)
    grads = model_backward(AL, Y, caches)
    # dA0 is the per-example gradient; the cost averages over m examples.
    report = check_gradients(lambda x: compute_cost(model_forward(x, params)[0], Y), X.copy(), grads["dA0"] / m)
    assert report.difference < 1e-7, str(report)
    assert grads["dA0"].shape == X.shape


def test_model_backward_detects_a_wrong_gradient():
    """Guard: the finite-difference comparison above must be able to fail."""
    X, Y, params = random_problem([3, 4, 2, 1], 5, 7)
    AL, caches = model_forward(X, params)
    grads = model_backward(AL, Y, caches)
    wrong = dict(grads, dW2=grads["dW2"] * 1.01)
    assert check_gradients(_cost_of_params(X, Y), params, wrong).difference > 1e-4


def test_model_backward_does_not_modify_inputs():
    X, Y, params = random_problem([3, 4, 2, 1], 5, 8)
    AL, caches = model_forward(X, params)
    AL0, Y0 = AL.copy(), Y.copy()
    Zs = [c[1].copy() for c in caches]
    model_backward(AL, Y, caches)
    np.testing.assert_array_equal(AL, AL0)
    np.testing.assert_array_equal(Y, Y0)
    for c, Z in zip(caches, Zs):
        np.testing.assert_array_equal(c[1], Z)


# --- update and predict ----------------------------------------------------------------


def test_update_parameters_returns_new_dict_and_leaves_inputs_unchanged():
    X, Y, params = random_problem([3, 4, 1], 5, 9)
    AL, caches = model_forward(X, params)
    grads = model_backward(AL, Y, caches)
    before = {k: v.copy() for k, v in params.items()}
    grads_before = {k: v.copy() for k, v in grads.items()}
    new = update_parameters(params, grads, 0.1)
    assert new is not params
    assert set(new) == set(params)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        assert new[k] is not params[k]
        assert not np.shares_memory(new[k], params[k])
        np.testing.assert_allclose(new[k], before[k] - 0.1 * grads_before["d" + k], rtol=1e-15)
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads_before[k])


def test_update_parameters_lowers_the_cost():
    X, Y, params = random_problem([3, 4, 2, 1], 20, 10)
    cost0 = compute_cost(model_forward(X, params)[0], Y)
    AL, caches = model_forward(X, params)
    new = update_parameters(params, model_backward(AL, Y, caches), 1e-3)
    assert compute_cost(model_forward(X, new)[0], Y) < cost0


def test_predict_thresholds_the_output():
    params = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    X = np.array([[-2.0, -0.1, 0.0, 0.1, 3.0]])
    np.testing.assert_array_equal(predict(X, params), [[0, 0, 0, 1, 1]])
    np.testing.assert_array_equal(predict(X, params, threshold=0.9), [[0, 0, 0, 0, 1]])
    assert predict(X, params).dtype.kind == "i"


# --- bad arguments ---------------------------------------------------------------------


def test_bad_arguments_are_named():
    X, Y, params = random_problem([3, 4, 1], 5, 11)
    with pytest.raises(ValueError, match="`X`"):
        model_forward(X[0], params)
    with pytest.raises(ValueError, match="`parameters`.*'b2'"):
        model_forward(X, {k: v for k, v in params.items() if k != "b2"} | {"c": 0})
    with pytest.raises(ValueError, match=r"`parameters\['W1'\]`|`W`"):
        model_forward(np.ones((2, 5)), params)
    with pytest.raises(ValueError, match="`caches`"):
        model_backward(np.full((1, 5), 0.5), Y, [])
    AL, caches = model_forward(X, params)
    with pytest.raises(ValueError, match="`AL` and `Y`"):
        model_backward(AL, Y[:, :4], caches)
    grads = model_backward(AL, Y, caches)
    with pytest.raises(ValueError, match="`learning_rate`"):
        update_parameters(params, grads, -0.1)
    with pytest.raises(ValueError, match="`grads`.*'dW2'"):
        update_parameters(params, {k: v for k, v in grads.items() if k != "dW2"}, 0.1)
    with pytest.raises(ValueError, match=r"`grads\['db1'\]`"):
        update_parameters(params, dict(grads, db1=np.zeros((4, 2))), 0.1)


def test_model_backward_is_the_gradient_of_compute_cost_for_random_normal_labels():
    # Labels outside {0, 1} (some published tests draw them with randn): the cost and
    # the gradients follow the same literal formula, so they still agree.
    X, _, params = random_problem([3, 4, 2, 1], 6, 12)
    Y = np.random.default_rng(12).standard_normal((1, 6))
    AL, caches = model_forward(X, params)
    grads = model_backward(AL, Y, caches)
    report = check_gradients(_cost_of_params(X, Y), params, grads)
    assert report.difference < 1e-7, str(report)
