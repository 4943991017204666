"""Checks for notebook 07, the strategy of a machine-learning project.

Same pattern as :mod:`dlcore.checks.forward`: visible checks on small hand-worked cases
(the worked examples of the course notes among them) by default; ``hidden=True`` runs
the grading version on inputs drawn from fresh entropy.

The random functions (``train_dev_test_split``, ``sample_log_uniform``, ``sample_beta``)
are judged by properties only, so every correct way of drawing passes: a split must be a
partition of the columns with X and Y kept in pairs, sizes by the floor rule, the same
for the same seed and different for different seeds; a sampler must stay in its range
and spread its draws evenly over the log scale (a Kolmogorov-Smirnov test whose bound,
by the Dvoretzky-Kiefer-Wolfowitz inequality, fails a correct sampler less than once in
10^8 calls).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, random_rng

GAPS = ("avoidable_bias", "variance", "data_mismatch")
KS_FAILURE_PROBABILITY = 1e-8  #: chance that a correct sampler fails one distribution test


# --------------------------------------------------------------------------------- helpers
def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list, dict)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}" if x is not None else "None"


def _same(a: Any, b: Any) -> bool:
    """Equality of plain results: strings and None exactly, numbers up to rounding."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return a is b or (isinstance(a, str) and isinstance(b, str) and a == b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return False
    try:
        return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-7, atol=1e-10,
                                equal_nan=True))
    except (TypeError, ValueError):
        return False


def _hint(ex: Exercise, got: Any, args: tuple) -> str:
    """``"\\n  Likely mistake: ..."`` for the first known mistake that gives ``got``, else ``""``."""
    for mistake in ex.mistakes:
        try:
            wrong = ex._reference_value(mistake.compute, args)
        except Exception:  # noqa: BLE001  (a mistake that does not apply to these inputs)
            continue
        if _same(got, wrong):
            return f"\n  Likely mistake: {mistake.hint}"
    return ""


def _fail(ex: Exercise, message: str, got: Any = None, args: tuple | None = None) -> None:
    __tracebackhide__ = True
    raise CheckFailure(f"`{ex.name}`: {message}" + (_hint(ex, got, args) if args is not None else ""))


# ------------------------------------------------------------------- train_dev_test_split
_PARTS = ("X_train", "Y_train", "X_dev", "Y_dev", "X_test", "Y_test")


def _split_sizes(m: int, fractions: tuple) -> tuple[int, int, int]:
    n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
    return m - n_dev - n_test, n_dev, n_test


def _split_indices(ex: Exercise, parts: Any, X: np.ndarray, Y: np.ndarray, fractions: tuple, case: str,
                   show: bool) -> list[np.ndarray]:
    """Check one split; return the original column index of every column of train, dev, test."""
    __tracebackhide__ = True
    if not isinstance(parts, (tuple, list)) or len(parts) != 6:
        _fail(ex, f"must return the tuple (X_train, Y_train, X_dev, Y_dev, X_test, Y_test); got {_describe(parts)}.")
    m = X.shape[1]
    sizes = _split_sizes(m, fractions)
    rule = (f"floor({fractions[1]:g} * {m}) = {sizes[1]} dev and floor({fractions[2]:g} * {m}) = {sizes[2]} test "
            f"columns, the other {sizes[0]} for training" if show else
            "n_dev = floor(f_dev * m) and n_test = floor(f_test * m) columns, the rest for training")
    for k, (name, full) in enumerate(zip(_PARTS, (X, Y) * 3)):
        part, n = parts[k], sizes[k // 2]
        want = (full.shape[0], n)
        if not isinstance(part, np.ndarray):
            _fail(ex, f"{name} must be a numpy array of shape {want}; got {_describe(part)} ({case}).")
        if part.shape != want:
            extra = ""
            if part.ndim == 2 and part.shape[0] == full.shape[0]:
                extra = f" The split takes {rule}."
                if n == 0 and part.shape[1] == m:
                    extra += (" With 0 columns to take, a slice like `perm[-0:]` is the whole array: "
                              "cut with explicit start and end positions instead.")
            elif part.ndim == 2 and part.shape == want[::-1]:
                extra = " It looks transposed: keep the examples as columns."
            else:
                extra = f" Keep the layout of the input (examples as columns, {full.shape[0]} rows)."
            _fail(ex, f"{name} has shape {part.shape}, expected {want} ({case}).{extra}")
    # Trace every returned column back to its column of X (columns of X are all distinct).
    where = {X[:, j].tobytes(): j for j in range(m)}
    indices = []
    for k in (0, 2, 4):
        Xp, Yp = parts[k], parts[k + 1]
        idx = []
        for c in range(Xp.shape[1]):
            j = where.get(np.ascontiguousarray(Xp[:, c], dtype=X.dtype).tobytes())
            if j is None:
                _fail(ex, f"column {c} of {_PARTS[k]} is not a column of X ({case}). Select whole columns of "
                          f"X (X[:, idx]) without changing their values.")
            idx.append(j)
        idx = np.array(idx, dtype=np.int64)
        if not np.array_equal(np.asarray(Yp, dtype=float), np.asarray(Y[:, idx], dtype=float)):
            c = int(np.flatnonzero(np.any(np.asarray(Yp, dtype=float) != np.asarray(Y[:, idx], dtype=float), axis=0))[0])
            _fail(ex, f"column {c} of {_PARTS[k + 1]} is not the label of column {c} of {_PARTS[k]} ({case}): "
                      f"X and Y lost their pairing. Shuffle both with the same permutation: X[:, perm] and Y[:, perm].")
        indices.append(idx)
    everything = np.concatenate(indices)
    counts = np.bincount(everything, minlength=m)
    if counts.max() > 1:
        _fail(ex, f"{int(np.sum(counts > 1))} column(s) of X appear more than once across train, dev and test "
                  f"({case}). Use one permutation of all m columns (rng.permutation(m)), not draws with replacement.")
    if counts.min() == 0:
        _fail(ex, f"{int(np.sum(counts == 0))} column(s) of X appear in none of the three sets ({case}).")
    return indices


def _check_split_randomness(ex: Exercise, X: np.ndarray, Y: np.ndarray, fractions: tuple, seeds: tuple[int, int],
                            case: str, show: bool) -> None:
    """Same seed -> same split; different seeds -> different split; the split looks random."""
    __tracebackhide__ = True
    first = ex.call(X, Y, fractions, np.random.default_rng(seeds[0]))
    idx = _split_indices(ex, first, X, Y, fractions, case, show)
    again = ex.call(X, Y, fractions, np.random.default_rng(seeds[0]))
    _split_indices(ex, again, X, Y, fractions, case, show)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        _fail(ex, "two generators with the same seed gave different splits. Draw the permutation from the "
                  "`rng` argument only, so that a split can be reproduced.")
    other = ex.call(X, Y, fractions, np.random.default_rng(seeds[1]))
    _split_indices(ex, other, X, Y, fractions, case, show)
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        _fail(ex, "generators with different seeds gave the same split: the columns are not shuffled. "
                  "Draw a permutation with rng.permutation(m) and index the columns with it.")
    m = X.shape[1]
    for name, ix in (("dev", idx[1]), ("test", idx[2])):
        k = ix.size
        if k < 30:
            continue
        # A uniformly random subset: its mean index is (m-1)/2 give or take a few standard deviations,
        # and it is not one block of neighbouring columns.
        sd = math.sqrt((m * m - 1) / 12.0 / k * (m - k) / (m - 1))
        gaps = np.diff(np.sort(ix))
        if abs(ix.mean() - (m - 1) / 2) > 6.5 * sd or np.all(gaps == 1) or np.sum(gaps > 1) <= 1:
            _fail(ex, f"the {name} set is not a random choice of columns ({case}): it takes neighbouring "
                      f"columns, or mostly columns from one end of X. Shuffle all m columns with one "
                      f"permutation before cutting.")


def _distinct_columns(rng: np.random.Generator, n_x: int, m: int) -> np.ndarray:
    return rng.normal(size=(n_x, m))


def _labels(rng: np.random.Generator, m: int, one_hot_classes: int = 0) -> np.ndarray:
    if one_hot_classes:
        Y = np.zeros((one_hot_classes, m))
        Y[rng.integers(0, one_hot_classes, m), np.arange(m)] = 1.0
        return Y
    return rng.integers(0, 2, size=(1, m))


def _awkward_fractions(rng: np.random.Generator, m: int) -> tuple[float, float, float]:
    """Fractions where floor(f_dev m), floor(f_test m) are not whole numbers, so that rounding
    and "floor of the training share" rules give different sizes than the floor rule."""
    while True:
        f_dev, f_test = (float(v) for v in rng.uniform(0.08, 0.3, size=2))
        d, t = f_dev * m, f_test * m
        if 0.55 < d % 1 < 0.95 and 0.55 < t % 1 < 0.95:
            return 1.0 - f_dev - f_test, f_dev, f_test


def train_dev_test_split(student: Callable, hidden: bool = False) -> None:
    """Check the split: partition, pairing of X and Y, floor-rule sizes, seeded shuffling."""
    __tracebackhide__ = True
    ex = Exercise("train_dev_test_split", student, dlcore.train_dev_test_split, hidden=hidden)
    if not hidden:
        rng = np.random.default_rng(7)
        X, Y = _distinct_columns(rng, 2, 10), _labels(rng, 10)
        _split_indices(ex, ex.call(X, Y, (0.6, 0.2, 0.2), np.random.default_rng(0)), X, Y, (0.6, 0.2, 0.2),
                       "m = 10, fractions (0.6, 0.2, 0.2)", True)
        X7, Y7 = _distinct_columns(rng, 3, 7), _labels(rng, 7, one_hot_classes=3)
        _split_indices(ex, ex.call(X7, Y7, (0.6, 0.2, 0.2), np.random.default_rng(1)), X7, Y7, (0.6, 0.2, 0.2),
                       "m = 7, fractions (0.6, 0.2, 0.2)", True)
        _split_indices(ex, ex.call(X, Y, (0.8, 0.2, 0.0), np.random.default_rng(2)), X, Y, (0.8, 0.2, 0.0),
                       "m = 10, fractions (0.8, 0.2, 0.0): no test set", True)
        Xb, Yb = _distinct_columns(rng, 1, 5000), _labels(rng, 5000)
        _check_split_randomness(ex, Xb, Yb, (0.98, 0.01, 0.01), (3, 4), "m = 5000, fractions (0.98, 0.01, 0.01)", True)
    else:
        rng = random_rng()
        for _ in range(2):
            m = int(rng.integers(20, 90))
            X, Y = _distinct_columns(rng, int(rng.integers(1, 5)), m), _labels(rng, m, int(rng.choice([0, 2, 4])))
            fractions = _awkward_fractions(rng, m)
            seed = int(rng.integers(2**31))
            _split_indices(ex, ex.call(X, Y, fractions, np.random.default_rng(seed)), X, Y, fractions,
                           "a random case", False)
        m = int(rng.integers(15, 40))
        X, Y = _distinct_columns(rng, 2, m), _labels(rng, m)
        f_dev = float(rng.uniform(0.1, 0.4))
        _split_indices(ex, ex.call(X, Y, (1.0 - f_dev, f_dev, 0.0), np.random.default_rng(int(rng.integers(2**31)))),
                       X, Y, (1.0 - f_dev, f_dev, 0.0), "a case with f_test = 0", False)
        m = int(rng.integers(600, 1500))
        X, Y = _distinct_columns(rng, 2, m), _labels(rng, m, 3)
        seeds = tuple(int(s) for s in rng.choice(2**31, size=2, replace=False))
        _check_split_randomness(ex, X, Y, _awkward_fractions(rng, m), seeds, "a large random case", False)
    ex.done()


# -------------------------------------------------------------------------------- metrics
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
        _fail(ex, f"must return the tuple (precision, recall, f1); got {_describe(got)}.")
    for g, w, n in zip(got, want, names):
        if isinstance(g, np.ndarray) or not isinstance(g, (float, int, np.floating, np.integer)) or isinstance(g, bool):
            _fail(ex, f"{n} must be a Python float; got {_describe(g)}. Turn it into a number with float(...).")
        if not np.isclose(float(g), w, rtol=1e-9, atol=1e-12):
            _fail(ex, f"{n} {label} is {float(g):.6g}, expected {w:.6g}.", got, args)


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
                _fail(ex, f"{what} has the right counts but dtype {got.dtype}: counts are integers. Create the "
                          f"matrix with np.zeros((num_classes, num_classes), dtype=int).")
        ex.compare(got, want, what, (t, p, C), rtol=0, atol=0)
        if got.dtype.kind not in "iu":
            _fail(ex, f"{what} must hold integers; got dtype {got.dtype}.")

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


# ---------------------------------------------------------------------- bias and variance
def _report_of(gaps: dict, pick: Callable) -> dict:
    present = {k: v for k, v in gaps.items() if v is not None}
    return {**gaps, "focus": pick(present)}


def _bv_mistake(variance_from_dev=False, mismatch_from_train=False, pick="first", zero_for_none=False):
    def compute(human, train, dev, train_dev=None):
        gaps = {"avoidable_bias": train - human}
        if train_dev is None:
            gaps["variance"], gaps["data_mismatch"] = dev - train, (0.0 if zero_for_none else None)
        else:
            gaps["variance"] = dev - train if variance_from_dev else train_dev - train
            gaps["data_mismatch"] = dev - train if mismatch_from_train else dev - train_dev
        if pick == "first":
            chooser = lambda d: max(d, key=d.get)  # noqa: E731
        elif pick == "last":
            chooser = lambda d: [k for k in d if d[k] == max(d.values())][-1]  # noqa: E731
        else:
            chooser = lambda d: min(d, key=d.get)  # noqa: E731
        return _report_of(gaps, chooser)
    return compute


def _check_report(ex: Exercise, got: Any, args: tuple, label: str, show: bool) -> None:
    __tracebackhide__ = True
    want = dlcore.bias_variance_report(*args)
    keys = set(GAPS) | {"focus"}
    if not isinstance(got, dict):
        _fail(ex, f"must return a dict with the keys {sorted(keys)}; got {_describe(got)}.")
    if set(got) != keys:
        missing, extra = sorted(keys - set(got), key=str), sorted(set(got) - keys, key=str)
        _fail(ex, "the report must have exactly the keys " + str(sorted(keys))
              + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "") + ".")
    for k in GAPS:
        g, w = got[k], want[k]
        if w is None:
            if g is not None:
                _fail(ex, f"report['{k}'] must be None when there is no train-dev error ({label}); got "
                          f"{_describe(g)}: without a train-dev set the data mismatch cannot be measured.", got, args)
            continue
        if g is None or isinstance(g, (str, bool, np.ndarray)) or not isinstance(g, (int, float, np.integer, np.floating)):
            _fail(ex, f"report['{k}'] must be a number ({label}); got {_describe(g)}.", got, args)
        if not np.isclose(float(g), w, rtol=1e-7, atol=1e-12):
            shown = f" is {float(g):.6g}, expected {w:.6g}" if show else " has the wrong value"
            _fail(ex, f"report['{k}']{shown} ({label}).", got, args)
    if got["focus"] != want["focus"] or not isinstance(got["focus"], str):
        _fail(ex, f"report['focus'] is {got['focus']!r}, expected {want['focus']!r} ({label}): focus names the "
                  f"largest gap, and a tie goes to the gap listed first (avoidable_bias, then variance, then "
                  f"data_mismatch).", got, args)


def bias_variance_report(student: Callable, hidden: bool = False) -> None:
    """Check the three gaps and the focus, on the worked examples and on random error rates."""
    __tracebackhide__ = True
    ex = Exercise("bias_variance_report", student, dlcore.bias_variance_report, hidden=hidden, mistakes=[
        Mistake(_bv_mistake(variance_from_dev=True),
                "with a train-dev set, variance is train_dev_error - train_error (the same distribution, unseen "
                "examples); dev_error - train_dev_error is the data mismatch."),
        Mistake(_bv_mistake(mismatch_from_train=True), "data_mismatch is dev_error - train_dev_error."),
        Mistake(_bv_mistake(pick="last"), "on a tie, focus goes to the gap listed first: compare with > (not >=) "
                                          "while scanning avoidable_bias, variance, data_mismatch in that order."),
        Mistake(_bv_mistake(pick="min"), "focus names the LARGEST gap: that is where the most error can be removed."),
        Mistake(_bv_mistake(zero_for_none=True), "without a train-dev error, data_mismatch is None (unknown), not 0."),
    ])
    if not hidden:
        cases = [
            ((1.0, 7.0, 10.0), "human 1%, train 7%, dev 10%"),
            ((6.0, 7.0, 10.0), "human 6%, train 7%, dev 10%"),
            ((0.0, 1.0, 10.0, 9.0), "human 0%, train 1%, train-dev 9%, dev 10%"),
            ((0.0, 1.0, 10.0, 1.5), "human 0%, train 1%, train-dev 1.5%, dev 10%"),
            ((0.01, 0.07, 0.10), "the same as fractions: 0.01, 0.07, 0.10"),
            ((2.0, 5.0, 8.0), "a tie: human 2%, train 5%, dev 8%"),
        ]
        for args, label in cases:
            _check_report(ex, ex.call(*args), args, label, True)
        args = (0.0, 1.0, 10.0, 1.5)
        _check_report(ex, ex.call(0.0, 1.0, 10.0, train_dev_error=1.5), args,
                      "train_dev_error passed by name", True)
    else:
        rng = random_rng()
        for k in range(6):
            percent = rng.random() < 0.5
            scale = 1.0 if percent else 0.01
            while True:  # three gaps that differ clearly (no tie up to rounding)
                gaps = rng.uniform(0.2, 8.0, size=3)
                if np.min(np.abs(np.diff(np.sort(gaps)))) > 0.3:
                    break
            human = float(rng.uniform(0.0, 5.0))
            train = human + gaps[0]
            train_dev = train + gaps[1]
            dev = train_dev + gaps[2]
            if k < 2:
                args = (human * scale, train * scale, (train + gaps[1]) * scale)
            else:
                args = (human * scale, train * scale, dev * scale, train_dev * scale)
            _check_report(ex, ex.call(*args), args, "a random case", False)
        a, g = int(rng.integers(0, 5)), int(rng.integers(1, 6))
        for args in ((float(a), float(a + g), float(a + 2 * g)),
                     (float(a), float(a + g), float(a + 3 * g), float(a + 2 * g)),
                     (float(a), float(a + 1), float(a + 1 + 2 * g), float(a + 1 + g))):
            _check_report(ex, ex.call(*args), args, "a case where two gaps are equal", False)
    ex.done()


# ------------------------------------------------------------------------- error analysis
def _ceiling_share_only(tags, rate):
    return {k: v / rate for k, v in dlcore.error_analysis_ceiling(tags, rate).items()}


def _ceiling_counts(tags, rate):
    return {k: float(list(tags).count(k)) * rate for k in dict.fromkeys(tags)}


def _ceiling_remaining(tags, rate):
    return {k: rate - v for k, v in dlcore.error_analysis_ceiling(tags, rate).items()}


def _ceiling_per_category(tags, rate):
    cats = list(dict.fromkeys(tags))
    return {k: rate * list(tags).count(k) / len(cats) for k in cats}


_CATEGORIES = ("dog", "great cat", "blurry", "instagram filter", "mislabelled", "dark", "cartoon", "partly hidden")


def error_analysis_ceiling(student: Callable, hidden: bool = False) -> None:
    """Check ``{category: error_rate * share}`` for each category of the tags."""
    __tracebackhide__ = True
    ex = Exercise("error_analysis_ceiling", student, dlcore.error_analysis_ceiling, hidden=hidden, mistakes=[
        Mistake(_ceiling_share_only, "multiply the category's share by error_rate: fixing every dog image removes "
                                     "at most error_rate * (share of dog images among the mistakes)."),
        Mistake(_ceiling_counts, "use the category's share (its count divided by the number of tags), not its count."),
        Mistake(_ceiling_remaining, "return the most the error can DROP (error_rate * share), not the error "
                                    "that remains afterwards."),
        Mistake(_ceiling_per_category, "the share is count / (number of tags, i.e. of misclassified examples), "
                                       "not count / (number of different categories)."),
    ])
    if not hidden:
        tags = ["dog", "blurry", "dog", "great cat", "dog", "blurry", "dog", "dog", "dog", "blurry"]
        ex.against_reference(tags, 0.08, what="error_analysis_ceiling(tags of 10 mistakes, 0.08)")
        tags = ["dog"] * 5 + ["other"] * 95
        ex.against_reference(tags, 10.0, what="error_analysis_ceiling(5 dogs among 100 mistakes, 10%)")
        ex.against_reference(["blurry"], 0.04, what="error_analysis_ceiling(['blurry'], 0.04)")
    else:
        rng = random_rng()
        for _ in range(4):
            pool = list(rng.choice(_CATEGORIES, size=int(rng.integers(1, len(_CATEGORIES) + 1)), replace=False))
            weights = rng.dirichlet(np.ones(len(pool)))
            tags = [str(c) for c in rng.choice(pool, size=int(rng.integers(5, 200)), p=weights)]
            rate = float(rng.uniform(0.01, 0.3)) * (100.0 if rng.random() < 0.5 else 1.0)
            ex.against_reference(tags, rate, what="the ceilings")
    ex.done()


# ---------------------------------------------------------------------------- sampling
def _ks_distance(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the sample ``u`` and the uniform law on [0, 1]."""
    u = np.sort(np.clip(u, 0.0, 1.0))
    n = u.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def _ks_bound(n: int) -> float:
    """DKW: P(distance > bound) <= 2 exp(-2 n bound^2) = KS_FAILURE_PROBABILITY for a correct sampler."""
    return math.sqrt(math.log(2.0 / KS_FAILURE_PROBABILITY) / (2.0 * n))


def _sampler_values(ex: Exercise, got: Any, shape: tuple, what: str) -> np.ndarray:
    __tracebackhide__ = True
    if not isinstance(got, np.ndarray):
        _fail(ex, f"must return a numpy array of shape {shape} ({what}); got {_describe(got)}.")
    if got.shape != shape:
        _fail(ex, f"returned shape {got.shape}, expected {shape} ({what}). Pass `size` on to the generator "
                  f"(e.g. rng.uniform(a, b, size=size)).")
    if got.dtype.kind != "f":
        _fail(ex, f"must return floats; got dtype {got.dtype} ({what}).")
    if not np.all(np.isfinite(got)):
        _fail(ex, f"returned inf or NaN ({what}).")
    return got


def _bounds(low: float, high: float, relative: bool) -> tuple[float, float]:
    """[low, high] widened by rounding room: relative for log-uniform values, absolute for betas."""
    if relative:
        return low * (1 - 1e-9), high * (1 + 1e-9)
    return low - 1e-9, high + 1e-9


def _check_sampler(ex: Exercise, low: float, high: float, transform: Callable, r_range: tuple[float, float],
                   n: int, seeds: tuple[int, int], case: str, scale_hint: str, relative: bool,
                   range_hint: str, natural: Callable) -> None:
    """Range, log-scale distribution (KS test), determinism and use of the seed of one sampler."""
    __tracebackhide__ = True
    x = _sampler_values(ex, ex.call(low, high, n, np.random.default_rng(seeds[0])), (n,), f"size={n}")
    lo, hi = _bounds(low, high, relative)
    below, above = int(np.sum(x < lo)), int(np.sum(x > hi))
    if below or above:
        hint = ""
        r_lo, r_hi = sorted(r_range)
        if np.all((x >= r_lo - 1e-9) & (x <= r_hi + 1e-9)):
            hint = " They lie in the range of the exponent r: return the value built from 10**r, not r itself."
        else:
            hint = " " + range_hint
        _fail(ex, f"{below + above} of {n} values lie outside [low, high] ({case}).{hint}")
    if n > 1 and np.all(x == x.flat[0]):
        _fail(ex, f"all {n} values are equal ({case}): draw `size` values, one per trial (pass size=size to rng).")
    r = transform(x)
    a, b = r_range
    u = (r - a) / (b - a)
    distance = _ks_distance(u)
    if distance > _ks_bound(n):
        with np.errstate(all="ignore"):
            u_natural = (natural(x) - a) / (b - a)
        if np.all(np.isfinite(u_natural)) and _ks_distance(u_natural) <= _ks_bound(n):
            _fail(ex, f"the values are spread evenly in natural-log units, not in powers of 10 ({case}): an "
                      f"exponent drawn between log10 values must be turned back with 10**r (np.exp undoes "
                      f"np.log, not np.log10).")
        shares = np.histogram(np.clip(u, 0, 1), bins=4, range=(0, 1))[0] / n
        _fail(ex, f"the values are not spread evenly on the log scale ({case}). Cut the log-scale range into "
                  f"4 equal parts: each should get about 25% of the values; yours get "
                  f"{', '.join(f'{s:.0%}' for s in shares)}. {scale_hint}")
    again = ex.call(low, high, n, np.random.default_rng(seeds[0]))
    if not (isinstance(again, np.ndarray) and again.shape == x.shape and np.array_equal(again, x)):
        _fail(ex, "two generators with the same seed gave different values. Draw only from the `rng` argument.")
    other = ex.call(low, high, n, np.random.default_rng(seeds[1]))
    if isinstance(other, np.ndarray) and other.shape == x.shape and np.array_equal(other, x):
        _fail(ex, "generators with different seeds gave the same values: draw the random numbers from `rng`.")


def _check_sampler_shapes(ex: Exercise, low: float, high: float, rng: np.random.Generator, relative: bool) -> None:
    __tracebackhide__ = True
    lo, hi = _bounds(low, high, relative)
    for size, shape in ((1, (1,)), ((2, 3), (2, 3)), ((4, 1, 2), (4, 1, 2))):
        got = ex.call(low, high, size, np.random.default_rng(int(rng.integers(2**31))))
        _sampler_values(ex, got, shape, f"size={size!r}")
        if np.any(got < lo) or np.any(got > hi):
            _fail(ex, f"values outside [low, high] for size={size!r}.")


_LOG_HINT = ("Draw the exponent r uniformly between log10(low) and log10(high) and return 10**r: drawing the "
             "value itself uniformly puts most of it in the top decade.")
_LOG_RANGE_HINT = ("Draw r between log10(low) and log10(high) and return 10**r (np.exp undoes np.log, "
                   "not np.log10).")
_BETA_RANGE_HINT = ("It is 1 - beta that lies between 1 - high and 1 - low: draw it there on a log scale, "
                    "then return 1 minus it.")
_BETA_HINT = ("Draw r uniformly between log10(1 - high) and log10(1 - low) and return 1 - 10**r: it is 1 - beta "
              "(the inverse of the averaging window) that should be spread evenly over orders of magnitude.")


def sample_log_uniform(student: Callable, hidden: bool = False) -> None:
    """Check range, log-uniform spread, shapes, and seeded reproducibility of the samples."""
    __tracebackhide__ = True
    ex = Exercise("sample_log_uniform", student, dlcore.sample_log_uniform, hidden=hidden)
    rng = random_rng() if hidden else np.random.default_rng(11)
    if not hidden:
        cases = [(1e-4, 1.0), (0.5, 20.0)]
    else:
        cases = []
        for _ in range(2):
            e_low = float(rng.uniform(-7, 1))
            cases.append((10.0 ** e_low, 10.0 ** (e_low + float(rng.uniform(1, 5)))))
    for low, high in cases:
        seeds = tuple(int(s) for s in rng.choice(2**31, size=2, replace=False))
        case = f"low={low:g}, high={high:g}" if not hidden else "a random range"
        _check_sampler(ex, low, high, np.log10, (math.log10(low), math.log10(high)), 4000, seeds, case, _LOG_HINT,
                       relative=True, range_hint=_LOG_RANGE_HINT, natural=np.log)
    _check_sampler_shapes(ex, *cases[0], rng, relative=True)
    ex.done()


def sample_beta(student: Callable, hidden: bool = False) -> None:
    """Check range, the log-uniform spread of 1 - beta, shapes, and seeded reproducibility."""
    __tracebackhide__ = True
    ex = Exercise("sample_beta", student, dlcore.sample_beta, hidden=hidden, isolate=("sample_log_uniform",))
    rng = random_rng() if hidden else np.random.default_rng(12)
    if not hidden:
        cases = [(0.9, 0.999), (0.0, 0.99)]
    else:
        cases = [(float(rng.choice([0.0, 0.5, 0.8, 0.9])), float(rng.choice([0.99, 0.995, 0.999, 0.9999])))
                 for _ in range(2)]
    for low, high in cases:
        seeds = tuple(int(s) for s in rng.choice(2**31, size=2, replace=False))
        case = f"low={low:g}, high={high:g}" if not hidden else "a random range"
        _check_sampler(ex, low, high, lambda b: np.log10(np.maximum(1.0 - b, 1e-300)),
                       (math.log10(1.0 - high), math.log10(1.0 - low)), 4000, seeds, case, _BETA_HINT,
                       relative=False, range_hint=_BETA_RANGE_HINT, natural=lambda b: np.log(1.0 - b))
    _check_sampler_shapes(ex, *cases[0], rng, relative=False)
    ex.done()


# ------------------------------------------------------------------------------ pick_model
def pick_model(student: Callable, hidden: bool = False) -> None:
    """Check the most accurate model within the runtime limit (inclusive), or None."""
    __tracebackhide__ = True
    ex = Exercise("pick_model", student, dlcore.pick_model, hidden=hidden, mistakes=[
        Mistake(lambda c, limit: max(c, key=lambda d: d["accuracy"])["name"] if c else None,
                "runtime is a satisficing metric: first keep only the models with runtime_ms <= max_runtime_ms, "
                "then take the most accurate of those."),
        Mistake(lambda c, limit: dlcore.pick_model(c, limit - 1e-9) if any(d["runtime_ms"] == limit for d in c) else "~",
                "a model whose runtime equals the limit meets it: use runtime_ms <= max_runtime_ms."),
        Mistake(lambda c, limit: min((d for d in c if d["runtime_ms"] <= limit), key=lambda d: d["runtime_ms"],
                                     default={"name": None})["name"],
                "among the models that meet the limit, accuracy decides (optimizing metric), not speed."),
    ])

    def judge(candidates, limit, label):
        __tracebackhide__ = True
        got = ex.call(candidates, limit)
        want = dlcore.pick_model(candidates, limit)
        if isinstance(got, dict):
            _fail(ex, f"return the model's name (the value of its 'name' key), not the whole dict ({label}).")
        if not _same(got, want):
            if want is None:
                shown = f"; got {got!r}" if not hidden else f"; got {_describe(got)}"
                _fail(ex, f"no model meets the limit ({label}), so the answer is None{shown}.", got, (candidates, limit))
            shown = f"{got!r}, expected {want!r}" if not hidden else "not the expected model"
            _fail(ex, f"the pick is {shown} ({label}).", got, (candidates, limit))

    if not hidden:
        cands = [{"name": "A", "accuracy": 0.90, "runtime_ms": 80},
                 {"name": "B", "accuracy": 0.92, "runtime_ms": 95},
                 {"name": "C", "accuracy": 0.95, "runtime_ms": 1500}]
        for limit in (100, 90, 1500, 50):
            judge(cands, limit, f"models A, B, C of the notes with max_runtime_ms={limit}")
        judge([], 100, "an empty list of candidates")
    else:
        rng = random_rng()
        for _ in range(3):
            n = int(rng.integers(4, 12))
            accuracy = rng.choice(np.arange(600, 1000), size=n, replace=False) / 1000
            runtime = rng.choice(np.arange(5, 800), size=n, replace=False).astype(float)
            names = [f"model-{int(k)}" for k in rng.choice(1000, size=n, replace=False)]
            cands = [{"name": nm, "accuracy": float(a), "runtime_ms": float(r)}
                     for nm, a, r in zip(names, accuracy, runtime)]
            # the limit: exactly the runtime of the best model under a looser limit (the "<=" case),
            # a value between runtimes, and one below every runtime (None).
            loose = float(rng.uniform(np.median(runtime), runtime.max()))
            best = dlcore.pick_model(cands, loose)
            exact = next(c["runtime_ms"] for c in cands if c["name"] == best)
            for limit in (exact, float(rng.uniform(runtime.min(), runtime.max())), float(runtime.min()) - 1.0):
                judge(cands, limit, "a random list of models")
    ex.done()
