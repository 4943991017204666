"""Tests for dlcore.loop.train_model: an independent loop written out with explicit formulas,
and the behaviour the exercise is graded on."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from dlcore.loop import train_model
from dlcore.losses import compute_cost
from dlcore.model import model_forward


def data(seed: int, m: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    return X, (X[0:1] + X[1:2] ** 2 > 0.5).astype(int)


def independent_two_layer_loop(X, Y, n_h, optimizer, lr, epochs, size, rng, beta=0.9, beta1=0.9, beta2=0.999,
                               eps=1e-8):
    """The same training written out for a [n_x, n_h, 1] network: explicit formulas, no dlcore."""
    n_x, m = X.shape
    P = {"W1": rng.standard_normal((n_h, n_x)) * np.sqrt(2 / n_x), "b1": np.zeros((n_h, 1)),
         "W2": rng.standard_normal((1, n_h)) * np.sqrt(2 / n_h), "b2": np.zeros((1, 1))}
    v = {k: np.zeros_like(p) for k, p in P.items()}
    s = {k: np.zeros_like(p) for k, p in P.items()}
    t, costs = 0, []

    def forward(A0, P):
        Z1 = P["W1"] @ A0 + P["b1"]
        A1 = np.maximum(Z1, 0)
        A2 = 1 / (1 + np.exp(-(P["W2"] @ A1 + P["b2"])))
        return Z1, A1, A2

    for _ in range(epochs):
        perm = rng.permutation(m)
        for k in range(0, m, size):
            idx = perm[k:k + size]
            A0, Yb, n = X[:, idx], Y[:, idx], len(idx)
            Z1, A1, A2 = forward(A0, P)
            dZ2 = A2 - Yb
            dZ1 = (P["W2"].T @ dZ2) * (Z1 > 0)
            g = {"W2": dZ2 @ A1.T / n, "b2": dZ2.sum(1, keepdims=True) / n,
                 "W1": dZ1 @ A0.T / n, "b1": dZ1.sum(1, keepdims=True) / n}
            t += 1
            for key in P:
                if optimizer == "gd":
                    step = g[key]
                elif optimizer == "momentum":
                    v[key] = beta * v[key] + (1 - beta) * g[key]
                    step = v[key]
                elif optimizer == "rmsprop":
                    s[key] = beta2 * s[key] + (1 - beta2) * g[key] ** 2
                    step = g[key] / (np.sqrt(s[key]) + eps)
                else:
                    v[key] = beta1 * v[key] + (1 - beta1) * g[key]
                    s[key] = beta2 * s[key] + (1 - beta2) * g[key] ** 2
                    step = (v[key] / (1 - beta1 ** t)) / (np.sqrt(s[key] / (1 - beta2 ** t)) + eps)
                P[key] = P[key] - lr * step
        A2 = forward(X, P)[2]
        costs.append(float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))))
    return P, costs


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.5), ("momentum", 0.5), ("rmsprop", 0.01), ("adam", 0.02)])
@pytest.mark.parametrize("size", [7, 16, 60, 100])
def test_matches_an_independent_loop(optimizer, lr, size):
    X, Y = data(1)
    params, costs = train_model(X, Y, [3, 5, 1], optimizer, lr, 6, size, np.random.default_rng(2),
                                beta=0.8, beta1=0.85, beta2=0.99, epsilon=1e-6)
    want, want_costs = independent_two_layer_loop(X, Y, 5, optimizer, lr, 6, size, np.random.default_rng(2),
                                                  beta=0.8, beta1=0.85, beta2=0.99, eps=1e-6)
    for k in want:
        np.testing.assert_allclose(params[k], want[k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(costs, want_costs, rtol=1e-10)


def test_costs_are_the_whole_set_after_each_epoch_and_a_prefix_of_a_longer_run():
    X, Y = data(3)
    short, short_costs = train_model(X, Y, [3, 6, 4, 1], "adam", 0.01, 4, 8, np.random.default_rng(5))
    _, long_costs = train_model(X, Y, [3, 6, 4, 1], "adam", 0.01, 9, 8, np.random.default_rng(5))
    assert len(short_costs) == 4 and len(long_costs) == 9 and all(type(c) is float for c in long_costs)
    assert short_costs[-1] == pytest.approx(compute_cost(model_forward(X, short)[0], Y), rel=1e-12)
    np.testing.assert_allclose(long_costs[:4], short_costs, rtol=1e-12)


def test_learns_reshuffles_and_is_reproducible():
    X, Y = data(4, m=200)
    p1, c1 = train_model(X, Y, [3, 8, 1], "adam", 0.02, 40, 32, np.random.default_rng(0))
    p2, c2 = train_model(X, Y, [3, 8, 1], "adam", 0.02, 40, 32, np.random.default_rng(0))
    _, c3 = train_model(X, Y, [3, 8, 1], "adam", 0.02, 40, 32, np.random.default_rng(1))
    assert c1 == c2 and c1 != c3
    assert c1[-1] < 0.5 * c1[0]
    accuracy = np.mean((model_forward(X, p1)[0] > 0.5) == Y)
    assert accuracy > 0.9


def test_leaves_the_inputs_and_the_global_random_state_alone():
    X, Y = data(6)
    X0, Y0 = X.copy(), Y.copy()
    state = np.random.get_state()
    train_model(X, Y, [3, 4, 1], "momentum", 0.1, 3, 10, np.random.default_rng(0))
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


@pytest.mark.parametrize("bad", ["sgd", "Adam", None, ""])
def test_unknown_optimizer_raises_naming_the_argument(bad):
    X, Y = data(7)
    with pytest.raises(ValueError, match="optimizer"):
        train_model(X, Y, [3, 4, 1], bad, 0.1, 2, 10, np.random.default_rng(0))


@pytest.mark.parametrize("kwargs, name", [({"num_epochs": 0}, "num_epochs"), ({"mini_batch_size": 0}, "mini_batch_size"),
                                          ({"rng": 0}, "rng")])
def test_bad_arguments_name_themselves(kwargs, name):
    X, Y = data(8)
    args = dict(X=X, Y=Y, layer_dims=[3, 4, 1], optimizer="gd", learning_rate=0.1, num_epochs=2, mini_batch_size=8,
                rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        train_model(**copy.copy(args))
