"""Tests for dlcore.optim: mini-batches, weighted averages, momentum, RMSprop, Adam."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcore.optim import (
    exponentially_weighted_average,
    initialize_adam,
    initialize_velocity,
    random_mini_batches,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)


def global_state_unchanged(call) -> bool:
    before = np.random.get_state()
    call()
    after = np.random.get_state()
    return before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def random_params(layer_dims, seed):
    rng = np.random.default_rng(seed)
    params, grads = {}, {}
    for l in range(1, len(layer_dims)):
        for p, shape in (("W", (layer_dims[l], layer_dims[l - 1])), ("b", (layer_dims[l], 1))):
            params[f"{p}{l}"] = rng.standard_normal(shape)
            grads[f"d{p}{l}"] = rng.standard_normal(shape)
    return params, grads


def assert_dicts_equal(a, b):
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


# --------------------------------------------------------------------- mini-batches


def labelled_data(n_x, m, seed):
    """X whose row 0 is the example index; Y a deterministic function of each column of X."""
    rng = np.random.default_rng(seed)
    X = np.vstack([np.arange(m, dtype=float), rng.standard_normal((n_x - 1, m))])
    Y = np.vstack([3.0 * X[0] + 1.0, X[0] % 2])
    return X, Y


@settings(max_examples=120, deadline=None)
@given(
    n_x=st.integers(1, 4),
    m=st.integers(1, 60),
    size=st.integers(1, 70),
    seed=st.integers(0, 2**32 - 1),
)
def test_mini_batches_partition_the_examples(n_x, m, size, seed):
    X, Y = labelled_data(n_x, m, seed % 1000)
    X_saved, Y_saved = X.copy(), Y.copy()
    batches = random_mini_batches(X, Y, size, np.random.default_rng(seed))

    assert len(batches) == math.ceil(m / size)
    sizes = [xb.shape[1] for xb, _ in batches]
    expected_last = m - size * (len(batches) - 1)
    assert sizes == [size] * (len(batches) - 1) + [expected_last]
    for xb, yb in batches:
        assert xb.shape == (n_x, xb.shape[1]) and yb.shape == (2, xb.shape[1])
        # Pairing: each Y column still belongs to its X column ...
        np.testing.assert_array_equal(yb[0], 3.0 * xb[0] + 1.0)
        np.testing.assert_array_equal(yb[1], xb[0] % 2)
        # ... and whole columns were moved (not rows shuffled independently).
        np.testing.assert_array_equal(xb, X[:, xb[0].astype(int)])
    ids = np.concatenate([xb[0] for xb, _ in batches])
    np.testing.assert_array_equal(np.sort(ids), np.arange(m))  # every example exactly once
    np.testing.assert_array_equal(X, X_saved)
    np.testing.assert_array_equal(Y, Y_saved)


def test_mini_batches_hand_sized_example():
    X, Y = labelled_data(2, 10, 0)
    batches = random_mini_batches(X, Y, 4, np.random.default_rng(0))
    assert [xb.shape for xb, _ in batches] == [(2, 4), (2, 4), (2, 2)]
    assert [yb.shape for _, yb in batches] == [(2, 4), (2, 4), (2, 2)]


def test_mini_batches_are_shuffled_deterministic_and_use_only_rng():
    X, Y = labelled_data(3, 200, 1)
    order = lambda seed: np.concatenate([xb[0] for xb, _ in random_mini_batches(X, Y, 64, np.random.default_rng(seed))])
    assert not np.array_equal(order(5), np.arange(200))  # shuffled
    np.testing.assert_array_equal(order(5), order(5))  # same seed, same batches
    assert not np.array_equal(order(5), order(6))
    np.random.seed(1)
    assert global_state_unchanged(lambda: random_mini_batches(X, Y, 64, np.random.default_rng(3)))


def test_mini_batches_do_not_share_memory_with_inputs():
    X, Y = labelled_data(2, 9, 2)
    for xb, yb in random_mini_batches(X, Y, 4, np.random.default_rng(0)):
        assert not np.shares_memory(xb, X) and not np.shares_memory(yb, Y)


def test_mini_batch_larger_than_data_gives_one_batch():
    X, Y = labelled_data(2, 5, 3)
    batches = random_mini_batches(X, Y, 64, np.random.default_rng(0))
    assert len(batches) == 1 and batches[0][0].shape == (2, 5)


@pytest.mark.parametrize("size", [0, -3, 2.5, "4", None, True])
def test_mini_batches_bad_size(size):
    X, Y = labelled_data(2, 5, 0)
    with pytest.raises(ValueError, match="mini_batch_size"):
        random_mini_batches(X, Y, size, np.random.default_rng(0))


def test_mini_batches_bad_arguments():
    X, Y = labelled_data(2, 5, 0)
    with pytest.raises(ValueError, match="`Y`"):
        random_mini_batches(X, Y[:, :4], 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="`X`"):
        random_mini_batches(X[0], Y, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        random_mini_batches(X, Y, 2, 42)


# ------------------------------------------------------- exponentially weighted average


def test_ewa_hand_worked():
    # beta = 0.5: v1 = 0.5 * 1 = 0.5, v2 = 0.5 * 0.5 + 0.5 * 2 = 1.25;
    # corrected: 0.5 / (1 - 0.5) = 1, 1.25 / (1 - 0.25) = 5/3.
    np.testing.assert_allclose(exponentially_weighted_average([1.0, 2.0], 0.5, bias_correction=False), [0.5, 1.25])
    np.testing.assert_allclose(exponentially_weighted_average([1.0, 2.0], 0.5), [1.0, 5.0 / 3.0], rtol=1e-15)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98])
def test_ewa_matches_closed_form(beta):
    theta = np.random.default_rng(int(beta * 100)).standard_normal(40)
    saved = theta.copy()
    v = exponentially_weighted_average(theta, beta, bias_correction=False)
    vc = exponentially_weighted_average(theta, beta)
    for t in range(1, 41):  # v_t = (1 - beta) * sum_i beta^(t-i) theta_i
        closed = (1 - beta) * sum(beta ** (t - i) * theta[i - 1] for i in range(1, t + 1))
        assert v[t - 1] == pytest.approx(closed, rel=1e-10, abs=1e-12)
        assert vc[t - 1] == pytest.approx(closed / (1 - beta**t), rel=1e-10, abs=1e-12)
    np.testing.assert_array_equal(theta, saved)
    assert v.shape == theta.shape and v.dtype == np.float64


def test_ewa_bias_correction_removes_the_start_up_bias():
    constant = np.full(30, 7.0)
    np.testing.assert_allclose(exponentially_weighted_average(constant, 0.9), 7.0, rtol=1e-12)
    assert exponentially_weighted_average(constant, 0.9, bias_correction=False)[0] == pytest.approx(0.7)


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5, "x"])
def test_ewa_bad_beta(beta):
    with pytest.raises(ValueError, match="beta"):
        exponentially_weighted_average([1.0, 2.0], beta)


def test_ewa_bad_values():
    with pytest.raises(ValueError, match="values"):
        exponentially_weighted_average([], 0.9)


# ---------------------------------------------------------------------- initialisation


def test_initialize_velocity_and_adam():
    params, _ = random_params([3, 4, 2], 0)
    v = initialize_velocity(params)
    assert set(v) == {"dW1", "db1", "dW2", "db2"}
    for l in (1, 2):
        for p in "Wb":
            assert v[f"d{p}{l}"].shape == params[f"{p}{l}"].shape
            assert v[f"d{p}{l}"].dtype == np.float64
            np.testing.assert_array_equal(v[f"d{p}{l}"], 0.0)
    va, sa = initialize_adam(params)
    assert_dicts_equal(va, v)
    assert_dicts_equal(sa, v)
    assert not np.shares_memory(va["dW1"], sa["dW1"])  # two independent states
    with pytest.raises(ValueError, match="parameters"):
        initialize_velocity({"W1": np.ones((2, 2)), "W2": np.ones((2, 2))})


# --------------------------------------------------------------------------- updates


def tiny():
    """One layer with a 1x2 weight and a 1x1 bias."""
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.0]])}
    grads = {"dW1": np.array([[0.5, -1.0]]), "db1": np.array([[2.0]])}
    return params, grads


def test_momentum_hand_worked():
    params, grads = tiny()
    v = {"dW1": np.array([[0.1, 0.2]]), "db1": np.array([[0.0]])}
    new_p, new_v = update_parameters_with_momentum(params, grads, v, beta=0.9, learning_rate=0.1)
    # v = 0.9 v + 0.1 g: [0.09 + 0.05, 0.18 - 0.1] = [0.14, 0.08]; db: 0.2
    np.testing.assert_allclose(new_v["dW1"], [[0.14, 0.08]], rtol=1e-14)
    np.testing.assert_allclose(new_v["db1"], [[0.2]], rtol=1e-14)
    # W = W - 0.1 v: [1 - 0.014, 2 - 0.008]; b = 0 - 0.02
    np.testing.assert_allclose(new_p["W1"], [[0.986, 1.992]], rtol=1e-14)
    np.testing.assert_allclose(new_p["b1"], [[-0.02]], rtol=1e-14)


def test_rmsprop_hand_worked():
    params, grads = tiny()
    s = {"dW1": np.array([[0.01, 0.0]]), "db1": np.array([[1.0]])}
    new_p, new_s = update_parameters_with_rmsprop(params, grads, s, beta2=0.9, learning_rate=0.1, epsilon=1e-8)
    # s = 0.9 s + 0.1 g^2: [0.009 + 0.025, 0 + 0.1] = [0.034, 0.1]; db: 0.9 + 0.4 = 1.3
    np.testing.assert_allclose(new_s["dW1"], [[0.034, 0.1]], rtol=1e-14)
    np.testing.assert_allclose(new_s["db1"], [[1.3]], rtol=1e-14)
    expected_W = [[1.0 - 0.1 * 0.5 / (math.sqrt(0.034) + 1e-8), 2.0 + 0.1 * 1.0 / (math.sqrt(0.1) + 1e-8)]]
    np.testing.assert_allclose(new_p["W1"], expected_W, rtol=1e-14)
    np.testing.assert_allclose(new_p["b1"], [[-0.1 * 2.0 / (math.sqrt(1.3) + 1e-8)]], rtol=1e-14)


def test_adam_hand_worked_first_step():
    params, grads = tiny()
    v, s = initialize_adam(params)
    new_p, new_v, new_s = update_parameters_with_adam(params, grads, v, s, t=1, learning_rate=0.01)
    # Uncorrected moments are returned: v = 0.1 g, s = 0.001 g^2.
    np.testing.assert_allclose(new_v["dW1"], [[0.05, -0.1]], rtol=1e-14)
    np.testing.assert_allclose(new_s["dW1"], [[0.00025, 0.001]], rtol=1e-14)
    np.testing.assert_allclose(new_s["db1"], [[0.004]], rtol=1e-14)
    # Corrected: v^ = g, s^ = g^2, so the step is lr * g / (|g| + eps).
    np.testing.assert_allclose(new_p["W1"], [[1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 2.0 + 0.01 * 1.0 / (1.0 + 1e-8)]], rtol=1e-14)
    np.testing.assert_allclose(new_p["b1"], [[-0.01 * 2.0 / (2.0 + 1e-8)]], rtol=1e-14)


def test_adam_hand_worked_second_step():
    params = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    grads = {"dW1": np.array([[0.2]]), "db1": np.array([[0.0]])}
    v = {"dW1": np.array([[0.1]]), "db1": np.array([[0.0]])}
    s = {"dW1": np.array([[0.01]]), "db1": np.array([[0.0]])}
    new_p, new_v, new_s = update_parameters_with_adam(params, grads, v, s, t=2, learning_rate=0.1)
    # v = 0.9 * 0.1 + 0.1 * 0.2 = 0.11 ;  s = 0.999 * 0.01 + 0.001 * 0.04 = 0.01003
    # v^ = 0.11 / (1 - 0.81) = 0.11 / 0.19 ;  s^ = 0.01003 / (1 - 0.998001) = 0.01003 / 0.001999
    np.testing.assert_allclose(new_v["dW1"], [[0.11]], rtol=1e-14)
    np.testing.assert_allclose(new_s["dW1"], [[0.01003]], rtol=1e-14)
    expected = 1.0 - 0.1 * (0.11 / 0.19) / (math.sqrt(0.01003 / 0.001999) + 1e-8)
    np.testing.assert_allclose(new_p["W1"], [[expected]], rtol=1e-13)
    # Zero gradient and zero moments: the bias stays where it is.
    np.testing.assert_array_equal(new_p["b1"], [[0.0]])


def textbook_adam(params, grads, v, s, t, lr, b1, b2, eps):
    P, V, S = {}, {}, {}
    for k in params:
        g = grads["d" + k]
        V["d" + k] = b1 * v["d" + k] + (1 - b1) * g
        S["d" + k] = b2 * s["d" + k] + (1 - b2) * g**2
        v_hat = V["d" + k] / (1 - b1**t)
        s_hat = S["d" + k] / (1 - b2**t)
        P[k] = params[k] - lr * v_hat / (np.sqrt(s_hat) + eps)
    return P, V, S


@pytest.mark.parametrize("layer_dims, t, eps", [([3, 4, 1], 1, 1e-8), ([5, 3, 2, 1], 7, 1e-8), ([2, 6, 3], 1000, 1e-2)])
def test_adam_matches_textbook_formula(layer_dims, t, eps):
    params, grads = random_params(layer_dims, t)
    rng = np.random.default_rng(t + 1)
    v = {k: rng.standard_normal(g.shape) * 0.1 for k, g in grads.items()}
    s = {k: rng.random(g.shape) * 0.1 for k, g in grads.items()}
    got = update_parameters_with_adam(params, grads, v, s, t, 0.05, 0.8, 0.99, eps)
    want = textbook_adam(params, grads, v, s, t, 0.05, 0.8, 0.99, eps)
    for a, b in zip(got, want):
        assert set(a) == set(b)
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=1e-15)


def test_adam_first_step_moves_each_weight_by_about_the_learning_rate():
    params, grads = random_params([10, 8, 3], 4)
    v, s = initialize_adam(params)
    new_p, _, _ = update_parameters_with_adam(params, grads, v, s, 1, learning_rate=0.003)
    for k in params:
        # lr * g / (|g| + eps): within eps / |g| of lr * sign(g); without bias correction it would be ~0.3 lr.
        np.testing.assert_allclose(params[k] - new_p[k], 0.003 * np.sign(grads["d" + k]), rtol=1e-4)


def momentum_step(p, g, state, t):
    p, v = update_parameters_with_momentum(p, g, state[0], 0.9, 0.05)
    return p, (v,)


def rmsprop_step(p, g, state, t):
    p, s = update_parameters_with_rmsprop(p, g, state[0], 0.99, 0.01)
    return p, (s,)


def adam_step(p, g, state, t):
    p, v, s = update_parameters_with_adam(p, g, state[0], state[1], t, 0.05)
    return p, (v, s)


@pytest.mark.parametrize("step", [momentum_step, rmsprop_step, adam_step])
def test_updates_minimise_a_quadratic(step):
    # cost = 0.5 * sum (P - target)^2, gradient P - target: every optimizer must get close.
    params, _ = random_params([3, 2], 0)
    target = {k: np.full_like(p, 0.5) for k, p in params.items()}
    state = initialize_adam(params)
    for t in range(1, 601):
        grads = {"d" + k: params[k] - target[k] for k in params}
        params, state = step(params, grads, state, t)
    for k in params:
        np.testing.assert_allclose(params[k], target[k], atol=0.02)


def test_updates_return_new_dicts_and_leave_inputs_untouched():
    params, grads = random_params([4, 3, 2], 9)
    rng = np.random.default_rng(0)
    v = {k: rng.standard_normal(g.shape) for k, g in grads.items()}
    s = {k: rng.random(g.shape) for k, g in grads.items()}
    saved = copy.deepcopy((params, grads, v, s))
    outputs = [
        update_parameters_with_momentum(params, grads, v, 0.9, 0.1),
        update_parameters_with_rmsprop(params, grads, s, 0.9, 0.1),
        update_parameters_with_adam(params, grads, v, s, 3, 0.1),
    ]
    for original, kept in zip((params, grads, v, s), saved):
        assert_dicts_equal(original, kept)
    inputs = [params, grads, v, s]
    for out in outputs:
        for d in out:
            assert all(d is not i for i in inputs)
            for arr in d.values():
                assert not any(np.shares_memory(arr, x) for i in inputs for x in i.values())
    assert set(outputs[0][0]) == set(params) and set(outputs[0][1]) == set(grads)


ADAM_OK = dict(t=1, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)


@pytest.mark.parametrize(
    "change, name",
    [
        ({"t": 0}, "`t`"),
        ({"t": -2}, "`t`"),
        ({"t": 1.5}, "`t`"),
        ({"t": True}, "`t`"),
        ({"beta1": 1.0}, "beta1"),
        ({"beta2": -0.5}, "beta2"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"epsilon": 0.0}, "epsilon"),
    ],
)
def test_adam_bad_scalars(change, name):
    params, grads = random_params([3, 2], 0)
    v, s = initialize_adam(params)
    with pytest.raises(ValueError, match=name):
        update_parameters_with_adam(params, grads, v, s, **{**ADAM_OK, **change})


def test_updates_bad_dicts_named():
    params, grads = random_params([3, 2], 0)
    v, s = initialize_adam(params)
    missing = {k: g for k, g in grads.items() if k != "db1"}
    wrong_shape = {**grads, "dW1": np.ones((3, 2))}
    with pytest.raises(ValueError, match="grads"):
        update_parameters_with_adam(params, missing, v, s, 1)
    with pytest.raises(ValueError, match="grads"):
        update_parameters_with_momentum(params, wrong_shape, v, 0.9, 0.1)
    with pytest.raises(ValueError, match="`v`"):
        update_parameters_with_momentum(params, grads, {}, 0.9, 0.1)
    with pytest.raises(ValueError, match=r"`s\['dW1'\]`"):
        update_parameters_with_rmsprop(params, grads, {**s, "dW1": np.ones((1, 1))}, 0.9, 0.1)
    with pytest.raises(ValueError, match="beta"):
        update_parameters_with_momentum(params, grads, v, 1.0, 0.1)
    with pytest.raises(ValueError, match="beta2"):
        update_parameters_with_rmsprop(params, grads, s, 2.0, 0.1)
