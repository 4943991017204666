"""Notebook 07 (ML strategy): the classification threshold, and random search for the learning rate.

* :func:`threshold_explorer`: a classification threshold slider and the
  precision/recall trade-off.
* :func:`random_search_explorer`: random search for the learning rate, drawn on a log
  or a linear scale, against the dev cost measured by :func:`learning_rate_sweep`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np

from dlcore.data import flower, make_rng, moons
from dlcore.initialization import initialize_parameters_deep
from dlcore.strategy import confusion_matrix, precision_recall_f1, sample_log_uniform
from dlcore.train import train
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, Explorer, new_figure

__all__ = ['threshold_explorer', 'learning_rate_sweep', 'random_search_explorer']


def _scores_and_labels(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dev-set probabilities of a small network trained on the (overlapping) flower data."""
    X, Y = flower(m=600, noise=0.35, seed=seed)
    result = train(X[:, :400], Y[:, :400], [2, 8, 1], learning_rate=0.02, num_epochs=300, seed=seed,
                   progress=False)
    return result.predict_proba(X[:, 400:])[0], Y[0, 400:]


def threshold_explorer(
    y_true: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    *,
    threshold: float = 0.5,
    seed: int = 0,
    metrics: Callable | None = None,
    confusion: Callable | None = None,
) -> Explorer:
    """Precision, recall and F1 as the classification threshold moves.

    y_true : (m,) 0/1 labels.  scores : (m,) predicted probabilities of class 1 (default:
    a small network's output on held-out flower data). An example is predicted positive
    when its score is above the threshold.
    metrics : ``metrics(y_true, y_pred) -> (precision, recall, f1)`` and
    confusion : ``confusion(y_true, y_pred, 2) -> (2, 2)``, the student's own
    ``precision_recall_f1`` and ``confusion_matrix`` (default: the dlcore reference).
    The threshold of the best F1 is marked once, with a dotted line.
    Callback: ``threshold`` -> ``{"precision", "recall", "f1", "confusion"}``.
    """
    if y_true is None or scores is None:
        scores, y_true = _scores_and_labels(seed)
    scores = as_array(scores, "scores").ravel()
    y_true = np.asarray(y_true).ravel().astype(np.int64)
    metrics = metrics or precision_recall_f1
    confusion = confusion or confusion_matrix
    thresholds = np.linspace(0.0, 1.0, 101)
    curves = np.array([[float(v) for v in metrics(y_true, (scores > t).astype(np.int64))] for t in thresholds])
    best = int(np.argmax(curves[:, 2]))

    figure, (ax_curves, ax_pr) = new_figure(9.0, 3.8, ncols=2)
    for k, name in enumerate(("precision", "recall", "F1")):
        ax_curves.plot(thresholds, curves[:, k], label=name)
    ax_curves.axvline(thresholds[best], color="C2", linewidth=1, linestyle=":")
    ax_curves.annotate(f"best F1 {curves[best, 2]:.2f}", (thresholds[best], 0.03), xytext=(3, 0),
                       textcoords="offset points", fontsize=8, color="C2")
    marker_line = ax_curves.axvline(threshold, color="k", linewidth=1)
    ax_curves.set_xlabel("threshold")
    ax_curves.set_xlim(0.0, 1.0)
    ax_curves.set_ylim(-0.02, 1.02)
    ax_curves.legend(loc="lower left")
    predicts_some = np.array([np.any(scores > t) for t in thresholds])  # else precision is undefined
    ax_pr.plot(curves[predicts_some, 1], curves[predicts_some, 0], color="0.5")
    (point,) = ax_pr.plot([], [], marker="o", markersize=9, color="C3")
    ax_pr.set_xlabel("recall")
    ax_pr.set_ylabel("precision")
    ax_pr.set_xlim(-0.02, 1.02)
    ax_pr.set_ylim(-0.02, 1.02)
    counts = ax_pr.text(0.03, 0.05, "", transform=ax_pr.transAxes, family="monospace", fontsize=9)
    title = ax_curves.set_title("", fontsize=10)

    def callback(threshold: float) -> dict:
        y_pred = (scores > threshold).astype(np.int64)
        precision, recall, f1 = (float(v) for v in metrics(y_true, y_pred))
        matrix = np.asarray(confusion(y_true, y_pred, 2))
        marker_line.set_xdata([threshold, threshold])
        point.set_data([recall], [precision])
        (tn, fp), (fn, tp) = matrix
        counts.set_text(f"TP {tp:4d}  FP {fp:4d}\nFN {fn:4d}  TN {tn:4d}")
        title.set_text(f"threshold {threshold:.2f}: precision {precision:.2f}, recall {recall:.2f}, F1 {f1:.2f}")
        return {"precision": precision, "recall": recall, "f1": f1, "confusion": matrix}

    slider = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description="threshold",
                                 style=STYLE, layout=widgets.Layout(width="500px"))
    return BlitExplorer({"threshold": slider}, callback, figure, [marker_line, point, counts, title])


# ---------------------------------------------------------------- random search


def learning_rate_sweep(
    learning_rates: Sequence[float] | np.ndarray,
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    *,
    hidden_units: int = 8,
    num_iterations: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """Dev cost of a one-hidden-layer ReLU network after ``num_iterations`` of gradient descent,
    for each learning rate.

    All K networks start from the same He-initialised weights and train side by side
    (one batched matrix product per layer for all of them), full batch, on ``X, Y``.
    (Plain gradient descent on a fixed small network, batched: the one training loop of
    :func:`dlcore.train.run_epochs` would train the K networks one after the other, about
    5 times slower for the 81 rates of :func:`random_search_explorer`; and at learning rates
    above about 40, where training is chaotic, the dev cost depends on rounding, so that
    notebook 07's sweep curve would change at a point.)
    X, Y, X_dev, Y_dev : binary data (default: 200 + 200 two-moons points, noise 0.25).
    Returns (K,) float64: the cross-entropy on the dev set; ``inf`` where training diverged.

    >>> costs = learning_rate_sweep([1e-3, 1.0, 1e3])
    >>> bool(costs[1] < costs[0]) and bool(costs[2] > costs[1])
    True
    """
    if X is None or Y is None or X_dev is None or Y_dev is None:
        X_all, Y_all = moons(m=400, noise=0.25, seed=seed)
        X, Y, X_dev, Y_dev = X_all[:, :200], Y_all[:, :200], X_all[:, 200:], Y_all[:, 200:]
    X, X_dev = as_array(X, "X", ndim=2), as_array(X_dev, "X_dev", ndim=2)
    Y, Y_dev = np.asarray(Y, dtype=np.float64).reshape(1, -1), np.asarray(Y_dev, dtype=np.float64).reshape(1, -1)
    lr = np.asarray(learning_rates, dtype=np.float64).reshape(-1, 1, 1)
    K, n_x, m = lr.shape[0], X.shape[0], X.shape[1]
    start = initialize_parameters_deep([n_x, hidden_units, 1], "he", make_rng(seed=seed))
    W1, b1, W2, b2 = (np.repeat(start[k][None], K, axis=0) for k in ("W1", "b1", "W2", "b2"))
    with np.errstate(all="ignore"):
        for _ in range(num_iterations):
            Z1 = W1 @ X + b1
            A1 = np.maximum(Z1, 0.0)
            Z2 = W2 @ A1 + b2
            dZ2 = (1.0 / (1.0 + np.exp(-Z2)) - Y) / m        # sigmoid + cross-entropy: A - Y (1/m here)
            dZ1 = (W2.transpose(0, 2, 1) @ dZ2) * (Z1 > 0)
            W2 -= lr * (dZ2 @ A1.transpose(0, 2, 1))
            b2 -= lr * dZ2.sum(axis=2, keepdims=True)
            W1 -= lr * (dZ1 @ X.T)
            b1 -= lr * dZ1.sum(axis=2, keepdims=True)
        Z = W2 @ np.maximum(W1 @ X_dev + b1, 0.0) + b2
        costs = np.mean(np.logaddexp(0.0, Z) - Y_dev * Z, axis=(1, 2))  # cross-entropy from the logits
    costs[~np.isfinite(costs)] = np.inf
    return costs


def random_search_explorer(
    sampler: Callable | None = None,
    *,
    low: float = 1e-4,
    high: float = 100.0,
    trials: int = 10,
    seed: int = 0,
    sweep_points: int = 81,
) -> Explorer:
    """Random search for the learning rate: draws on a log scale or on a linear scale.

    The dev cost of every learning rate in ``[low, high]`` is measured once, when the
    explorer starts, by :func:`learning_rate_sweep` on ``sweep_points`` log-spaced rates
    (the grey curve); each trial then reads its dev cost off that curve.
    sampler : ``sampler(low, high, size, rng) -> (size,)``, the student's own
        ``sample_log_uniform`` (default: the dlcore reference), used for the "log" scale;
        the "linear" scale draws ``rng.uniform(low, high, size)``.
    Controls: ``trials`` (how many learning rates), ``scale`` ("log" or "linear"),
    ``draw`` (the seed of the draw: another draw of the same size).
    Callback -> ``{"learning_rates", "dev_costs", "best_lr", "best_cost", "in_best_decade"}``.
    """
    sampler = sampler or sample_log_uniform
    grid = np.logspace(np.log10(low), np.log10(high), sweep_points)
    curve = learning_rate_sweep(grid, seed=seed)
    finite = np.isfinite(curve)
    ceiling = 1.0  # dev costs above this (diverged runs among them) are drawn at the top of the plot
    best_grid = grid[int(np.argmin(curve))]

    figure, ax = new_figure(7.5, 3.8)
    ax.plot(grid[finite], np.minimum(curve[finite], ceiling), color="0.6", linewidth=1.5,
            label=f"dev cost after training (sweep of {sweep_points} rates)")
    ax.axvspan(best_grid / np.sqrt(10), best_grid * np.sqrt(10), color="C2", alpha=0.12, label="the best decade")
    (dots,) = ax.plot([], [], linestyle="none", marker="o", markersize=6, color="C0", label="trials")
    (star,) = ax.plot([], [], linestyle="none", marker="*", markersize=16, color="C3", label="best trial")
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(0.0, ceiling + 0.05)
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"dev cost (top line: {ceiling:g} or more)")
    ax.legend(loc="upper left", fontsize=8)
    title = ax.set_title("", fontsize=10)

    def callback(trials: int, scale: str, draw: int) -> dict:
        rng = np.random.default_rng(draw)
        if scale == "log":
            rates = np.asarray(sampler(low, high, int(trials), rng), dtype=np.float64).ravel()
        else:
            rates = rng.uniform(low, high, int(trials))
        logs = np.log10(np.clip(rates, low, high))
        costs = np.interp(logs, np.log10(grid), np.where(finite, curve, 1e9))
        costs[costs > 1e8] = np.inf
        k = int(np.argmin(costs))
        dots.set_data(rates, np.minimum(costs, ceiling))
        star.set_data([rates[k]], [min(costs[k], ceiling)])
        near = int(np.sum(np.abs(logs - np.log10(best_grid)) <= 0.5))
        title.set_text(f"{trials} trials on a {scale} scale: best rate {rates[k]:.3g} (dev cost {costs[k]:.3f}); "
                       f"{near} in the best decade")
        return {"learning_rates": rates, "dev_costs": costs, "best_lr": float(rates[k]), "best_cost": float(costs[k]),
                "in_best_decade": near}

    controls = {
        "trials": widgets.IntSlider(value=trials, min=2, max=40, step=1, description="trials",
                                    continuous_update=False, style=STYLE),
        "scale": widgets.ToggleButtons(options=["log", "linear"], value="log", description="scale", style=STYLE),
        "draw": widgets.IntSlider(value=0, min=0, max=19, step=1, description="draw (seed)",
                                  continuous_update=False, style=STYLE),
    }
    return BlitExplorer(controls, callback, figure, [dots, star, title])
