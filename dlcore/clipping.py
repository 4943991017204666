"""Gradient clipping by the global norm (notebook 04).

``grads`` is the dict of :func:`dlcore.model.model_backward`: ``"dW{l}"``, ``"db{l}"`` and
``"dA{l-1}"``. Only the parameters' gradients ``dW{l}``, ``db{l}`` count: they are what an
update step uses; the ``dA`` entries are intermediate results of backpropagation.
"""
from __future__ import annotations

import re

import numpy as np

from dlcore.validation import check_positive

_PARAMETER_GRADIENT = re.compile(r"d[Wb][0-9]+")


def clip_by_global_norm(grads: dict[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Scale all parameter gradients together so that their joint norm is at most ``max_norm``.

    grads : dict with ``"dW{l}"``, ``"db{l}"`` (other keys, such as ``"dA{l}"``, are ignored).
    max_norm : a finite number > 0.
    Returns ``(clipped, global_norm)``: ``global_norm = sqrt(sum over dW{l}, db{l} of ||g||^2)``
    (a Python float, before clipping) and a new dict with only the ``dW{l}``, ``db{l}`` keys,
    each gradient multiplied by ``max_norm / global_norm`` when ``global_norm > max_norm``
    and unchanged (a copy) otherwise. Every gradient keeps its direction relative to the
    others. ``grads`` and its arrays are left unchanged.

    >>> clipped, norm = clip_by_global_norm({"dW1": np.array([[3.0]]), "db1": np.array([[4.0]])}, 1.0)
    >>> norm, clipped["dW1"], clipped["db1"]
    (5.0, array([[0.6]]), array([[0.8]]))
    """
    if not isinstance(grads, dict):
        raise ValueError(f"`grads` must be a dict with keys 'dW1', 'db1', ...; got {type(grads).__name__}.")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError(f"`max_norm` must be a number > 0; got {type(max_norm).__name__} {max_norm!r}.")
    limit = check_positive(max_norm, "max_norm")
    keys = [k for k in grads if isinstance(k, str) and _PARAMETER_GRADIENT.fullmatch(k)]
    if not keys:
        raise ValueError(f"`grads` must hold the parameter gradients 'dW1', 'db1', ...; keys: {sorted(map(str, grads))}.")
    arrays = {k: np.asarray(grads[k], dtype=np.float64) for k in keys}
    global_norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays.values())))
    scale = limit / global_norm if global_norm > limit else 1.0
    return {k: g * scale for k, g in arrays.items()}, global_norm
