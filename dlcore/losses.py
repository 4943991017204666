"""Binary cross-entropy cost and its gradient with respect to the output ``AL``.

Shapes: ``AL`` and ``Y`` are (1, m); the cost is a Python float.
"""
from __future__ import annotations

import numpy as np

from dlcore.validation import as_array


def _check_binary(AL: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    AL = as_array(AL, "AL", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    if AL.shape != Y.shape:
        raise ValueError(f"`AL` and `Y` must have the same shape (1, m); got AL {AL.shape} and Y {Y.shape}.")
    if np.any((AL < 0) | (AL > 1)) or np.isnan(AL).any():
        raise ValueError("`AL` must hold probabilities in [0, 1] (the output of a sigmoid).")
    return AL, Y


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Binary cross-entropy ``-(1/m) sum[y log(a) + (1 - y) log(1 - a)]``.

    AL : (1, m) predicted probabilities.  Y : (1, m) labels in {0, 1}.
    Returns the cost as a Python float (``inf`` for a confident wrong answer).

    >>> compute_cost(np.array([[0.8, 0.1]]), np.array([[1, 0]]))  # doctest: +ELLIPSIS
    0.164...
    """
    AL, Y = _check_binary(AL, Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0 * log(0) counts as 0, so a certain and right prediction costs nothing
        # (np.where picks 0.0 there; the discarded 0 * -inf must not warn).
        pos = np.where(Y > 0, Y * np.log(AL), 0.0)
        neg = np.where(Y < 1, (1.0 - Y) * np.log1p(-AL), 0.0)
    return float(-(pos + neg).sum() / Y.shape[1])


def cross_entropy_backward(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gradient of the (per-example) cross-entropy with respect to AL: ``-(Y/AL - (1-Y)/(1-AL))``.

    AL, Y : (1, m). Returns dAL : (1, m). The 1/m factor is applied later, in
    :func:`dlcore.layers.linear_backward`.
    """
    AL, Y = _check_binary(AL, Y)
    return -(Y / AL - (1.0 - Y) / (1.0 - AL))
