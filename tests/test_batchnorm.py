"""Tests for dlcore.batchnorm: training forward/backward, running averages, inference."""
from __future__ import annotations

import copy
import math
import statistics

import numpy as np
import pytest

from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, update_running_averages
from dlcore.gradcheck import check_gradients

SHAPES = [(1, 1), (3, 1), (1, 6), (4, 5), (2, 9), (6, 3)]


def random_bn(shape, seed):
    rng = np.random.default_rng(seed)
    n, m = shape
    Z = rng.normal(1.0, 2.0, size=shape)
    gamma = rng.uniform(0.5, 2.0, size=(n, 1))
    beta = rng.normal(size=(n, 1))
    return Z, gamma, beta


# ----------------------------------------------------------------------------- forward


def test_forward_hand_worked():
    Z = np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0]])
    gamma = np.array([[2.0], [1.0]])
    beta = np.array([[0.5], [-1.0]])
    Z_tilde, cache = batchnorm_forward(Z, gamma, beta, epsilon=1e-5)
    # Row 0: mu = 2, var = (1 + 0 + 1) / 3 = 2/3. Row 1: constant, mu = 4, var = 0 -> Z_hat = 0.
    np.testing.assert_allclose(cache["mu"], [[2.0], [4.0]], rtol=1e-15)
    np.testing.assert_allclose(cache["var"], [[2.0 / 3.0], [0.0]], rtol=1e-15)
    d = math.sqrt(2.0 / 3.0 + 1e-5)
    np.testing.assert_allclose(Z_tilde, [[0.5 - 2.0 / d, 0.5, 0.5 + 2.0 / d], [-1.0, -1.0, -1.0]], rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_independent_formula(shape):
    Z, gamma, beta = random_bn(shape, seed=sum(shape))
    eps = 1e-3
    Z_tilde, cache = batchnorm_forward(Z, gamma, beta, epsilon=eps)
    assert Z_tilde.shape == shape and Z_tilde.dtype == np.float64
    assert cache["mu"].shape == (shape[0], 1) and cache["var"].shape == (shape[0], 1)
    for i in range(shape[0]):
        mu = statistics.fmean(Z[i])
        var = statistics.pvariance(Z[i])  # biased: divides by m
        assert cache["mu"][i, 0] == pytest.approx(mu, rel=1e-13)
        assert cache["var"][i, 0] == pytest.approx(var, rel=1e-12, abs=1e-15)
        expected = [gamma[i, 0] * (z - mu) / math.sqrt(var + eps) + beta[i, 0] for z in Z[i]]
        np.testing.assert_allclose(Z_tilde[i], expected, rtol=1e-12, atol=1e-12)


def test_forward_normalises_each_row():
    Z, _, _ = random_bn((5, 200), seed=1)
    Z_tilde, cache = batchnorm_forward(Z, np.ones((5, 1)), np.zeros((5, 1)), epsilon=1e-8)
    np.testing.assert_allclose(Z_tilde.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_tilde.var(axis=1), (cache["var"] / (cache["var"] + 1e-8)).ravel(), rtol=1e-12)


def test_forward_does_not_modify_arguments():
    Z, gamma, beta = random_bn((3, 4), seed=2)
    saved = Z.copy(), gamma.copy(), beta.copy()
    Z_tilde, cache = batchnorm_forward(Z, gamma, beta)
    for a, b in zip((Z, gamma, beta), saved):
        np.testing.assert_array_equal(a, b)
    assert not np.shares_memory(Z_tilde, Z)


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(4), np.ones((1, 1)), np.zeros((1, 1))), "`Z`"),
        ((np.ones((3, 0)), np.ones((3, 1)), np.zeros((3, 1))), "`Z`"),
        ((np.ones((3, 4)), np.ones((1, 3)), np.zeros((3, 1))), "gamma"),
        ((np.ones((3, 4)), np.ones((3, 1)), np.zeros(3)), "beta"),
        ((np.ones((3, 4)), np.ones((3, 1)), np.zeros((3, 1)), 0.0), "epsilon"),
    ],
)
def test_forward_bad_arguments(args, name):
    with pytest.raises(ValueError, match=name):
        batchnorm_forward(*args)


# ---------------------------------------------------------------------------- backward


@pytest.mark.parametrize("shape", SHAPES)
def test_backward_against_finite_differences(shape):
    Z, gamma, beta = random_bn(shape, seed=10 + sum(shape))
    G = np.random.default_rng(99).standard_normal(shape)  # upstream gradient; scalar = sum(G * Z_tilde)
    _, cache = batchnorm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = batchnorm_backward(G, cache)
    assert dZ.shape == shape and dgamma.shape == (shape[0], 1) and dbeta.shape == (shape[0], 1)

    params = {"Z": Z, "gamma": gamma, "beta": beta}

    def f(p):
        return float(np.sum(G * batchnorm_forward(p["Z"], p["gamma"], p["beta"])[0]))

    report = check_gradients(f, params, {"Z": dZ, "gamma": dgamma, "beta": dbeta})
    assert report.passed, str(report)
    assert report.skipped == 0


def test_backward_properties():
    Z, gamma, beta = random_bn((4, 7), seed=3)
    G = np.random.default_rng(5).standard_normal((4, 7))
    _, cache = batchnorm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = batchnorm_backward(G, cache)
    # The output ignores a shift of a row of Z, so each row of dZ sums to zero.
    np.testing.assert_allclose(dZ.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(dbeta, G.sum(axis=1, keepdims=True), rtol=1e-14)
    # A constant upstream gradient only moves beta: dZ vanishes.
    dZ_const, _, _ = batchnorm_backward(np.ones((4, 7)), cache)
    np.testing.assert_allclose(dZ_const, 0.0, atol=1e-12)


def test_backward_does_not_modify_arguments():
    Z, gamma, beta = random_bn((3, 5), seed=4)
    G = np.random.default_rng(6).standard_normal((3, 5))
    _, cache = batchnorm_forward(Z, gamma, beta)
    saved_cache, saved_G = copy.deepcopy(cache), G.copy()
    batchnorm_backward(G, cache)
    np.testing.assert_array_equal(G, saved_G)
    assert set(cache) == set(saved_cache)
    for k in cache:
        np.testing.assert_array_equal(cache[k], saved_cache[k])


def test_backward_bad_arguments():
    Z, gamma, beta = random_bn((3, 5), seed=4)
    _, cache = batchnorm_forward(Z, gamma, beta)
    with pytest.raises(ValueError, match="dZ_tilde"):
        batchnorm_backward(np.ones((5, 3)), cache)
    with pytest.raises(ValueError, match="cache"):
        batchnorm_backward(np.ones((3, 5)), (Z, gamma))
    with pytest.raises(ValueError, match="cache"):
        batchnorm_backward(np.ones((3, 5)), {"mu": cache["mu"], "var": cache["var"]})


# --------------------------------------------------------------------- running averages


def test_running_averages_hand_worked():
    rm, rv = np.array([[0.0], [1.0]]), np.array([[1.0], [4.0]])
    mu, var = np.array([[2.0], [-1.0]]), np.array([[3.0], [0.0]])
    saved = [a.copy() for a in (rm, rv, mu, var)]
    new_mean, new_var = update_running_averages(rm, rv, mu, var, momentum=0.9)
    # 0.9 * 0 + 0.1 * 2 = 0.2 ; 0.9 * 1 + 0.1 * (-1) = 0.8 ; 0.9 + 0.3 = 1.2 ; 3.6 + 0 = 3.6
    np.testing.assert_allclose(new_mean, [[0.2], [0.8]], rtol=1e-14)
    np.testing.assert_allclose(new_var, [[1.2], [3.6]], rtol=1e-14)
    for a, b in zip((rm, rv, mu, var), saved):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(update_running_averages(rm, rv, mu, var, momentum=1.0)[0], rm)
    np.testing.assert_array_equal(update_running_averages(rm, rv, mu, var, momentum=0.0)[1], var)


def test_running_averages_converge_to_the_data_statistics_from_the_cache():
    rng = np.random.default_rng(0)
    gamma, beta = np.ones((2, 1)), np.zeros((2, 1))
    rm, rv = np.zeros((2, 1)), np.ones((2, 1))
    for _ in range(300):
        Z = rng.normal([[3.0], [-1.0]], [[2.0], [0.5]], size=(2, 64))
        _, cache = batchnorm_forward(Z, gamma, beta)
        rm, rv = update_running_averages(rm, rv, cache["mu"], cache["var"])
    np.testing.assert_allclose(rm, [[3.0], [-1.0]], atol=0.3)
    np.testing.assert_allclose(rv, [[4.0], [0.25]], rtol=0.2)


@pytest.mark.parametrize("momentum", [-0.1, 1.5, float("nan"), "x"])
def test_running_averages_bad_momentum(momentum):
    a = np.ones((2, 1))
    with pytest.raises(ValueError, match="momentum"):
        update_running_averages(a, a, a, a, momentum=momentum)


def test_running_averages_bad_shapes():
    a = np.ones((2, 1))
    with pytest.raises(ValueError, match="`mu`"):
        update_running_averages(a, a, np.ones((3, 1)), a)
    with pytest.raises(ValueError, match="running_var"):
        update_running_averages(a, np.ones((2, 2)), a, a)


# -------------------------------------------------------------------------- inference


def test_inference_hand_worked():
    Z = np.array([[1.0, 5.0], [0.0, 2.0]])
    gamma, beta = np.array([[2.0], [1.0]]), np.array([[0.0], [3.0]])
    rm, rv = np.array([[1.0], [1.0]]), np.array([[4.0], [0.25]])
    out = batchnorm_inference(Z, gamma, beta, rm, rv, epsilon=1e-5)
    s0, s1 = math.sqrt(4.0 + 1e-5), math.sqrt(0.25 + 1e-5)
    np.testing.assert_allclose(out, [[0.0, 2.0 * 4.0 / s0], [3.0 - 1.0 / s1, 3.0 + 1.0 / s1]], rtol=1e-14)


def test_inference_with_batch_statistics_equals_training_forward():
    Z, gamma, beta = random_bn((4, 9), seed=7)
    Z_tilde, cache = batchnorm_forward(Z, gamma, beta)
    np.testing.assert_allclose(batchnorm_inference(Z, gamma, beta, cache["mu"], cache["var"]), Z_tilde, rtol=1e-12, atol=1e-12)


def test_inference_treats_columns_independently_and_keeps_inputs():
    Z, gamma, beta = random_bn((3, 6), seed=8)
    rm, rv = np.full((3, 1), 0.5), np.full((3, 1), 2.0)
    saved = [a.copy() for a in (Z, gamma, beta, rm, rv)]
    full = batchnorm_inference(Z, gamma, beta, rm, rv)
    for j in range(6):
        np.testing.assert_allclose(batchnorm_inference(Z[:, j : j + 1], gamma, beta, rm, rv)[:, 0], full[:, j], rtol=1e-15)
    for a, b in zip((Z, gamma, beta, rm, rv), saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "change, name",
    [
        ({"running_var": -np.ones((3, 1))}, "running_var"),
        ({"running_mean": np.ones((2, 1))}, "running_mean"),
        ({"gamma": np.ones((3, 2))}, "gamma"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"Z": np.ones(3)}, "`Z`"),
    ],
)
def test_inference_bad_arguments(change, name):
    args = dict(Z=np.ones((3, 4)), gamma=np.ones((3, 1)), beta=np.zeros((3, 1)),
                running_mean=np.zeros((3, 1)), running_var=np.ones((3, 1)), epsilon=1e-5)
    with pytest.raises(ValueError, match=name):
        batchnorm_inference(**{**args, **change})
