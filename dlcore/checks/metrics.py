"""Checks of notebook 07, part 2: single-number metrics (precision, recall, F1, the confusion matrix)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import Exercise, Mistake, describe, manifest, random_rng

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "precision_recall_f1": (),
    "confusion_matrix": (),
})


def _prf_counts(t: np.ndarray, p: np.ndarray) -> tuple[int, int, int]:
    t, p = np.ravel(t).astype(bool), np.ravel(p).astype(bool)
    return int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p))


def _prf_no_guard(t, p):
    tp, fp, fn = _prf_counts(t, p)
    with np.errstate(all="ignore"):
        prec = np.float64(tp) / np.float64(tp + fp)
        rec = np.float64(tp) / np.float64(tp + fn)
        return float(prec), float(rec), float(2 * prec * rec / (prec + rec))


def _prf_arithmetic(t, p):
    prec, rec, _ = dlcore.precision_recall_f1(t, p)
    return prec, rec, (prec + rec) / 2


def _prf_accuracy(t, p):
    _, rec, _ = dlcore.precision_recall_f1(t, p)
    acc = float(np.mean(np.ravel(t) == np.ravel(p)))
    return acc, rec, (2 * acc * rec / (acc + rec) if acc + rec else 0.0)


def precision_recall_f1(student: Callable, hidden: bool = False) -> None:
    """Check precision, recall and F1 (Python floats; 0.0 where a denominator is 0)."""
    __tracebackhide__ = True
    ex = Exercise("precision_recall_f1", student, dlcore.precision_recall_f1, hidden=hidden, mistakes=[
        Mistake(lambda t, p: dlcore.precision_recall_f1(t, p)[1::-1] + dlcore.precision_recall_f1(t, p)[2:],
                "precision and recall are swapped: precision = TP / (TP + FP) (of the predicted positives, how "
                "many are right), recall = TP / (TP + FN) (of the actual positives, how many are found)."),
        Mistake(_prf_arithmetic, "F1 is the harmonic mean 2 P R / (P + R), not the average (P + R) / 2."),
        Mistake(_prf_no_guard, "when a denominator is 0 (no predicted positives, no actual positives, or "
                               "P + R = 0), return 0.0 for that value instead of dividing 0 by 0."),
        Mistake(_prf_accuracy, "precision counts only the examples predicted positive: TP / (TP + FP), not "
                               "the accuracy over all examples."),
    ])
    names = ("precision", "recall", "F1")
    if not hidden:
        cases = [
            (np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]), (0.5, 0.5, 0.5)),
            (np.array([1, 1, 1, 0, 0, 0, 1, 0]), np.array([1, 0, 1, 1, 0, 0, 0, 0]), (2 / 3, 0.5, 4 / 7)),
            (np.array([[1.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 0.0]]), (0.0, 0.0, 0.0)),
            (np.array([0, 0, 0, 0]), np.array([1, 0, 1, 0]), (0.0, 0.0, 0.0)),
            (np.array([0, 1, 1]), np.array([0, 1, 1]), (1.0, 1.0, 1.0)),
        ]
        for t, p, want in cases:
            got = ex.call(t, p)
            label = f"for y_true={t.tolist()}, y_pred={p.tolist()}"
            _check_prf(ex, got, want, names, label, (t, p))
    else:
        rng = random_rng()
        for _ in range(4):
            m = int(rng.integers(20, 300))
            t = (rng.random(m) < rng.uniform(0.1, 0.6)).astype(np.int64)
            p = np.where(rng.random(m) < rng.uniform(0.6, 0.95), t, 1 - t)
            if rng.random() < 0.5:
                t, p = t.reshape(1, m).astype(float), p.reshape(1, m).astype(float)
            ex.against_reference(t, p, what=names)
        m = int(rng.integers(5, 50))
        t = np.zeros(m, dtype=np.int64)
        t[rng.choice(m, size=int(rng.integers(1, m)), replace=False)] = 1
        ex.against_reference(t, np.zeros(m, dtype=np.int64), what=tuple(n + " (nothing predicted positive)" for n in names))
        ex.against_reference(np.zeros(m, dtype=np.int64), 1 - t, what=tuple(n + " (no actual positives)" for n in names))
        ex.against_reference(t, 1 - t, what=tuple(n + " (every prediction wrong)" for n in names))
    ex.done()


def _check_prf(ex: Exercise, got: Any, want: tuple, names: tuple, label: str, args: tuple) -> None:
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 3:
        ex.fail(f"must return the tuple (precision, recall, f1); got {describe(got)}.")
    for g, w, n in zip(got, want, names):
        if isinstance(g, np.ndarray) or not isinstance(g, (float, int, np.floating, np.integer)) or isinstance(g, bool):
            ex.fail(f"{n} must be a Python float; got {describe(g)}. Turn it into a number with float(...).")
        if not np.isclose(float(g), w, rtol=1e-9, atol=1e-12):
            ex.fail(f"{n} {label} is {float(g):.6g}, expected {w:.6g}.", got, args)


def _confusion_transposed(t, p, C):
    return dlcore.confusion_matrix(t, p, C).T


def _confusion_no_accumulation(t, p, C):
    M = np.zeros((C, C), dtype=np.int64)
    M[np.ravel(t).astype(int), np.ravel(p).astype(int)] += 1
    return M


def _confusion_from_data(t, p, C):
    k = int(max(np.max(t), np.max(p))) + 1
    return dlcore.confusion_matrix(t, p, k)


def confusion_matrix(student: Callable, hidden: bool = False) -> None:
    """Check the (C, C) count matrix: rows true classes, columns predicted, integer counts."""
    __tracebackhide__ = True
    ex = Exercise("confusion_matrix", student, dlcore.confusion_matrix, hidden=hidden, mistakes=[
        Mistake(_confusion_transposed, "rows are the true classes and columns the predicted ones: "
                                       "M[y_true[i], y_pred[i]] += 1 (yours is transposed)."),
        Mistake(_confusion_no_accumulation,
                "M[y_true, y_pred] += 1 with index arrays adds 1 only once per distinct (true, predicted) pair: "
                "repeated pairs are not accumulated. Use a loop over the examples or np.add.at(M, (y_true, y_pred), 1)."),
        Mistake(_confusion_from_data, "the matrix is num_classes x num_classes, even when a class never appears "
                                      "in y_true or y_pred: use the `num_classes` argument."),
    ])

    def judge(t, p, C, what):
        __tracebackhide__ = True
        got = ex.call(t, p, C)
        want = dlcore.confusion_matrix(t, p, C)
        if isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind not in "iu":
            if np.array_equal(got, want):
                ex.fail(f"{what} has the right counts but dtype {got.dtype}: counts are integers. Create the "
                          f"matrix with np.zeros((num_classes, num_classes), dtype=int).")
        ex.compare(got, want, what, (t, p, C), rtol=0, atol=0)
        if got.dtype.kind not in "iu":
            ex.fail(f"{what} must hold integers; got dtype {got.dtype}.")

    if not hidden:
        judge(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3, "confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)")
        judge(np.array([0, 1, 1, 2, 2, 2]), np.array([0, 2, 1, 2, 0, 2]), 3,
              "confusion_matrix([0, 1, 1, 2, 2, 2], [0, 2, 1, 2, 0, 2], 3)")
        judge(np.array([[1, 0, 1, 1]]), np.array([[1, 1, 0, 1]]), 2, "the binary matrix for (1, m) labels")
        judge(np.array([0, 0, 1]), np.array([1, 0, 1]), 4, "confusion_matrix([0, 0, 1], [1, 0, 1], 4): classes 2 and 3 never occur")
    else:
        rng = random_rng()
        for _ in range(4):
            C, m = int(rng.integers(2, 7)), int(rng.integers(30, 200))
            t = rng.integers(0, C, m)
            p = np.where(rng.random(m) < 0.6, t, rng.integers(0, C, m))
            if rng.random() < 0.5:
                t, p = t.reshape(1, m), p.reshape(1, m)
            judge(t, p, C, "the confusion matrix")
        C, m = int(rng.integers(4, 8)), int(rng.integers(20, 80))
        t, p = rng.integers(0, C - 2, m), rng.integers(0, C - 2, m)
        judge(t, p, C, "the confusion matrix when some classes never occur")
    ex.done()


