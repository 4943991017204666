"""Notebook 03 (initialization and regularization): explorers of the initial weights' scale and of dropout and L2.

* :func:`initialization_scale_explorer`: the scale of the initial weights of a deep tanh or
  ReLU network against the distribution of each layer's activations and the size of the
  activations and gradients layer by layer (:func:`deep_signal_statistics`).
* :func:`dropout_l2_explorer`: dropout ``keep_prob`` and L2 ``lambd`` sliders (L2 on a
  scale from none to far too much); each change retrains a small network with
  :func:`train_regularized_network` and shows train/dev accuracy and the decision boundary.

Shapes: ``X`` (n0, m), ``Y`` (1, m) 0/1 labels, examples as columns.
"""
from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from dlcore.data import make_rng, moons
from dlcore.initialization import initialize_parameters_deep
from dlcore.network import Network
from dlcore.plots import CLASS_COLORS, class_labels, decision_grid, plot_decision_boundary
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, in_slices, new_figure, region_colors, train_binary_network

__all__ = ['deep_signal_statistics', 'initialization_scale_explorer', 'overfitting_data', 'train_regularized_network', 'L2_STEPS', 'dropout_l2_explorer']


def deep_signal_statistics(gain: float, activation: str = "tanh", *, num_layers: int = 10, width: int = 50,
                           m: int = 100, seed: int = 0) -> dict:
    """Activations and gradients through a deep, bias-free network with weights ``gain * N(0, 1/n[l-1])``.

    The inputs are ``N(0, 1)``, (width, m); each layer computes ``A[l] = g(W[l] A[l-1])`` with
    ``g`` = ``"tanh"``, ``"relu"`` or ``"linear"``; a random ``N(0, 1)`` gradient at the top is
    sent back with ``dA[l-1] = W[l]^T (dA[l] * g'(Z[l]))``. ``gain = 1`` is LeCun's scale
    (and Xavier's here, where n[l-1] = n[l]); ``gain = sqrt(2)`` is He's. The draws depend only
    on ``seed``, so two gains differ only by the scale of the weights.
    Returns ``{"A": [A[1], ..., A[L]], "dA": [dA[1], ..., dA[L]], "A_std", "dA_std"}``
    (std of each layer's values, arrays of length L).
    """
    if activation not in ("tanh", "relu", "linear"):
        raise ValueError(f"`activation` must be 'tanh', 'relu' or 'linear'; got {activation!r}.")
    rng = make_rng(seed=seed)
    X = rng.standard_normal((width, m))
    Ws = [gain * rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(num_layers)]
    top = rng.standard_normal((width, m))
    g = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}[activation]
    slope = {"tanh": lambda z, a: 1.0 - a * a, "relu": lambda z, a: (z > 0).astype(np.float64),
             "linear": lambda z, a: np.ones_like(z)}[activation]
    As, Zs, A = [], [], X
    with np.errstate(over="ignore", invalid="ignore"):
        for W in Ws:
            Z = W @ A
            A = g(Z)
            Zs.append(Z)
            As.append(A)
        dAs, dA = [top], top
        for W, Z, A in zip(Ws[:0:-1], Zs[:0:-1], As[:0:-1]):  # layers L .. 2 give dA[L-1] .. dA[1]
            dA = W.T @ (dA * slope(Z, A))
            dAs.append(dA)
    dAs = dAs[::-1]
    return {"A": As, "dA": dAs, "A_std": np.array([float(np.std(a)) for a in As]),
            "dA_std": np.array([float(np.std(d)) for d in dAs])}


def initialization_scale_explorer(*, gain: float = 1.0, activation: str = "tanh", num_layers: int = 10,
                                  width: int = 50, m: int = 100, seed: int = 0) -> BlitExplorer:
    """How the scale of the initial weights shapes the activations and gradients of a deep network.

    A slider sets ``gain``, the weights' standard deviation times ``sqrt(n[l-1])`` (LeCun
    and Xavier: 1, He: sqrt(2)), on a log scale from 1/4 to 4; buttons pick tanh or ReLU.
    Left: the distribution of each layer's activations, one row per layer (for ReLU, of
    log10 of the positive activations: the zeros, about half the units, are left out).
    Right: the standard deviation of the activations (forward) and of the gradients dA
    (backward) layer by layer, on a log scale. See :func:`deep_signal_statistics`.
    Callback: ``gain, activation`` -> the dict of :func:`deep_signal_statistics`.
    """
    # tanh: the values themselves, in [-1, 1]; ReLU: log10 of the positive values, which
    # shows a scale that shrinks or grows by a constant factor per layer as a steady drift.
    windows = {"tanh": (-1.0, 1.0), "relu": (-8.0, 6.0)}
    xlabels = {"tanh": "activation value A[l]", "relu": "log10 of the positive activations A[l]"}
    bins = 60
    figure, (ax_hist, ax_std) = new_figure(8.4, 3.6, ncols=2)
    image = ax_hist.imshow(np.zeros((num_layers, bins)), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                           interpolation="nearest", extent=(-1, 1, num_layers + 0.5, 0.5))
    ax_hist.set_ylabel("layer l")
    ax_hist.set_xlabel("activation value A[l]")
    ax_hist.set_yticks(range(1, num_layers + 1))
    layers = np.arange(1, num_layers + 1)
    ax_std.axhline(1.0, color="0.6", linewidth=1, linestyle=":")
    (a_line,) = ax_std.plot(layers, np.ones(num_layers), marker="o", markersize=4, label="std of A[l] (forward)")
    (d_line,) = ax_std.plot(layers, np.ones(num_layers), marker="s", markersize=4, label="std of dA[l] (backward)")
    ax_std.set_yscale("log")
    ax_std.set_ylim(1e-8, 1e6)
    ax_std.set_xlim(0.5, num_layers + 0.5)
    ax_std.set_xticks(range(1, num_layers + 1))
    ax_std.set_xlabel("layer l")
    ax_std.legend(loc="upper left", fontsize=8)
    ax_std.grid(alpha=0.3)
    title = ax_hist.set_title(" ")
    std_title = ax_std.set_title(" ")

    def callback(gain: float, activation: str) -> dict:
        stats = deep_signal_statistics(gain, activation, num_layers=num_layers, width=width, m=m, seed=seed)
        low, high = windows[activation]
        rows = np.zeros((num_layers, bins))
        for l, A in enumerate(stats["A"]):
            values = np.log10(A[A > 0]) if activation == "relu" else A.ravel()
            values = np.clip(values[np.isfinite(values)], low, high)
            counts, _ = np.histogram(values, bins=bins, range=(low, high))
            rows[l] = counts / max(counts.max(), 1)
        image.set_data(rows)
        image.set_extent((low, high, num_layers + 0.5, 0.5))
        ax_hist.set_xlim(low, high)
        ax_hist.set_xlabel(xlabels[activation])
        a_line.set_ydata(np.clip(stats["A_std"], 1e-30, 1e30))
        d_line.set_ydata(np.clip(stats["dA_std"], 1e-30, 1e30))
        name = {1.0: " (LeCun, Xavier)", round(np.sqrt(2), 2): " (He)"}.get(round(gain, 2), "")
        title.set_text(f"{activation}, gain {gain:.2f}{name}")
        std_title.set_text(f"std A[{num_layers}] = {stats['A_std'][-1]:.1e},  std dA[1] = {stats['dA_std'][0]:.1e}")
        return stats

    controls = {
        "gain": widgets.FloatLogSlider(value=gain, base=2, min=-2, max=2, step=0.25, description="gain",
                                       readout_format=".2f", continuous_update=False, style=STYLE),
        "activation": widgets.ToggleButtons(options=["tanh", "relu"], value=activation, description="activation",
                                            style=STYLE),
    }
    return BlitExplorer(controls, callback, figure, [image, a_line, d_line, title, std_title])


def overfitting_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A small noisy training set (easy to overfit) and a larger dev set from the same source.

    Returns ``(X, Y, X_dev, Y_dev)``: (2, 80), (1, 80), (2, 200), (1, 200) two-moons points and 0/1 labels.
    """
    X, Y = moons(m=280, noise=0.3, seed=seed)
    return X[:, :80], Y[:, :80], X[:, 80:], Y[:, 80:]


def _hidden_relu_logits(parameters: dict[str, np.ndarray], points: np.ndarray) -> np.ndarray:
    """``Z[L]`` (1, k) of ``[LINEAR -> RELU] x (L-1) -> LINEAR`` at ``points`` (n0, k): > 0 for class 1."""
    L = len(parameters) // 2
    A = points
    for l in range(1, L):
        A = np.maximum(parameters[f"W{l}"] @ A + parameters[f"b{l}"], 0.0)
    return parameters[f"W{L}"] @ A + parameters[f"b{L}"]


def train_regularized_network(
    X: np.ndarray,
    Y: np.ndarray,
    X_dev: np.ndarray,
    Y_dev: np.ndarray,
    layer_dims: Sequence[int],
    *,
    keep_prob: float = 1.0,
    lambd: float = 0.0,
    num_epochs: int = 150,
    learning_rate: float = 0.03,
    record_every: int = 5,
    seed: int = 0,
) -> dict:
    """Full-batch Adam on ``[LINEAR -> RELU -> DROPOUT] x (L-1) -> LINEAR -> SIGMOID`` with L2.

    The algorithm of :func:`dlcore.train.train` with ``optimizer="adam"`` and no mini-batches
    (He initialisation and dropout masks drawn from ``np.random.default_rng(seed)`` in the
    same order, ``dZ[L] = AL - Y``, ``dW += (lambd / m) W``), run by the training loop shared
    with :func:`train_batchnorm_network`, so that a slider can retrain a small network in
    tens of milliseconds.
    X, Y : training data (n0, m) and (1, m) 0/1 labels; X_dev, Y_dev : the dev set.
    Returns ``{"parameters", "predict", "epochs", "train_acc", "dev_acc", "weight_norm"}``: the
    trained ``{"W1", "b1", ...}``, a function giving the 0/1 predictions (1, k) for points
    (n0, k), and every ``record_every`` epochs the epoch number, the accuracies
    (dropout off) and ``sum_l ||W{l}||_F^2``.
    """
    dims = [int(n) for n in layer_dims]
    X, X_dev = as_array(X, "X", ndim=2), as_array(X_dev, "X_dev", ndim=2)
    Y, Y_dev = as_array(Y, "Y", ndim=2), as_array(Y_dev, "Y_dev", ndim=2)
    rng = make_rng(seed=seed)
    init = initialize_parameters_deep(dims, "he", rng)
    weights = [f"W{l}" for l in range(1, len(dims))]
    history: dict = {"epochs": [], "train_acc": [], "dev_acc": [], "weight_norm": []}

    def record(t: int, net: Network) -> None:
        if t % record_every == 0 or t == num_epochs:
            p = net.parameters
            history["epochs"].append(t)
            history["train_acc"].append(float(np.mean((_hidden_relu_logits(p, X) > 0) == (Y > 0.5))))
            history["dev_acc"].append(float(np.mean((_hidden_relu_logits(p, X_dev) > 0) == (Y_dev > 0.5))))
            history["weight_norm"].append(float(sum(np.sum(p[key] * p[key]) for key in weights)))

    run = train_binary_network(X, Y, init, optimizer="adam", learning_rate=learning_rate, num_iterations=num_epochs,
                                keep_prob=keep_prob, lambd=lambd, rng=rng, after_step=record, with_costs=False)
    parameters = {key: value.copy() for key, value in run["net"].parameters.items()}

    def predict(inputs: np.ndarray) -> np.ndarray:
        return _hidden_relu_logits(parameters, inputs) > 0  # sigmoid(z) > 0.5

    return {"parameters": parameters, "predict": predict, **{k: np.array(v) for k, v in history.items()}}


#: L2 strengths of the slider of :func:`dropout_l2_explorer`: from none to too much.
L2_STEPS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def dropout_l2_explorer(
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    *,
    layer_dims: Sequence[int] = (2, 30, 30, 1),
    num_epochs: int = 150,
    learning_rate: float = 0.03,
    keep_prob: float = 1.0,
    lambd: float = 0.0,
    resolution: int = 50,
    seed: int = 0,
) -> BlitExplorer:
    """Sliders for dropout's ``keep_prob`` and L2's ``lambd``; each change retrains the network.

    X, Y, X_dev, Y_dev : binary data (default: 80 noisy two-moons points to train on, 200 to
    evaluate, which a big network overfits). The network is retrained from the same
    initialisation with :func:`train_regularized_network`, so only the regularisation
    changes. Left: the decision regions, the training points (large) and the dev points
    (small). Right: train and dev accuracy during training.
    Callback: ``keep_prob, lambd`` -> ``{"train_acc", "dev_acc", "weight_norm", "history"}``.
    """
    if X is None or Y is None or X_dev is None or Y_dev is None:
        X, Y, X_dev, Y_dev = overfitting_data(seed)
    X, X_dev = as_array(X, "X", ndim=2), as_array(X_dev, "X_dev", ndim=2)
    Y, Y_dev = as_array(Y, "Y", ndim=2), as_array(Y_dev, "Y_dev", ndim=2)
    all_X = np.concatenate([X, X_dev], axis=1)

    figure, (ax_boundary, ax_acc) = new_figure(8.4, 3.6, ncols=2)
    plot_decision_boundary(lambda P: np.zeros(P.shape[1]), all_X, np.concatenate([Y, Y_dev], axis=1), ax=ax_boundary,
                           resolution=resolution)
    ax_boundary.collections[0].remove()  # the frame and the region image only; points below
    image = ax_boundary.images[0]
    colors_of_regions = region_colors(image)
    colors = np.array(CLASS_COLORS[:2])
    dev_points = ax_boundary.scatter(X_dev[0], X_dev[1], c=colors[class_labels(Y_dev)], s=5, alpha=0.5)
    train_points = ax_boundary.scatter(X[0], X[1], c=colors[class_labels(Y)], s=20, edgecolors="k", linewidths=0.6)
    (train_line,) = ax_acc.plot([], [], color="C0", label="train")
    (dev_line,) = ax_acc.plot([], [], color="C1", label="dev")
    ax_acc.set_xlim(0, num_epochs)
    ax_acc.set_ylim(0.45, 1.02)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (dropout off)")
    acc_legend = ax_acc.legend(loc="lower right")
    ax_acc.grid(alpha=0.3)
    title = ax_boundary.set_title(" ")
    acc_title = ax_acc.set_title(" ")

    def callback(keep_prob: float, lambd: float) -> dict:
        run = train_regularized_network(X, Y, X_dev, Y_dev, layer_dims, keep_prob=keep_prob, lambd=lambd,
                                        num_epochs=num_epochs, learning_rate=learning_rate, seed=seed)
        _, _, labels = decision_grid(in_slices(run["predict"]), all_X, resolution)
        image.set_data(colors_of_regions[labels])
        train_line.set_data(run["epochs"], run["train_acc"])
        dev_line.set_data(run["epochs"], run["dev_acc"])
        train_acc, dev_acc = float(run["train_acc"][-1]), float(run["dev_acc"][-1])
        title.set_text(f"keep_prob {keep_prob:.2f}, lambd {lambd:g}: sum W^2 = {run['weight_norm'][-1]:.0f}")
        acc_title.set_text(f"train {train_acc:.1%}, dev {dev_acc:.1%}")
        return {"train_acc": train_acc, "dev_acc": dev_acc, "weight_norm": float(run["weight_norm"][-1]),
                "history": run}

    steps = sorted(set(L2_STEPS) | {float(lambd)})
    controls = {
        "keep_prob": widgets.FloatSlider(value=keep_prob, min=0.3, max=1.0, step=0.05, description="keep_prob",
                                         continuous_update=False, style=STYLE),
        "lambd": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in steps], value=float(lambd),
                                         description="lambd (L2)", continuous_update=False, style=STYLE),
    }
    animated = [image, train_line, dev_line, title, acc_title]
    overlay = [dev_points, train_points, *ax_boundary.spines.values(), acc_legend]  # above the regions and curves
    return BlitExplorer(controls, callback, figure, animated, overlay=overlay)
