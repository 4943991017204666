"""Data sets of the course: small synthetic 2-D sets made in NumPy, and two real ones.

Nothing is downloaded: the 2-D sets are generated, and the real sets (:func:`digits`,
:func:`breast_cancer`) are read from the copies of the UCI data sets that scikit-learn ships
inside its package.

Every function returns ``(X, Y)`` with examples as columns:

* ``X`` : (2, m) float64 points in the plane;
* ``Y`` : (1, m) int64 labels, 0/1 for the binary sets (:func:`flower`, :func:`moons`,
  :func:`circles`) and ``0 .. C-1`` for the multi-class sets (:func:`spirals`,
  :func:`blobs`); :func:`dlcore.softmax.one_hot` turns them into a (C, m) matrix.

The ``m`` examples are split as evenly as possible between the classes and the columns
are shuffled, so that any slice ``X[:, :k]`` holds every class. ``noise`` is the standard
deviation of the Gaussian noise (for :func:`blobs`: the spread of each blob).

Randomness comes only from ``rng`` (a ``numpy.random.Generator``) or, if no ``rng`` is
given, from ``np.random.default_rng(seed)`` with ``seed=0`` by default: the same call
always returns the same data, and the global ``np.random`` state is never touched.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from dlcore.validation import check_positive, check_rng

__all__ = ["make_rng", "flower", "moons", "circles", "spirals", "blobs", "digits", "breast_cancer"]


def make_rng(rng: np.random.Generator | None = None, seed: int | None = None) -> np.random.Generator:
    """Return ``rng`` if given, else ``np.random.default_rng(seed)`` (``seed=0`` when both are None).

    Giving both is ambiguous and raises ``ValueError``.

    >>> int(make_rng(seed=1).integers(10)) == int(make_rng(seed=1).integers(10))
    True
    """
    if rng is not None:
        if seed is not None:
            raise ValueError(f"give either `rng` or `seed`, not both; got rng={rng!r} and seed={seed!r}.")
        return check_rng(rng)
    if seed is None:
        seed = 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative int; got {seed!r}.")
    return np.random.default_rng(seed)


def _check_m(m: int, n_classes: int) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < n_classes:
        raise ValueError(f"`m` must be an int >= {n_classes} (at least one example per class); got {m!r}.")
    return int(m)


def _check_classes(C: int) -> int:
    if isinstance(C, bool) or not isinstance(C, (int, np.integer)) or C < 2:
        raise ValueError(f"`C` must be an int >= 2 (the number of classes); got {C!r}.")
    return int(C)


def _class_sizes(m: int, n_classes: int) -> list[int]:
    """Split ``m`` examples as evenly as possible: the first ``m % C`` classes get one more."""
    return [m // n_classes + (k < m % n_classes) for k in range(n_classes)]


def _shuffled(parts: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-class point arrays (2, m_k) into ``X`` (2, m), ``Y`` (1, m), shuffle the columns."""
    X = np.concatenate(parts, axis=1)
    Y = np.concatenate([np.full(p.shape[1], k, dtype=np.int64) for k, p in enumerate(parts)])[None, :]
    order = rng.permutation(X.shape[1])
    return np.ascontiguousarray(X[:, order]), np.ascontiguousarray(Y[:, order])


def flower(
    m: int = 400, noise: float = 0.2, *, rng: np.random.Generator | None = None, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The planar "flower": two classes interleaved on the petals of ``r = 4 sin(4t)``.

    Not linearly separable: logistic regression reaches about 50 % accuracy, a network
    with one small hidden layer about 90 %. ``noise`` jitters both the angle and the radius.
    Returns ``X`` (2, m) float64 and ``Y`` (1, m) int64 in {0, 1}.

    >>> X, Y = flower(m=10, seed=0)
    >>> X.shape, Y.shape, sorted(set(Y.ravel().tolist()))
    ((2, 10), (1, 10), [0, 1])
    """
    m = _check_m(m, 2)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = make_rng(rng, seed)
    parts = []
    for k, n in enumerate(_class_sizes(m, 2)):
        t = np.linspace(k * 3.12, (k + 1) * 3.12, n) + noise * rng.standard_normal(n)
        r = 4.0 * np.sin(4.0 * t) + noise * rng.standard_normal(n)
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return _shuffled(parts, rng)


def moons(
    m: int = 200, noise: float = 0.1, *, rng: np.random.Generator | None = None, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 is the upper moon, class 1 the lower one.

    Returns ``X`` (2, m) float64 (roughly within [-1, 2] x [-0.5, 1]) and ``Y`` (1, m) int64.

    >>> X, Y = moons(m=6, noise=0.0, seed=0)
    >>> X.shape, Y.shape
    ((2, 6), (1, 6))
    """
    m = _check_m(m, 2)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = make_rng(rng, seed)
    n0, n1 = _class_sizes(m, 2)
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    upper = np.vstack([np.cos(t0), np.sin(t0)])
    lower = np.vstack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    parts = [p + noise * rng.standard_normal(p.shape) for p in (upper, lower)]
    return _shuffled(parts, rng)


def circles(
    m: int = 200,
    noise: float = 0.05,
    *,
    factor: float = 0.5,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the unit circle, class 1 inside at radius ``factor``.

    factor : radius of the inner circle, in (0, 1).
    Returns ``X`` (2, m) float64 and ``Y`` (1, m) int64 in {0, 1}.

    >>> X, Y = circles(m=8, noise=0.0, seed=0)
    >>> np.allclose(np.hypot(*X)[Y[0] == 0], 1.0)
    True
    """
    m = _check_m(m, 2)
    noise = check_positive(noise, "noise", allow_zero=True)
    if not 0.0 < float(factor) < 1.0:
        raise ValueError(f"`factor` must lie in (0, 1) (inner radius / outer radius); got {factor!r}.")
    rng = make_rng(rng, seed)
    parts = []
    for radius, n in zip((1.0, float(factor)), _class_sizes(m, 2)):
        t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        ring = radius * np.vstack([np.cos(t), np.sin(t)])
        parts.append(ring + noise * rng.standard_normal(ring.shape))
    return _shuffled(parts, rng)


def spirals(
    m: int = 300,
    noise: float = 0.2,
    C: int = 3,
    *,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``C`` interleaved spiral arms (the CS231n spiral data), one class per arm.

    Each arm goes from the origin to radius 1 while turning by 4 radians; ``noise`` is
    added to the angle. Returns ``X`` (2, m) float64 and ``Y`` (1, m) int64 in [0, C).

    >>> X, Y = spirals(m=9, C=3, seed=0)
    >>> np.bincount(Y.ravel()).tolist()
    [3, 3, 3]
    """
    C = _check_classes(C)
    m = _check_m(m, C)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = make_rng(rng, seed)
    parts = []
    for k, n in enumerate(_class_sizes(m, C)):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + noise * rng.standard_normal(n)
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return _shuffled(parts, rng)


def blobs(
    m: int = 300,
    noise: float = 1.0,
    C: int = 3,
    *,
    radius: float = 3.0,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``C`` round Gaussian blobs with standard deviation ``noise``.

    The centres sit evenly on a circle of the given ``radius`` (class k at angle
    ``2 pi k / C``), so the classes overlap more as ``noise`` grows.
    Returns ``X`` (2, m) float64 and ``Y`` (1, m) int64 in [0, C).

    >>> X, Y = blobs(m=40, noise=0.0, C=4, seed=0)
    >>> np.round(X[:, Y[0] == 1].mean(axis=1), 6).tolist()  # centre of class 1 at 90 degrees
    [0.0, 3.0]
    """
    C = _check_classes(C)
    m = _check_m(m, C)
    noise = check_positive(noise, "noise", allow_zero=True)
    radius = check_positive(radius, "radius")
    rng = make_rng(rng, seed)
    parts = []
    for k, n in enumerate(_class_sizes(m, C)):
        angle = 2.0 * np.pi * k / C
        centre = radius * np.array([[np.cos(angle)], [np.sin(angle)]])
        parts.append(centre + noise * rng.standard_normal((2, n)))
    return _shuffled(parts, rng)


# --- real data: scikit-learn's bundled copies of two UCI data sets ---------------------------------

@functools.cache
def _real(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read a data set bundled with scikit-learn once per process; the arrays are read-only.

    The files are read straight from scikit-learn's installed package folder, as its own loaders
    (``load_digits``, ``load_breast_cancer``) read them, without importing scikit-learn: that
    import alone takes seconds, a large share of a notebook's time budget.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the real data sets are read from scikit-learn's package: install scikit-learn")
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "data"
    if name == "digits":  # 64 pixels (0..16), then the digit
        table = np.loadtxt(folder / "digits.csv.gz", delimiter=",")
        X, Y = table[:, :-1].T / 16.0, table[:, -1]  # pixel intensities 0..16 -> [0, 1]
    else:  # a header "569,30,malignant,benign", then 30 measurements and the class (0 = malignant)
        with open(folder / "breast_cancer.csv") as f:
            names = f.readline().strip().split(",")[2:]
            table = np.loadtxt(f, delimiter=",")
        X, Y = table[:, :-1].T, (table[:, -1] == names.index("malignant"))  # the class to detect is 1
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.int64).reshape(1, -1)
    X.flags.writeable = False
    Y.flags.writeable = False
    return X, Y


def digits() -> tuple[np.ndarray, np.ndarray]:
    """1,797 handwritten digits of 8x8 pixels (the UCI "Optical Recognition of Handwritten Digits" test set).

    Returns
    -------
    X : (64, 1797) float64 in [0, 1]
        Column ``i`` is image ``i`` read row by row (``X[:, i].reshape(8, 8)``), pixel / 16.
    Y : (1, 1797) int64
        The digit shown, 0 to 9 (about 180 of each).

    Source: E. Alpaydin and C. Kaynak, UCI Machine Learning Repository (1998), as bundled with
    scikit-learn (``sklearn.datasets.load_digits``); nothing is downloaded. The arrays are fresh
    copies: change them freely.
    """
    X, Y = _real("digits")
    return X.copy(), Y.copy()


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """569 breast tumours, 30 measurements of their cell nuclei each (UCI "Breast Cancer Wisconsin (Diagnostic)").

    Returns
    -------
    X : (30, 569) float64
        The measurements as recorded (radius, texture, area, ... : mean, error and worst of each),
        NOT normalised: their scales differ by four orders of magnitude.
    Y : (1, 569) int64
        1 = malignant (212 tumours), 0 = benign (357).

    Source: W. Wolberg, W. Street and O. Mangasarian, University of Wisconsin, UCI Machine Learning
    Repository (1995), as bundled with scikit-learn (``sklearn.datasets.load_breast_cancer``, which
    codes malignant as 0; here it is 1, the class to detect); nothing is downloaded. The arrays are
    fresh copies.
    """
    X, Y = _real("breast_cancer")
    return X.copy(), Y.copy()
