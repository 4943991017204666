"""Parameter initialisation for an L-layer network.

``layer_dims = [n0, n1, ..., nL]`` lists the layer sizes, input first. The result is a
dict ``{"W1": (n1, n0), "b1": (n1, 1), ..., "WL": (nL, n[L-1]), "bL": (nL, 1)}``.
Random draws come only from the ``rng`` argument, never from the global ``np.random``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcore.validation import check_rng

METHODS = ("zeros", "random", "xavier", "he", "lecun")


def check_layer_dims(layer_dims: Sequence[int]) -> list[int]:
    """Return ``layer_dims`` as a list of ints, or raise ``ValueError``."""
    try:
        dims = [int(n) for n in layer_dims]
        ok = len(dims) >= 2 and all(n >= 1 and n == m for n, m in zip(dims, layer_dims))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "`layer_dims` must be a list of at least two positive integers [n0, n1, ..., nL]; "
            f"got {layer_dims!r}."
        )
    return dims


def initialize_parameters(layer_dims: Sequence[int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Small random weights ``W{l} = 0.01 * N(0, 1)`` and zero biases.

    layer_dims : [n0, ..., nL].  rng : a ``numpy.random.Generator``.
    Returns parameters with ``W{l}`` (n[l], n[l-1]) and ``b{l}`` (n[l], 1).

    >>> p = initialize_parameters([2, 3, 1], np.random.default_rng(0))
    >>> p["W1"].shape, p["b2"].shape
    ((3, 2), (1, 1))
    """
    return initialize_parameters_deep(layer_dims, "random", rng)


def initialize_parameters_deep(
    layer_dims: Sequence[int], method: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Initialise weights by ``method``; biases are always zero.

    method : ``"zeros"`` (all zero), ``"random"`` (N(0,1) * 0.01), ``"xavier"``
    (Glorot, variance 2/(n[l-1] + n[l])), ``"he"`` (variance 2/n[l-1]) or ``"lecun"``
    (variance 1/n[l-1]).  Shapes as in :func:`initialize_parameters`.
    """
    dims = check_layer_dims(layer_dims)
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(map(repr, METHODS))}; got {method!r}.")
    check_rng(rng)
    parameters = {}
    for l in range(1, len(dims)):
        n_in, n_out = dims[l - 1], dims[l]
        scale = {
            "zeros": 0.0,
            "random": 0.01,
            "xavier": np.sqrt(2.0 / (n_in + n_out)),
            "he": np.sqrt(2.0 / n_in),
            "lecun": np.sqrt(1.0 / n_in),
        }[method]
        if method == "zeros":
            parameters[f"W{l}"] = np.zeros((n_out, n_in))
        else:
            parameters[f"W{l}"] = rng.standard_normal((n_out, n_in)) * scale
        parameters[f"b{l}"] = np.zeros((n_out, 1))
    return parameters
