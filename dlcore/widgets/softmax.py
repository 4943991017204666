"""Notebook 06 (softmax): the temperature of a softmax, and a multi-class network's regions during training.

* :func:`softmax_temperature_explorer`: softmax of ``z / T`` for a temperature slider,
  from the hardmax to the uniform distribution.
* :func:`training_regions_explorer`: the decision regions of a multi-class network at
  the saved epochs of its training run (an epoch slider), by default those of
  :func:`softmax_training_snapshots`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.ticker import NullLocator

from dlcore.data import make_rng, spirals
from dlcore.initialization import initialize_parameters_deep
from dlcore.network import Network
from dlcore.plots import CLASS_COLORS, class_labels
from dlcore.softmax import model_forward_softmax, one_hot, softmax
from dlcore.train import Trainer, run_epochs
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, Explorer, in_slices, new_figure

__all__ = ['softmax_temperature_explorer', 'softmax_training_snapshots', 'training_regions_explorer']


def softmax_temperature_explorer(
    scores: Sequence[float] = (5.0, 2.0, -1.0, 3.0),
    *,
    softmax_fn: Callable | None = None,
    temperature: float = 1.0,
    t_range: tuple[float, float] = (0.05, 50.0),
) -> Explorer:
    """Softmax of ``scores / T`` for a log-scale slider of the temperature ``T``.

    scores : (C,) scores of one example (default: the worked example of the course notes).
    softmax_fn : a softmax of (C, m) arrays, column by column (the student's own; default
        :func:`dlcore.softmax.softmax`).
    As T shrinks the probabilities approach the hardmax (a one-hot vector at the largest
    score); T = 1 is the plain softmax; as T grows they approach the uniform 1/C. The
    order of the classes never changes.
    Callback: ``temperature`` -> ``{"probabilities", "entropy"}`` (entropy in nats).
    """
    z = as_array(scores, "scores", ndim=1)
    fn = softmax_fn or softmax
    C = z.size
    hard = np.zeros(C)
    hard[np.argmax(z)] = 1.0
    # Few texts: drawing text is most of the cost of a redraw. The dashed outline is the
    # hardmax, the dotted line the uniform distribution (the notebook says so).
    figure, ax = new_figure(6.0, 3.2)
    x = np.arange(C)
    bars = ax.bar(x, np.zeros(C), width=0.6, color=[CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(C)])
    ax.bar(x, hard, width=0.8, fill=False, edgecolor="k", linestyle="--", linewidth=1)
    ax.axhline(1 / C, color="0.4", linewidth=1, linestyle=":")
    texts = [ax.text(k, 0.0, "", ha="center", va="bottom", fontsize=9) for k in range(C)]
    ax.set_xticks(x, [f"z = {v:g}" for v in z])
    ax.set_yticks([0.0, 1 / C, 1.0], ["0", "1/C", "1"])
    ax.set_ylim(0, 1.15)
    title = ax.set_title("", fontsize=10)

    def callback(temperature: float) -> dict:
        p = np.asarray(fn((z / temperature)[:, None]), dtype=np.float64).reshape(C)
        for k, (bar, text) in enumerate(zip(bars, texts)):
            bar.set_height(p[k])
            text.set_y(p[k] + 0.01)
            text.set_text(f"{p[k]:.3f}")
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = float(-np.sum(np.where(p > 0, p * np.log(p), 0.0)))
        title.set_text(f"T = {temperature:.3g}: entropy {entropy:.2f} nats (uniform: log C = {np.log(C):.2f})")
        return {"probabilities": p, "entropy": entropy}

    slider = widgets.FloatLogSlider(value=temperature, base=10, min=np.log10(t_range[0]), max=np.log10(t_range[1]),
                                    step=0.05, description="temperature T", readout_format=".3g", style=STYLE,
                                    layout=widgets.Layout(width="500px"))
    return Explorer({"temperature": slider}, callback, figure)


def softmax_training_snapshots(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: Sequence[int],
    *,
    num_epochs: int = 500,
    every: int = 10,
    learning_rate: float = 0.01,
    seed: int = 0,
) -> tuple[dict[int, dict[str, np.ndarray]], np.ndarray]:
    """Train a softmax network with full-batch Adam (:func:`dlcore.train.run_epochs`), keeping snapshots.

    X : (n0, m).  Y : one-hot (C, m), C >= 2.  layer_dims : ``[n0, ..., C]``, He initialisation
    (``seed``); Adam with :func:`dlcore.train.train`'s default settings.
    Returns ``(snapshots, costs)``: ``{epoch: parameters}`` for epochs 0, every, 2 every,
    ..., num_epochs (the parameters *before* that epoch's update; ``num_epochs`` holds the
    final ones) and the cost of each epoch (before its update), (num_epochs,).
    """
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    dims = [int(n) for n in layer_dims]
    if dims[0] != X.shape[0] or dims[-1] != Y.shape[0] or Y.shape[0] < 2 or Y.shape[1] != X.shape[1]:
        raise ValueError(f"`layer_dims` {dims} must start with X's {X.shape[0]} rows and end with Y's C >= 2 rows, "
                         f"and `Y` {Y.shape} (one-hot) must have one column per example of `X` {X.shape}.")
    parameters = initialize_parameters_deep(dims, "he", make_rng(seed=seed))
    trainer = Trainer(Network.create(parameters, "multiclass"), "adam")
    snapshots = {0: {key: value.copy() for key, value in parameters.items()}}

    def keep(epoch: int, cost: float, lr: float) -> None:
        if (epoch + 1) % every == 0 or epoch + 1 == num_epochs:
            snapshots[epoch + 1] = {key: value.copy() for key, value in trainer.net.parameters.items()}

    costs, _ = run_epochs(trainer, X, Y, num_epochs, learning_rate=learning_rate, on_epoch=keep)
    return snapshots, costs


def training_regions_explorer(
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    snapshots: Mapping[int, dict[str, np.ndarray]] | None = None,
    *,
    predict_proba: Callable[[np.ndarray, dict], np.ndarray] | None = None,
    costs: Sequence[float] | None = None,
    epoch: int | None = None,
    resolution: int = 80,
    seed: int = 0,
) -> BlitExplorer:
    """The decision regions of a multi-class network at the saved epochs of one training run.

    X : (2, m) points.  Y : their labels (1, m) / (m,) or one-hot (C, m).
    snapshots : ``{epoch: parameters}`` saved during training.
    predict_proba : ``predict_proba(points, parameters) -> (C, k)`` class probabilities
        (the student's forward pass; default ``model_forward_softmax(points, p)[0]``).
    costs : the training cost of every epoch, drawn on the right with the chosen epoch marked.
    Default: 300 points of three spirals and :func:`softmax_training_snapshots` of a
    ``[2, 32, 3]`` network.
    Each region gets the colour of its predicted class (the argmax), faded towards white
    where the network is unsure (largest probability near 1/C).
    Callback: ``epoch`` -> ``{"accuracy", "labels", "confidence"}`` (the last two on the grid).
    """
    if X is None or Y is None:
        X, Y = spirals(m=300, noise=0.2, C=3, seed=seed)
    X = as_array(X, "X", ndim=2)
    labels = class_labels(Y)
    if snapshots is None:
        C = int(labels.max()) + 1
        snapshots, costs = softmax_training_snapshots(X, one_hot(labels, C), [X.shape[0], 32, C], seed=seed)
    if not snapshots:
        raise ValueError("`snapshots` must hold at least one {epoch: parameters} entry.")
    proba = predict_proba or (lambda P, p: model_forward_softmax(P, p)[0])
    epochs = sorted(int(e) for e in snapshots)

    lo, hi = X.min(axis=1), X.max(axis=1)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.vstack([gx.ravel(), gy.ravel()])
    palette = np.array([to_rgb(c) for c in CLASS_COLORS])
    opaque = np.full((resolution, resolution, 1), 255, dtype=np.uint8)

    # Few texts (no ticks on the plane, three on the cost axis): text is most of a redraw's cost.
    figure, axes = new_figure(8.0 if costs is not None else 4.2, 3.6, ncols=2 if costs is not None else 1)
    ax = axes[0] if costs is not None else axes
    image = ax.imshow(np.ones((resolution, resolution, 3)), extent=(xs[0], xs[-1], ys[0], ys[-1]), origin="lower",
                      interpolation="nearest", aspect="auto")
    points = ax.scatter(X[0], X[1], c=palette[labels % len(palette)], s=10, edgecolors="k", linewidths=0.4)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xticks([])
    ax.set_yticks([])
    title = ax.set_title("", fontsize=10)
    marker = cost_title = None
    if costs is not None:
        ax_cost = axes[1]
        costs = as_array(costs, "costs", ndim=1)
        ax_cost.plot(np.arange(costs.size), costs, color="C0")
        ax_cost.set_yscale("log")
        low = 10.0 ** np.floor(np.log10(max(float(costs.min()), 1e-6)))
        top = 10.0 ** np.floor(np.log10(float(costs.max())))
        ax_cost.set_yticks(np.geomspace(low, top, int(round(np.log10(top / low))) + 1), minor=False)
        ax_cost.yaxis.set_minor_locator(NullLocator())
        ax_cost.set_ylim(low, 1.5 * float(costs.max()))
        ax_cost.set_xticks(np.linspace(0, costs.size, 3))
        ax_cost.set_xlabel("epoch")
        marker = ax_cost.axvline(epochs[0], color="C3", linewidth=1.5)
        cost_title = ax_cost.set_title("", fontsize=10)

    def callback(epoch: int) -> dict:
        chosen = max([e for e in epochs if e <= epoch], default=epochs[0])
        parameters = snapshots[chosen]
        P = in_slices(lambda points: np.asarray(proba(points, parameters), dtype=np.float64))(grid)
        C = P.shape[0]
        grid_labels, confidence = np.argmax(P, axis=0), np.max(P, axis=0)
        strength = np.clip((confidence - 1 / C) / (1 - 1 / C), 0.0, 1.0)[:, None]
        rgb = 1.0 - 0.6 * strength * (1.0 - palette[grid_labels % len(palette)])
        # As RGBA bytes, which are drawn as they are (float RGB would be converted at every redraw).
        image.set_data(np.concatenate([np.round(255 * rgb).astype(np.uint8).reshape(resolution, resolution, 3),
                                       opaque], axis=2))
        predicted = np.argmax(np.asarray(proba(X, parameters)), axis=0)
        accuracy = float(np.mean(predicted == labels))
        title.set_text(f"epoch {chosen}: training accuracy {accuracy:.1%}")
        if marker is not None:
            marker.set_xdata([chosen, chosen])
            at = min(chosen, costs.size - 1)
            cost_title.set_text(f"training cost {costs[at]:.3f} (log C = {np.log(C):.2f})")
        return {"accuracy": accuracy, "labels": grid_labels.reshape(resolution, resolution),
                "confidence": confidence.reshape(resolution, resolution)}

    start = epochs[0] if epoch is None else epoch
    slider = widgets.SelectionSlider(options=epochs, value=max([e for e in epochs if e <= start], default=epochs[0]),
                                     description="epoch", style=STYLE, layout=widgets.Layout(width="500px"))
    # Only the regions, the titles and the marker are redrawn; the points and the frame are pasted above.
    animated = [image, title] + ([] if marker is None else [marker, cost_title])
    return BlitExplorer({"epoch": slider}, callback, figure, animated, overlay=[points, *ax.spines.values()])
