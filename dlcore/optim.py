"""Optimisation: mini-batches, exponentially weighted averages, momentum, RMSprop and Adam.

Shapes: ``X`` (n_x, m) and ``Y`` (n_y, m) hold examples as columns. ``parameters``
is ``{"W1", "b1", ..., "WL", "bL"}`` with ``W{l}`` (n[l], n[l-1]) and ``b{l}``
(n[l], 1); ``grads`` and the optimizer states ``v`` (first moment / velocity) and
``s`` (second moment) use the keys ``"dW{l}"``, ``"db{l}"`` with the same shapes.

Every update function returns new dicts of new arrays; the dicts passed in, and their
arrays, are left unchanged.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlcore.validation import as_array, check_beta, check_int, check_positive, check_rng, num_layers


def _check_like_parameters(parameters: dict[str, np.ndarray], d: Any, name: str) -> int:
    """Check that ``d`` holds ``dW{l}``/``db{l}`` shaped like ``parameters``; return L."""
    L = num_layers(parameters)
    if not isinstance(d, dict):
        raise ValueError(f"`{name}` must be a dict with keys 'dW1', 'db1', ...; got {type(d).__name__}.")
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = f"d{p}{l}"
            if key not in d:
                raise ValueError(f"`{name}` must hold {key!r} for parameter '{p}{l}'; keys: {sorted(d)}.")
            if np.shape(d[key]) != np.shape(parameters[f"{p}{l}"]):
                raise ValueError(
                    f"`{name}[{key!r}]` must have the shape of parameters['{p}{l}'] "
                    f"{np.shape(parameters[f'{p}{l}'])}; got {np.shape(d[key])}."
                )
    return L


def _keys(L: int) -> list[tuple[str, str]]:
    """Pairs ``(parameter key, gradient key)``: ("W1", "dW1"), ("b1", "db1"), ..."""
    return [(f"{p}{l}", f"d{p}{l}") for l in range(1, L + 1) for p in ("W", "b")]


# --------------------------------------------------------------------- mini-batches


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the examples (columns) once and cut them into mini-batches.

    X : (n_x, m).  Y : (n_y, m), for instance (1, m) labels or (C, m) one-hot.
    mini_batch_size : positive int.  rng : a ``numpy.random.Generator``.
    Returns a list of ``ceil(m / mini_batch_size)`` pairs ``(X_t, Y_t)`` of shapes
    (n_x, size) and (n_y, size): every batch has ``mini_batch_size`` columns except a
    last, smaller one that keeps the remainder. Column j of ``X_t`` and of ``Y_t``
    come from the same example; each example appears exactly once.

    >>> batches = random_mini_batches(np.zeros((2, 5)), np.zeros((1, 5)), 2, np.random.default_rng(0))
    >>> [x.shape[1] for x, y in batches]
    [2, 2, 1]
    """
    X = as_array(X, "X", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"`Y` must have one column per example of X ({X.shape[1]} columns); got shape {Y.shape}."
        )
    size = check_int(mini_batch_size, "mini_batch_size")
    check_rng(rng)
    m = X.shape[1]
    permutation = rng.permutation(m)
    X_shuffled, Y_shuffled = X[:, permutation], Y[:, permutation]  # fancy indexing copies
    return [(X_shuffled[:, k : k + size], Y_shuffled[:, k : k + size]) for k in range(0, m, size)]


# ------------------------------------------------------- exponentially weighted average


def exponentially_weighted_average(values: np.ndarray, beta: float, bias_correction: bool = True) -> np.ndarray:
    """Running average ``v_t = beta v_{t-1} + (1 - beta) theta_t`` with ``v_0 = 0``.

    values : (T,) sequence theta_1..theta_T (or (T, ...) : averaged along axis 0).
    beta : in [0, 1).  bias_correction : if True, return ``v_t / (1 - beta**t)``, which
    removes the pull towards 0 of the first steps.
    Returns a float64 array shaped like ``values``.

    >>> exponentially_weighted_average([1.0, 2.0], 0.5, bias_correction=False)
    array([0.5 , 1.25])
    """
    theta = as_array(values, "values")
    if theta.ndim == 0:
        raise ValueError("`values` must be a sequence (T,) of values, not a single number.")
    beta = check_beta(beta, "beta")
    out = np.empty_like(theta)
    v = np.zeros_like(theta[0])
    for t in range(theta.shape[0]):
        v = beta * v + (1.0 - beta) * theta[t]
        out[t] = v
    if bias_correction:
        steps = np.arange(1, theta.shape[0] + 1).reshape((-1,) + (1,) * (theta.ndim - 1))
        out /= 1.0 - beta**steps
    return out


# --------------------------------------------------------------------------- momentum


def initialize_velocity(parameters: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Zero velocity ``{"dW{l}": zeros like W{l}, "db{l}": zeros like b{l}}``.

    >>> v = initialize_velocity({"W1": np.ones((2, 3)), "b1": np.ones((2, 1))})
    >>> sorted(v), v["dW1"].shape
    (['dW1', 'db1'], (2, 3))
    """
    L = num_layers(parameters)
    return {gkey: np.zeros(np.shape(parameters[key])) for key, gkey in _keys(L)}


def update_parameters_with_momentum(
    parameters: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    v: dict[str, np.ndarray],
    beta: float,
    learning_rate: float,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One step of gradient descent with momentum.

    ``v = beta v + (1 - beta) dW`` and ``W = W - learning_rate * v`` (same for b).
    grads, v : keys ``dW{l}``, ``db{l}``, shaped like the parameters.  beta : in [0, 1).
    learning_rate : >= 0.  Returns new ``(parameters, v)``.
    """
    L = _check_like_parameters(parameters, grads, "grads")
    _check_like_parameters(parameters, v, "v")
    beta = check_beta(beta, "beta")
    lr = check_positive(learning_rate, "learning_rate", allow_zero=True)
    new_parameters, new_v = {}, {}
    for key, gkey in _keys(L):
        velocity = beta * v[gkey] + (1.0 - beta) * grads[gkey]
        new_v[gkey] = velocity
        new_parameters[key] = parameters[key] - lr * velocity
    return new_parameters, new_v


# ---------------------------------------------------------------------------- RMSprop


def update_parameters_with_rmsprop(
    parameters: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    s: dict[str, np.ndarray],
    beta2: float,
    learning_rate: float,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One RMSprop step.

    ``s = beta2 s + (1 - beta2) dW**2`` and ``W = W - learning_rate * dW / (sqrt(s) + epsilon)``
    (same for b).  grads, s : keys ``dW{l}``, ``db{l}``.  beta2 : in [0, 1).
    learning_rate : >= 0.  epsilon : > 0.  Returns new ``(parameters, s)``.
    """
    L = _check_like_parameters(parameters, grads, "grads")
    _check_like_parameters(parameters, s, "s")
    beta2 = check_beta(beta2, "beta2")
    lr = check_positive(learning_rate, "learning_rate", allow_zero=True)
    epsilon = check_positive(epsilon, "epsilon")
    new_parameters, new_s = {}, {}
    for key, gkey in _keys(L):
        g = grads[gkey]
        square = beta2 * s[gkey] + (1.0 - beta2) * np.square(g)
        new_s[gkey] = square
        new_parameters[key] = parameters[key] - lr * g / (np.sqrt(square) + epsilon)
    return new_parameters, new_s


# ------------------------------------------------------------------------------- Adam


def initialize_adam(parameters: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Zero first and second moments ``(v, s)``, keyed like :func:`initialize_velocity`."""
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(
    parameters: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    v: dict[str, np.ndarray],
    s: dict[str, np.ndarray],
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One Adam step (step number ``t``, counting from 1).

    ``v = beta1 v + (1 - beta1) dW``, ``s = beta2 s + (1 - beta2) dW**2``, then with the
    bias-corrected moments ``v^ = v / (1 - beta1**t)`` and ``s^ = s / (1 - beta2**t)``:
    ``W = W - learning_rate * v^ / (sqrt(s^) + epsilon)`` (same for b).
    grads, v, s : keys ``dW{l}``, ``db{l}``.  beta1, beta2 : in [0, 1).  epsilon : > 0.
    Returns new ``(parameters, v, s)``; the returned moments are the *uncorrected* ones,
    ready for the next call with ``t + 1``.
    """
    L = _check_like_parameters(parameters, grads, "grads")
    _check_like_parameters(parameters, v, "v")
    _check_like_parameters(parameters, s, "s")
    step = check_int(t, "t", meaning="the step number, counting from 1")
    lr = check_positive(learning_rate, "learning_rate", allow_zero=True)
    beta1 = check_beta(beta1, "beta1")
    beta2 = check_beta(beta2, "beta2")
    epsilon = check_positive(epsilon, "epsilon")

    # Bias corrections folded into two scalars (exact algebra, not an approximation):
    #   v^ / (sqrt(s^) + eps) = (sqrt(c2) / c1) * v / (sqrt(s) + eps * sqrt(c2)),
    # with c1 = 1 - beta1**t and c2 = 1 - beta2**t. This saves two full array passes.
    c1 = 1.0 - beta1**step
    sqrt_c2 = math.sqrt(1.0 - beta2**step)
    step_size = lr * sqrt_c2 / c1
    eps_hat = epsilon * sqrt_c2

    new_parameters, new_v, new_s = {}, {}, {}
    for key, gkey in _keys(L):
        g = grads[gkey]
        # `work` is the one scratch array per parameter; it ends up as the new parameter.
        work = np.multiply(g, 1.0 - beta1)
        first = np.multiply(v[gkey], beta1)
        first += work  # v = beta1 v + (1 - beta1) g
        np.multiply(g, g, out=work)
        work *= 1.0 - beta2
        second = np.multiply(s[gkey], beta2)
        second += work  # s = beta2 s + (1 - beta2) g^2
        np.sqrt(second, out=work)
        work += eps_hat
        np.divide(first, work, out=work)
        work *= -step_size
        work += parameters[key]  # W - step
        new_parameters[key], new_v[gkey], new_s[gkey] = work, first, second
    return new_parameters, new_v, new_s
