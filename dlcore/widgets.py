"""Interactive explorations for the notebooks (ipywidgets + matplotlib), each a real computation.

* :func:`learning_rate_explorer`: cost curves of gradient descent, from a learning rate
  that is too small to one that diverges (can run the student's own functions).
* :func:`ewa_explorer`: exponentially weighted averages of a noisy series for a slider
  of beta, with and without bias correction.
* :func:`optimizer_paths_explorer`: the paths of GD, momentum, RMSprop and Adam on a
  2-D loss surface, with sliders for the learning rate and the betas.
* :func:`dropout_l2_explorer`: dropout ``keep_prob`` and L2 ``lambd`` sliders (L2 on a
  scale from none to far too much); each change retrains a small network with
  :func:`train_regularized_network` and shows train/dev accuracy and the decision boundary.
* :func:`initialization_scale_explorer`: the scale of the initial weights of a deep tanh or
  ReLU network against the distribution of each layer's activations and the size of the
  activations and gradients layer by layer (:func:`deep_signal_statistics`).
* :func:`threshold_explorer`: a classification threshold slider and the
  precision/recall trade-off.
* :func:`random_search_explorer`: random search for the learning rate, drawn on a log
  or a linear scale, against the dev cost measured by :func:`learning_rate_sweep`.
* :func:`softmax_temperature_explorer`: softmax of ``z / T`` for a temperature slider,
  from the hardmax to the uniform distribution.
* :func:`training_regions_explorer`: the decision regions of a multi-class network at
  the saved epochs of its training run (an epoch slider).
* :func:`batchnorm_learning_rate_explorer`: the same deep network trained with and
  without batch normalization, for a learning-rate slider (can run the student's own
  batch-norm functions); :func:`batchnorm_noise_explorer`: a mini-batch-size slider and
  the noise that batch statistics add to one example's normalised value.

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
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, update_running_averages
from dlcore.data import flower, make_rng, moons
from dlcore.data import spirals
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
from dlcore.softmax import model_backward_softmax, model_forward_softmax, one_hot, softmax, softmax_cross_entropy
from dlcore.strategy import confusion_matrix, precision_recall_f1, sample_log_uniform
from dlcore.train import _Network, _train_step, _Trainer, train
from dlcore.validation import as_array

__all__ = [
    "Explorer",
    "BlitExplorer",
    "learning_rate_explorer",
    "gradient_descent_costs",
    "ewa_explorer",
    "optimizer_paths_explorer",
    "optimizer_paths",
    "elongated_bowl",
    "train_regularized_network",
    "dropout_l2_explorer",
    "deep_signal_statistics",
    "initialization_scale_explorer",
    "threshold_explorer",
    "learning_rate_sweep",
    "random_search_explorer",
    "softmax_temperature_explorer",
    "softmax_training_snapshots",
    "training_regions_explorer",
    "train_batchnorm_network",
    "batchnorm_learning_rate_explorer",
    "minibatch_normalization_noise",
    "batchnorm_noise_explorer",
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


class BlitExplorer(Explorer):
    """An :class:`Explorer` that redraws only the artists its callback changes.

    animated : the artists the callback updates (lines, texts, images). Everything else
        (axes, ticks, labels, contours, legends) is drawn once into a cached background;
        a redraw pastes that background and draws only ``animated`` on top, which takes
        a few milliseconds where a full draw (mostly text) takes about a hundred. The
        background is drawn again whenever the figure size, an axes' position, limits or
        scale have changed since, so a callback may still rescale an axis.

    overlay : artists that do not change but must show above ``animated`` ones (the
        points of a scatter over decision regions, a legend over curves). They are drawn
        once, alone, into a transparent layer of the figure's size, which each redraw
        pastes on top: a fraction of a millisecond, where drawing a few hundred points
        takes several.

    The callback must only update ``animated`` artists (or axis limits); a change to any
    other artist shows only after the next change of limits.
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], callback: Callable[..., dict], figure: Figure,
                 animated: Sequence, overlay: Sequence = ()):
        self.animated = list(animated)
        self.overlay = list(overlay)
        for artist in self.animated + self.overlay:
            artist.set_animated(True)  # left out of full draws, so out of the background
        self._background = None
        self._background_key: tuple | None = None
        self._overlay_layer: np.ndarray | None = None
        super().__init__(controls, callback, figure)
        if self._background is None:  # nothing shown yet (plain Python): draw the background now, not on a slider move
            self._draw_background()

    def _draw_background(self) -> None:
        canvas = self.figure.canvas
        canvas.draw()  # everything but the animated and overlay artists
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._background_key = self._layout_key()
        self._overlay_layer = None
        if self.overlay:
            canvas.get_renderer().clear()  # transparent
            for artist in self.overlay:
                self.figure.draw_artist(artist)
            # Rows from the bottom up, as draw_image takes them.
            self._overlay_layer = np.array(canvas.buffer_rgba())[::-1]
            canvas.restore_region(self._background)

    def _layout_key(self) -> tuple:
        return (tuple(self.figure.bbox.bounds),) + tuple(
            (tuple(ax.get_position().bounds), tuple(ax.viewLim.bounds), ax.get_xscale(), ax.get_yscale())
            for ax in self.figure.axes)

    def render_png(self) -> bytes:
        """The figure as PNG bytes: the cached background plus the animated artists."""
        from PIL import Image

        canvas = self.figure.canvas
        if self._background is None or self._layout_key() != self._background_key:
            self._draw_background()
        else:
            canvas.restore_region(self._background)
        for artist in self.animated:
            self.figure.draw_artist(artist)
        if self._overlay_layer is not None:
            renderer = canvas.get_renderer()
            gc = renderer.new_gc()
            renderer.draw_image(gc, 0, 0, self._overlay_layer)
            gc.restore()
        buffer = io.BytesIO()
        # Fast compression: the picture is shown once and thrown away.
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


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
) -> BlitExplorer:
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
    # Only the curve and the title change: the reference curves, the log axis and its
    # labels are drawn once.
    return BlitExplorer({"learning_rate": slider}, callback, figure, [line, title])


# --------------------------------------------------------------------------- EWA


def _noisy_series(T: int, seed: int) -> np.ndarray:
    """A year-like noisy series ("daily temperatures"): a slow wave plus Gaussian noise."""
    rng = make_rng(seed=seed)
    days = np.arange(T)
    return 12.0 + 9.0 * np.sin(2 * np.pi * (days - 40) / 365.0) + 3.5 * rng.standard_normal(T)


#: The betas of the EWA slider: windows 1/(1-beta) from 1 to 200 values, spread evenly in log scale.
EWA_BETAS = (0.0, 0.5, 0.667, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995)


def ewa_explorer(values: np.ndarray | None = None, *, beta: float = 0.9, T: int = 200, seed: int = 0,
                 average: Callable | None = None) -> Explorer:
    """Exponentially weighted averages of a noisy series, with and without bias correction.

    values : (T,) series (default: T noisy "daily temperatures").
    average : ``average(values, beta, bias_correction) -> (T,)``, the student's own
        ``exponentially_weighted_average`` (default: the dlcore reference).
    The slider steps through :data:`EWA_BETAS` (plus ``beta``), each labelled with the
    number of values it averages, about ``1/(1-beta)``.
    Callback: ``beta`` -> ``{"corrected", "uncorrected"}`` arrays.
    """
    values = _noisy_series(T, seed) if values is None else as_array(values, "values", ndim=1)
    fn = average or exponentially_weighted_average
    t = np.arange(1, values.size + 1)
    figure, ax = _new_figure(7.0, 3.8)
    ax.plot(t, values, linestyle="none", marker=".", markersize=4, color="0.6", label="data")
    (corrected,) = ax.plot(t, values, color="C0", linewidth=2, label="with bias correction")
    (uncorrected,) = ax.plot(t, values, color="C1", linewidth=2, linestyle="--", label="without bias correction")
    ax.set_xlabel("t")
    ax.set_ylabel("value")
    ax.legend(loc="upper left", fontsize=9)
    title = ax.set_title("")

    def callback(beta: float) -> dict:
        v_corrected = np.asarray(fn(values, beta, True), dtype=np.float64)
        v_raw = np.asarray(fn(values, beta, False), dtype=np.float64)
        corrected.set_ydata(v_corrected)
        uncorrected.set_ydata(v_raw)
        title.set_text(f"beta = {beta:.3g}: each average covers about 1/(1-beta) = {1 / (1 - beta):.0f} values")
        return {"corrected": v_corrected, "uncorrected": v_raw}

    betas = sorted(set(EWA_BETAS) | {float(beta)})
    slider = widgets.SelectionSlider(options=[(f"{b:g} (~{1 / (1 - b):.0f} values)", b) for b in betas],
                                     value=float(beta), description="beta", style=_STYLE,
                                     layout=widgets.Layout(width="500px"))
    return BlitExplorer({"beta": slider}, callback, figure, [corrected, uncorrected, title])


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
    update: Callable | None = None,
    momentum: Callable | None = None,
    rmsprop: Callable | None = None,
    adam: Callable | None = None,
) -> dict[str, np.ndarray]:
    """Paths of GD, momentum, RMSprop and Adam on a 2-D loss, with the course's update functions.

    The point ``(w1, w2)`` is the weight matrix ``W1`` (1, 2) of a one-layer "network"
    (``b1`` stays 0), so the course's update functions apply unchanged. ``beta`` is
    momentum's beta and Adam's beta1; ``beta2`` is RMSprop's and Adam's.
    gradient : maps a point (2,) to the gradient (2,) of the loss.
    update, momentum, rmsprop, adam : the update functions to use, with the signatures of
        ``update_parameters``, ``update_parameters_with_momentum``,
        ``update_parameters_with_rmsprop`` and ``update_parameters_with_adam`` (the
        student's own; default: the dlcore references).
    Returns ``{name: (num_steps + 1, 2) array}``; a path that blows up past 1e6 stops there
    (the rest is NaN).

    >>> paths = optimizer_paths(0.1, num_steps=5)
    >>> sorted(paths), paths["Adam"].shape
    (['Adam', 'GD', 'RMSprop', 'momentum'], (6, 2))
    """
    update = update or update_parameters
    momentum = momentum or update_parameters_with_momentum
    rmsprop = rmsprop or update_parameters_with_rmsprop
    adam = adam or update_parameters_with_adam
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
                    parameters = update(parameters, grads, learning_rate)
                elif name == "momentum":
                    parameters, v = momentum(parameters, grads, v, beta, learning_rate)
                elif name == "RMSprop":
                    parameters, s = rmsprop(parameters, grads, s, beta2, learning_rate, epsilon)
                else:
                    parameters, v, s = adam(parameters, grads, v, s, t, learning_rate, beta, beta2, epsilon)
                point = np.asarray(parameters["W1"], dtype=np.float64).reshape(2)
                if not np.all(np.abs(point) < 1e6):
                    break
                paths[name][t] = point
    return paths


_MAX_STEPS = 200  #: the longest run of the optimizer-paths explorer


def optimizer_paths_explorer(*, learning_rate: float = 0.3, beta: float = 0.9, beta2: float = 0.99,
                             num_steps: int = 50, update: Callable | None = None, momentum: Callable | None = None,
                             rmsprop: Callable | None = None, adam: Callable | None = None) -> Explorer:
    """GD, momentum, RMSprop and Adam on :func:`elongated_bowl`, with sliders.

    Left: the four paths on the contours of the loss. Right: the loss after each step
    (log scale), from too small a learning rate (barely moving) to too large (diverging).
    update, momentum, rmsprop, adam : the update functions, as in :func:`optimizer_paths`.
    Callback: ``learning_rate, beta, beta2, num_steps`` -> ``{"paths", "losses", "final_loss"}``.
    """
    functions = dict(update=update, momentum=momentum, rmsprop=rmsprop, adam=adam)
    names = ("GD", "momentum", "RMSprop", "Adam")
    figure, (ax, ax_loss) = _new_figure(10.0, 4.2, ncols=2)
    empty = {name: np.zeros((1, 2)) for name in names}
    plot_loss_surface_paths(elongated_bowl, empty, ax=ax, xlim=(-10, 3), ylim=(-3.5, 3.5), minimum=(0, 0))
    ax.get_legend().remove()
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in empty}
    loss_lines = {name: ax_loss.plot([0], [1.0], color=lines[name].get_color(), linewidth=1.5, label=name)[0]
                  for name in names}
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(1e-8, 1e4)
    ax_loss.set_xlim(0, _MAX_STEPS)  # fixed, so that runs of different lengths compare at a glance
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss")
    ax_loss.legend(loc="lower left", fontsize=9)
    finals = ax_loss.text(0.98, 0.97, "", transform=ax_loss.transAxes, ha="right", va="top", family="monospace",
                          fontsize=9)
    title = ax.set_title("", fontsize=10)

    def callback(learning_rate: float, beta: float, beta2: float, num_steps: int) -> dict:
        paths = optimizer_paths(learning_rate, beta, beta2, num_steps, **functions)
        losses, final_loss = {}, {}
        with np.errstate(all="ignore"):
            for name, path in paths.items():
                lines[name].set_data(path[:, 0], path[:, 1])
                losses[name] = elongated_bowl(path[:, 0], path[:, 1])
                loss_lines[name].set_data(np.arange(num_steps + 1), losses[name])
                final_loss[name] = float(losses[name][-1]) if np.isfinite(losses[name][-1]) else float("inf")
        finals.set_text("\n".join(f"{name:>8s} {'diverged' if final_loss[name] == float('inf') else format(final_loss[name], '.1e')}"
                                  for name in names))
        title.set_text(f"learning rate {learning_rate:.3g}, beta {beta:.2f}, beta2 {beta2:.3f}: {num_steps} steps")
        return {"paths": paths, "losses": losses, "final_loss": final_loss}

    controls = {
        "learning_rate": widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=0.5, step=0.05,
                                                description="learning rate", readout_format=".3g", style=_STYLE),
        "beta": widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="beta (beta1)",
                                    style=_STYLE),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001, description="beta2",
                                     readout_format=".3f", style=_STYLE),
        "num_steps": widgets.IntSlider(value=num_steps, min=5, max=_MAX_STEPS, step=5, description="steps",
                                       style=_STYLE),
    }
    animated = [*lines.values(), *loss_lines.values(), finals, title]
    return BlitExplorer(controls, callback, figure, animated)

# --------------------------------------------------------------- regularization


def _overfitting_data(seed: int):
    """A small noisy training set (easy to overfit) and a larger dev set from the same source."""
    X, Y = moons(m=280, noise=0.3, seed=seed)
    return X[:, :80], Y[:, :80], X[:, 80:], Y[:, 80:]


def _in_slices(predict: Callable[[np.ndarray], np.ndarray], size: int = 512) -> Callable[[np.ndarray], np.ndarray]:
    """``predict`` applied to the points (n0, k) by slices of ``size`` columns.

    Products that small run on one BLAS thread, which for a decision grid is faster and
    steadier on a busy machine than one large product shared between threads.
    """
    def sliced(points: np.ndarray) -> np.ndarray:
        return np.concatenate([predict(points[:, i:i + size]) for i in range(0, points.shape[1], size)], axis=-1)

    return sliced


def _region_colors(image) -> np.ndarray:
    """The RGBA bytes (k, 4) of classes 0..k-1 in ``image``'s colour map (from :func:`plot_decision_boundary`).

    An explorer then sets the image to ``colors[labels]``: an RGBA image of bytes is drawn
    as it is, about twice as fast as labels put through the colour map at every redraw.
    """
    k = int(round(image.norm.vmax + 0.5))
    return image.cmap(image.norm(np.arange(k)), bytes=True)


# --------------------------------------------------- initialization and regularization (notebook 03)


def _train_binary_network(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    *,
    optimizer: str,
    learning_rate: float,
    num_iterations: int,
    keep_prob: float = 1.0,
    lambd: float = 0.0,
    batchnorm: bool = False,
    bn_functions: tuple[Callable | None, Callable | None, Callable | None] = (None, None, None),
    bn_momentum: float | None = 0.9,
    rng: np.random.Generator | None = None,
    observe: Callable[[int, int, np.ndarray], None] | None = None,
    after_step: Callable[[int, _Network], None] | None = None,
    with_costs: bool = True,
) -> dict:
    """Full-batch training of ``[LINEAR -> (BATCHNORM) -> RELU -> (DROPOUT)] x (L-1) -> LINEAR -> SIGMOID``.

    The one training loop behind the explorers that retrain a network at every slider
    move (:func:`train_regularized_network`, :func:`train_batchnorm_network`): the
    network and training step of :func:`dlcore.train.train` (in-place backward pass, all
    the parameters updated at once from one flat vector), without its per-epoch
    evaluation, so that a run of a small network takes tens of milliseconds.

    X : (n0, m) float64.  Y : (1, m) 0/1 labels.  parameters : the initial weights
    ``{"W1", "b1", ...}`` (copied).  optimizer : ``"gd"`` or ``"adam"`` (or ``"momentum"``,
    ``"rmsprop"``), with :func:`dlcore.train.train`'s default settings.  keep_prob, lambd :
    dropout on the hidden layers and L2 (``rng`` draws the dropout masks).
    batchnorm : normalise every hidden layer, with ``gamma{l}`` (ones) and ``beta{l}``
    (zeros) learned by the optimizer; its bias ``b{l}`` is left out and keeps its value.
    bn_functions : ``(batchnorm_forward, batchnorm_backward, update_running_averages)``,
    each None for dlcore's (an explorer passes the student's).
    bn_momentum : momentum of the running statistics (``mean{l}`` from zeros, ``var{l}``
    from ones), None to leave them alone.
    observe : ``observe(i, l, Z)`` with the input of hidden layer l's ReLU at iteration i
    (0-based), not to be modified or kept.  after_step : ``after_step(t, net)`` after the
    t-th update (1-based), ``net`` being the :class:`dlcore.train._Network` trained.
    with_costs : False to skip computing the costs (left NaN).
    Training stops at the first iteration whose cost or output is not finite (it diverged).
    Returns ``{"costs", "diverged", "net"}``: the cost before each step ((num_iterations,),
    NaN from the divergence on), whether training diverged, and the network.
    """
    net = _Network({key: np.array(value, dtype=np.float64) for key, value in parameters.items()}, "binary")
    if batchnorm:
        units = [net.parameters[f"W{l}"].shape[0] for l in range(1, net.L)]
        net.bn_parameters = {f"{name}{l}": (np.ones if name == "gamma" else np.zeros)((n, 1))
                             for l, n in enumerate(units, start=1) for name in ("gamma", "beta")}
        net.bn_running = {f"{name}{l}": (np.zeros if name == "mean" else np.ones)((n, 1))
                          for l, n in enumerate(units, start=1) for name in ("mean", "var")}
        forward, backward, update_running = bn_functions
        net.bn_forward = forward or batchnorm_forward
        net.bn_backward = backward or batchnorm_backward
        net.bn_update_running = update_running or update_running_averages
    trainer = _Trainer(net, optimizer)
    costs = np.full(num_iterations, np.nan)
    diverged = False
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(num_iterations):
            seen = None if observe is None else (lambda l, Z, i=i: observe(i, l, Z))
            cost = _train_step(X, Y, trainer, learning_rate, lambd, keep_prob, bn_momentum, rng, observe=seen,
                               finite_only=True, with_cost=with_costs)
            if trainer.optimizer.t == i:  # no update: the cost or the output was not finite
                diverged = True
                break
            costs[i] = cost
            if after_step is not None:
                after_step(i + 1, net)
    return {"costs": costs, "diverged": diverged, "net": net}


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

    def record(t: int, net: _Network) -> None:
        if t % record_every == 0 or t == num_epochs:
            p = net.parameters
            history["epochs"].append(t)
            history["train_acc"].append(float(np.mean((_hidden_relu_logits(p, X) > 0) == (Y > 0.5))))
            history["dev_acc"].append(float(np.mean((_hidden_relu_logits(p, X_dev) > 0) == (Y_dev > 0.5))))
            history["weight_norm"].append(float(sum(np.sum(p[key] * p[key]) for key in weights)))

    run = _train_binary_network(X, Y, init, optimizer="adam", learning_rate=learning_rate, num_iterations=num_epochs,
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
        X, Y, X_dev, Y_dev = _overfitting_data(seed)
    X, X_dev = as_array(X, "X", ndim=2), as_array(X_dev, "X_dev", ndim=2)
    Y, Y_dev = as_array(Y, "Y", ndim=2), as_array(Y_dev, "Y_dev", ndim=2)
    all_X = np.concatenate([X, X_dev], axis=1)

    figure, (ax_boundary, ax_acc) = _new_figure(8.4, 3.6, ncols=2)
    plot_decision_boundary(lambda P: np.zeros(P.shape[1]), all_X, np.concatenate([Y, Y_dev], axis=1), ax=ax_boundary,
                           resolution=resolution)
    ax_boundary.collections[0].remove()  # the frame and the region image only; points below
    image = ax_boundary.images[0]
    region_colors = _region_colors(image)
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
        _, _, labels = decision_grid(_in_slices(run["predict"]), all_X, resolution)
        image.set_data(region_colors[labels])
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
                                         continuous_update=False, style=_STYLE),
        "lambd": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in steps], value=float(lambd),
                                         description="lambd (L2)", continuous_update=False, style=_STYLE),
    }
    animated = [image, train_line, dev_line, title, acc_title]
    overlay = [dev_points, train_points, *ax_boundary.spines.values(), acc_legend]  # above the regions and curves
    return BlitExplorer(controls, callback, figure, animated, overlay=overlay)


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
    figure, (ax_hist, ax_std) = _new_figure(8.4, 3.6, ncols=2)
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
                                       readout_format=".2f", continuous_update=False, style=_STYLE),
        "activation": widgets.ToggleButtons(options=["tanh", "relu"], value=activation, description="activation",
                                            style=_STYLE),
    }
    return BlitExplorer(controls, callback, figure, [image, a_line, d_line, title, std_title])


# -------------------------------------------------------------------- threshold


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

    figure, (ax_curves, ax_pr) = _new_figure(9.0, 3.8, ncols=2)
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
                                 style=_STYLE, layout=widgets.Layout(width="500px"))
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

    figure, ax = _new_figure(7.5, 3.8)
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
                                    continuous_update=False, style=_STYLE),
        "scale": widgets.ToggleButtons(options=["log", "linear"], value="log", description="scale", style=_STYLE),
        "draw": widgets.IntSlider(value=0, min=0, max=19, step=1, description="draw (seed)",
                                  continuous_update=False, style=_STYLE),
    }
    return BlitExplorer(controls, callback, figure, [dots, star, title])


# ----------------------------------------------------------------------- softmax


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
    figure, ax = _new_figure(6.0, 3.2)
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
                                    step=0.05, description="temperature T", readout_format=".3g", style=_STYLE,
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
    """Train a softmax network with Adam (dlcore reference functions), keeping snapshots.

    X : (n0, m).  Y : one-hot (C, m).  layer_dims : ``[n0, ..., C]``, He initialisation.
    Returns ``(snapshots, costs)``: ``{epoch: parameters}`` for epochs 0, every, 2 every,
    ..., num_epochs (the parameters *before* that epoch's update; ``num_epochs`` holds the
    final ones) and the cost of each epoch, (num_epochs,).
    """
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    parameters = initialize_parameters_deep(list(layer_dims), "he", make_rng(seed=seed))
    v, s = initialize_adam(parameters)
    snapshots, costs = {}, np.zeros(num_epochs)
    for epoch in range(num_epochs):
        if epoch % every == 0:
            snapshots[epoch] = parameters
        AL, caches = model_forward_softmax(X, parameters)
        costs[epoch] = softmax_cross_entropy(AL, Y)
        grads = model_backward_softmax(AL, Y, caches)
        parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, epoch + 1, learning_rate)
    snapshots[num_epochs] = parameters
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
    figure, axes = _new_figure(8.0 if costs is not None else 4.2, 3.6, ncols=2 if costs is not None else 1)
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
        P = _in_slices(lambda points: np.asarray(proba(points, parameters), dtype=np.float64))(grid)
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
                                     description="epoch", style=_STYLE, layout=widgets.Layout(width="500px"))
    # Only the regions, the titles and the marker are redrawn; the points and the frame are pasted above.
    animated = [image, title] + ([] if marker is None else [marker, cost_title])
    return BlitExplorer({"epoch": slider}, callback, figure, animated, overlay=[points, *ax.spines.values()])


# ------------------------------------------------------------- batch normalization


def _plain_log_axis(axis, ticks: Sequence[float]) -> None:
    """Log-scale ``axis`` (``ax.xaxis`` or ``ax.yaxis``) with a few plain tick labels and no minor ticks.

    Fewer, plain-text labels (no mathtext powers of ten) halve the time to redraw the figure.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator(list(ticks)))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def train_batchnorm_network(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: dict[str, np.ndarray],
    learning_rate: float,
    num_iterations: int,
    *,
    batchnorm: bool = True,
    bn_forward: Callable | None = None,
    bn_backward: Callable | None = None,
    update_running: Callable | None = None,
    momentum: float = 0.9,
    track_running: bool = True,
    record_stats: bool = False,
) -> dict:
    """Full-batch gradient descent on ``[LINEAR -> (BATCHNORM) -> RELU] x (L-1) -> LINEAR -> SIGMOID``.

    X : (n0, m).  Y : (1, m) 0/1 labels.  parameters : ``{"W1", "b1", ...}`` (not modified).
    With ``batchnorm``, every hidden layer normalises ``Z{l} = W{l} A{l-1}`` (its bias
    ``b{l}`` is left out and keeps its value: ``beta{l}`` plays its role) with ``gamma{l}``
    (ones at the start) and ``beta{l}`` (zeros), learned by the same gradient descent, and keeps running
    averages of the batch statistics (``mean{l}`` from zeros, ``var{l}`` from ones) unless
    ``track_running`` is False.
    bn_forward, bn_backward, update_running : the student's ``batchnorm_forward``,
    ``batchnorm_backward`` and ``update_running_averages`` (default: dlcore's).
    The gradients of gamma and beta are divided by m, as linear_backward does for dW, db.
    Runs on the training loop shared with :func:`train_regularized_network`.

    Returns a dict: ``"costs"`` (num_iterations,) cross-entropy before each step (NaN
    once training has diverged), ``"diverged"``, ``"parameters"``, ``"bn_parameters"``
    (``{"gamma{l}", "beta{l}"}``), ``"running"`` (``{"mean{l}", "var{l}"}``); with
    ``record_stats`` also ``"input_mean"`` and ``"input_std"``: for each hidden layer l a
    (num_iterations, n[l]) array of the mean and standard deviation over the examples of
    each unit's ReLU input (``Z{l}`` without batch norm, ``Z_tilde{l}`` with it).
    """
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    L = len(parameters) // 2
    units = [np.shape(parameters[f"W{l}"])[0] for l in range(1, L)]
    stats = {"input_mean": [np.full((num_iterations, n), np.nan) for n in units],
             "input_std": [np.full((num_iterations, n), np.nan) for n in units]}

    def observe(i: int, l: int, Z: np.ndarray) -> None:
        stats["input_mean"][l - 1][i] = Z.mean(axis=1)
        stats["input_std"][l - 1][i] = Z.std(axis=1)

    run = _train_binary_network(X, Y, parameters, optimizer="gd", learning_rate=learning_rate,
                                num_iterations=num_iterations, batchnorm=batchnorm,
                                bn_functions=(bn_forward, bn_backward, update_running),
                                bn_momentum=momentum if track_running else None,
                                observe=observe if record_stats else None)
    net = run["net"]

    def copies(d: dict | None) -> dict | None:
        return None if d is None else {key: value.copy() for key, value in d.items()}

    result = {"costs": run["costs"], "diverged": run["diverged"], "parameters": copies(net.parameters),
              "bn_parameters": copies(net.bn_parameters), "running": copies(net.bn_running)}
    if record_stats:
        result.update(stats)
    return result


def _training_verdict(costs: np.ndarray) -> str:
    """A few words on a cost curve: trains, unstable, stuck or diverged."""
    finite = costs[np.isfinite(costs)]
    if finite.size < costs.size:
        return f"diverged after {finite.size} steps"
    first, last, top = finite[0], finite[-1], finite.max()
    if top > 1.5 * first:
        tail = "then stuck" if last > 0.9 * first else f"then {last:.2f}"
        return f"blew up (cost {top:.1f}), {tail}"
    if last > 0.9 * first:
        return f"barely learns: {first:.2f} -> {last:.2f}"
    return f"trains: {first:.2f} -> {last:.2f}"


def batchnorm_learning_rate_explorer(
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    layer_dims: Sequence[int] = (2, 10, 10, 10, 10, 1),
    *,
    num_iterations: int = 60,
    learning_rate: float = 0.5,
    lr_range: tuple[float, float] = (0.01, 30.0),
    grid_points: int = 13,
    bn_forward: Callable | None = None,
    bn_backward: Callable | None = None,
    seed: int = 0,
) -> Explorer:
    """The same deep network trained with and without batch norm, for a log-scale learning-rate slider.

    X, Y : binary data (default: 200 two-moons points).  layer_dims : the network, He
    initialised once (seed), the same weights for both runs.  bn_forward, bn_backward :
    the student's functions (default: dlcore's).  The right panel shows the final cost of
    both networks on a grid of ``grid_points`` learning rates, computed once.
    Callback: ``learning_rate`` -> ``{"costs", "costs_bn", "verdict", "verdict_bn"}``.
    """
    if X is None or Y is None:
        X, Y = moons(m=200, noise=0.2, seed=seed)
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    parameters = initialize_parameters_deep(list(layer_dims), "he", make_rng(seed=seed + 1))
    fns = dict(bn_forward=bn_forward, bn_backward=bn_backward)

    def run(lr: float, batchnorm: bool) -> np.ndarray:
        return train_batchnorm_network(X, Y, parameters, lr, num_iterations, batchnorm=batchnorm,
                                       track_running=False, **fns)["costs"]

    def final(costs: np.ndarray) -> float:
        return float(costs[-1]) if np.isfinite(costs[-1]) else np.inf

    figure, (ax, ax_grid) = _new_figure(9.0, 3.6, ncols=2)
    iterations = np.arange(num_iterations)
    (line,) = ax.plot(iterations, np.full(num_iterations, np.nan), color="C3", linewidth=2, label="without batch norm")
    (line_bn,) = ax.plot(iterations, np.full(num_iterations, np.nan), color="C0", linewidth=2, label="with batch norm")
    ax.set_yscale("log")
    _plain_log_axis(ax.yaxis, (0.03, 0.1, 0.3, 1, 3, 10, 30))
    ax.set_ylim(0.02, 40.0)
    ax.set_xlim(0, num_iterations)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
    ax.legend(loc="lower left", fontsize=8)
    title = ax.set_title("", fontsize=9, y=1.0, loc="left")

    grid = np.logspace(np.log10(lr_range[0]), np.log10(lr_range[1]), grid_points)
    finals = np.array([[final(run(lr, bn)) for lr in grid] for bn in (False, True)])
    shown = np.minimum(finals, 30.0)  # a diverged run (inf) is drawn at the top
    ax_grid.plot(grid, shown[0], "o-", color="C3", label="without batch norm")
    ax_grid.plot(grid, shown[1], "s-", color="C0", label="with batch norm")
    ax_grid.axhline(np.log(2), color="0.6", linestyle=":", linewidth=1)
    ax_grid.annotate("log 2: no better than a coin", (grid[0], np.log(2)), fontsize=7, color="0.4",
                     xytext=(0, 3), textcoords="offset points")
    ax_grid.legend(loc="upper left", fontsize=8)
    ax_grid.set_xscale("log")
    ax_grid.set_yscale("log")
    _plain_log_axis(ax_grid.xaxis, (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30))
    _plain_log_axis(ax_grid.yaxis, (0.03, 0.1, 0.3, 1, 3, 10, 30))
    ax_grid.set_ylim(0.02, 40.0)
    ax_grid.set_xlabel("learning rate")
    ax_grid.set_ylabel(f"cost after {num_iterations} iterations")
    marker = ax_grid.axvline(learning_rate, color="k", linewidth=1)
    ax_grid.set_title("each point: one full training run", fontsize=9, y=1.0)

    def callback(learning_rate: float) -> dict:
        costs, costs_bn = run(learning_rate, False), run(learning_rate, True)
        line.set_ydata(costs)
        line_bn.set_ydata(costs_bn)
        verdict, verdict_bn = _training_verdict(costs), _training_verdict(costs_bn)
        title.set_text(f"learning rate {learning_rate:.3g}\nwithout BN: {verdict}\nwith BN: {verdict_bn}")
        marker.set_xdata([learning_rate, learning_rate])
        return {"costs": costs, "costs_bn": costs_bn, "verdict": verdict, "verdict_bn": verdict_bn,
                "grid": grid, "grid_final": finals}

    low, high = np.log10(lr_range[0]), np.log10(lr_range[1])
    slider = widgets.FloatLogSlider(value=learning_rate, base=10, min=low, max=high, step=0.05,
                                    description="learning rate", readout_format=".3g", continuous_update=False,
                                    style=_STYLE, layout=widgets.Layout(width="500px"))
    return BlitExplorer({"learning_rate": slider}, callback, figure, [line, line_bn, title, marker])


def minibatch_normalization_noise(
    batch_size: int, *, num_batches: int = 400, seed: int = 0, bn_forward: Callable | None = None
) -> dict:
    """How much one example's batch-normalised value varies with the mini-batch it lands in.

    One unit's pre-activation over a population of 5000 examples (a skewed, ReLU-like
    distribution) and one fixed example ``z0`` in it. Each of ``num_batches`` mini-batches
    holds ``z0`` and ``batch_size - 1`` others drawn at random; all batches are
    normalised at once as the rows of one (num_batches, batch_size) array (each row is
    normalised over its columns, exactly as batch norm does for a unit).
    Returns ``{"values"}`` (num_batches,) normalised values of ``z0``, ``"population"``
    (its value with the statistics of the whole population) and ``"std"`` (of values).
    """
    bn_forward = bn_forward or batchnorm_forward
    population = make_rng(seed=seed).gamma(2.0, 1.0, size=5000)
    z0 = float(np.quantile(population, 0.8))
    rng = make_rng(seed=seed + 1)
    Z = population[rng.integers(0, population.size, size=(num_batches, batch_size))]
    Z[:, 0] = z0
    n = num_batches
    values = bn_forward(Z, np.ones((n, 1)), np.zeros((n, 1)))[0][:, 0]
    population_value = (z0 - population.mean()) / population.std()
    return {"values": values, "population": float(population_value), "std": float(values.std())}


def batchnorm_noise_explorer(
    batch_size: int = 32, *, num_batches: int = 400, bn_forward: Callable | None = None, seed: int = 0
) -> Explorer:
    """A mini-batch-size slider: the spread of one example's normalised value from batch to batch.

    Uses :func:`minibatch_normalization_noise` (with the student's ``bn_forward`` if given).
    Left: histogram of the example's normalised value over the batches, and its value with
    the population statistics. Right: the spread against the batch size (computed once).
    Callback: ``batch_size`` -> the dict of :func:`minibatch_normalization_noise`.
    """
    sizes = [2, 4, 8, 16, 32, 64, 128, 256, 512]

    def noise(size: int) -> dict:
        return minibatch_normalization_noise(size, num_batches=num_batches, seed=seed, bn_forward=bn_forward)

    spreads = [noise(s)["std"] for s in sizes]
    figure, (ax, ax_std) = _new_figure(9.0, 3.4, ncols=2)
    edges = np.linspace(-1.5, 3.0, 46)
    first = noise(batch_size)
    stairs = ax.stairs(np.zeros(edges.size - 1), edges, fill=True, color="C0", alpha=0.7,
                       label="its value in each mini-batch")
    ax.axvline(first["population"], color="k", linestyle="--", linewidth=1.2,
               label="with the statistics of all the data")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, num_batches * 0.85)
    ax.set_xlabel("normalised value of one fixed example")
    ax.set_ylabel("number of mini-batches")
    ax.legend(loc="upper left", fontsize=8)
    title = ax.set_title("", fontsize=9, y=1.0)
    ax_std.plot(sizes, spreads, "o-", color="C0")
    ax_std.set_xscale("log", base=2)
    ax_std.set_yscale("log")
    _plain_log_axis(ax_std.xaxis, sizes)
    _plain_log_axis(ax_std.yaxis, (0.05, 0.1, 0.2, 0.5, 1))
    ax_std.set_xlabel("mini-batch size")
    ax_std.set_ylabel("spread (std) of the normalised value")
    (point,) = ax_std.plot([], [], "o", markersize=11, color="C3")
    ax_std.set_title("noise from the batch statistics", fontsize=9, y=1.0)

    def callback(batch_size: int) -> dict:
        result = noise(batch_size)
        counts, _ = np.histogram(np.clip(result["values"], edges[0], edges[-1]), bins=edges)
        stairs.set_data(counts)
        point.set_data([batch_size], [result["std"]])
        title.set_text(f"mini-batch of {batch_size}: the same example's normalised value varies "
                       f"by ±{result['std']:.2f}")
        return result

    slider = widgets.SelectionSlider(options=sizes, value=batch_size, description="mini-batch size",
                                     style=_STYLE, layout=widgets.Layout(width="500px"))
    return BlitExplorer({"batch_size": slider}, callback, figure, [stairs, point, title])
