"""One layer of a fully connected network: the linear step and the activation step.

Convention (as in CS231n's ``layers.py``): every forward returns ``(out, cache)`` and the
matching backward unpacks that cache.

Shapes, with ``m`` examples as columns:
    A_prev (n[l-1], m), W (n[l], n[l-1]), b (n[l], 1), Z and A (n[l], m).
"""
from __future__ import annotations

import numpy as np

from dlcore.activations import BACKWARD, FORWARD
from dlcore.validation import as_array, check_activation, check_shape

LinearCache = tuple  # (A_prev, W, b)
ActivationCache = tuple  # (linear_cache, Z)


def linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Linear step ``Z = W A_prev + b``.

    A_prev : (n[l-1], m) activations of the previous layer (or X).
    W : (n[l], n[l-1]) weights.  b : (n[l], 1) biases.
    Returns ``(Z, cache)`` with Z : (n[l], m) and ``cache = (A_prev, W, b)``.

    >>> Z, cache = linear_forward(np.ones((3, 2)), np.ones((1, 3)), np.zeros((1, 1)))
    >>> Z
    array([[3., 3.]])
    """
    A_prev = as_array(A_prev, "A_prev", ndim=2)
    W = as_array(W, "W", ndim=2)
    b = as_array(b, "b", ndim=2)
    check_shape(W, (None, A_prev.shape[0]), "W", f"(A_prev has {A_prev.shape[0]} rows)")
    check_shape(b, (W.shape[0], 1), "b", f"(W has {W.shape[0]} rows)")
    Z = W @ A_prev
    Z += b  # in place: no second (n[l], m) array
    return Z, (A_prev, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str
) -> tuple[np.ndarray, ActivationCache]:
    """Linear step followed by an activation: ``A = g(W A_prev + b)``.

    activation : one of ``"sigmoid"``, ``"relu"``, ``"tanh"``, ``"leaky_relu"``.
    Shapes as in :func:`linear_forward`. Returns ``(A, cache)`` with A : (n[l], m) and
    ``cache = (linear_cache, Z)``.
    """
    g = FORWARD[check_activation(activation)]
    Z, linear_cache = linear_forward(A_prev, W, b)
    return g(Z), (linear_cache, Z)


def linear_backward(dZ: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of the linear step.

    dZ : (n[l], m) gradient of the cost with respect to Z.
    cache : ``(A_prev, W, b)`` from :func:`linear_forward`.
    Returns ``(dA_prev, dW, db)`` with shapes (n[l-1], m), (n[l], n[l-1]), (n[l], 1):
    ``dW = (1/m) dZ A_prev^T``, ``db = (1/m) sum over columns of dZ``, ``dA_prev = W^T dZ``.
    """
    A_prev, W, b = _unpack(cache, 3, "cache", "(A_prev, W, b)")
    dZ = as_array(dZ, "dZ", ndim=2)
    check_shape(dZ, (W.shape[0], A_prev.shape[1]), "dZ", "(it must match Z = W A_prev + b)")
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T
    dW /= m  # in place: dW can be large, and a second copy costs memory traffic
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: ActivationCache, activation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`linear_activation_forward`.

    dA : (n[l], m) gradient with respect to the layer's output A.
    cache : ``(linear_cache, Z)``.  activation : the name used in the forward pass.
    Returns ``(dA_prev, dW, db)`` as :func:`linear_backward`.
    """
    g_backward = BACKWARD[check_activation(activation)]
    linear_cache, Z = _unpack(cache, 2, "cache", "(linear_cache, Z)")
    dZ = g_backward(dA, Z)
    return linear_backward(dZ, linear_cache)


def _unpack(cache, n: int, name: str, layout: str) -> tuple:
    if not isinstance(cache, (tuple, list)) or len(cache) != n:
        raise ValueError(f"`{name}` must be the tuple {layout} made by the forward pass; got {type(cache).__name__}.")
    return tuple(cache)
