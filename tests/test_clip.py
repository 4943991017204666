"""Tests for dlcore.clipping.clip_by_global_norm, against the formula written out with np.linalg.norm."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from dlcore.clipping import clip_by_global_norm


def random_grads(rng: np.random.Generator, L: int, scale: float = 1.0) -> dict[str, np.ndarray]:
    dims = [int(n) for n in rng.integers(1, 6, size=L + 1)]
    grads = {}
    for l in range(1, L + 1):
        grads[f"dW{l}"] = rng.normal(0, scale, size=(dims[l], dims[l - 1]))
        grads[f"db{l}"] = rng.normal(0, scale, size=(dims[l], 1))
        grads[f"dA{l - 1}"] = rng.normal(0, 100.0, size=(dims[l - 1], 7))  # must not count
    return grads


@pytest.mark.parametrize("seed", range(20))
def test_matches_the_norm_of_all_parameter_gradients_as_one_vector(seed):
    rng = np.random.default_rng(seed)
    grads = random_grads(rng, int(rng.integers(1, 5)), float(10 ** rng.uniform(-2, 2)))
    keys = [k for k in grads if not k.startswith("dA")]
    flat = np.concatenate([grads[k].ravel() for k in keys])
    max_norm = float(10 ** rng.uniform(-1, 1))
    before = copy.deepcopy(grads)
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert isinstance(norm, float) and np.isclose(norm, np.linalg.norm(flat), rtol=1e-12)
    assert sorted(clipped) == sorted(keys)
    factor = min(1.0, max_norm / np.linalg.norm(flat))
    for k in keys:
        np.testing.assert_allclose(clipped[k], grads[k] * factor, rtol=1e-12)
    new_flat = np.concatenate([clipped[k].ravel() for k in keys])
    assert np.linalg.norm(new_flat) <= max_norm * (1 + 1e-12) or np.isclose(factor, 1.0)
    for k in grads:  # the input is untouched
        np.testing.assert_array_equal(grads[k], before[k])


def test_below_the_limit_the_gradients_are_returned_unchanged_as_new_arrays():
    grads = {"dW1": np.array([[0.3, -0.4]]), "db1": np.array([[0.0]])}
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped["dW1"], grads["dW1"])
    assert clipped is not grads and clipped["dW1"] is not grads["dW1"]
    clipped["dW1"][0, 0] = 9.0
    assert grads["dW1"][0, 0] == 0.3


def test_a_3_4_5_example_and_the_boundary():
    grads = {"dW1": np.array([[3.0]]), "db1": np.array([[4.0]])}
    clipped, norm = clip_by_global_norm(grads, 2.5)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["dW1"], [[1.5]])
    np.testing.assert_allclose(clipped["db1"], [[2.0]])
    at_limit, _ = clip_by_global_norm(grads, 5.0)  # exactly at the limit: nothing to scale
    np.testing.assert_array_equal(at_limit["dW1"], grads["dW1"])


def test_zero_gradients_stay_zero():
    clipped, norm = clip_by_global_norm({"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, 1.0)
    assert norm == 0.0 and not np.any(clipped["dW1"])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1", None])
def test_bad_max_norm_raises_naming_the_argument(bad):
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm({"dW1": np.ones((1, 1)), "db1": np.ones((1, 1))}, bad)


def test_grads_without_parameter_gradients_raise():
    with pytest.raises(ValueError, match="grads"):
        clip_by_global_norm({"dA0": np.ones((2, 2))}, 1.0)
    with pytest.raises(ValueError, match="grads"):
        clip_by_global_norm([np.ones(2)], 1.0)
