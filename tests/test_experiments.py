"""Tests for dlcore.experiments: the deep tanh network with clipping (04) and mini-batch batch norm (05)."""
from __future__ import annotations

import numpy as np

from dlcore import batchnorm_forward, clip_by_global_norm, data, initialize_parameters_deep
from dlcore.experiments import deep_tanh_parameters, train_batchnorm_minibatch, train_deep_tanh


def test_clipping_bounds_every_step_and_records_the_norms_before_it():
    X, Y = data.moons(m=60, noise=0.2, rng=np.random.default_rng(0))
    start = deep_tanh_parameters([2] + [8] * 8 + [1], 3.0, np.random.default_rng(1))
    seen = []

    def clip(grads, max_norm):
        clipped, norm = clip_by_global_norm(grads, max_norm)
        seen.append(norm)
        return clipped, norm

    run = train_deep_tanh(X, Y, start, 0.1, 20, clip=clip, max_norm=0.5)
    free = train_deep_tanh(X, Y, start, 0.1, 20)
    assert run["costs"].shape == run["norms"].shape == (20,)
    np.testing.assert_allclose(run["norms"], seen)
    assert run["costs"][0] == free["costs"][0] and run["norms"][0] == free["norms"][0]  # same start
    assert np.nanmax(free["norms"]) > 0.5  # the experiment does clip
    for k, v in start.items():  # the start is not modified
        np.testing.assert_array_equal(v, deep_tanh_parameters([2] + [8] * 8 + [1], 3.0, np.random.default_rng(1))[k])


def test_batchnorm_minibatch_uses_the_batches_and_tracks_their_statistics():
    X, Y = data.moons(m=100, noise=0.2, rng=np.random.default_rng(2))
    params = initialize_parameters_deep([2, 6, 5, 1], "he", np.random.default_rng(3))
    sizes, updates = [], []

    def batches(X_, Y_, size, rng):
        from dlcore import random_mini_batches
        out = random_mini_batches(X_, Y_, size, rng)
        sizes.append([x.shape[1] for x, _ in out])
        return out

    def running(rm, rv, mu, var, momentum=0.9):
        updates.append(mu.shape)
        return momentum * rm + (1 - momentum) * mu, momentum * rv + (1 - momentum) * var

    result = train_batchnorm_minibatch(X, Y, params, 0.3, 5, 32, np.random.default_rng(4), mini_batches=batches,
                                       update_running=running)
    assert sizes == [[32, 32, 32, 4]] * 5
    assert len(result["batch_costs"]) == 20 and result["costs"].shape == (5,)
    assert len(updates) == 20 * 2  # one update per mini-batch and hidden layer
    assert result["costs"][-1] < result["costs"][0]
    # the running mean of layer 1 is close to the mean of W1 X over the data, not to 0 where it started
    mu_data = (result["parameters"]["W1"] @ X).mean(axis=1, keepdims=True)
    assert np.abs(result["running"]["mean1"] - mu_data).max() < 0.5 * np.abs(mu_data).max() + 0.1
    assert set(result["bn_parameters"]) == {"gamma1", "gamma2", "beta1", "beta2"}
    _, cache = batchnorm_forward(params["W1"] @ X, np.ones((6, 1)), np.zeros((6, 1)))
    assert "mu" in cache  # the loop reads the statistics from the cache, as the spec promises
