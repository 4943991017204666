"""Notebook 04 (optimization): exponentially weighted averages and the paths of the optimizers.

* :func:`ewa_explorer`: exponentially weighted averages of a noisy series for a slider
  of beta, with and without bias correction.
* :func:`optimizer_paths_explorer`: the paths of GD, momentum, RMSprop and Adam on a
  2-D loss surface (:func:`elongated_bowl`), computed by :func:`optimizer_paths`, with
  sliders for the learning rate and the betas.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np

from dlcore.data import make_rng
from dlcore.model import update_parameters
from dlcore.optim import (
    exponentially_weighted_average,
    initialize_adam,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from dlcore.plots import plot_loss_surface_paths
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, Explorer, new_figure

__all__ = ['EWA_BETAS', 'ewa_explorer', 'elongated_bowl', 'optimizer_paths', 'optimizer_paths_explorer']


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
    figure, ax = new_figure(7.0, 3.8)
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
                                     value=float(beta), description="beta", style=STYLE,
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
    figure, (ax, ax_loss) = new_figure(10.0, 4.2, ncols=2)
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
                                                description="learning rate", readout_format=".3g", style=STYLE),
        "beta": widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="beta (beta1)",
                                    style=STYLE),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001, description="beta2",
                                     readout_format=".3f", style=STYLE),
        "num_steps": widgets.IntSlider(value=num_steps, min=5, max=_MAX_STEPS, step=5, description="steps",
                                       style=STYLE),
    }
    animated = [*lines.values(), *loss_lines.values(), finals, title]
    return BlitExplorer(controls, callback, figure, animated)
