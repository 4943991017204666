"""Small random networks shared by the model tests (weights scaled so outputs do not saturate)."""
from __future__ import annotations

import numpy as np

from dlcore.checks.problems import random_one_hot


def random_problem(layer_dims: list[int], m: int, seed: int, labels: str = "binary"):
    """``(X, Y, parameters)`` for a network of ``layer_dims`` and ``m`` examples.

    labels : ``"binary"`` gives Y (1, m) of 0/1 floats; ``"one_hot"`` gives Y (C, m) with
    C = layer_dims[-1].
    """
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.8
        params[f"b{l}"] = rng.standard_normal((layer_dims[l], 1)) * 0.3
    X = rng.standard_normal((layer_dims[0], m))
    if labels == "binary":
        Y = (rng.random((1, m)) < 0.5).astype(float)
    else:
        Y = random_one_hot(rng, layer_dims[-1], m)
    return X, Y, params
