"""Checks of notebook 03, part 1: normalising the inputs and initialising the weights.

``initialize_parameters_deep`` is random, so it is judged by properties: layout, zero
biases, the weight statistics of each method (tolerances of :data:`~dlcore.checks.core.SIGMAS`
standard errors), the same seed giving the same weights and different seeds different ones.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import SIGMAS, CheckFailure, Exercise, Mistake, manifest, random_rng
from dlcore.checks.problems import seed_from

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "normalize_inputs": (),
    "initialize_parameters_deep": (),
})


# --- 1. normalizing inputs ------------------------------------------------------------------
def _standardize(X: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    safe = np.where(sigma == 0, 1.0, sigma)
    return np.where(sigma == 0, 0.0, (X - mu) / safe)


def _own_stats(Xt: np.ndarray, Xo: np.ndarray) -> tuple:
    return (_standardize(Xt, Xt.mean(1, keepdims=True), Xt.std(1, keepdims=True)),
            _standardize(Xo, Xo.mean(1, keepdims=True), Xo.std(1, keepdims=True)))


def _normalize_mistakes() -> list[Mistake]:
    def with_stats(mu_fn, sigma_fn):
        def wrong(Xt, Xo):
            mu, sigma = mu_fn(Xt), sigma_fn(Xt)
            return _standardize(Xt, mu, sigma), _standardize(Xo, mu, sigma)
        return wrong

    mean = lambda X: X.mean(axis=1, keepdims=True)
    std = lambda X: X.std(axis=1, keepdims=True)
    return [
        Mistake(_own_stats, "X_other must be normalized with the mean and standard deviation of the *training* "
                            "set (the model only ever saw data scaled that way), not with its own."),
        Mistake(lambda Xt, Xo: (_standardize(Xt, Xt.mean(0, keepdims=True), Xt.std(0, keepdims=True)),
                                _standardize(Xo, Xo.mean(0, keepdims=True), Xo.std(0, keepdims=True))),
                "the statistics are per feature (per row), taken over the examples (the columns): axis=1, "
                "keepdims=True."),
        Mistake(with_stats(lambda X: np.zeros((X.shape[0], 1)), std), "subtract the mean before dividing."),
        Mistake(with_stats(mean, lambda X: X.var(axis=1, keepdims=True)),
                "divide by the standard deviation (np.std), not by the variance."),
        Mistake(with_stats(mean, lambda X: X.std(axis=1, ddof=1, keepdims=True)),
                "use the standard deviation with 1/m (np.std's default, ddof=0), as in the formula."),
        Mistake(with_stats(mean, lambda X: np.ones((X.shape[0], 1))), "divide by the standard deviation too."),
    ]


def normalize_inputs(student: Callable, hidden: bool = False) -> None:
    """Check ``normalize_inputs(X_train, X_other)``: training statistics applied to both sets."""
    __tracebackhide__ = True
    ex = Exercise("normalize_inputs", student, dlcore.normalize_inputs, hidden=hidden, mistakes=_normalize_mistakes())
    names = ("X_train_n", "X_other_n")
    if not hidden:
        X_train = np.array([[1.0, 2.0, 3.0, 6.0], [10.0, 10.0, 10.0, 10.0], [-2.0, 0.0, 2.0, 0.0]])
        X_other = np.array([[4.0, 0.0], [10.0, 10.0], [1.0, -1.0]])
        got = ex.call(X_train, X_other)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`normalize_inputs` must return the tuple (X_train_n, X_other_n).")
        for g, n in zip(got, names):
            if isinstance(g, np.ndarray) and g.shape[:1] == (3,) and np.isnan(g[1]).any():
                raise CheckFailure(f"`normalize_inputs`: {n} holds NaN in row 1, a feature that is constant in X_train. "
                      f"Its standard deviation is 0: map such a feature to 0 instead of dividing by 0 "
                      f"(e.g. replace a zero sigma by 1).")
        sigma = np.array([[math.sqrt(3.5)], [1.0], [math.sqrt(2.0)]])
        mu = np.array([[3.0], [10.0], [0.0]])
        for g, X, n in zip(got, (X_train, X_other), names):
            ex.compare(g, (X - mu) / sigma, n, (X_train, X_other), rtol=1e-6, atol=1e-9)
        ex.against_reference(X_train, X_other, what=names, rtol=1e-6, atol=1e-9)
    else:
        rng = random_rng()
        for case in range(4):
            n, m_train, m_other = int(rng.integers(2, 7)), int(rng.integers(8, 60)), int(rng.integers(1, 30))
            scale = 10 ** rng.uniform(-1, 3, size=(n, 1))
            offset = rng.uniform(-50, 50, size=(n, 1)) * scale
            X_train = offset + scale * rng.normal(size=(n, m_train))
            # another set from a shifted, wider distribution: its own statistics differ
            X_other = offset + scale * (1.0 + 1.5 * rng.normal(size=(n, m_other)))
            if case % 2:  # a constant feature (the same constant in both sets)
                k, c = int(rng.integers(n)), float(rng.integers(-5, 6))
                X_train[k], X_other[k] = c, c
            ex.against_reference(X_train, X_other, what=names, rtol=1e-6, atol=1e-6)
    ex.done()


# --- 2. initialization ----------------------------------------------------------------------
_METHODS = ("zeros", "random", "xavier", "he", "lecun")


def _std_for(method: str, n_in: int, n_out: int) -> float:
    return {"zeros": 0.0, "random": 0.01, "xavier": math.sqrt(2.0 / (n_in + n_out)),
            "he": math.sqrt(2.0 / n_in), "lecun": math.sqrt(1.0 / n_in)}[method]


def _candidate_scales(n_in: int, n_out: int) -> dict[str, float]:
    """Standard deviations of typical mistakes, to name the one a student made."""
    return {
        "0.01, the scale of method 'random'": 0.01,
        "1 (no scaling: rng.standard_normal alone)": 1.0,
        "sqrt(2 / n[l-1]), He's scale": math.sqrt(2.0 / n_in),
        "sqrt(1 / n[l-1]), LeCun's scale": math.sqrt(1.0 / n_in),
        "sqrt(2 / (n[l-1] + n[l])), Xavier (Glorot)'s scale": math.sqrt(2.0 / (n_in + n_out)),
        "sqrt(2 / n[l]): the fan-out n[l] where the fan-in n[l-1] belongs": math.sqrt(2.0 / n_out),
        "sqrt(1 / n[l]): the fan-out n[l] where the fan-in n[l-1] belongs": math.sqrt(1.0 / n_out),
        "2 / n[l-1]: the variance itself; multiply by its square root, np.sqrt(2 / n[l-1])": 2.0 / n_in,
        "1 / n[l-1]: the variance itself; multiply by its square root, np.sqrt(1 / n[l-1])": 1.0 / n_in,
        "2 / (n[l-1] + n[l]): the variance itself; multiply by its square root": 2.0 / (n_in + n_out),
    }


def _check_layout(ex: Exercise, params: Any, dims: list[int], method: str) -> None:
    __tracebackhide__ = True
    L = len(dims) - 1
    want = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if not isinstance(params, dict):
        raise CheckFailure(f"`{ex.name}` must return a dict; got {type(params).__name__}.")
    if sorted(params) != sorted(want):
        raise CheckFailure(f"`{ex.name}` with layer_dims of length {len(dims)} (L = {L} layers) must return the keys {want}; "
              f"got {sorted(params)} (method={method!r}).")
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            arr = params[key]
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
                rows = f"n[{l}]"
                cols = f"n[{l - 1}]" if key[0] == "W" else "1"
                raise CheckFailure(f"`{ex.name}` (method={method!r}): {key} must have shape {shape} = ({rows}, {cols}); got {got}.")
            if arr.dtype != np.float64:
                raise CheckFailure(f"`{ex.name}` (method={method!r}): {key} must hold float64 numbers; got {arr.dtype}.")
        if np.any(params[f"b{l}"] != 0):
            raise CheckFailure(f"`{ex.name}` (method={method!r}): b{l} must be all zeros, whatever the method.")
        W = params[f"W{l}"]
        if method == "zeros" and np.any(W != 0):
            raise CheckFailure(f"`{ex.name}`: method 'zeros' must give W{l} all zeros.")
        if method != "zeros" and W.size > 1 and np.all(W == W.flat[0]):
            raise CheckFailure(f"`{ex.name}` (method={method!r}): all entries of W{l} are equal. Draw them with "
                  f"rng.standard_normal so that the units of a layer start different (symmetry breaking).")


def _check_weight_statistics(ex: Exercise, W: np.ndarray, method: str, l: int, n_in: int, n_out: int) -> None:
    """W ~ N(0, std^2) for the method, within six standard errors."""
    __tracebackhide__ = True
    N = W.size
    std = _std_for(method, n_in, n_out)
    got_std, got_mean = float(W.std()), float(W.mean())
    where = f"`{ex.name}` (method={method!r}): W{l} (shape ({n_out}, {n_in}))"
    if abs(got_std / std - 1) > SIGMAS / math.sqrt(2 * N):
        hint = ""
        for name, s in _candidate_scales(n_in, n_out).items():
            if abs(got_std / s - 1) < SIGMAS / math.sqrt(2 * N):
                hint = f" It matches {name}."
                break
        raise CheckFailure(f"{where} has standard deviation {got_std:.4g}; method {method!r} asks for {std:.4g}.{hint}")
    if abs(got_mean) > SIGMAS * std / math.sqrt(N):
        raise CheckFailure(f"{where} has mean {got_mean:.3g}, expected about 0: draw with rng.standard_normal, which is "
              f"centred on 0.")
    inside = float(np.mean(np.abs(W) < std))
    p = math.erf(1 / math.sqrt(2))  # 68.3 %: a normal variable within one standard deviation of its mean
    if abs(inside - p) > SIGMAS * math.sqrt(p * (1 - p) / N):
        raise CheckFailure(f"{where}: {inside:.1%} of the weights lie within one standard deviation of 0, but a normal "
              f"distribution has {p:.1%} there. Draw with rng.standard_normal(shape) and multiply by the scale.")


def _contrasting_dims(rng: np.random.Generator) -> list[int]:
    """Three layer sizes where fan-in and fan-out differ a lot, so that every scale is distinct."""
    return [int(rng.integers(200, 401)), int(rng.integers(60, 101)), int(rng.integers(200, 401))]


def initialize_parameters_deep(student: Callable, hidden: bool = False) -> None:
    """Check every method: layout, zero biases, the weight scale of each method, use of ``rng``."""
    __tracebackhide__ = True
    ex = Exercise("initialize_parameters_deep", student, dlcore.initialize_parameters_deep, hidden=hidden)
    rng = random_rng() if hidden else np.random.default_rng(30)
    for method in _METHODS:
        dims = [int(n) for n in rng.integers(1, 9, size=rng.integers(2, 6))] if hidden else [3, 4, 2, 1]
        _check_layout(ex, ex.call(dims, method, np.random.default_rng(seed_from(rng))), dims, method)
    dims = _contrasting_dims(rng) if hidden else [300, 80, 250]
    for method in _METHODS[1:]:
        params = ex.call(dims, method, np.random.default_rng(seed_from(rng)))
        _check_layout(ex, params, dims, method)
        for l in (1, 2):
            _check_weight_statistics(ex, params[f"W{l}"], method, l, dims[l - 1], dims[l])
    small = [int(n) for n in rng.integers(3, 9, size=4)] if hidden else [5, 4, 3, 1]
    for method in _METHODS[1:]:
        seed = seed_from(rng)
        first = ex.call(small, method, np.random.default_rng(seed))
        again = ex.call(small, method, np.random.default_rng(seed))
        other = ex.call(small, method, np.random.default_rng(seed + 1))
        if any(not np.array_equal(first[k], again[k]) for k in first):
            raise CheckFailure(f"`{ex.name}` (method={method!r}) gave different weights for two generators with the same "
                  f"seed. Draw every random number from `rng`.")
        if all(np.array_equal(first[k], other[k]) for k in first):
            raise CheckFailure(f"`{ex.name}` (method={method!r}) gave the same weights for generators with different seeds: "
                  f"the weights must be drawn from `rng`.")
    ex.raises(ValueError, [3, 2, 1], "glorot", np.random.default_rng(0), what="[3, 2, 1], method='glorot', rng")
    ex.done()


