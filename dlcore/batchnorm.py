"""Batch normalisation of a layer's pre-activations, in training and in inference mode.

Shapes: ``Z`` (n, m) holds the pre-activations of n units for m examples (columns);
``gamma`` and ``beta`` (the learned scale and shift), the batch statistics ``mu`` and
``var`` and the running statistics are all (n, 1).

Training mode normalises with the statistics of the current mini-batch (biased
variance, divided by m)::

    Z_hat = (Z - mu) / sqrt(var + epsilon),   Z_tilde = gamma * Z_hat + beta

and inference mode uses running averages of those statistics instead.
"""
from __future__ import annotations

import numpy as np

from dlcore.validation import as_array, check_positive, check_shape

BatchNormCache = dict  # {"mu", "var", "Z_hat", "inv_std", "gamma", "epsilon"}


def _check_column(arr: object, name: str, n: int, why: str) -> np.ndarray:
    arr = as_array(arr, name, ndim=2)
    check_shape(arr, (n, 1), name, f"(one value per unit: {why})")
    return arr


def batchnorm_forward(
    Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float = 1e-5
) -> tuple[np.ndarray, BatchNormCache]:
    """Training-mode batch normalisation over the m columns of ``Z``.

    Z : (n, m), at least one column.  gamma, beta : (n, 1).  epsilon : > 0, added to
    the variance.  Returns ``(Z_tilde, cache)``: Z_tilde (n, m) and a dict holding the
    batch statistics ``"mu"`` and ``"var"`` (n, 1) (for :func:`update_running_averages`)
    and what :func:`batchnorm_backward` needs: ``"Z_hat"``, ``"inv_std"``, ``"gamma"``,
    ``"epsilon"``.

    >>> Z_tilde, cache = batchnorm_forward(np.array([[1.0, 3.0]]), np.ones((1, 1)), np.zeros((1, 1)), epsilon=1e-12)
    >>> np.round(Z_tilde, 6), cache["mu"], cache["var"]
    (array([[-1.,  1.]]), array([[2.]]), array([[1.]]))
    """
    Z = as_array(Z, "Z", ndim=2)
    why = f"Z has {Z.shape[0]} rows"
    gamma = _check_column(gamma, "gamma", Z.shape[0], why)
    beta = _check_column(beta, "beta", Z.shape[0], why)
    epsilon = check_positive(epsilon, "epsilon")
    mu = Z.mean(axis=1, keepdims=True)
    centred = Z - mu
    var = np.mean(centred * centred, axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + epsilon)
    Z_hat = centred * inv_std
    Z_tilde = gamma * Z_hat + beta
    cache = {"mu": mu, "var": var, "Z_hat": Z_hat, "inv_std": inv_std, "gamma": gamma, "epsilon": epsilon}
    return Z_tilde, cache


def batchnorm_backward(dZ_tilde: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact backward pass of :func:`batchnorm_forward` (the batch statistics depend on Z too).

    dZ_tilde : (n, m) gradient of a scalar with respect to Z_tilde.  cache : the dict
    returned by the forward pass.  Returns ``(dZ, dgamma, dbeta)`` with shapes (n, m),
    (n, 1), (n, 1), the gradients of that same scalar (no extra 1/m factor):
    ``dbeta = sum_j dZ_tilde``, ``dgamma = sum_j dZ_tilde * Z_hat`` and, with
    ``dZ_hat = gamma * dZ_tilde``,
    ``dZ = inv_std / m * (m dZ_hat - sum_j dZ_hat - Z_hat * sum_j dZ_hat * Z_hat)``.
    """
    required = ("Z_hat", "inv_std", "gamma")
    if not isinstance(cache, dict) or any(k not in cache for k in required):
        raise ValueError(
            f"`cache` must be the dict returned by batchnorm_forward, with keys {list(required)}; "
            f"got {type(cache).__name__}" + (f" with keys {sorted(cache)}." if isinstance(cache, dict) else ".")
        )
    Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
    dZ_tilde = as_array(dZ_tilde, "dZ_tilde", ndim=2)
    check_shape(dZ_tilde, Z_hat.shape, "dZ_tilde", "(it must match Z_tilde from the forward pass)")
    m = Z_hat.shape[1]
    dbeta = dZ_tilde.sum(axis=1, keepdims=True)
    dgamma = np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True)
    # With dZ_hat = gamma * dZ_tilde: sum_j dZ_hat = gamma * dbeta, sum_j dZ_hat * Z_hat = gamma * dgamma.
    dZ = (gamma * inv_std / m) * (m * dZ_tilde - dbeta - Z_hat * dgamma)
    return dZ, dgamma, dbeta


def update_running_averages(
    running_mean: np.ndarray, running_var: np.ndarray, mu: np.ndarray, var: np.ndarray, momentum: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Exponential running averages of the batch statistics, for use at test time.

    ``running = momentum * running + (1 - momentum) * batch`` for the mean and the
    variance. running_mean, running_var, mu, var : (n, 1).  momentum : in [0, 1].
    Returns new arrays ``(running_mean, running_var)``; the inputs are unchanged.

    >>> update_running_averages(np.zeros((1, 1)), np.ones((1, 1)), np.full((1, 1), 2.0), np.full((1, 1), 3.0))
    (array([[0.2]]), array([[1.2]]))
    """
    running_mean = as_array(running_mean, "running_mean", ndim=2)
    n = running_mean.shape[0]
    why = f"running_mean has {n} rows"
    running_mean = _check_column(running_mean, "running_mean", n, why)
    running_var = _check_column(running_var, "running_var", n, why)
    mu = _check_column(mu, "mu", n, why)
    var = _check_column(var, "var", n, why)
    try:
        momentum_f = float(momentum)
    except (TypeError, ValueError):
        momentum_f = float("nan")
    if not 0.0 <= momentum_f <= 1.0:
        raise ValueError(f"`momentum` must lie in [0, 1]; got {momentum!r}.")
    new_mean = momentum_f * running_mean + (1.0 - momentum_f) * mu
    new_var = momentum_f * running_var + (1.0 - momentum_f) * var
    return new_mean, new_var


def batchnorm_inference(
    Z: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    epsilon: float = 1e-5,
) -> np.ndarray:
    """Test-time batch normalisation with fixed (running) statistics.

    Z : (n, m).  gamma, beta, running_mean, running_var : (n, 1); running_var >= 0.
    epsilon : > 0.  Returns ``gamma * (Z - running_mean) / sqrt(running_var + epsilon) + beta``,
    shape (n, m). Each column is normalised on its own, so the result does not depend on
    the other examples in the batch.
    """
    Z = as_array(Z, "Z", ndim=2)
    n = Z.shape[0]
    why = f"Z has {n} rows"
    gamma = _check_column(gamma, "gamma", n, why)
    beta = _check_column(beta, "beta", n, why)
    running_mean = _check_column(running_mean, "running_mean", n, why)
    running_var = _check_column(running_var, "running_var", n, why)
    epsilon = check_positive(epsilon, "epsilon")
    if np.any(running_var < 0) or np.isnan(running_var).any():
        raise ValueError("`running_var` must hold variances >= 0; it has negative or NaN entries.")
    return gamma * (Z - running_mean) / np.sqrt(running_var + epsilon) + beta
