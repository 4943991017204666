"""Tests for dlcore.plots: every function draws on the given Axes (or a new one) and returns it."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-test-"))
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from dlcore import data, plots
from dlcore.train import train


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -------------------------------------------------------------------------- costs


def test_plot_costs_from_a_list_on_a_new_axes():
    ax = plots.plot_costs([0.7, 0.5, 0.4, 0.35])
    assert isinstance(ax, Axes)
    (line,) = ax.lines
    assert np.array_equal(line.get_ydata(), [0.7, 0.5, 0.4, 0.35])
    assert ax.get_yscale() == "linear" and ax.get_xlabel() == "epoch"


def test_plot_costs_on_given_axes_with_log_scale_and_every():
    fig, ax = plt.subplots()
    out = plots.plot_costs([1.0, 0.1, 0.01], ax=ax, log_scale=True, every=50, xlabel="iteration")
    assert out is ax
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "iteration"
    assert np.array_equal(ax.lines[0].get_xdata(), [0, 50, 100])


def test_plot_costs_several_curves_with_legend():
    ax = plots.plot_costs({"lr=0.1": [1.0, 0.5], "lr=1": [1.0, 0.2, 0.1]})
    assert [line.get_label() for line in ax.lines] == ["lr=0.1", "lr=1"]
    assert ax.get_legend() is not None


def test_plot_costs_from_a_training_result_draws_only_costs():
    X, Y = data.moons(m=100, seed=0)
    result = train(X[:, :70], Y[:, :70], [2, 4, 1], num_epochs=6, X_dev=X[:, 70:], Y_dev=Y[:, 70:])
    ax = plots.plot_costs(result)
    assert [line.get_label() for line in ax.lines] == ["cost", "dev_cost"]
    ax2 = plots.plot_costs(result.history)
    assert len(ax2.lines) == 2


@pytest.mark.parametrize("bad", [dict(history=[[1.0, 2.0]]), dict(history=[1.0], every=0), dict(history={})])
def test_plot_costs_bad_arguments(bad):
    with pytest.raises(ValueError):
        plots.plot_costs(**bad)


def test_plot_costs_refuses_something_that_is_not_axes():
    with pytest.raises(ValueError, match="`ax`"):
        plots.plot_costs([1.0], ax="left")


# ------------------------------------------------------------- decision boundaries


def test_plot_decision_boundary_binary_probabilities():
    X, Y = data.moons(m=60, seed=0)
    ax = plots.plot_decision_boundary(lambda P: 1 / (1 + np.exp(-P[0:1])), X, Y, resolution=30)
    assert isinstance(ax, Axes)
    image = ax.images[0]
    labels = np.asarray(image.get_array())
    assert labels.shape == (30, 30) and set(np.unique(labels)) == {0, 1}
    # x1 > 0 is class 1: the right-hand columns of the image are 1, the left-hand ones 0.
    assert labels[:, -1].min() == 1 and labels[:, 0].max() == 0
    assert len(ax.collections) == 1 and ax.collections[0].get_offsets().shape == (60, 2)


def test_plot_decision_boundary_multiclass_and_one_hot_labels():
    X, y = data.blobs(m=90, C=3, seed=0)
    fig, ax = plt.subplots()

    def predict(P):  # nearest blob centre, as (C, k) scores
        centres = 3.0 * np.array([[np.cos(2 * np.pi * k / 3), np.sin(2 * np.pi * k / 3)] for k in range(3)])
        return -np.linalg.norm(P.T[None, :, :] - centres[:, None, :], axis=2)

    one_hot = np.eye(3)[:, y[0]]
    out = plots.plot_decision_boundary(predict, X, one_hot, ax=ax, resolution=25)
    assert out is ax
    assert set(np.unique(np.asarray(ax.images[0].get_array()))) == {0, 1, 2}


def test_plot_decision_boundary_accepts_boolean_and_flat_outputs():
    X, Y = data.circles(m=40, seed=0)
    ax = plots.plot_decision_boundary(lambda P: (np.hypot(P[0], P[1]) < 0.75)[None, :], X, Y, resolution=20)
    assert set(np.unique(np.asarray(ax.images[0].get_array()))) == {0, 1}
    ax = plots.plot_decision_boundary(lambda P: (P[0] > 0).astype(int), X, Y.ravel(), resolution=20)
    assert len(ax.images) == 1


def test_plot_decision_boundary_with_a_trained_network():
    X, Y = data.moons(m=200, seed=0)
    result = train(X, Y, [2, 16, 1], num_epochs=200, seed=0)
    ax = plots.plot_decision_boundary(result.predict, X, Y, resolution=40)
    assert ax.get_xlim()[0] < X[0].min() and ax.get_xlim()[1] > X[0].max()


def test_plot_decision_boundary_bad_arguments():
    X, Y = data.moons(m=10, seed=0)
    with pytest.raises(ValueError, match="`X`"):
        plots.plot_decision_boundary(lambda P: P[0], np.zeros((3, 10)), Y)
    with pytest.raises(ValueError, match="`Y`"):
        plots.plot_decision_boundary(lambda P: P[0], X, Y[:, :5])
    with pytest.raises(ValueError, match="`predict_fn`"):
        plots.plot_decision_boundary(lambda P: P[0, :3], X, Y)
    with pytest.raises(ValueError, match="`resolution`"):
        plots.plot_decision_boundary(lambda P: P[0], X, Y, resolution=1)


def test_class_labels():
    assert plots.class_labels(np.array([[0.2, 0.7, 0.5]])).tolist() == [0, 1, 0]
    assert plots.class_labels(np.array([1, 0, 2])).tolist() == [1, 0, 2]
    assert plots.class_labels(np.array([[0.1, 0.8], [0.9, 0.2]])).tolist() == [1, 0]


# ------------------------------------------------------------- optimizer paths


def bowl(a, b):
    return a**2 + 5 * b**2


def test_plot_loss_surface_paths_draws_contours_and_one_line_per_path():
    paths = {"GD": np.array([[2.0, 1.0], [1.5, 0.2], [1.0, 0.1]]), "Adam": np.array([[2.0, 1.0], [1.0, 0.5]])}
    ax = plots.plot_loss_surface_paths(bowl, paths, minimum=(0, 0))
    assert isinstance(ax, Axes)
    labelled = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in labelled] == ["GD", "Adam"]
    assert np.array_equal(labelled[0].get_xydata(), paths["GD"])
    assert len(ax.collections) >= 1  # the contour set
    x0, x1 = ax.get_xlim()
    assert x0 < 1.0 and x1 > 2.0


def test_plot_loss_surface_paths_on_given_axes_with_limits():
    fig, ax = plt.subplots()
    out = plots.plot_loss_surface_paths(bowl, None, ax=ax, xlim=(-3, 3), ylim=(-2, 2), log_levels=False)
    assert out is ax and ax.get_xlim() == (-3, 3) and ax.get_ylim() == (-2, 2)


def test_plot_loss_surface_paths_bad_arguments():
    with pytest.raises(ValueError, match="paths"):
        plots.plot_loss_surface_paths(bowl, {"GD": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="`xlim`"):
        plots.plot_loss_surface_paths(bowl, {})
    with pytest.raises(ValueError, match="loss_fn"):
        plots.plot_loss_surface_paths(lambda a, b: 1.0, {"GD": np.zeros((2, 2))}, xlim=(0, 1), ylim=(0, 1))


def test_no_function_calls_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    plots.plot_costs([1.0, 0.5])
    X, Y = data.moons(m=20, seed=0)
    plots.plot_decision_boundary(lambda P: P[0] > 0, X, Y, resolution=10)
    plots.plot_loss_surface_paths(bowl, {"GD": np.array([[1.0, 1.0], [0.5, 0.5]])})


