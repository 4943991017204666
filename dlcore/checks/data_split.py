"""Checks of notebook 07, part 1: splitting the data into train, dev and test sets.

A split is random, so it is judged by properties only: a partition of the columns with X
and Y kept in pairs, sizes by the floor rule, the same for the same seed and different for
different seeds, and columns taken from all over X.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import ColumnOrigins, Exercise, describe, manifest, random_rng
from dlcore.checks.problems import random_one_hot

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "train_dev_test_split": (),
})


_PARTS = ("X_train", "Y_train", "X_dev", "Y_dev", "X_test", "Y_test")


def _split_sizes(m: int, fractions: tuple) -> tuple[int, int, int]:
    n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
    return m - n_dev - n_test, n_dev, n_test


def _split_indices(ex: Exercise, parts: Any, X: np.ndarray, Y: np.ndarray, fractions: tuple, case: str,
                   show: bool) -> list[np.ndarray]:
    """Check one split; return the original column index of every column of train, dev, test."""
    __tracebackhide__ = True
    if not isinstance(parts, (tuple, list)) or len(parts) != 6:
        ex.fail(f"must return the tuple (X_train, Y_train, X_dev, Y_dev, X_test, Y_test); got {describe(parts)}.")
    m = X.shape[1]
    sizes = _split_sizes(m, fractions)
    rule = (f"floor({fractions[1]:g} * {m}) = {sizes[1]} dev and floor({fractions[2]:g} * {m}) = {sizes[2]} test "
            f"columns, the other {sizes[0]} for training" if show else
            "n_dev = floor(f_dev * m) and n_test = floor(f_test * m) columns, the rest for training")
    for k, (name, full) in enumerate(zip(_PARTS, (X, Y) * 3)):
        part, n = parts[k], sizes[k // 2]
        want = (full.shape[0], n)
        if not isinstance(part, np.ndarray):
            ex.fail(f"{name} must be a numpy array of shape {want}; got {describe(part)} ({case}).")
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
            ex.fail(f"{name} has shape {part.shape}, expected {want} ({case}).{extra}")
    # Trace every returned column back to its column of X (columns of X are all distinct).
    origins = ColumnOrigins(X)
    indices = []
    for k in (0, 2, 4):
        Xp, Yp = parts[k], parts[k + 1]
        idx = []
        for c in range(Xp.shape[1]):
            j = origins.of(Xp[:, c])
            if j is None:
                ex.fail(f"column {c} of {_PARTS[k]} is not a column of X ({case}). Select whole columns of "
                          f"X (X[:, idx]) without changing their values.")
            idx.append(j)
        idx = np.array(idx, dtype=np.int64)
        if not np.array_equal(np.asarray(Yp, dtype=float), np.asarray(Y[:, idx], dtype=float)):
            c = int(np.flatnonzero(np.any(np.asarray(Yp, dtype=float) != np.asarray(Y[:, idx], dtype=float), axis=0))[0])
            ex.fail(f"column {c} of {_PARTS[k + 1]} is not the label of column {c} of {_PARTS[k]} ({case}): "
                      f"X and Y lost their pairing. Shuffle both with the same permutation: X[:, perm] and Y[:, perm].")
        indices.append(idx)
    everything = np.concatenate(indices)
    counts = np.bincount(everything, minlength=m)
    if counts.max() > 1:
        ex.fail(f"{int(np.sum(counts > 1))} column(s) of X appear more than once across train, dev and test "
                  f"({case}). Use one permutation of all m columns (rng.permutation(m)), not draws with replacement.")
    if counts.min() == 0:
        ex.fail(f"{int(np.sum(counts == 0))} column(s) of X appear in none of the three sets ({case}).")
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
        ex.fail("two generators with the same seed gave different splits. Draw the permutation from the "
                  "`rng` argument only, so that a split can be reproduced.")
    other = ex.call(X, Y, fractions, np.random.default_rng(seeds[1]))
    _split_indices(ex, other, X, Y, fractions, case, show)
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        ex.fail("generators with different seeds gave the same split: the columns are not shuffled. "
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
            ex.fail(f"the {name} set is not a random choice of columns ({case}): it takes neighbouring "
                      f"columns, or mostly columns from one end of X. Shuffle all m columns with one "
                      f"permutation before cutting.")


def _distinct_columns(rng: np.random.Generator, n_x: int, m: int) -> np.ndarray:
    return rng.normal(size=(n_x, m))


def _labels(rng: np.random.Generator, m: int, one_hot_classes: int = 0) -> np.ndarray:
    if one_hot_classes:
        return random_one_hot(rng, one_hot_classes, m)
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


