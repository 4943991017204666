"""Notebook 02 (backpropagation): the learning rate of gradient descent.

* :func:`learning_rate_explorer`: cost curves of gradient descent, from a learning rate
  that is too small to one that diverges (can run the student's own functions), computed
  by :func:`gradient_descent_costs`.

Shapes: ``X`` (n0, m), ``Y`` (1, m) 0/1 labels.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np

from dlcore.data import make_rng, moons
from dlcore.initialization import initialize_parameters_deep
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, update_parameters
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, new_figure

__all__ = ['gradient_descent_costs', 'learning_rate_explorer']


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

    figure, ax = new_figure(7.0, 4.0)
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
                                    style=STYLE, layout=widgets.Layout(width="500px"))
    # Only the curve and the title change: the reference curves, the log axis and its
    # labels are drawn once.
    return BlitExplorer({"learning_rate": slider}, callback, figure, [line, title])
