"""Checks for the application at the end of notebook 02: ``predict``.

Same pattern as the other check modules: visible checks on a hand-worked example by default;
``hidden=True`` compares with the ``dlcore`` reference on random networks of 1 to 4 layers,
including examples whose probability is exactly 0.5 (predicted 0: the rule is ``AL > 0.5``).
Uses only public names of :mod:`dlcore.checks.core`.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, manifest, random_rng
from dlcore.checks.problems import random_parameters

#: The exercise of notebook 02's application: name -> the graded functions it may call.
MANIFEST = manifest({"predict": ("model_forward",)})


def _network(rng: np.random.Generator, L: int, m: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Random inputs (n0, m) and parameters of an L-layer network whose outputs are spread over (0, 1)."""
    dims = [int(n) for n in rng.integers(2, 7, size=L)] + [1]
    return rng.normal(size=(dims[0], m)), random_parameters(rng, dims)


def _last_z(X: np.ndarray, parameters: dict) -> np.ndarray:
    return dlcore.model_forward(X, parameters)[1][-1][1]


def predict(student: Callable, hidden: bool = False) -> None:
    """Check ``predict(X, parameters)``: a (1, m) int array, 1 where AL > 0.5 and 0 elsewhere."""
    __tracebackhide__ = True
    AL = lambda X, p: dlcore.model_forward(X, p)[0]
    ex = Exercise("predict", student, dlcore.predict, hidden=hidden, isolate=MANIFEST["predict"], mistakes=[
        Mistake(lambda X, p: (AL(X, p) >= 0.5).astype(int),
                "a probability of exactly 0.5 is predicted 0: the rule is AL > 0.5 (strictly), not >=."),
        Mistake(lambda X, p: (AL(X, p) < 0.5).astype(int),
                "the predictions are inverted: predict 1 where AL > 0.5 (the network says 'more likely 1')."),
        Mistake(lambda X, p: (_last_z(X, p) > 0.5).astype(int),
                "threshold the probabilities AL (the sigmoid's output), not Z of the last layer."),
        Mistake(lambda X, p: (AL(X, p) > 0).astype(int),
                "compare with 0.5: AL is a probability, always > 0."),
    ])
    cases = []
    if not hidden:
        # One unit, W = [1, -1], b = 0: Z = x1 - x2 is 1, -3 and 0, so AL = 0.73, 0.05 and exactly 0.5.
        X = np.array([[2.0, 0.0, 1.0], [1.0, 3.0, 1.0]])
        p = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([[0.0]])}
        got = _call(ex, X, p)
        ex.compare(got, np.array([[1, 0, 0]]), "predict on three examples with AL = 0.73, 0.05 and exactly 0.5",
                   (X, p))
        rng = np.random.default_rng(20)
        cases.append(_network(rng, 3, 12))
    else:
        rng = random_rng()
        for L in (1, 2, 3, 4):
            cases.append(_network(rng, L, int(rng.integers(5, 40))))
        # Examples with AL exactly 0.5: zero biases and zero input columns make every Z exactly 0.
        X, p = _network(rng, int(rng.integers(2, 4)), int(rng.integers(6, 20)))
        p = {k: (np.zeros_like(v) if k.startswith("b") else v) for k, v in p.items()}
        X[:, rng.choice(X.shape[1], size=max(1, X.shape[1] // 3), replace=False)] = 0.0
        cases.append((X, p))
    for X, p in cases:
        want = dlcore.predict(X, p)
        ex.compare(_call(ex, X, p), want, f"the predictions (a {len(p) // 2}-layer network, m = {X.shape[1]})", (X, p))
    ex.done()


def _call(ex: Exercise, X: np.ndarray, p: dict) -> np.ndarray:
    """The student's predictions, after checking that they are 0/1 integers and not probabilities."""
    __tracebackhide__ = True
    got = ex.call(X, p)
    if isinstance(got, np.ndarray) and got.size:
        if got.dtype.kind == "f" and not np.all(np.isin(got, (0.0, 1.0))):
            raise CheckFailure("`predict` returned probabilities (values between 0 and 1), not predictions. "
                               "Turn AL into 0/1 labels: 1 where AL > 0.5, 0 elsewhere.")
        if got.dtype.kind not in "iu":
            raise CheckFailure(f"`predict` must return an array of integers 0/1; got dtype {got.dtype}. "
                               f"Convert the comparison with .astype(int).")
    return got
