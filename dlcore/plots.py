"""Matplotlib figures of the 2-D course: cost curves, decision boundaries, optimizer paths.

The figures of the real data sets (digit images, confusion matrices, learning curves) are in
:mod:`dlcore.figures`.

Every function draws on the Axes ``ax`` it is given (or on a new figure's Axes when
``ax`` is None) and returns that Axes; none calls ``plt.show()``, so the caller decides
when and where the figure is shown.

Shapes follow the course: 2-D inputs ``X`` (2, m) with examples as columns, labels
``Y`` (1, m) or (m,) ints, or one-hot (C, m).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from dlcore.validation import as_array

__all__ = ["plot_costs", "plot_decision_boundary", "plot_loss_surface_paths", "decision_grid", "class_labels"]

#: Colours of classes 0, 1, 2, ... (points) and their lighter versions (regions).
CLASS_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
REGION_COLORS = ("#f4b6b6", "#b3d1ec", "#b8e2b8", "#ffd7ae", "#d9c8e8", "#dcc5c0", "#f5cde8", "#d3d3d3")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise ValueError(f"`ax` must be a matplotlib Axes or None; got {type(ax).__name__}.")
    return ax


# -------------------------------------------------------------------------- costs


def _cost_series(history) -> dict[str, np.ndarray]:
    """Named cost curves from a list of costs, a dict of lists, or a train() result."""
    history = getattr(history, "history", history)  # a TrainResult
    if isinstance(history, Mapping):
        if "cost" in history:  # a training history: plot its costs, not its accuracies
            series = {k: v for k, v in history.items() if k.endswith("cost")}
        else:
            series = dict(history)
    else:
        series = {"cost": history}
    out = {}
    for name, values in series.items():
        arr = as_array(values, f"history[{name!r}]", ndim=1, allow_empty=True)
        out[str(name)] = arr
    if not out:
        raise ValueError("`history` holds no cost curve: give a list of costs or a dict name -> list of costs.")
    return out


def plot_costs(
    history,
    *,
    ax: Axes | None = None,
    log_scale: bool = False,
    xlabel: str = "epoch",
    every: int = 1,
    title: str | None = None,
) -> Axes:
    """Plot one or several cost curves against the epoch (or iteration) number.

    history : a sequence of costs; or a dict ``name -> sequence`` (one line each); or a
        training history / result of :func:`dlcore.train.train`, of which the keys
        ending in ``"cost"`` (``"cost"``, ``"dev_cost"``) are drawn.
    log_scale : use a logarithmic y axis (useful when the cost spans decades).
    every : the costs were recorded every ``every`` epochs (scales the x axis).
    Returns the Axes.

    >>> ax = plot_costs({"lr=0.1": [1.0, 0.5, 0.3], "lr=1": [1.0, 0.2, 0.1]}, log_scale=True)
    >>> len(ax.lines)
    2
    """
    series = _cost_series(history)
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"`every` must be a positive int (epochs between recorded costs); got {every!r}.")
    ax = _axes(ax)
    for name, costs in series.items():
        ax.plot(np.arange(len(costs)) * every, costs, label=name)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend()
    return ax


# ------------------------------------------------------------- decision boundaries


def class_labels(Y: np.ndarray) -> np.ndarray:
    """Integer labels (m,) from labels (1, m) / (m,) or a one-hot / probability matrix (C, m).

    A (1, m) row of probabilities is thresholded at 0.5; a (C, m) matrix gives the argmax.

    >>> class_labels(np.array([[0.2, 0.9]])).tolist(), class_labels(np.eye(3)).tolist()
    ([0, 1], [0, 1, 2])
    """
    Y = np.asarray(Y)
    if Y.ndim == 2 and Y.shape[0] > 1:
        return np.argmax(Y, axis=0)
    if Y.ndim == 2 and Y.shape[0] == 1:
        Y = Y[0]
    if Y.ndim != 1:
        raise ValueError(f"`Y` must hold labels (1, m) or (m,), or one-hot columns (C, m); got shape {Y.shape}.")
    if np.issubdtype(Y.dtype, np.floating) and Y.size and not np.all(Y == np.round(Y)):
        return (Y > 0.5).astype(np.int64)  # probabilities of class 1
    return Y.astype(np.int64)


def decision_grid(
    predict_fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, resolution: int = 200, margin: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted labels on a grid covering the points ``X`` (2, m) plus a relative ``margin``.

    predict_fn : maps points (2, k) to labels or probabilities, shape (1, k), (k,) or (C, k).
    Returns ``(xs, ys, labels)``: grid coordinates (resolution,), (resolution,) and int
    labels (resolution, resolution), row i for ``ys[i]`` and column j for ``xs[j]``.
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] != 2:
        raise ValueError(f"`X` must have shape (2, m): decision boundaries are drawn for 2-D inputs; got {X.shape}.")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"`resolution` must be an int >= 2 (grid points per axis); got {resolution!r}.")
    lo, hi = X.min(axis=1), X.max(axis=1)
    pad = margin * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.vstack([gx.ravel(), gy.ravel()])
    out = np.asarray(predict_fn(grid))
    if out.shape[-1] != grid.shape[1] or out.ndim > 2:
        raise ValueError(
            f"`predict_fn` must map points (2, k) to an array (1, k), (k,) or (C, k); for k={grid.shape[1]} "
            f"it returned shape {out.shape}."
        )
    return xs, ys, class_labels(out).reshape(resolution, resolution)


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
    *,
    title: str | None = None,
    point_size: float = 12.0,
) -> Axes:
    """Colour the plane by the class ``predict_fn`` gives it and scatter the points on top.

    predict_fn : maps points (2, k) to labels or probabilities, (1, k), (k,) or (C, k);
        for instance ``result.predict`` of :func:`dlcore.train.train`, or
        ``lambda P: dlcore.predict(P, parameters)``.
    X : (2, m) points.  Y : their labels (1, m) / (m,) or one-hot (C, m).
    resolution : grid points per axis (cost grows as its square).
    Returns the Axes; the regions are an image (``ax.images[0]``), the points a scatter.

    >>> X = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 0.0, 1.0]])
    >>> ax = plot_decision_boundary(lambda P: (P[0] > 1.5).astype(int), X, np.array([[0, 0, 1, 1]]), resolution=20)
    >>> len(ax.images), len(ax.collections)
    (1, 1)
    """
    X = as_array(X, "X", ndim=2)
    labels = class_labels(Y)
    if labels.shape[0] != X.shape[1]:
        raise ValueError(f"`Y` must hold one label per column of X ({X.shape[1]}); got {labels.shape[0]}.")
    xs, ys, grid_labels = decision_grid(predict_fn, X, resolution)
    n_classes = int(max(grid_labels.max(), labels.max(), 1)) + 1
    ax = _axes(ax, figsize=(5.0, 4.5))
    ax.imshow(
        grid_labels,
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
        origin="lower",
        cmap=ListedColormap(REGION_COLORS[:n_classes]),
        vmin=-0.5,
        vmax=n_classes - 0.5,
        interpolation="nearest",
        aspect="auto",
    )
    ax.scatter(
        X[0],
        X[1],
        c=labels,
        cmap=ListedColormap(CLASS_COLORS[:n_classes]),
        vmin=-0.5,
        vmax=n_classes - 0.5,
        s=point_size,
        edgecolors="k",
        linewidths=0.4,
    )
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------- optimizer paths


def plot_loss_surface_paths(
    loss_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray] | None = None,
    *,
    ax: Axes | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    levels: int = 25,
    resolution: int = 150,
    log_levels: bool = True,
    minimum: Sequence[float] | None = None,
) -> Axes:
    """Contours of a 2-D loss and the paths optimizers took on it.

    loss_fn : ``loss_fn(w1, w2)`` evaluated elementwise on two arrays of the same shape
        (a grid), returning the loss with that shape.
    paths : dict ``name -> (T, 2)`` array of the successive points ``(w1, w2)``; each is
        drawn as a line with markers, in the order given, labelled by its name.
    xlim, ylim : the window; by default it covers every path with a margin.
    log_levels : space the contour levels geometrically (loss surfaces span decades).
    minimum : optional ``(w1, w2)`` marked with a star.
    Returns the Axes; ``ax.lines`` holds the paths in the order of ``paths``.

    >>> ax = plot_loss_surface_paths(lambda a, b: a**2 + 4 * b**2, {"GD": np.array([[2.0, 1.0], [1.0, 0.2]])})
    >>> [line.get_label() for line in ax.lines]
    ['GD']
    """
    paths = {} if paths is None else dict(paths)
    arrays = {}
    for name, path in paths.items():
        arr = as_array(path, f"paths[{name!r}]", ndim=2)
        if arr.shape[1] != 2:
            raise ValueError(f"`paths[{name!r}]` must have shape (T, 2), one point (w1, w2) per row; got {arr.shape}.")
        arrays[name] = arr
    if xlim is None or ylim is None:
        if not arrays:
            raise ValueError("give `xlim` and `ylim`, or at least one path to frame.")
        points = np.concatenate(list(arrays.values()))
        points = points[np.all(np.isfinite(points), axis=1)]
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3)
        xlim = xlim if xlim is not None else (lo[0] - pad[0], hi[0] + pad[0])
        ylim = ylim if ylim is not None else (lo[1] - pad[1], hi[1] + pad[1])
    ax = _axes(ax, figsize=(6.0, 4.5))
    w1, w2 = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    surface = np.asarray(loss_fn(w1, w2), dtype=np.float64)
    if surface.shape != w1.shape:
        raise ValueError(f"`loss_fn(w1, w2)` must return an array shaped like its inputs {w1.shape}; got {surface.shape}.")
    low, high = float(np.nanmin(surface)), float(np.nanmax(surface))
    if log_levels:
        shift = low - 1e-3 * max(high - low, 1e-12)  # make the levels positive
        contour_levels = shift + np.geomspace(1e-3 * max(high - low, 1e-12), high - shift, levels)
    else:
        contour_levels = np.linspace(low, high, levels)
    ax.contour(w1, w2, surface, levels=contour_levels, cmap="viridis", linewidths=0.7)
    for name, arr in arrays.items():
        ax.plot(arr[:, 0], arr[:, 1], marker="o", markersize=3, linewidth=1.3, label=name)
    if minimum is not None:
        ax.plot([minimum[0]], [minimum[1]], marker="*", markersize=14, color="gold", markeredgecolor="k",
                linestyle="none", label="_minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    if arrays:
        ax.legend(loc="upper right")
    return ax
