"""The L-layer network of the course: L-1 ReLU layers, then one sigmoid unit.

``parameters`` is ``{"W1", "b1", ..., "WL", "bL"}``; ``caches`` is the list of the L
layer caches ``(linear_cache, Z)``; ``grads`` has keys ``"dW{l}"``, ``"db{l}"`` and
``"dA{l-1}"`` (``"dA0"`` is the gradient with respect to X).
"""
from __future__ import annotations

import numpy as np

from dlcore.layers import linear_activation_backward, linear_activation_forward
from dlcore.losses import cross_entropy_backward
from dlcore.validation import as_array, check_positive, num_layers


def model_forward(X: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """Forward pass ``[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID``.

    X : (n0, m) inputs, examples as columns.  parameters : see :mod:`dlcore.model`.
    Returns ``(AL, caches)``: AL (1, m) probabilities and the list of L caches.

    >>> p = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}
    >>> AL, caches = model_forward(np.zeros((3, 4)), p)
    >>> AL.shape, len(caches)
    ((1, 4), 2)
    """
    X = as_array(X, "X", ndim=2)
    L = num_layers(parameters)
    caches = []
    A = X
    for l in range(1, L + 1):
        activation = "relu" if l < L else "sigmoid"
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
        caches.append(cache)
    return A, caches


def model_backward(AL: np.ndarray, Y: np.ndarray, caches: list) -> dict[str, np.ndarray]:
    """Backward pass of :func:`model_forward` for the binary cross-entropy cost.

    AL : (1, m) output of the forward pass.  Y : (1, m) labels.  caches : its caches.
    Returns grads with ``dW{l}`` (n[l], n[l-1]), ``db{l}`` (n[l], 1), ``dA{l-1}`` (n[l-1], m).
    """
    if not isinstance(caches, (list, tuple)) or not caches:
        raise ValueError("`caches` must be the non-empty list of caches returned by model_forward.")
    Y = as_array(Y, "Y", ndim=2)
    L = len(caches)
    grads = {}
    dA = cross_entropy_backward(AL, Y)
    for l in range(L, 0, -1):
        activation = "sigmoid" if l == L else "relu"
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], activation)
        grads[f"dA{l - 1}"] = dA
    return grads


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """One gradient-descent step ``W{l} - learning_rate * dW{l}`` (and the same for b).

    Returns a new dict of new arrays; ``parameters`` and its arrays are left unchanged.
    """
    L = num_layers(parameters)
    lr = check_positive(learning_rate, "learning_rate", allow_zero=True)
    new = {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key, gkey = f"{p}{l}", f"d{p}{l}"
            if gkey not in grads:
                raise ValueError(f"`grads` must hold {gkey!r} for parameter {key!r}; keys: {sorted(grads)}.")
            if np.shape(grads[gkey]) != np.shape(parameters[key]):
                raise ValueError(
                    f"`grads[{gkey!r}]` must have the shape of parameters[{key!r}] "
                    f"{np.shape(parameters[key])}; got {np.shape(grads[gkey])}."
                )
            new[key] = parameters[key] - lr * grads[gkey]
    return new


def predict(X: np.ndarray, parameters: dict[str, np.ndarray], threshold: float = 0.5) -> np.ndarray:
    """Binary predictions (1, m) of 0/1 ints: ``AL > threshold`` for :func:`model_forward`."""
    AL, _ = model_forward(X, parameters)
    return (AL > threshold).astype(int)
