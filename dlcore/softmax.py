"""Multi-class output layer: softmax, one-hot labels, the softmax cross-entropy cost.

Shapes, with ``C`` classes and ``m`` examples as columns:
    Z, AL, Y : (C, m)  (``Y`` one-hot; each column of ``AL`` sums to 1)
    integer labels ``y`` : (m,) or (1, m), values in ``[0, C)``
The network of :func:`model_forward_softmax` is ``[LINEAR -> RELU] x (L-1) -> LINEAR ->
SOFTMAX``; its caches are the ``(linear_cache, Z)`` tuples of :mod:`dlcore.layers`.
"""
from __future__ import annotations

import numpy as np

from dlcore.layers import linear_activation_backward, linear_activation_forward, linear_backward, linear_forward
from dlcore.validation import as_array, class_labels, num_layers


def softmax(Z: np.ndarray) -> np.ndarray:
    """Softmax of each column: ``A[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j])``.

    Z : (C, m) scores, one column per example (a 1-D array is treated as one vector).
    Returns A : same shape, positive columns that sum to 1.

    The column maximum is subtracted before exponentiating, which leaves the result
    unchanged mathematically and keeps every exponent <= 0, so scores of +-1000 give
    exact, finite probabilities without overflow.

    >>> np.round(softmax(np.array([[5.0], [2.0], [-1.0], [3.0]])).ravel(), 3)
    array([0.842, 0.042, 0.002, 0.114])
    """
    Z = as_array(Z, "Z")
    if Z.ndim not in (1, 2):
        raise ValueError(f"`Z` must be a (C, m) array of scores, one column per example; got shape {Z.shape}.")
    if not np.isfinite(Z).all():
        raise ValueError("`Z` must hold finite scores; it contains NaN or infinity.")
    shifted = Z - Z.max(axis=0, keepdims=True)
    with np.errstate(under="ignore"):  # exp of a very negative score is 0 to double precision
        E = np.exp(shifted)
    return E / E.sum(axis=0, keepdims=True)


def _check_num_classes(C, name: str = "C") -> int:
    if isinstance(C, (bool, np.bool_)) or not isinstance(C, (int, np.integer)) or C < 1:
        raise ValueError(f"`{name}` must be a positive integer number of classes; got {C!r}.")
    return int(C)


def one_hot(y: np.ndarray, C: int) -> np.ndarray:
    """One-hot encoding of integer labels: ``Y[k, j] = 1.0`` if ``y[j] == k``, else 0.

    y : (m,) or (1, m) integer labels in ``[0, C)``.  C : number of classes.
    Returns Y : (C, m) float64 array with exactly one 1 per column.

    >>> one_hot(np.array([2, 0, 1]), 3)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    """
    C = _check_num_classes(C)
    labels = class_labels(y, "y", C)
    Y = np.zeros((C, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def _check_probabilities(AL: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    AL = as_array(AL, "AL", ndim=2)
    Y = as_array(Y, "Y")
    if Y.ndim != 2:
        raise ValueError(
            f"`Y` must be a one-hot (C, m) array; got shape {Y.shape}. "
            "(Integer labels can be converted with one_hot(y, C).)"
        )
    if AL.shape != Y.shape:
        raise ValueError(
            f"`AL` and `Y` must have the same shape (C, m); got AL {AL.shape} and Y {Y.shape}. "
            "(Integer labels can be converted with one_hot(y, C).)"
        )
    if np.isnan(AL).any() or np.any((AL < 0) | (AL > 1)):
        raise ValueError("`AL` must hold probabilities in [0, 1] (the output of softmax).")
    if not np.isfinite(Y).all():
        raise ValueError("`Y` must hold finite label values (one-hot columns).")
    return AL, Y


def softmax_cross_entropy(AL: np.ndarray, Y: np.ndarray) -> float:
    """Multi-class cross-entropy ``-(1/m) sum_{k, j} Y[k, j] log AL[k, j]``.

    AL : (C, m) softmax probabilities.  Y : (C, m) one-hot labels.
    Returns the cost as a Python float (``inf`` if a true class gets probability 0).

    >>> softmax_cross_entropy(np.array([[0.5, 0.2], [0.5, 0.8]]), np.array([[1, 0], [0, 1]]))  # doctest: +ELLIPSIS
    0.458...
    """
    AL, Y = _check_probabilities(AL, Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Classes with Y == 0 add nothing, even where AL == 0 (0 * log 0 counts as 0).
        terms = np.where(Y != 0, Y * np.log(AL), 0.0)
    return float(-terms.sum() / Y.shape[1]) + 0.0  # + 0.0 turns -0.0 into 0.0


def softmax_cross_entropy_backward(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gradient of the per-example cross-entropy with respect to the scores ZL: ``AL - Y``.

    AL, Y : (C, m). Returns dZL : (C, m). The softmax and the cross-entropy are
    differentiated together; the 1/m factor is applied later, in
    :func:`dlcore.layers.linear_backward`.
    """
    AL, Y = _check_probabilities(AL, Y)
    return AL - Y


def model_forward_softmax(X: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """Forward pass ``[LINEAR -> RELU] x (L-1) -> LINEAR -> SOFTMAX``.

    X : (n0, m) inputs.  parameters : ``{"W1", "b1", ..., "WL", "bL"}`` with nL = C.
    Returns ``(AL, caches)``: AL (C, m) class probabilities and the list of L caches
    ``(linear_cache, Z)`` (the last one holds the scores ZL).

    >>> p = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1)), "W2": np.ones((4, 2)), "b2": np.zeros((4, 1))}
    >>> AL, caches = model_forward_softmax(np.zeros((3, 5)), p)
    >>> AL.shape, len(caches)
    ((4, 5), 2)
    """
    X = as_array(X, "X", ndim=2)
    L = num_layers(parameters)
    caches = []
    A = X
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    ZL, linear_cache = linear_forward(A, parameters[f"W{L}"], parameters[f"b{L}"])
    caches.append((linear_cache, ZL))
    return softmax(ZL), caches


def model_backward_softmax(AL: np.ndarray, Y: np.ndarray, caches: list) -> dict[str, np.ndarray]:
    """Backward pass of :func:`model_forward_softmax` for :func:`softmax_cross_entropy`.

    AL : (C, m) output of the forward pass.  Y : (C, m) one-hot labels.  caches : its caches.
    Returns grads with ``dW{l}`` (n[l], n[l-1]), ``db{l}`` (n[l], 1), ``dA{l-1}`` (n[l-1], m).
    """
    if not isinstance(caches, (list, tuple)) or not caches:
        raise ValueError("`caches` must be the non-empty list of caches returned by model_forward_softmax.")
    L = len(caches)
    grads = {}
    dZ = softmax_cross_entropy_backward(AL, Y)
    if not isinstance(caches[-1], (tuple, list)) or len(caches[-1]) != 2:
        raise ValueError("`caches[-1]` must be the (linear_cache, ZL) tuple made by model_forward_softmax.")
    dA, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(dZ, caches[-1][0])
    grads[f"dA{L - 1}"] = dA
    for l in range(L - 1, 0, -1):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "relu")
        grads[f"dA{l - 1}"] = dA
    return grads


def predict_classes(X: np.ndarray, parameters: dict[str, np.ndarray]) -> np.ndarray:
    """Predicted class of each example: the row index of the largest probability.

    X : (n0, m).  parameters : as in :func:`model_forward_softmax`.
    Returns an int array of shape (m,) with values in ``[0, C)`` (first class on ties).
    """
    AL, _ = model_forward_softmax(X, parameters)
    return np.argmax(AL, axis=0).astype(np.int64)
