"""Tools of ML strategy: data splits, metrics, error diagnosis, hyperparameter sampling.

Shapes: ``X`` is (n_x, m) and ``Y`` is (k, m) (or (m,)), examples as columns. Label
vectors for the metrics are (m,) or (1, m). Error rates may be given as fractions or
as percentages, as long as one call uses one unit. Random draws come only from the
``rng`` argument.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from dlcore.validation import as_array, check_positive, check_rng, class_labels, label_vector

GAPS = ("avoidable_bias", "variance", "data_mismatch")


# --- data split -----------------------------------------------------------------------


def _check_fractions(fractions: Any) -> tuple[float, float, float]:
    try:
        values = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise ValueError(f"`fractions` must be three numbers (f_train, f_dev, f_test); got {fractions!r}.") from None
    if len(values) != 3:
        raise ValueError(f"`fractions` must be three numbers (f_train, f_dev, f_test); got {len(values)} of them.")
    if not all(math.isfinite(f) and 0.0 <= f <= 1.0 for f in values):
        raise ValueError(f"`fractions` must each lie in [0, 1]; got {fractions!r}.")
    if abs(sum(values) - 1.0) > 1e-9:
        raise ValueError(f"`fractions` must sum to 1; got {fractions!r} (sum {sum(values)!r}).")
    return values


def train_dev_test_split(
    X: np.ndarray, Y: np.ndarray, fractions: Sequence[float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the m columns once and cut them into train, dev and test sets.

    X : (n_x, m).  Y : (k, m) or (m,) labels, paired with X column by column.
    fractions : ``(f_train, f_dev, f_test)`` summing to 1.  rng : a ``numpy.random.Generator``.
    The dev set gets ``floor(f_dev * m)`` columns, the test set ``floor(f_test * m)``,
    the training set the rest, so no column is lost to rounding.
    Returns ``(X_train, Y_train, X_dev, Y_dev, X_test, Y_test)`` (new arrays; ``Y``
    keeps its dtype, ``X`` is float64).

    >>> parts = train_dev_test_split(np.arange(20.0).reshape(2, 10), np.arange(10), (0.6, 0.2, 0.2), np.random.default_rng(0))
    >>> [p.shape for p in parts]
    [(2, 6), (6,), (2, 2), (2,), (2, 2), (2,)]
    """
    X = as_array(X, "X", ndim=2)
    Y = np.asarray(Y)
    if Y.ndim not in (1, 2) or Y.shape[-1] != X.shape[1]:
        raise ValueError(
            f"`Y` must have shape (k, m) or (m,) with the m = {X.shape[1]} columns of X; got {Y.shape}."
        )
    _, f_dev, f_test = _check_fractions(fractions)
    check_rng(rng)
    m = X.shape[1]
    n_dev, n_test = math.floor(f_dev * m), math.floor(f_test * m)
    n_train = m - n_dev - n_test
    perm = rng.permutation(m)
    train, dev, test = perm[:n_train], perm[n_train : n_train + n_dev], perm[n_train + n_dev :]
    return X[:, train], Y[..., train], X[:, dev], Y[..., dev], X[:, test], Y[..., test]


# --- metrics --------------------------------------------------------------------------


def _label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = label_vector(y_true, "y_true"), label_vector(y_pred, "y_pred")
    if t.size != p.size:
        raise ValueError(f"`y_true` and `y_pred` must label the same m examples; got {t.size} and {p.size} labels.")
    return t, p


def _check_binary(y: np.ndarray, name: str) -> np.ndarray:
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(f"`{name}` must hold binary labels 0 or 1; got values {np.unique(y)[:5].tolist()}.")
    return y.astype(bool)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    """Precision ``TP/(TP+FP)``, recall ``TP/(TP+FN)`` and their harmonic mean F1.

    y_true, y_pred : (m,) or (1, m) binary 0/1 labels (1 = positive class).
    Returns three Python floats; each is 0.0 when its denominator is 0 (no predicted
    positives, no actual positives, or precision + recall = 0).

    >>> precision_recall_f1(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))
    (0.5, 0.5, 0.5)
    """
    t, p = _label_pair(y_true, y_pred)
    t, p = _check_binary(t, "y_true"), _check_binary(p, "y_pred")
    tp = int(np.sum(t & p))
    fp = int(np.sum(~t & p))
    fn = int(np.sum(t & ~p))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Count matrix ``M[i, j]`` = number of examples of true class i predicted as j.

    y_true, y_pred : (m,) or (1, m) integer labels in ``[0, num_classes)``.
    Returns M : (num_classes, num_classes) int64 array; rows are true classes, columns
    predicted classes, the diagonal holds the correct predictions, ``M.sum() == m``.

    >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"`num_classes` must be a positive integer; got {num_classes!r}.")
    C = int(num_classes)
    t, p = _label_pair(y_true, y_pred)
    t, p = class_labels(t, "y_true", C), class_labels(p, "y_pred", C)
    return np.bincount(t * C + p, minlength=C * C).reshape(C, C).astype(np.int64)


# --- error diagnosis ------------------------------------------------------------------


def _error_rate(value: Any, name: str) -> float:
    return check_positive(value, name, allow_zero=True)


def bias_variance_report(
    human_error: float, train_error: float, dev_error: float, train_dev_error: float | None = None
) -> dict[str, Any]:
    """Split the dev error into the gaps that tell where to focus next.

    All errors in one unit (fractions or percentages); ``human_error`` stands in for
    the Bayes error. Gaps: ``avoidable_bias = train - human``; without a train-dev set
    ``variance = dev - train`` and ``data_mismatch = None``; with one
    ``variance = train_dev - train`` and ``data_mismatch = dev - train_dev``.
    Returns ``{"avoidable_bias", "variance", "data_mismatch", "focus"}`` where
    ``focus`` names the largest gap; gaps equal up to rounding count as ties, which go
    to the one listed first (avoidable bias, then variance).

    >>> bias_variance_report(1.0, 7.0, 10.0)["focus"]
    'avoidable_bias'
    """
    human = _error_rate(human_error, "human_error")
    train = _error_rate(train_error, "train_error")
    dev = _error_rate(dev_error, "dev_error")
    errors = [human, train, dev]
    gaps: dict[str, float | None] = {"avoidable_bias": train - human}
    if train_dev_error is None:
        gaps["variance"] = dev - train
        gaps["data_mismatch"] = None
    else:
        train_dev = _error_rate(train_dev_error, "train_dev_error")
        errors.append(train_dev)
        gaps["variance"] = train_dev - train
        gaps["data_mismatch"] = dev - train_dev
    present = {k: v for k, v in gaps.items() if v is not None}
    largest = max(present.values())
    # 0.03 - 0.01 and 0.05 - 0.03 differ in the last bit; treat such gaps as equal.
    tol = 1e-9 * max(errors)
    focus = next(k for k in GAPS if k in present and present[k] >= largest - tol)
    return {**gaps, "focus": focus}


def error_analysis_ceiling(tags: Sequence[Hashable], error_rate: float) -> dict[Hashable, float]:
    """Upper bound on the error reduction from fixing each category of mistakes.

    tags : one category per misclassified example (e.g. ``["dog", "blurry", "dog"]``).
    error_rate : the current error (fraction or percentage).
    Returns ``{category: error_rate * share}`` where ``share`` is the category's
    fraction of the tags, largest first (first seen on ties); the values sum to
    ``error_rate``.

    >>> error_analysis_ceiling(["dog", "blurry", "dog", "dog"], 0.10)
    {'dog': 0.07500000000000001, 'blurry': 0.025}
    """
    if isinstance(tags, (str, bytes)):
        raise ValueError(f"`tags` must be a sequence with one category per misclassified example; got the string {tags!r}.")
    if isinstance(tags, np.ndarray):
        tags = tags.ravel().tolist()
    try:
        items = list(tags)
    except TypeError:
        raise ValueError(f"`tags` must be a sequence of categories; got {type(tags).__name__}.") from None
    if not items:
        raise ValueError("`tags` must list at least one misclassified example; got an empty sequence.")
    rate = _error_rate(error_rate, "error_rate")
    try:
        counts = Counter(items)
    except TypeError:
        raise ValueError("`tags` must hold hashable categories such as strings.") from None
    n = len(items)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: first seen wins ties
    return {tag: rate * count / n for tag, count in ranked}


# --- hyperparameter sampling ----------------------------------------------------------


def _check_size(size: Any) -> int | tuple[int, ...]:
    def is_count(d: Any) -> bool:
        return isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 0

    if is_count(size):
        return int(size)
    if isinstance(size, (tuple, list)) and all(is_count(d) for d in size):
        return tuple(int(d) for d in size)
    raise ValueError(f"`size` must be a non-negative int or a tuple of them; got {size!r}.")


def _check_range(low: Any, high: Any) -> tuple[float, float]:
    lo = float(low) if isinstance(low, (int, float, np.number)) else None
    hi = float(high) if isinstance(high, (int, float, np.number)) else None
    if lo is None or not math.isfinite(lo):
        raise ValueError(f"`low` must be a finite number; got {low!r}.")
    if hi is None or not math.isfinite(hi):
        raise ValueError(f"`high` must be a finite number; got {high!r}.")
    if not lo < hi:
        raise ValueError(f"`high` must be greater than `low`; got low={low!r}, high={high!r}.")
    return lo, hi


def sample_log_uniform(low: float, high: float, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw values spread evenly over orders of magnitude: ``10**r``, r uniform in
    ``[log10(low), log10(high)]`` (for learning rates, L2 strengths, ...).

    0 < low < high.  size : int or shape tuple.  rng : a ``numpy.random.Generator``.
    Returns a float64 array of shape ``size`` with values in ``[low, high]``.

    >>> x = sample_log_uniform(1e-4, 1.0, 1000, np.random.default_rng(0))
    >>> bool(x.min() >= 1e-4 and x.max() <= 1.0)
    True
    """
    lo, hi = _check_range(low, high)
    if lo <= 0:
        raise ValueError(f"`low` must be > 0 for a log scale; got {low!r}.")
    size = _check_size(size)
    check_rng(rng)
    r = rng.uniform(math.log10(lo), math.log10(hi), size=size)
    return np.clip(10.0**r, lo, hi)  # 10**log10(x) can miss x by one rounding step


def sample_beta(low: float, high: float, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw averaging coefficients beta in ``[low, high]`` on a log scale of ``1 - beta``.

    ``beta = 1 - 10**r`` with r uniform in ``[log10(1 - high), log10(1 - low)]``, so
    0.9 -> 0.99 gets as many draws as 0.99 -> 0.999 (the average spans ~1/(1-beta) steps).
    0 <= low < high < 1.  size : int or shape tuple.  rng : a ``numpy.random.Generator``.
    Returns a float64 array of shape ``size``.
    """
    lo, hi = _check_range(low, high)
    if lo < 0:
        raise ValueError(f"`low` must be >= 0; got {low!r}.")
    if hi >= 1:
        raise ValueError(f"`high` must be < 1 (beta = 1 averages forever); got {high!r}.")
    size = _check_size(size)
    check_rng(rng)
    r = rng.uniform(math.log10(1.0 - hi), math.log10(1.0 - lo), size=size)
    return np.clip(1.0 - 10.0**r, lo, hi)


# --- model selection ------------------------------------------------------------------


def pick_model(candidates: Sequence[dict], max_runtime_ms: float) -> Any:
    """Optimise accuracy subject to a runtime limit (a satisficing metric).

    candidates : list of dicts ``{"name", "accuracy", "runtime_ms"}``.
    max_runtime_ms : the limit; a model meets it when ``runtime_ms <= max_runtime_ms``.
    Returns the name of the most accurate model that meets the limit (the faster one,
    then the first listed, on ties), or ``None`` if no model does.

    >>> pick_model([{"name": "A", "accuracy": 0.90, "runtime_ms": 80},
    ...             {"name": "B", "accuracy": 0.92, "runtime_ms": 95},
    ...             {"name": "C", "accuracy": 0.95, "runtime_ms": 1500}], 100)
    'B'
    """
    limit = check_positive(max_runtime_ms, "max_runtime_ms", allow_zero=True)
    if isinstance(candidates, (str, bytes, dict)) or not hasattr(candidates, "__iter__"):
        raise ValueError(f"`candidates` must be a list of dicts with 'name', 'accuracy', 'runtime_ms'; got {type(candidates).__name__}.")
    best, best_key = None, None
    for i, c in enumerate(candidates):
        if not isinstance(c, dict) or not {"name", "accuracy", "runtime_ms"} <= c.keys():
            raise ValueError(
                f"`candidates[{i}]` must be a dict with keys 'name', 'accuracy', 'runtime_ms'; got {c!r}."
            )
        try:
            accuracy, runtime = float(c["accuracy"]), float(c["runtime_ms"])
        except (TypeError, ValueError):
            raise ValueError(f"`candidates[{i}]` must have numeric 'accuracy' and 'runtime_ms'; got {c!r}.") from None
        if math.isnan(accuracy) or math.isnan(runtime):
            raise ValueError(f"`candidates[{i}]` has a NaN 'accuracy' or 'runtime_ms': {c!r}.")
        if runtime <= limit:
            key = (accuracy, -runtime)
            if best_key is None or key > best_key:
                best, best_key = c["name"], key
    return best
