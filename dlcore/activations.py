"""Activation functions and their backward passes (elementwise, any shape).

Forward: ``A = g(Z)``. Backward: ``dZ = dA * g'(Z)``, where ``dA`` is the gradient of
the cost with respect to ``A`` and ``Z`` is the pre-activation kept in the cache.
"""
from __future__ import annotations

import numpy as np

from dlcore.validation import as_array


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-Z))``, elementwise and overflow-free.

    Z : array of any shape. Returns A : array of the same shape, values in [0, 1].

    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    Z = as_array(Z, "Z", allow_empty=True)
    with np.errstate(under="ignore"):  # exp(-1000) is 0 to double precision, as intended
        E = np.exp(-np.abs(Z))  # in [0, 1]: never overflows
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))


def relu(Z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, Z)``. Z: any shape; A: same shape.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(0.0, as_array(Z, "Z", allow_empty=True))


def leaky_relu(Z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU ``max(alpha * Z, Z)`` for ``0 <= alpha < 1``. Z: any shape; A: same shape.

    >>> leaky_relu(np.array([-2.0, 3.0]), alpha=0.1)
    array([-0.2,  3. ])
    """
    Z = as_array(Z, "Z", allow_empty=True)
    if not 0.0 <= float(alpha) < 1.0:
        raise ValueError(f"`alpha` must lie in [0, 1); got {alpha!r}.")
    return np.where(Z > 0, Z, alpha * Z)


def tanh(Z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent. Z: any shape; A: same shape, values in [-1, 1]."""
    return np.tanh(as_array(Z, "Z", allow_empty=True))


def _check_pair(dA: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dA = as_array(dA, "dA", allow_empty=True)
    Z = as_array(Z, "Z", allow_empty=True)
    if dA.shape != Z.shape:
        raise ValueError(f"`dA` and `Z` must have the same shape; got dA {dA.shape} and Z {Z.shape}.")
    return dA, Z


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`sigmoid`: ``dZ = dA * s * (1 - s)`` with ``s = sigmoid(Z)``.

    dA, Z : arrays of the same shape. Returns dZ : same shape.
    """
    dA, Z = _check_pair(dA, Z)
    s = sigmoid(Z)
    return dA * s * (1.0 - s)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`relu`: ``dZ = dA`` where ``Z > 0``, else 0.

    dA, Z : arrays of the same shape. Returns dZ : same shape.
    """
    dA, Z = _check_pair(dA, Z)
    return dA * (Z > 0)  # the 0/1 mask; several times faster than np.where(Z > 0, dA, 0.0)


def leaky_relu_backward(dA: np.ndarray, Z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Backward pass of :func:`leaky_relu`: ``dZ = dA`` where ``Z > 0``, else ``alpha * dA``."""
    dA, Z = _check_pair(dA, Z)
    return np.where(Z > 0, dA, alpha * dA)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`tanh`: ``dZ = dA * (1 - tanh(Z)**2)``.

    dA, Z : arrays of the same shape. Returns dZ : same shape.
    """
    dA, Z = _check_pair(dA, Z)
    return dA * (1.0 - np.tanh(Z) ** 2)


FORWARD = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "leaky_relu": leaky_relu}
BACKWARD = {
    "sigmoid": sigmoid_backward,
    "relu": relu_backward,
    "tanh": tanh_backward,
    "leaky_relu": leaky_relu_backward,
}
