"""Checks for notebook 06, softmax and multi-class classification.

Same pattern as :mod:`dlcore.checks.forward`: visible checks on hand-worked examples by
default (among them the worked example of the course notes, softmax of ``[5, 2, -1, 3]``);
``hidden=True`` compares with the ``dlcore`` reference on random shapes and values, with
finite differences for the gradient, and with scores of +-1000 for the numerics.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, finite_difference_check, manifest, random_rng
from dlcore.checks.problems import random_one_hot
from dlcore.gradcheck import check_gradients

#: The worked example of the course notes: softmax([5, 2, -1, 3]) to three decimals.
WORKED_SCORES = np.array([[5.0], [2.0], [-1.0], [3.0]])
WORKED_PROBABILITIES = np.array([[0.842], [0.042], [0.002], [0.114]])

#: Functions of notebooks 01-05 that the forward pass of this notebook may call (given).
_GIVEN_FORWARD = ("linear_activation_forward", "linear_forward", "relu")

#: The exercises of notebook 06, in order: name -> the graded functions it may call.
MANIFEST = manifest({
    "softmax": (),
    "one_hot": (),
    "softmax_cross_entropy": (),
    "softmax_cross_entropy_backward": (),
    "model_forward_softmax": ("softmax",) + _GIVEN_FORWARD,
    "predict_classes": ("model_forward_softmax", "softmax") + _GIVEN_FORWARD,
})


_WHOLE_SUM = "divide by the sum of each column (axis=0, keepdims=True), not by the sum of the whole array."


def _exp_normalised(E: np.ndarray, axis=0) -> np.ndarray:
    return E / E.sum(axis=axis, keepdims=axis is not None)


def _dims(rng: np.random.Generator) -> tuple[int, int]:
    """``(C, m)`` with C in 2..8 and m in 1..9, never equal (a wrong axis cannot go unnoticed)."""
    C = int(rng.integers(2, 9))
    m = int(rng.choice([k for k in range(1, 10) if k != C]))
    return C, m


# --- softmax -----------------------------------------------------------------------------
def softmax(student: Callable, hidden: bool = False) -> None:
    """Check ``softmax(Z)``: per column, the worked example, and exact for scores up to +-1000."""
    __tracebackhide__ = True
    mistakes = [
        Mistake(lambda Z: _exp_normalised(np.exp(Z - Z.max(axis=0, keepdims=True)), axis=1),
                "softmax normalises each column (one example): sum over axis=0, not axis=1."),
        Mistake(lambda Z: _exp_normalised(np.exp(Z - Z.max(axis=0, keepdims=True)), axis=None), _WHOLE_SUM),
        Mistake(lambda Z: _exp_normalised(np.exp(Z - Z.max()), axis=None), _WHOLE_SUM),
        Mistake(lambda Z: _exp_normalised(np.exp(Z - Z.max(axis=1, keepdims=True))),
                "subtract the maximum of each column (axis=0): a constant per row changes the result."),
        Mistake(lambda Z: _exp_normalised(np.exp(Z)),
                "np.exp overflows to inf for scores above about 709 (and inf / inf is NaN): subtract "
                "each column's maximum first, Z - Z.max(axis=0, keepdims=True)."),
        Mistake(lambda Z: _exp_normalised(np.exp(Z - Z.max())),
                "subtract the maximum of each column (axis=0, keepdims=True), not of the whole array: a "
                "column far below the overall maximum underflows to 0 / 0."),
    ]
    ex = Exercise("softmax", student, dlcore.softmax, hidden=hidden, mistakes=mistakes)
    if not hidden:
        got = ex.call(WORKED_SCORES)
        if isinstance(got, np.ndarray) and got.shape == WORKED_SCORES.shape:
            ex.compare(np.round(got, 3), WORKED_PROBABILITIES, "softmax([5, 2, -1, 3]) rounded to 3 decimals",
                       (WORKED_SCORES,))
        ex.against_reference(WORKED_SCORES, what="softmax([5, 2, -1, 3]) (one column)")
        Z = np.array([[1.0, 2.0, 0.0], [2.0, 0.0, 0.0], [3.0, -1.0, 0.0]])
        ex.against_reference(Z, what="softmax(Z) for Z of shape (3 classes, 3 examples)")
        big = np.array([[1000.0, -1000.0], [999.0, -1001.0], [-1000.0, -1002.0]])
        ex.against_reference(big, what="softmax(Z) for scores of +-1000")
    else:
        rng = random_rng()
        for _ in range(4):
            ex.against_reference(rng.normal(0, 3, size=_dims(rng)), what="A")
        ex.against_reference(rng.uniform(-1000, 1000, size=_dims(rng)), what="A (for scores up to +-1000)")
        # Columns far apart: every score of one column near +1000, of another near -1000.
        C, m = _dims(rng)
        m = max(m, 2)
        offsets = rng.permutation(np.linspace(-990.0, 990.0, m))
        ex.against_reference(offsets + rng.uniform(-10, 10, size=(C, m)),
                             what="A (for columns of scores near +1000 and near -1000)")
    ex.done()


# --- one_hot ---------------------------------------------------------------------------------
def _one_hot_mistakes() -> list[Mistake]:
    def transposed(y, C):
        return dlcore.one_hot(y, C).T

    def classes_from_labels(y, C):
        labels = np.ravel(y)
        return dlcore.one_hot(labels, int(labels.max()) + 1)

    return [
        Mistake(transposed, "the result has one column per example and one row per class: shape (C, m)."),
        Mistake(classes_from_labels, "use the argument C for the number of rows: the labels of a batch need not "
                                     "include the last class."),
    ]


def one_hot(student: Callable, hidden: bool = False) -> None:
    """Check ``one_hot(y, C)`` for labels of shape (m,) and (1, m), and ValueError outside [0, C)."""
    __tracebackhide__ = True
    ex = Exercise("one_hot", student, dlcore.one_hot, hidden=hidden, mistakes=_one_hot_mistakes())
    if not hidden:
        y = np.array([2, 0, 1, 2])
        want = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]])
        ex.compare(ex.call(y, 3), want, "one_hot([2, 0, 1, 2], 3)", (y, 3))
        ex.compare(ex.call(y[None, :], 3), want, "one_hot(y, 3) for y of shape (1, 4)", (y[None, :], 3))
        y2 = np.array([0, 1])
        ex.against_reference(y2, 5, what="one_hot([0, 1], C=5)")
        ex.raises(ValueError, np.array([0, 3]), 3, what="np.array([0, 3]), 3")
        ex.raises(ValueError, np.array([-1, 0]), 3, what="np.array([-1, 0]), 3")
    else:
        rng = random_rng()
        for shape in ("flat", "row", "flat", "row"):
            C, m = _dims(rng)
            y = rng.integers(0, C, m)
            ex.against_reference(y if shape == "flat" else y[None, :], C,
                                 what=f"Y (for labels of shape {'(m,)' if shape == 'flat' else '(1, m)'})")
        C, m = _dims(rng)
        C += 2
        y = rng.integers(0, C - 2, m)  # the last two classes do not occur in this batch
        ex.against_reference(y, C, what="Y (for a batch in which the last classes do not occur)")
        for shape in ("flat", "row"):
            C, m = _dims(rng)
            m = max(m, 2)
            for bad, words in ((C, "a label equal to C"), (-1, "a negative label")):
                y = rng.integers(0, C, m)
                y[rng.integers(m)] = bad
                ex.raises(ValueError, y if shape == "flat" else y[None, :], C,
                          what=f"y with {words}, shape {'(m,)' if shape == 'flat' else '(1, m)'}")
    ex.done()


# --- the cost and its gradient -----------------------------------------------------------------
def softmax_cross_entropy(student: Callable, hidden: bool = False) -> None:
    """Check ``-(1/m) sum Y log AL``, returned as a Python float."""
    __tracebackhide__ = True
    ref = dlcore.softmax_cross_entropy
    ex = Exercise("softmax_cross_entropy", student, ref, hidden=hidden, mistakes=[
        Mistake(lambda AL, Y: -ref(AL, Y), "the minus sign: the cost is -(1/m) * sum(Y * log(AL)), a positive number."),
        Mistake(lambda AL, Y: ref(AL, Y) * Y.shape[1], "divide the sum by m, the number of examples (the columns)."),
        Mistake(lambda AL, Y: ref(AL, Y) / Y.shape[0],
                "np.mean over the whole array divides by C * m; divide the sum by m only."),
        Mistake(lambda AL, Y: float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1]),
                "that is the binary cross-entropy; with softmax the cost is -(1/m) * sum(Y * log(AL)): only "
                "the probability of the true class counts."),
        Mistake(lambda AL, Y: ref(AL, Y) / np.log(10), "use the natural logarithm np.log, not np.log10."),
    ])
    if not hidden:
        AL = np.array([[0.7, 0.1], [0.2, 0.6], [0.1, 0.3]])
        Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
        ex.compare(ex.call(AL, Y), float(-(np.log(0.7) + np.log(0.3)) / 2),
                   "softmax_cross_entropy(AL, Y) for the example of the notebook", (AL, Y))
    else:
        rng = random_rng()
        for _ in range(4):
            C, m = _dims(rng)
            AL = dlcore.softmax(rng.normal(0, 2, size=(C, m)))
            ex.against_reference(AL, random_one_hot(rng, C, m), what="the cost")
    ex.done()


def softmax_cross_entropy_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``dZL = AL - Y`` against the reference and finite differences of cost(softmax(Z))."""
    __tracebackhide__ = True
    ex = Exercise("softmax_cross_entropy_backward", student, dlcore.softmax_cross_entropy_backward, hidden=hidden,
                  mistakes=[
        Mistake(lambda AL, Y: Y - AL, "the sign: dZ[L] = A[L] - Y (prediction minus label)."),
        Mistake(lambda AL, Y: (AL - Y) / Y.shape[1],
                "no 1/m here: dZ[L] holds per-example derivatives, and linear_backward applies the 1/m to dW and db."),
        Mistake(lambda AL, Y: -Y / AL,
                "-Y / A[L] is dA[L], the derivative with respect to the probabilities; through the softmax it "
                "becomes dZ[L] = A[L] - Y."),
    ])
    if not hidden:
        AL = np.array([[0.7, 0.1], [0.2, 0.6], [0.1, 0.3]])
        Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
        ex.compare(ex.call(AL, Y), np.array([[-0.3, 0.1], [0.2, 0.6], [0.1, -0.7]]), "dZL", (AL, Y))
    else:
        rng = random_rng()
        for _ in range(4):
            C, m = _dims(rng)
            Z, Y = rng.normal(0, 2, size=(C, m)), random_one_hot(rng, C, m)
            AL = dlcore.softmax(Z)
            dZ = ex.against_reference(AL, Y, what="dZL")
            # m * cost(softmax(Z)) has the per-example gradient dZL with respect to Z.
            cost = lambda z: m * dlcore.softmax_cross_entropy(dlcore.softmax(z), Y)
            finite_difference_check("softmax_cross_entropy_backward", check_gradients(cost, Z.copy(), dZ), "dZL")
    ex.done()


# --- the network ---------------------------------------------------------------------------------
def _random_softmax_network(rng: np.random.Generator, L: int) -> tuple[np.ndarray, dict]:
    """Inputs and parameters of a random L-layer network with C >= 2 outputs (C differs from m)."""
    C, m = _dims(rng)
    m = max(m, 2)
    dims = [int(n) for n in rng.integers(2, 7, size=L)] + [C]
    params = {}
    for l in range(1, L + 1):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
        params[f"b{l}"] = rng.normal(0, 0.5, size=(dims[l], 1))
    return rng.normal(size=(dims[0], m)), params


def _forward_then(X: np.ndarray, p: dict, last: Callable, last_cache: Callable | None = None) -> tuple:
    """The forward pass with ReLU hidden layers and ``last(ZL)`` on top (for the mistake hints)."""
    L = len(p) // 2
    A, caches = X, []
    for l in range(1, L):
        A, cache = dlcore.linear_activation_forward(A, p[f"W{l}"], p[f"b{l}"], "relu")
        caches.append(cache)
    ZL, linear_cache = dlcore.linear_forward(A, p[f"W{L}"], p[f"b{L}"])
    AL = last(ZL)
    caches.append((linear_cache, ZL if last_cache is None else last_cache(ZL, AL)))
    return AL, caches


def model_forward_softmax(student: Callable, hidden: bool = False) -> None:
    """Check ``model_forward_softmax``: L-1 ReLU layers then softmax, ``AL`` (C, m) and L caches."""
    __tracebackhide__ = True
    ex = Exercise("model_forward_softmax", student, dlcore.model_forward_softmax, hidden=hidden,
                  isolate=MANIFEST["model_forward_softmax"], mistakes=[
        Mistake(lambda X, p: _forward_then(X, p, lambda Z: dlcore.softmax(dlcore.relu(Z))),
                "the output layer has no ReLU: apply softmax directly to Z[L] = W[L] A[L-1] + b[L]."),
        Mistake(lambda X, p: _forward_then(X, p, dlcore.sigmoid),
                "the output layer uses softmax, so that each column of AL is a probability distribution."),
        Mistake(lambda X, p: _forward_then(X, p, lambda Z: Z), "apply softmax to the scores Z[L] of the last layer."),
        Mistake(lambda X, p: _forward_then(X, p, dlcore.softmax, lambda Z, A: A),
                "the last cache is (linear_cache, ZL): keep the scores ZL, not the probabilities AL."),
    ])
    if not hidden:
        X = np.array([[1.0, -1.0, 2.0, 0.0], [0.5, 0.0, -1.0, 1.0]])
        p = {"W1": np.array([[0.5, -1.0], [1.0, 0.25], [-0.5, 0.5]]), "b1": np.array([[0.0], [0.1], [0.2]]),
             "W2": np.array([[1.0, -1.0, 0.5], [0.0, 1.0, 1.0], [-1.0, 0.5, 0.0]]),
             "b2": np.array([[0.1], [-0.1], [0.0]])}
        got = ex.call(X, p)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`model_forward_softmax` must return the tuple (AL, caches).")
        want = np.array([[0.06183965, 0.35721144, 0.17398893, 0.22637079],
                         [0.5867183, 0.41502049, 0.77976429, 0.52962772],
                         [0.35144204, 0.22776807, 0.04624677, 0.24400149]])
        ex.compare(got[0], want, "AL", (X, p), rtol=1e-6)
        ex.against_reference(X, p, what=("AL", "caches"))
    else:
        rng = random_rng()
        for L in (1, 2, 3, 4):
            ex.against_reference(*_random_softmax_network(rng, L), what=(f"AL (L={L})", f"caches (L={L})"))
    ex.done()


def predict_classes(student: Callable, hidden: bool = False) -> None:
    """Check ``predict_classes``: an int array (m,) of the most probable class of each example."""
    __tracebackhide__ = True

    def probabilities(X, p):
        return dlcore.model_forward_softmax(X, p)[0]

    ex = Exercise("predict_classes", student, dlcore.predict_classes, hidden=hidden,
                  isolate=MANIFEST["predict_classes"], mistakes=[
        Mistake(lambda X, p: np.argmax(probabilities(X, p), axis=1),
                "the classes are the rows and the examples the columns: take the argmax over axis=0."),
        Mistake(lambda X, p: np.argmax(probabilities(X, p), axis=0)[None, :],
                "return a flat array of shape (m,), one class per example (no keepdims, no reshape to (1, m))."),
        Mistake(lambda X, p: np.argmin(probabilities(X, p), axis=0),
                "the prediction is the most probable class: np.argmax, not np.argmin."),
        Mistake(lambda X, p: np.argmax(probabilities(X, p), axis=0) + 1,
                "classes are numbered from 0 to C-1, as the rows of AL: no + 1."),
    ])
    rng = random_rng() if hidden else np.random.default_rng(6)
    if not hidden:
        X = np.array([[5.0, 0.0, 1.0, -1.0], [1.0, 0.0, 7.0, -2.0], [0.0, 2.0, 6.0, -3.0]])
        p = {"W1": np.eye(3), "b1": np.zeros((3, 1))}
        cases = [(X, p, "predict_classes(X, parameters) for the example of the notebook"),
                 (*_random_softmax_network(rng, 2), "the predicted classes")]
    else:
        cases = [(*_random_softmax_network(rng, L), f"the predicted classes (L={L})") for L in (1, 2, 3)]
    for X, p, what in cases:
        got = ex.call(X, p)
        want = ex.reference_value(X, p)
        if isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind not in "iu":
            raise CheckFailure(f"`predict_classes`: {what} must be an array of integers (class indices); got dtype "
                               f"{got.dtype}. np.argmax returns integers.")
        ex.compare(got, want, what, (X, p), rtol=0, atol=0)
    ex.done()
