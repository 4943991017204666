"""Training experiments of notebooks 04 and 05 that run on the student's own functions.

* :func:`train_deep_tanh` (04): a deep tanh network with large initial weights, whose gradients
  explode, trained by gradient descent with or without clipping by the global norm.
* :func:`train_batchnorm_minibatch` (05): mini-batch gradient descent on a network with batch
  normalization in every hidden layer, with running averages of the batch statistics.

They are plain functions (no widgets): the notebooks draw their results as static figures.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlcore.activations import relu, sigmoid
from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, update_running_averages
from dlcore.layers import linear_activation_backward, linear_activation_forward
from dlcore.losses import compute_cost
from dlcore.optim import random_mini_batches
from dlcore.validation import as_array, check_int, check_positive, check_rng

__all__ = ["deep_tanh_parameters", "train_deep_tanh", "train_batchnorm_minibatch"]


# --- 04: exploding gradients and clipping ---------------------------------------------------------

def deep_tanh_parameters(layer_dims: list[int], gain: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights ``N(0, gain^2 / n[l-1])``, zero biases. ``gain`` well above 1 makes a deep tanh network chaotic:
    a small change of an early weight is amplified layer after layer, and so are the gradients."""
    check_rng(rng)
    gain = check_positive(gain, "gain")
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * gain / np.sqrt(layer_dims[l - 1])
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


def train_deep_tanh(X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray], learning_rate: float,
                    num_steps: int, clip: Callable | None = None, max_norm: float = 1.0) -> dict[str, np.ndarray]:
    """Full-batch gradient descent on ``[LINEAR -> TANH] x (L-1) -> LINEAR -> SIGMOID``.

    clip : ``clip_by_global_norm(grads, max_norm) -> (clipped, global_norm)`` (the student's), or None
    for no clipping. Returns ``{"costs", "norms"}``: (num_steps,) arrays of the cost before each step and
    the global norm of the gradients of that step (before clipping); NaN once training has broken down.
    """
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    steps = check_int(num_steps, "num_steps")
    L = len(parameters) // 2
    p = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}
    costs, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    with np.errstate(all="ignore"):
        for i in range(steps):
            A, caches = X, []
            for l in range(1, L + 1):
                A, cache = linear_activation_forward(A, p[f"W{l}"], p[f"b{l}"], "tanh" if l < L else "sigmoid")
                caches.append(cache)
            AL = np.clip(A, 1e-12, 1 - 1e-12)
            if not np.all(np.isfinite(AL)):
                break
            costs[i] = compute_cost(AL, Y)
            dA, grads = -(Y / AL - (1 - Y) / (1 - AL)), {}
            for l in range(L, 0, -1):
                dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
                    dA, caches[l - 1], "tanh" if l < L else "sigmoid")
            norms[i] = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
            if clip is not None:
                grads, _ = clip(grads, max_norm)
            p = {k: v - learning_rate * grads["d" + k] for k, v in p.items()}
    return {"costs": costs, "norms": norms}


# --- 05: batch normalization with mini-batches ------------------------------------------------------

def _bn_forward_pass(X, p, bn, bn_forward):
    L = len(p) // 2
    A, caches = X, []
    for l in range(1, L):
        Z = p[f"W{l}"] @ A
        Z_tilde, bn_cache = bn_forward(Z, bn[f"gamma{l}"], bn[f"beta{l}"])
        caches.append((A, Z_tilde, bn_cache))
        A = relu(Z_tilde)
    AL = sigmoid(p[f"W{L}"] @ A + p[f"b{L}"])
    return AL, A, caches


def train_batchnorm_minibatch(X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray], learning_rate: float,
                              num_epochs: int, mini_batch_size: int, rng: np.random.Generator, *,
                              bn_forward: Callable = batchnorm_forward, bn_backward: Callable = batchnorm_backward,
                              update_running: Callable = update_running_averages,
                              mini_batches: Callable = random_mini_batches, momentum: float = 0.9) -> dict:
    """Mini-batch gradient descent on ``[LINEAR -> BATCHNORM -> RELU] x (L-1) -> LINEAR -> SIGMOID``.

    Each mini-batch is normalised with its own statistics (``bn_forward``), which also update the
    running averages (``update_running``, from mean 0 and variance 1) after every mini-batch.
    ``mini_batches(X, Y, mini_batch_size, rng)`` draws the batches of each epoch (e.g. the student's
    random_mini_batches). ``b{l}`` of the hidden layers is not used (``beta{l}`` plays its role);
    ``gamma{l}`` starts at ones and ``beta{l}`` at zeros; dW, db, dgamma and dbeta are averaged over
    the batch. Returns ``{"costs", "batch_costs", "parameters", "bn_parameters", "running"}``:
    the mean of the mini-batch costs of each epoch, the cost of every mini-batch, and copies of the
    trained parameters, ``{"gamma{l}", "beta{l}"}`` and ``{"mean{l}", "var{l}"}``.
    """
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    epochs = check_int(num_epochs, "num_epochs")
    check_rng(rng)
    L = len(parameters) // 2
    p = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}
    units = [p[f"W{l}"].shape[0] for l in range(1, L)]
    bn = {**{f"gamma{l}": np.ones((n, 1)) for l, n in enumerate(units, 1)},
          **{f"beta{l}": np.zeros((n, 1)) for l, n in enumerate(units, 1)}}
    running = {**{f"mean{l}": np.zeros((n, 1)) for l, n in enumerate(units, 1)},
               **{f"var{l}": np.ones((n, 1)) for l, n in enumerate(units, 1)}}
    costs, batch_costs = [], []
    for _ in range(epochs):
        first = len(batch_costs)
        for X_t, Y_t in mini_batches(X, Y, mini_batch_size, rng):
            m = X_t.shape[1]
            AL, A_last, caches = _bn_forward_pass(X_t, p, bn, bn_forward)
            batch_costs.append(compute_cost(np.clip(AL, 1e-12, 1 - 1e-12), Y_t))
            dZ = AL - Y_t
            grads = {f"W{L}": dZ @ A_last.T / m, f"b{L}": dZ.sum(axis=1, keepdims=True) / m}
            dA = p[f"W{L}"].T @ dZ
            for l in range(L - 1, 0, -1):
                A_prev, Z_tilde, bn_cache = caches[l - 1]
                running[f"mean{l}"], running[f"var{l}"] = update_running(
                    running[f"mean{l}"], running[f"var{l}"], bn_cache["mu"], bn_cache["var"], momentum)
                dZ, dgamma, dbeta = bn_backward(dA * (Z_tilde > 0), bn_cache)
                grads[f"W{l}"], grads[f"gamma{l}"], grads[f"beta{l}"] = dZ @ A_prev.T / m, dgamma / m, dbeta / m
                dA = p[f"W{l}"].T @ dZ
            for k, g in grads.items():
                target = bn if k.startswith(("gamma", "beta")) else p
                target[k] = target[k] - learning_rate * g
        costs.append(float(np.mean(batch_costs[first:])))
    return {"costs": np.array(costs), "batch_costs": np.array(batch_costs), "parameters": p,
            "bn_parameters": bn, "running": running}
