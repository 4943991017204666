"""Notebook 05 (batch normalization): batch norm against the learning rate, and the noise of batch statistics.

* :func:`batchnorm_learning_rate_explorer`: the same deep network trained with and
  without batch normalization (:func:`train_batchnorm_network`), for a learning-rate
  slider (can run the student's own batch-norm functions).
* :func:`batchnorm_noise_explorer`: a mini-batch-size slider and the noise that batch
  statistics add to one example's normalised value (:func:`minibatch_normalization_noise`).

Shapes: ``X`` (n0, m), ``Y`` (1, m) 0/1 labels, examples as columns.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np

from dlcore.batchnorm import batchnorm_forward
from dlcore.data import make_rng, moons
from dlcore.initialization import initialize_parameters_deep
from dlcore.validation import as_array
from dlcore.widgets.base import STYLE, BlitExplorer, Explorer, new_figure, train_binary_network

__all__ = ['train_batchnorm_network', 'batchnorm_learning_rate_explorer', 'minibatch_normalization_noise', 'batchnorm_noise_explorer']


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

    run = train_binary_network(X, Y, parameters, optimizer="gd", learning_rate=learning_rate,
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

    figure, (ax, ax_grid) = new_figure(9.0, 3.6, ncols=2)
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
                                    style=STYLE, layout=widgets.Layout(width="500px"))
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
    figure, (ax, ax_std) = new_figure(9.0, 3.4, ncols=2)
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
                                     style=STYLE, layout=widgets.Layout(width="500px"))
    return BlitExplorer({"batch_size": slider}, callback, figure, [stairs, point, title])
