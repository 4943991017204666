"""Regularisation for the L-layer network of :mod:`dlcore.model`: L2, dropout, early stopping.

Shapes, with ``m`` examples as columns: ``X`` (n0, m), ``AL`` and ``Y`` (1, m),
``W{l}`` (n[l], n[l-1]), ``b{l}`` (n[l], 1), hidden activations ``A{l}`` (n[l], m).

* L2: the cost gains ``(lambd / 2m) * sum_l ||W{l}||_F^2`` (biases are not penalised)
  and each ``dW{l}`` gains ``(lambd / m) * W{l}``.
* Inverted dropout: a 0/1 mask ``D`` (same shape as ``A``) keeps each unit with
  probability ``keep_prob`` and the kept values are divided by ``keep_prob``, so the
  expected activation is unchanged and nothing needs rescaling at test time.
  The dropout network caches ``(linear_cache, Z, D)`` per layer (``D`` is ``None`` for
  the output layer, which is never dropped; neither is ``X``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcore.layers import linear_activation_backward, linear_activation_forward
from dlcore.losses import compute_cost, cross_entropy_backward
from dlcore.model import model_backward
from dlcore.validation import as_array, check_int, check_positive, check_probability, check_rng, num_layers

DropoutCache = tuple  # (linear_cache, Z, D)


# ----------------------------------------------------------------------------- L2


def compute_cost_with_l2(
    AL: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray], lambd: float
) -> float:
    """Cross-entropy plus the L2 penalty ``(lambd / 2m) * sum_l ||W{l}||_F^2``.

    AL : (1, m) predicted probabilities.  Y : (1, m) labels.
    parameters : ``{"W1", "b1", ..., "WL", "bL"}`` (only the weights are penalised).
    lambd : regularisation strength, >= 0.  Returns a Python float.

    >>> p = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[5.0]])}
    >>> compute_cost_with_l2(np.array([[0.5, 0.5]]), np.array([[1, 0]]), p, 0.4)  # ln 2 + 0.4/4 * 5
    1.1931471805599454
    """
    lambd = check_positive(lambd, "lambd", allow_zero=True)
    L = num_layers(parameters)
    cross_entropy = compute_cost(AL, Y)
    m = np.shape(Y)[1]
    squares = sum(float(np.sum(np.square(parameters[f"W{l}"]))) for l in range(1, L + 1))
    return float(cross_entropy + lambd / (2 * m) * squares)


def model_backward_with_l2(AL: np.ndarray, Y: np.ndarray, caches: list, lambd: float) -> dict[str, np.ndarray]:
    """Gradients of :func:`compute_cost_with_l2` for the network of :func:`dlcore.model.model_forward`.

    AL, Y : (1, m).  caches : the L caches ``(linear_cache, Z)`` of ``model_forward``.
    lambd : >= 0.  Returns grads as :func:`dlcore.model.model_backward`, except that
    ``dW{l}`` (n[l], n[l-1]) includes the penalty term ``(lambd / m) * W{l}``.
    ``db{l}`` and ``dA{l-1}`` are those of the plain cross-entropy.
    """
    lambd = check_positive(lambd, "lambd", allow_zero=True)
    grads = model_backward(AL, Y, caches)
    m = np.shape(Y)[1]
    for l in range(1, len(caches) + 1):
        W = caches[l - 1][0][1]  # cache = ((A_prev, W, b), Z)
        grads[f"dW{l}"] = grads[f"dW{l}"] + (lambd / m) * W
    return grads


# ------------------------------------------------------------------------ dropout


def dropout_forward(A: np.ndarray, keep_prob: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout on the activations ``A`` (any shape).

    keep_prob : probability of keeping each unit, in (0, 1].  rng : a
    ``numpy.random.Generator`` (the only source of randomness).
    Returns ``(A_drop, D)``: ``D`` is a float64 0/1 mask shaped like ``A`` with
    ``P(D = 1) = keep_prob`` and ``A_drop = A * D / keep_prob``. With ``keep_prob == 1``
    nothing is drawn: ``A_drop`` equals ``A`` (a copy) and ``D`` is all ones.

    >>> A_drop, D = dropout_forward(np.ones((2, 3)), 1.0, np.random.default_rng(0))
    >>> A_drop
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    A = as_array(A, "A", allow_empty=True)
    keep_prob = check_probability(keep_prob, "keep_prob")
    check_rng(rng)
    if keep_prob == 1.0:
        return A.copy(), np.ones_like(A)
    D = (rng.random(A.shape) < keep_prob).astype(np.float64)
    return A * D / keep_prob, D


def dropout_backward(dA: np.ndarray, D: np.ndarray, keep_prob: float) -> np.ndarray:
    """Backward pass of :func:`dropout_forward`: ``dA_prev = dA * D / keep_prob``.

    dA : gradient with respect to ``A_drop``.  D : the 0/1 mask of the forward pass,
    same shape.  keep_prob : the value used in the forward pass, in (0, 1].
    Returns the gradient with respect to ``A`` (before dropout), shaped like ``dA``.
    """
    dA = as_array(dA, "dA", allow_empty=True)
    D = as_array(D, "D", allow_empty=True)
    keep_prob = check_probability(keep_prob, "keep_prob")
    if D.shape != dA.shape:
        raise ValueError(f"`D` must have the shape of dA {dA.shape} (one mask entry per unit); got {D.shape}.")
    if not np.all((D == 0) | (D == 1)):
        raise ValueError("`D` must be the 0/1 mask returned by dropout_forward; it holds other values.")
    return dA * D / keep_prob


def model_forward_with_dropout(
    X: np.ndarray, parameters: dict[str, np.ndarray], keep_prob: float, rng: np.random.Generator
) -> tuple[np.ndarray, list[DropoutCache]]:
    """Forward pass of :func:`dlcore.model.model_forward` with dropout after every hidden layer.

    X : (n0, m).  parameters : ``{"W1", "b1", ..., "WL", "bL"}``.
    keep_prob : in (0, 1].  rng : a ``numpy.random.Generator``.
    Returns ``(AL, caches)``: AL (1, m) and L caches ``(linear_cache, Z, D)`` where
    ``D`` (n[l], m) is the mask applied to the ReLU output of hidden layer l, and
    ``None`` for the sigmoid output layer. ``X`` itself is never dropped.

    >>> p = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}
    >>> AL, caches = model_forward_with_dropout(np.ones((3, 4)), p, 0.5, np.random.default_rng(0))
    >>> caches[0][2].shape, caches[1][2] is None
    ((2, 4), True)
    """
    X = as_array(X, "X", ndim=2)
    L = num_layers(parameters)
    keep_prob = check_probability(keep_prob, "keep_prob")
    check_rng(rng)
    caches = []
    A = X
    for l in range(1, L):
        A, (linear_cache, Z) = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        A, D = dropout_forward(A, keep_prob, rng)
        caches.append((linear_cache, Z, D))
    AL, (linear_cache, Z) = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
    caches.append((linear_cache, Z, None))
    return AL, caches


def model_backward_with_dropout(
    AL: np.ndarray, Y: np.ndarray, caches: list[DropoutCache], keep_prob: float
) -> dict[str, np.ndarray]:
    """Gradients of the cross-entropy for :func:`model_forward_with_dropout`, masks taken from ``caches``.

    AL, Y : (1, m).  caches : the L caches ``(linear_cache, Z, D)``.  keep_prob : the
    value used in the forward pass.  Returns grads with ``dW{l}`` (n[l], n[l-1]),
    ``db{l}`` (n[l], 1) and ``dA{l-1}`` (n[l-1], m). For a hidden layer, ``dA{l}`` is the
    gradient with respect to its ReLU output *before* dropout (the mask is already
    applied); ``dA0`` is the gradient with respect to X.
    """
    keep_prob = check_probability(keep_prob, "keep_prob")
    if not isinstance(caches, (list, tuple)) or not caches:
        raise ValueError("`caches` must be the non-empty list of caches returned by model_forward_with_dropout.")
    for l, cache in enumerate(caches, start=1):
        if not isinstance(cache, (tuple, list)) or len(cache) != 3:
            raise ValueError(
                f"`caches[{l - 1}]` must be the tuple (linear_cache, Z, D) made by model_forward_with_dropout; "
                f"got {type(cache).__name__}"
                + (f" of length {len(cache)}." if isinstance(cache, (tuple, list)) else ".")
            )
        if l < len(caches) and cache[2] is None:
            raise ValueError(f"`caches[{l - 1}]` belongs to a hidden layer and must hold its dropout mask D; got None.")
    Y = as_array(Y, "Y", ndim=2)
    L = len(caches)
    grads = {}
    dA = cross_entropy_backward(AL, Y)
    for l in range(L, 0, -1):
        linear_cache, Z, _ = caches[l - 1]
        activation = "sigmoid" if l == L else "relu"
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, (linear_cache, Z), activation)
        if l > 1:  # the input of layer l is the dropped output of layer l - 1
            dA = dropout_backward(dA, caches[l - 2][2], keep_prob)
        grads[f"dA{l - 1}"] = dA
    return grads


# ----------------------------------------------------------------- early stopping


def early_stopping(dev_costs: Sequence[float], patience: int) -> tuple[int, int]:
    """Epoch at which to stop training, and the best epoch up to then.

    dev_costs : (E,) dev-set cost after each epoch 0..E-1 (at least one).
    patience : positive int, the number of epochs without a new lowest cost to wait.
    ``best_epoch`` is the index of the lowest cost seen so far (the first one on ties,
    so only a strict improvement moves it); training stops at the first epoch ``e`` with
    ``e - best_epoch >= patience``, or at ``E - 1`` if that never happens.
    Returns ``(stop_epoch, best_epoch)`` as Python ints.

    >>> early_stopping([3.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.5], patience=3)
    (5, 2)
    """
    costs = as_array(dev_costs, "dev_costs", ndim=1)
    patience_int = check_int(patience, "patience", meaning="epochs to wait")
    costs = np.where(np.isnan(costs), np.inf, costs)  # a NaN cost is never an improvement
    best_epoch = 0
    for e in range(1, len(costs)):
        if costs[e] < costs[best_epoch]:
            best_epoch = e
        elif e - best_epoch >= patience_int:
            return e, best_epoch
    return len(costs) - 1, best_epoch
