"""Interactive explorations for the notebooks (ipywidgets + matplotlib), each a real computation.

* :func:`learning_rate_explorer`: cost curves of gradient descent, from a learning rate
  that is too small to one that diverges (can run the student's own functions).
* :func:`ewa_explorer`: exponentially weighted averages of a noisy series for a slider
  of beta, with and without bias correction.
* :func:`optimizer_paths_explorer`: the paths of GD, momentum, RMSprop and Adam on a
  2-D loss surface, with sliders for the learning rate and the betas.
* :func:`regularization_explorer`: dropout ``keep_prob`` and L2 ``lambd`` sliders that
  retrain a small network and show train/dev accuracy and the decision boundary.
* :func:`threshold_explorer`: a classification threshold slider and the
  precision/recall trade-off.

Each function returns an :class:`Explorer`: an ``ipywidgets.VBox`` (controls above the
figure) that shows itself when it is the last expression of a cell. Its ``callback`` is a
plain function, called with the controls' values as keyword arguments, that recomputes,
updates the artists of ``explorer.figure`` and returns what it computed as a dict; it
needs no browser, so tests and benchmarks call it directly::

    explorer = ewa_explorer()
    explorer.callback(beta=0.98)        # what moving the slider does, minus the display

How the figure is shown (works with the default ``%matplotlib inline``, no ipympl
needed): each explorer owns one ``matplotlib.figure.Figure``, created once and not
registered with pyplot (so it is neither shown twice nor leaked). A control change
calls ``callback``, which updates the existing artists (line data, image data, texts);
the figure is then rendered once to PNG and put in the explorer's ``Output`` widget,
replacing the previous picture.
"""
from __future__ import annotations

import io
import warnings
from typing import Callable, Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlcore.data import flower, make_rng, moons
from dlcore.initialization import initialize_parameters_deep
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, update_parameters
from dlcore.optim import (
    exponentially_weighted_average,
    initialize_adam,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from dlcore.plots import CLASS_COLORS, class_labels, decision_grid, plot_decision_boundary, plot_loss_surface_paths
from dlcore.strategy import confusion_matrix, precision_recall_f1
from dlcore.train import train
from dlcore.validation import as_array

__all__ = [
    "Explorer",
    "learning_rate_explorer",
    "gradient_descent_costs",
    "ewa_explorer",
    "optimizer_paths_explorer",
    "optimizer_paths",
    "elongated_bowl",
    "regularization_explorer",
    "threshold_explorer",
]

_STYLE = {"description_width": "initial"}


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


class Explorer(widgets.VBox):
    """Controls above a figure; changing a control runs ``callback`` and shows the new figure.

    controls : dict ``name -> ipywidgets`` value widget; ``name`` is the keyword under
        which its value is passed to ``callback``.
    callback : plain function ``callback(**values) -> dict`` that updates the artists of
        ``figure`` and returns what it computed.
    figure : the ``matplotlib.figure.Figure`` the callback draws on.

    After each change, ``result`` holds the callback's return value.
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], callback: Callable[..., dict], figure: Figure):
        output = widgets.Output()
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, output])
        self.controls = dict(controls)
        self.callback = callback
        self.figure = figure
        self.output = output
        self.result: dict = {}
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.result = self.callback(**self.values())
        # Lay the figure out once (constrained layout), then freeze it: the axes keep their
        # place and every later redraw skips the layout pass, which would double its cost.
        figure.draw_without_rendering()
        figure.set_layout_engine(None)
        self._show()

    def values(self) -> dict:
        """Current values of the controls, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> dict:
        """Run the callback with the current values and show the figure."""
        self.result = self.callback(**self.values())
        self._show()
        return self.result

    def render_png(self) -> bytes:
        """The figure as PNG bytes (what is shown in the notebook)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi="figure")
        return buffer.getvalue()

    def close(self) -> None:
        """Close the controls and the output too (ipywidgets keeps open widgets alive)."""
        row, output = self.children
        for child in [*row.children, row, output]:
            child.close()
        super().close()

    def _on_change(self, change) -> None:
        # In a notebook, an error in the callback (say, in the student's own function) is
        # shown in the output area under the controls instead of being lost in a log.
        with self.output:
            self.refresh()

    def _show(self) -> None:
        if not _in_ipython():  # plain Python (tests, benchmarks): nothing to display into
            return
        from IPython.display import Image, clear_output, display

        with self.output:
            clear_output(wait=True)
            display(Image(data=self.render_png(), format="png"))


def _new_figure(width: float, height: float, ncols: int = 1):
    # 80 dpi keeps the PNG small and quick to draw; savefig uses the same dpi, which lets
    # matplotlib reuse its cached text layouts from one redraw to the next.
    figure = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)  # a canvas of its own: its renderer (and text cache) is reused
    axes = figure.subplots(1, ncols)
    return figure, axes


# ----------------------------------------------------------------- learning rate


def gradient_descent_costs(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: dict[str, np.ndarray],
    learning_rate: float,
    num_iterations: int,
    *,
    forward: Callable = model_forward,
    backward: Callable = model_backward,
    update: Callable = update_parameters,
    cost: Callable = compute_cost,
) -> tuple[np.ndarray, bool]:
    """Cost before each of ``num_iterations`` steps of gradient descent.

    forward(X, parameters) -> (AL, caches); backward(AL, Y, caches) -> grads;
    update(parameters, grads, learning_rate) -> parameters; cost(AL, Y) -> float. By
    default the dlcore functions of notebooks 01-02; a notebook passes its own.
    Returns ``(costs, diverged)``: costs (num_iterations,) float64, NaN after the point
    where the cost stopped being finite (training stops there), and whether that happened.

    >>> from dlcore.data import moons
    >>> X, Y = moons(m=50, seed=0)
    >>> p = initialize_parameters_deep([2, 4, 1], "he", np.random.default_rng(0))
    >>> costs, diverged = gradient_descent_costs(X, Y, p, 0.1, 20)
    >>> costs.shape, diverged
    ((20,), False)
    """
    costs = np.full(num_iterations, np.nan)
    diverged = False
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(num_iterations):
            try:
                AL, caches = forward(X, parameters)
                c = float(cost(AL, Y))
                if not np.isfinite(c):
                    diverged = True
                    break
                costs[i] = c
                parameters = update(parameters, backward(AL, Y, caches), learning_rate)
            except (ValueError, FloatingPointError, OverflowError):
                # A check refusing NaN/inf values is divergence; on healthy numbers it is a bug.
                if i == 0 or all(np.isfinite(v).all() for v in parameters.values()):
                    raise
                diverged = True
                break
    return costs, diverged


def learning_rate_explorer(
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    layer_dims: Sequence[int] | None = None,
    *,
    parameters: dict[str, np.ndarray] | None = None,
    forward: Callable | None = None,
    backward: Callable | None = None,
    update: Callable | None = None,
    cost: Callable | None = None,
    num_iterations: int = 200,
    learning_rate: float = 0.1,
    lr_range: tuple[float, float] = (1e-4, 100.0),
    reference_rates: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0),
    seed: int = 0,
) -> Explorer:
    """Gradient descent's cost curve for a log-scale slider of learning rates.

    X, Y : data (default: 200 two-moons points).  layer_dims : network (default
    ``[2, 16, 1]``), initialised with He's method unless ``parameters`` are given.
    forward, backward, update, cost : the student's own functions, with the signatures of
    :func:`gradient_descent_costs` (default: the dlcore reference).
    reference_rates : learning rates drawn once, in grey, for comparison.
    Callback: ``learning_rate`` -> ``{"costs", "diverged"}``.
    """
    if X is None or Y is None:
        X, Y = moons(m=200, noise=0.2, seed=seed)
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    if parameters is None:
        dims = list(layer_dims) if layer_dims is not None else [X.shape[0], 16, 1]
        parameters = initialize_parameters_deep(dims, "he", make_rng(seed=seed))
    functions = dict(
        forward=forward or model_forward,
        backward=backward or model_backward,
        update=update or update_parameters,
        cost=cost or compute_cost,
    )

    def run(lr: float):
        return gradient_descent_costs(X, Y, parameters, lr, num_iterations, **functions)

    figure, ax = _new_figure(7.0, 4.0)
    iterations = np.arange(num_iterations)
    for lr in reference_rates:
        costs, _ = run(lr)
        ax.plot(iterations, costs, color="0.75", linewidth=1)
        last = np.flatnonzero(np.isfinite(costs))[-1]
        ax.annotate(f"{lr:g}", (iterations[last], costs[last]), fontsize=8, color="0.5",
                    xytext=(2, 0), textcoords="offset points", va="center")
    (line,) = ax.plot(iterations, np.full(num_iterations, np.nan), color="C3", linewidth=2.2)
    ax.set_yscale("log")
    ax.set_xlim(0, num_iterations * 1.08)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
    title = ax.set_title("")

    def callback(learning_rate: float) -> dict:
        costs, diverged = run(learning_rate)
        line.set_ydata(costs)
        finite = costs[np.isfinite(costs)]
        if ax.get_autoscaley_on() and finite.size:  # first call: fix the y range once
            ax.set_ylim(min(1e-2, 0.1 * finite[0]), 30 * finite[0])
        if finite.size == 0:
            verdict = "the cost is not finite from the start"
        elif diverged:
            verdict = f"diverged after {finite.size} iterations"
        elif finite[-1] > finite[0]:
            verdict = f"cost went up: {finite[0]:.3f} -> {finite[-1]:.3f}"
        else:
            verdict = f"cost {finite[0]:.3f} -> {finite[-1]:.3f}"
        title.set_text(f"learning rate {learning_rate:.3g}: {verdict}")
        return {"costs": costs, "diverged": diverged}

    low, high = np.log10(lr_range[0]), np.log10(lr_range[1])
    slider = widgets.FloatLogSlider(value=learning_rate, base=10, min=low, max=high, step=0.05,
                                    description="learning rate", readout_format=".3g", continuous_update=False,
                                    style=_STYLE, layout=widgets.Layout(width="500px"))
    return Explorer({"learning_rate": slider}, callback, figure)


# --------------------------------------------------------------------------- EWA


def _noisy_series(T: int, seed: int) -> np.ndarray:
    """A year-like noisy series ("daily temperatures"): a slow wave plus Gaussian noise."""
    rng = make_rng(seed=seed)
    days = np.arange(T)
    return 12.0 + 9.0 * np.sin(2 * np.pi * (days - 40) / 365.0) + 3.5 * rng.standard_normal(T)


def ewa_explorer(values: np.ndarray | None = None, *, beta: float = 0.9, T: int = 200, seed: int = 0) -> Explorer:
    """Exponentially weighted averages of a noisy series, with and without bias correction.

    values : (T,) series (default: T noisy "daily temperatures").
    Callback: ``beta`` -> ``{"corrected", "uncorrected"}`` arrays.
    """
    values = _noisy_series(T, seed) if values is None else as_array(values, "values", ndim=1)
    t = np.arange(1, values.size + 1)
    figure, ax = _new_figure(7.0, 3.8)
    ax.plot(t, values, linestyle="none", marker=".", markersize=4, color="0.6", label="data")
    (corrected,) = ax.plot(t, values, color="C0", linewidth=2, label="with bias correction")
    (uncorrected,) = ax.plot(t, values, color="C1", linewidth=2, linestyle="--", label="without bias correction")
    ax.set_xlabel("t")
    ax.set_ylabel("value")
    ax.legend(loc="lower right")
    title = ax.set_title("")

    def callback(beta: float) -> dict:
        v_corrected = exponentially_weighted_average(values, beta, bias_correction=True)
        v_raw = exponentially_weighted_average(values, beta, bias_correction=False)
        corrected.set_ydata(v_corrected)
        uncorrected.set_ydata(v_raw)
        title.set_text(f"beta = {beta:.3f}: each average covers about 1/(1-beta) = {1 / (1 - beta):.0f} values")
        return {"corrected": v_corrected, "uncorrected": v_raw}

    slider = widgets.FloatSlider(value=beta, min=0.0, max=0.995, step=0.005, description="beta",
                                 readout_format=".3f", style=_STYLE, layout=widgets.Layout(width="500px"))
    return Explorer({"beta": slider}, callback, figure)


# ------------------------------------------------------------- optimizer paths

#: Curvatures of :func:`elongated_bowl` along w1 and w2 (a valley 20 times steeper across than along).
_BOWL = (0.1, 2.0)


def elongated_bowl(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The loss ``0.5 (0.1 w1^2 + 2 w2^2)``: a long, narrow valley with its minimum at (0, 0).

    Gradient descent zig-zags across it and crawls along it, the textbook case for
    momentum and for per-coordinate step sizes (RMSprop, Adam).
    """
    return 0.5 * (_BOWL[0] * np.square(w1) + _BOWL[1] * np.square(w2))


def _elongated_bowl_gradient(w: np.ndarray) -> np.ndarray:
    return np.array(_BOWL) * w


def optimizer_paths(
    learning_rate: float,
    beta: float = 0.9,
    beta2: float = 0.999,
    num_steps: int = 50,
    *,
    start: Sequence[float] = (-9.0, 2.5),
    gradient: Callable[[np.ndarray], np.ndarray] = _elongated_bowl_gradient,
    epsilon: float = 1e-8,
) -> dict[str, np.ndarray]:
    """Paths of GD, momentum, RMSprop and Adam on a 2-D loss, with the dlcore update functions.

    The point ``(w1, w2)`` is the weight matrix ``W1`` (1, 2) of a one-layer "network"
    (``b1`` stays 0), so the course's update functions apply unchanged. ``beta`` is
    momentum's beta and Adam's beta1; ``beta2`` is RMSprop's and Adam's.
    gradient : maps a point (2,) to the gradient (2,) of the loss.
    Returns ``{name: (num_steps + 1, 2) array}``; a path that blows up past 1e6 stops there
    (the rest is NaN).

    >>> paths = optimizer_paths(0.1, num_steps=5)
    >>> sorted(paths), paths["Adam"].shape
    (['Adam', 'GD', 'RMSprop', 'momentum'], (6, 2))
    """
    names = ("GD", "momentum", "RMSprop", "Adam")
    paths = {name: np.full((num_steps + 1, 2), np.nan) for name in names}
    for name in names:
        parameters = {"W1": np.array([start], dtype=np.float64), "b1": np.zeros((1, 1))}
        v, s = initialize_adam(parameters)  # zero moments (momentum uses v, RMSprop s)
        paths[name][0] = parameters["W1"][0]
        with np.errstate(all="ignore"):
            for t in range(1, num_steps + 1):
                g = gradient(parameters["W1"][0])
                grads = {"dW1": g[None, :], "db1": np.zeros((1, 1))}
                if name == "GD":
                    parameters = update_parameters(parameters, grads, learning_rate)
                elif name == "momentum":
                    parameters, v = update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)
                elif name == "RMSprop":
                    parameters, s = update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate,
                                                                   epsilon)
                else:
                    parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, t, learning_rate,
                                                                   beta, beta2, epsilon)
                point = parameters["W1"][0]
                if not np.all(np.abs(point) < 1e6):
                    break
                paths[name][t] = point
    return paths


def optimizer_paths_explorer(*, learning_rate: float = 0.3, beta: float = 0.9, beta2: float = 0.99,
                             num_steps: int = 50) -> Explorer:
    """GD, momentum, RMSprop and Adam on :func:`elongated_bowl`, with sliders.

    Callback: ``learning_rate, beta, beta2, num_steps`` -> ``{"paths", "final_loss"}``.
    """
    figure, ax = _new_figure(7.5, 4.5)
    empty = {name: np.zeros((1, 2)) for name in ("GD", "momentum", "RMSprop", "Adam")}
    plot_loss_surface_paths(elongated_bowl, empty, ax=ax, xlim=(-10, 3), ylim=(-3.5, 3.5), minimum=(0, 0))
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in empty}
    legend_texts = dict(zip(empty, ax.get_legend().get_texts()))
    title = ax.set_title("")

    def callback(learning_rate: float, beta: float, beta2: float, num_steps: int) -> dict:
        paths = optimizer_paths(learning_rate, beta, beta2, num_steps)
        final_loss = {}
        for name, path in paths.items():
            lines[name].set_data(path[:, 0], path[:, 1])
            finite = path[np.all(np.isfinite(path), axis=1)]
            final_loss[name] = float(elongated_bowl(*finite[-1])) if len(finite) == len(path) else float("inf")
            legend_texts[name].set_text(f"{name}: loss {final_loss[name]:.2g}")
        title.set_text(f"{num_steps} steps, learning rate {learning_rate:.3g}")
        return {"paths": paths, "final_loss": final_loss}

    controls = {
        "learning_rate": widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=0.5, step=0.05,
                                                description="learning rate", readout_format=".3g", style=_STYLE),
        "beta": widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="beta (beta1)",
                                    style=_STYLE),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001, description="beta2",
                                     readout_format=".3f", style=_STYLE),
        "num_steps": widgets.IntSlider(value=num_steps, min=5, max=200, step=5, description="steps", style=_STYLE),
    }
    return Explorer(controls, callback, figure)


# --------------------------------------------------------------- regularization


def _overfitting_data(seed: int):
    """A small noisy training set (easy to overfit) and a larger dev set from the same source."""
    X, Y = moons(m=280, noise=0.3, seed=seed)
    return X[:, :80], Y[:, :80], X[:, 80:], Y[:, 80:]


def regularization_explorer(
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    *,
    layer_dims: Sequence[int] = (2, 40, 40, 1),
    num_epochs: int = 120,
    learning_rate: float = 0.05,
    keep_prob: float = 1.0,
    lambd: float = 0.0,
    resolution: int = 80,
    seed: int = 0,
) -> Explorer:
    """Retrain a network for each ``keep_prob`` / ``lambd`` and show the decision boundary.

    X, Y, X_dev, Y_dev : binary data (default: 80 noisy two-moons points to train on, 200
    to evaluate). The network ``layer_dims`` is trained with Adam, full batch, the same
    seed each time, so only the regularisation changes between two runs.
    Callback: ``keep_prob, lambd`` -> ``{"result", "train_acc", "dev_acc"}``.
    """
    if X is None or Y is None or X_dev is None or Y_dev is None:
        X, Y, X_dev, Y_dev = _overfitting_data(seed)
    X, X_dev = as_array(X, "X", ndim=2), as_array(X_dev, "X_dev", ndim=2)
    all_X = np.concatenate([X, X_dev], axis=1)

    figure, (ax_boundary, ax_acc) = _new_figure(9.0, 4.0, ncols=2)
    plot_decision_boundary(lambda P: np.zeros(P.shape[1]), all_X, np.concatenate([Y, Y_dev], axis=1), ax=ax_boundary,
                           resolution=resolution)
    ax_boundary.collections[0].remove()  # keep the frame, draw the training points only
    colors = np.array(CLASS_COLORS[:2])
    ax_boundary.scatter(X_dev[0], X_dev[1], c=colors[class_labels(Y_dev)], s=6, alpha=0.4, label="dev")
    ax_boundary.scatter(X[0], X[1], c=colors[class_labels(Y)], s=22, edgecolors="k", linewidths=0.6,
                        label="train")
    ax_boundary.legend(loc="lower left", fontsize=8)
    image = ax_boundary.images[0]
    epochs = np.arange(num_epochs)
    (train_line,) = ax_acc.plot(epochs, np.full(num_epochs, np.nan), label="train")
    (dev_line,) = ax_acc.plot(epochs, np.full(num_epochs, np.nan), label="dev")
    ax_acc.set_xlim(0, num_epochs)
    ax_acc.set_ylim(0.5, 1.01)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend(loc="lower right")
    title = ax_boundary.set_title("")
    acc_title = ax_acc.set_title("")

    def callback(keep_prob: float, lambd: float) -> dict:
        result = train(X, Y, list(layer_dims), optimizer="adam", learning_rate=learning_rate, num_epochs=num_epochs,
                       keep_prob=keep_prob, lambd=lambd, X_dev=X_dev, Y_dev=Y_dev, seed=seed, progress=False)
        _, _, labels = decision_grid(result.predict, all_X, resolution)
        image.set_data(labels)
        train_line.set_ydata(result.history["train_acc"])
        dev_line.set_ydata(result.history["dev_acc"])
        train_acc, dev_acc = result.history["train_acc"][-1], result.history["dev_acc"][-1]
        title.set_text(f"keep_prob {keep_prob:.2f}, lambd {lambd:.2g}")
        acc_title.set_text(f"train {train_acc:.1%}, dev {dev_acc:.1%}")
        return {"result": result, "train_acc": train_acc, "dev_acc": dev_acc}

    controls = {
        "keep_prob": widgets.FloatSlider(value=keep_prob, min=0.3, max=1.0, step=0.05, description="keep_prob",
                                         continuous_update=False, style=_STYLE),
        "lambd": widgets.FloatSlider(value=lambd, min=0.0, max=3.0, step=0.05, description="lambd (L2)",
                                     continuous_update=False, style=_STYLE),
    }
    return Explorer(controls, callback, figure)


# -------------------------------------------------------------------- threshold


def _scores_and_labels(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dev-set probabilities of a small network trained on the (overlapping) flower data."""
    X, Y = flower(m=600, noise=0.35, seed=seed)
    result = train(X[:, :400], Y[:, :400], [2, 8, 1], learning_rate=0.02, num_epochs=300, seed=seed,
                   progress=False)
    return result.predict_proba(X[:, 400:])[0], Y[0, 400:]


def threshold_explorer(
    y_true: np.ndarray | None = None, scores: np.ndarray | None = None, *, threshold: float = 0.5, seed: int = 0
) -> Explorer:
    """Precision, recall and F1 as the classification threshold moves.

    y_true : (m,) 0/1 labels.  scores : (m,) predicted probabilities of class 1 (default:
    a small network's output on held-out flower data). An example is predicted positive
    when its score is above the threshold.
    Callback: ``threshold`` -> ``{"precision", "recall", "f1", "confusion"}``.
    """
    if y_true is None or scores is None:
        scores, y_true = _scores_and_labels(seed)
    scores = as_array(scores, "scores").ravel()
    y_true = np.asarray(y_true).ravel().astype(np.int64)
    thresholds = np.linspace(0.0, 1.0, 101)
    curves = np.array([precision_recall_f1(y_true, (scores > t).astype(int)) for t in thresholds])

    figure, (ax_curves, ax_pr) = _new_figure(9.0, 3.8, ncols=2)
    for k, name in enumerate(("precision", "recall", "F1")):
        ax_curves.plot(thresholds, curves[:, k], label=name)
    marker_line = ax_curves.axvline(threshold, color="k", linewidth=1)
    ax_curves.set_xlabel("threshold")
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
    title = ax_curves.set_title("")

    def callback(threshold: float) -> dict:
        y_pred = (scores > threshold).astype(np.int64)
        precision, recall, f1 = precision_recall_f1(y_true, y_pred)
        confusion = confusion_matrix(y_true, y_pred, 2)
        marker_line.set_xdata([threshold, threshold])
        point.set_data([recall], [precision])
        (tn, fp), (fn, tp) = confusion
        counts.set_text(f"TP {tp:4d}  FP {fp:4d}\nFN {fn:4d}  TN {tn:4d}")
        title.set_text(f"threshold {threshold:.2f}: precision {precision:.2f}, recall {recall:.2f}, F1 {f1:.2f}")
        return {"precision": precision, "recall": recall, "f1": f1, "confusion": confusion}

    slider = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description="threshold",
                                 style=_STYLE, layout=widgets.Layout(width="500px"))
    return Explorer({"threshold": slider}, callback, figure)
