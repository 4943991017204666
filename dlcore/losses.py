"""Binary cross-entropy cost and its gradient with respect to the output ``AL``.

Shapes: ``AL`` and ``Y`` are (1, m); the cost is a Python float.

Labels are normally 0 or 1, but both functions follow the literal formula for any finite
``Y`` (soft labels in [0, 1], and also values outside it, as some published tests draw
random normal labels), so that :func:`cross_entropy_backward` is always the gradient of
:func:`compute_cost`. The one convention is ``0 * log(0) = 0``: a term whose label
factor (``y`` or ``1 - y``) is exactly 0 adds nothing, even where its log is infinite.
"""
from __future__ import annotations

import math

import numpy as np

from dlcore.validation import as_array


def _check_binary(AL: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    AL = as_array(AL, "AL", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    if AL.shape != Y.shape:
        raise ValueError(f"`AL` and `Y` must have the same shape (1, m); got AL {AL.shape} and Y {Y.shape}.")
    # Two reductions instead of a pass per condition (these checks run at every step of
    # the learning-rate slider): min and max are NaN if AL holds a NaN, and the sum of Y
    # is finite when every label is (the exact test runs only if the sum is not).
    if not (AL.min() >= 0.0 and AL.max() <= 1.0):
        raise ValueError("`AL` must hold probabilities in [0, 1] (the output of a sigmoid).")
    with np.errstate(over="ignore"):
        total = Y.sum()
    if not math.isfinite(total) and not np.isfinite(Y).all():
        raise ValueError("`Y` must hold finite labels (normally 0 or 1); it contains NaN or infinity.")
    return AL, Y


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Binary cross-entropy ``-(1/m) sum[y log(a) + (1 - y) log(1 - a)]``.

    AL : (1, m) predicted probabilities.  Y : (1, m) labels, normally in {0, 1}; any
    finite values follow the same formula (see the module docstring).
    Returns the cost as a Python float (``inf`` for a confident wrong answer).

    >>> compute_cost(np.array([[0.8, 0.1]]), np.array([[1, 0]]))  # doctest: +ELLIPSIS
    0.164...
    >>> compute_cost(np.full((1, 2), 0.5), np.array([[-1.3, 2.2]]))  # doctest: +ELLIPSIS
    0.693147...
    """
    AL, Y = _check_binary(AL, Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0 * log(0) counts as 0, so a certain and right prediction costs nothing
        # (np.where picks 0.0 there; the discarded 0 * -inf must not warn). Every other
        # term is the literal y log(a) and (1 - y) log(1 - a), whatever the value of y.
        pos = np.where(Y != 0, Y * np.log(AL), 0.0)
        neg = np.where(Y != 1, (1.0 - Y) * np.log1p(-AL), 0.0)
    return float(-(pos + neg).sum() / Y.shape[1])


def cross_entropy_backward(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gradient of the (per-example) cross-entropy with respect to AL: ``-(Y/AL - (1-Y)/(1-AL))``.

    AL, Y : (1, m), labels as in :func:`compute_cost` (the same literal formula, so this is
    its gradient for any finite labels). Returns dAL : (1, m). The 1/m factor is applied
    later, in :func:`dlcore.layers.linear_backward`.
    """
    AL, Y = _check_binary(AL, Y)
    return -(Y / AL - (1.0 - Y) / (1.0 - AL))
