"""Input preprocessing: feature-wise standardisation with training-set statistics.

Shapes: examples are columns, so ``X_train`` is (n_x, m_train) and ``X_other`` (a dev
or test set) is (n_x, m_other). Statistics are taken over the columns of the training
set only and then applied unchanged to the other set, so that no information from
dev/test data leaks into the model.
"""
from __future__ import annotations

import numpy as np

from dlcore.validation import as_array


def normalize_inputs(X_train: np.ndarray, X_other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise every feature (row) with the mean and standard deviation of ``X_train``.

    X_train : (n_x, m_train) training inputs, at least one column.
    X_other : (n_x, m_other) another set (dev or test) with the same features.
    Returns ``(X_train_n, X_other_n)``, new float64 arrays with the input shapes:
    ``(X - mu) / sigma`` where ``mu`` and ``sigma`` (population standard deviation,
    ``1/m``) are computed per row of ``X_train``. A feature that is constant on the
    training set carries no information: it becomes 0 in both outputs (never NaN).

    >>> Xt, Xo = normalize_inputs(np.array([[1.0, 3.0], [5.0, 5.0]]), np.array([[2.0], [7.0]]))
    >>> Xt
    array([[-1.,  1.],
           [ 0.,  0.]])
    >>> Xo
    array([[0.],
           [0.]])
    """
    X_train = as_array(X_train, "X_train", ndim=2)
    X_other = as_array(X_other, "X_other", ndim=2, allow_empty=True)
    if X_other.shape[0] != X_train.shape[0]:
        raise ValueError(
            f"`X_other` must have the same number of features (rows) as X_train, {X_train.shape[0]}; "
            f"got shape {X_other.shape}."
        )
    for name, arr in (("X_train", X_train), ("X_other", X_other)):
        if not np.isfinite(arr).all():
            raise ValueError(f"`{name}` must hold finite numbers only; it contains NaN or inf.")

    mu = X_train.mean(axis=1, keepdims=True)
    sigma = X_train.std(axis=1, keepdims=True)
    # A constant row is detected exactly (all values equal), not through sigma == 0:
    # rounding in the mean can leave a tiny non-zero sigma for e.g. a row of 0.1s.
    constant = (X_train.max(axis=1, keepdims=True) == X_train.min(axis=1, keepdims=True)) | (sigma == 0)
    safe_sigma = np.where(constant, 1.0, sigma)
    X_train_n = np.where(constant, 0.0, (X_train - mu) / safe_sigma)
    X_other_n = np.where(constant, 0.0, (X_other - mu) / safe_sigma)
    return X_train_n, X_other_n
