"""Static figures for the real data sets (digits, breast cancer): images, confusion matrices, curves.

Every function draws on what it is given (an Axes, or a Figure for the probability grid) or on a new
pyplot figure when given nothing, returns what it drew on, and never calls
``plt.show()``. These figures are plain matplotlib, so they stay in an exported notebook
(HTML, feedback) where the interactive explorers of :mod:`dlcore.widgets.real_data` do not.

Shapes follow the course: images are columns of ``X`` (64, m), each an 8x8 digit read row by
row (``X[:, i].reshape(8, 8)``); labels are ints of shape (m,) or (1, m); probabilities
``P`` are (C, m), one column per example.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dlcore.validation import as_array

__all__ = [
    "digit_image",
    "plot_digits",
    "plot_digit_probabilities",
    "plot_confusion_matrix",
    "plot_weight_images",
    "plot_learning_curve",
    "plot_training_curves",
]


def digit_image(x: np.ndarray) -> np.ndarray:
    """One example as a square image: ``x`` (n,) or (n, 1) with n a square (64 for the digits) -> (8, 8)."""
    x = np.ravel(as_array(x, "x"))
    side = int(round(np.sqrt(x.size)))
    if side * side != x.size:
        raise ValueError(f"`x` must hold a square number of pixels (64 for an 8x8 digit); got {x.size}.")
    return x.reshape(side, side)


def _figure(figure: Figure | None, size: tuple[float, float]) -> Figure:
    return figure if figure is not None else plt.figure(figsize=size)


def _labels(y: np.ndarray | None, name: str, m: int) -> np.ndarray | None:
    if y is None:
        return None
    y = np.ravel(np.asarray(y)).astype(np.int64)
    if y.size != m:
        raise ValueError(f"`{name}` must hold one label per example ({m}); got {y.size}.")
    return y


def _mosaic(images: np.ndarray, ncols: int, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """Images (k, h, w) tiled row by row into one array, ``gap`` pixels of ``fill`` between them."""
    k, h, w = images.shape
    nrows = -(-k // ncols)
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), fill)
    for i in range(k):
        r, c = divmod(i, ncols)
        mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[i]
    return mosaic


def plot_digits(
    X: np.ndarray,
    y_true: np.ndarray | None = None,
    y_pred: np.ndarray | None = None,
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 10,
    ax: Axes | None = None,
) -> Axes:
    """A grid of digits, the columns of ``X`` (64, m), with their labels above them.

    y_true, y_pred : (m,) or (1, m) ints; the label of image ``i`` is ``"true -> pred"``
    (red when they differ), or just the label when only ``y_true`` is given.
    titles : one string per image, instead of the labels. The images are tiled into one
    picture (much faster to draw than one Axes per image). Returns the Axes.
    """
    X = as_array(X, "X", ndim=2)
    m = X.shape[1]
    if m == 0:
        raise ValueError("`X` must hold at least one example (column).")
    y_true, y_pred = _labels(y_true, "y_true", m), _labels(y_pred, "y_pred", m)
    if titles is not None and len(titles) != m:
        raise ValueError(f"`titles` must hold one string per example ({m}); got {len(titles)}.")
    ncols = max(1, min(int(ncols), m))
    nrows = -(-m // ncols)
    images = np.stack([digit_image(X[:, i]) for i in range(m)])
    side, gap = images.shape[1], 3                        # room for a label above each image
    if ax is None:
        _, ax = plt.subplots(figsize=(0.85 * ncols, 1.0 * nrows + 0.2))
    padded = np.pad(images, ((0, 0), (gap, 0), (0, 0)), constant_values=np.nan)
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")
    ax.imshow(_mosaic(padded, ncols, gap=1), cmap=cmap, vmin=0.0, vmax=max(1.0, float(np.nanmax(X))))
    for i in range(m):
        r, c = divmod(i, ncols)
        color = "k"
        if titles is not None:
            text = titles[i]
        elif y_true is not None and y_pred is not None:
            text = f"{y_true[i]}->{y_pred[i]}"
            color = "C3" if y_true[i] != y_pred[i] else "k"
        elif y_true is not None:
            text = str(y_true[i])
        else:
            continue
        ax.text(c * (side + 1) + side / 2 - 0.5, r * (side + gap + 1) + 1.0, text, ha="center",
                va="center", fontsize=8, color=color)
    ax.set_axis_off()
    return ax


def plot_digit_probabilities(
    X: np.ndarray,
    P: np.ndarray,
    y_true: np.ndarray,
    *,
    ncols: int = 4,
    figure: Figure | None = None,
) -> Figure:
    """Each digit of ``X`` (64, m) beside a bar chart of its class probabilities ``P`` (C, m).

    The bar of the true class (``y_true``, (m,)) is green, the predicted class (argmax)
    red when it is wrong, the others grey. Returns the figure.
    """
    X = as_array(X, "X", ndim=2)
    P = as_array(P, "P", ndim=2)
    m = X.shape[1]
    if P.shape[1] != m:
        raise ValueError(f"`P` must have one column per example of X ({m}); got shape {P.shape}.")
    y_true = _labels(y_true, "y_true", m)
    C = P.shape[0]
    ncols = max(1, min(int(ncols), m))
    nrows = -(-m // ncols)
    figure = _figure(figure, (3.2 * ncols, 1.8 * nrows))
    grid = figure.subplots(nrows, 2 * ncols, squeeze=False, gridspec_kw={"width_ratios": [1, 2] * ncols, "hspace": 0.6})
    for i in range(nrows * ncols):
        ax_img, ax_bar = grid[i // ncols, 2 * (i % ncols)], grid[i // ncols, 2 * (i % ncols) + 1]
        if i >= m:
            ax_img.set_axis_off()
            ax_bar.set_axis_off()
            continue
        ax_img.imshow(digit_image(X[:, i]), cmap="gray_r", vmin=0.0, vmax=1.0)
        ax_img.set_axis_off()
        pred = int(np.argmax(P[:, i]))
        colors = ["0.7"] * C
        colors[y_true[i]] = "C2"
        if pred != y_true[i]:
            colors[pred] = "C3"
        ax_bar.bar(np.arange(C), P[:, i], color=colors)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_xticks(np.arange(C))
        ax_bar.tick_params(labelsize=7, length=0)
        ax_bar.set_yticks([])
        ax_bar.set_title(f"true {y_true[i]}, P = {P[y_true[i], i]:.2f}", fontsize=8, pad=2)
    return figure


def plot_confusion_matrix(M: np.ndarray, *, ax: Axes | None = None, class_names: Sequence[str] | None = None) -> Axes:
    """The confusion matrix ``M`` (C, C) (rows: true class, columns: predicted) with its counts written in.

    The colour is the share of each row (the recall of the class on the diagonal), so that
    classes of different sizes compare. Returns the Axes.
    """
    M = np.asarray(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"`M` must be a square (C, C) matrix; got shape {M.shape}.")
    C = M.shape[0]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.4 * C + 1.2, 0.4 * C + 0.9))
    rows = M.sum(axis=1, keepdims=True)
    shares = M / np.where(rows == 0, 1, rows)
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(C):
        for j in range(C):
            if M[i, j]:
                ax.text(j, i, str(int(M[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if shares[i, j] > 0.6 else ("C3" if i != j else "k"))
    names = list(class_names) if class_names is not None else [str(k) for k in range(C)]
    ax.set_xticks(range(C), names)
    ax.set_yticks(range(C), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return ax


def plot_weight_images(W: np.ndarray, *, ncols: int = 8, ax: Axes | None = None) -> Axes:
    """The rows of a first-layer weight matrix ``W`` (n1, 64) drawn as 8x8 images, one per hidden unit.

    Red is a positive weight (ink there raises the unit's Z), blue a negative one; each
    image is scaled by its own largest weight. The images are tiled into one picture (unit
    1 top left, row by row, numbered), which draws much faster than one Axes per unit.
    Returns the Axes.
    """
    W = as_array(W, "W", ndim=2)
    n1 = W.shape[0]
    side = digit_image(W[0]).shape[0]
    ncols = max(1, min(int(ncols), n1))
    nrows = -(-n1 // ncols)
    cell = side + 1                                   # one blank (NaN) pixel between images
    scales = np.abs(W).max(axis=1)
    mosaic = _mosaic(np.stack([digit_image(W[k]) / (scales[k] or 1.0) for k in range(n1)]), ncols)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 * ncols, 1.0 * nrows + 0.3))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=-1.0, vmax=1.0)
    for k in range(n1):
        r, c = divmod(k, ncols)
        ax.text(c * cell - 0.4, r * cell - 0.5, str(k + 1), fontsize=6, va="bottom", color="0.3")
    ax.set_axis_off()
    return ax


def plot_learning_curve(
    sizes: Sequence[int],
    train_error: Sequence[float],
    dev_error: Sequence[float],
    *,
    human_error: float | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Training and dev error against the training-set size m (log scale), as measured.

    sizes, train_error, dev_error : one entry per training run (errors as fractions).
    human_error : a horizontal line for the human-level (Bayes) error, if given.
    """
    sizes = np.asarray(sizes, dtype=float)
    train_error, dev_error = np.asarray(train_error, dtype=float), np.asarray(dev_error, dtype=float)
    if not (sizes.shape == train_error.shape == dev_error.shape) or sizes.ndim != 1:
        raise ValueError(f"`sizes`, `train_error` and `dev_error` must be 1-D of one length; got shapes "
                         f"{sizes.shape}, {train_error.shape}, {dev_error.shape}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.plot(sizes, train_error, "o-", label="training error")
    ax.plot(sizes, dev_error, "s-", label="dev error")
    ax.fill_between(sizes, train_error, dev_error, color="C1", alpha=0.12, label="gap (variance)")
    if human_error is not None:
        ax.axhline(human_error, color="k", linestyle=":", linewidth=1, label="human level")
    ax.set_xscale("log")
    ax.set_xlabel("training examples m")
    ax.set_ylabel("error")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_training_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    key: str = "dev_cost",
    *,
    ax: Axes | None = None,
    ylabel: str = "",
    marks: Mapping[str, int] | None = None,
) -> Axes:
    """One curve per run: ``histories[name][key]`` per epoch (e.g. the ``history`` of dlcore.train).

    marks : ``name -> epoch`` to mark with a dot (e.g. the best epoch of early stopping).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    for k, (name, history) in enumerate(histories.items()):
        if key not in history:
            raise ValueError(f"`histories[{name!r}]` has no {key!r} series; it has {sorted(history)}.")
        values = np.asarray(history[key], dtype=float)
        ax.plot(values, color=f"C{k}", label=name)
        if marks and name in marks:
            ax.plot([marks[name]], [values[marks[name]]], "o", color=f"C{k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or key)
    ax.legend(fontsize=8)
    return ax
