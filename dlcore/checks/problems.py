"""Random problems shared by the checks: shapes, layer sizes, networks, labels and seeds.

Every builder draws from the generator it is given, so the hidden tests (fresh entropy)
and the visible checks (fixed seeds) use the same code.
"""
from __future__ import annotations

import numpy as np

import dlcore

__all__ = ["clear_of_kinks", "distinct_dims", "random_network", "random_one_hot", "random_shape", "seed_from",
           "smooth_network"]


def seed_from(rng: np.random.Generator) -> int:
    """A seed drawn from ``rng``, for a generator handed to the student's function."""
    return int(rng.integers(2**31))


def random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    """A shape of 1 to 3 dimensions, each of size 1 to 6."""
    return tuple(int(n) for n in rng.integers(1, 7, size=rng.integers(1, 4)))


def distinct_dims(rng: np.random.Generator) -> tuple[int, int, int]:
    """Three different sizes ``(n_prev, n, m)``, so that a transposed product cannot go unnoticed."""
    n_prev, n, m = (int(v) for v in rng.choice(np.arange(1, 9), size=3, replace=False))
    return n_prev, n, m


def random_parameters(rng: np.random.Generator, dims: list[int]) -> dict[str, np.ndarray]:
    """He-scaled weights ``W{l}`` (dims[l], dims[l-1]) and spread biases ``b{l}`` (dims[l], 1), l = 1..L."""
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
        params[f"b{l}"] = rng.normal(0, 0.5, size=(dims[l], 1))
    return params


def random_network(rng: np.random.Generator, L: int) -> tuple[np.ndarray, dict]:
    """``(X, parameters)`` of an ``L``-layer binary classifier whose outputs stay in (0.02, 0.98)."""
    if not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"`L` must be a number of layers >= 1; got {L!r}.")
    dims = [int(n) for n in rng.integers(2, 7, size=L)] + [1]
    m = int(rng.integers(3, 9))
    while True:
        params = random_parameters(rng, dims)
        X = rng.normal(size=(dims[0], m))
        AL = dlcore.model_forward(X, params)[0]
        # Keep the output away from 0 and 1: a saturated sigmoid makes dAL blow up and
        # finite differences meaningless, which would test luck rather than the student.
        if np.all((AL > 0.02) & (AL < 0.98)):
            return X, params


def clear_of_kinks(caches: list) -> bool:
    """True when no hidden pre-activation of ``caches`` is within 1e-3 of ReLU's kink at 0.

    Finite differences step by 1e-6 (and 2e-6): a step across a kink gives a wrong
    numerical gradient, by an amount too small for the kink detector of
    :func:`dlcore.gradcheck.check_gradients` when the kink is barely crossed. Networks with a
    pre-activation that close to 0 are redrawn, so that a correct answer never fails."""
    return all(np.min(np.abs(cache[1])) > 1e-3 for cache in caches[:-1])


def smooth_network(rng: np.random.Generator, L: int) -> tuple[np.ndarray, dict, np.ndarray, list]:
    """``(X, parameters, AL, caches)`` of ``model_forward``, unsaturated and clear of ReLU kinks."""
    while True:
        X, params = random_network(rng, L)
        AL, caches = dlcore.model_forward(X, params)
        if clear_of_kinks(caches):
            return X, params, AL, caches


def random_one_hot(rng: np.random.Generator, C: int, m: int) -> np.ndarray:
    """One-hot labels ``(C, m)``: one 1.0 per column, in a row drawn uniformly."""
    Y = np.zeros((C, m))
    Y[rng.integers(0, C, m), np.arange(m)] = 1.0
    return Y
