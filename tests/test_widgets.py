"""Tests for dlcore.widgets: each explorer builds, its callback computes and updates the figure."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-test-"))
import matplotlib

matplotlib.use("Agg")
import ipywidgets
import numpy as np
import pytest

from dlcore import data, widgets
from dlcore.initialization import initialize_parameters_deep
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, update_parameters
from dlcore.optim import exponentially_weighted_average
from dlcore.strategy import precision_recall_f1


def check_explorer(explorer, names):
    assert isinstance(explorer, ipywidgets.VBox) and isinstance(explorer, widgets.Explorer)
    assert list(explorer.controls) == names
    assert callable(explorer.callback)
    assert explorer.render_png().startswith(b"\x89PNG")


# ------------------------------------------------------------------ learning rate


def test_learning_rate_explorer_from_too_small_to_divergent(closing):
    explorer = widgets.learning_rate_explorer(num_iterations=100)
    closing(explorer)
    check_explorer(explorer, ["learning_rate"])
    line = explorer.figure.axes[0].lines[-1]

    tiny = explorer.callback(learning_rate=1e-4)
    assert not tiny["diverged"] and np.array_equal(line.get_ydata(), tiny["costs"], equal_nan=True)
    assert tiny["costs"][0] - tiny["costs"][-1] < 0.05  # barely moves

    good = explorer.callback(learning_rate=1.0)
    assert not good["diverged"] and good["costs"][-1] < 0.5 * good["costs"][0]

    huge = explorer.callback(learning_rate=100.0)
    assert huge["diverged"] and np.isnan(huge["costs"][-1])
    assert "diverged" in explorer.figure.axes[0].get_title()


def test_learning_rate_explorer_runs_the_students_functions(closing):
    calls = {"forward": 0, "backward": 0, "update": 0}

    def counting(name, fn):
        def wrapped(*args):
            calls[name] += 1
            return fn(*args)

        return wrapped

    X, Y = data.moons(m=60, seed=5)
    explorer = widgets.learning_rate_explorer(
        X, Y, layer_dims=[2, 4, 1], num_iterations=20, reference_rates=(),
        forward=counting("forward", model_forward), backward=counting("backward", model_backward),
        update=counting("update", update_parameters),
    )
    closing(explorer)
    assert calls == {"forward": 20, "backward": 20, "update": 20}
    explorer.controls["learning_rate"].value = 0.5  # what the slider does
    assert calls == {"forward": 40, "backward": 40, "update": 40}
    assert explorer.result["costs"].shape == (20,)


def test_learning_rate_explorer_reports_bugs_instead_of_divergence():
    def broken_backward(AL, Y, caches):
        raise ValueError("`dZ` must have shape (4, 60)")

    X, Y = data.moons(m=60, seed=5)
    with pytest.raises(ValueError, match="dZ"):
        widgets.learning_rate_explorer(X, Y, layer_dims=[2, 4, 1], num_iterations=5, backward=broken_backward)


def test_gradient_descent_costs_matches_a_plain_loop():
    X, Y = data.moons(m=50, seed=0)
    p = initialize_parameters_deep([2, 4, 1], "he", np.random.default_rng(0))
    costs, diverged = widgets.gradient_descent_costs(X, Y, p, 0.3, 10)
    expected, q = [], p
    for _ in range(10):
        AL, caches = model_forward(X, q)
        expected.append(compute_cost(AL, Y))
        q = update_parameters(q, model_backward(AL, Y, caches), 0.3)
    assert not diverged and np.allclose(costs, expected)


# ----------------------------------------------------------------------------- EWA


def test_ewa_explorer_with_and_without_bias_correction(closing):
    values = np.linspace(10.0, 20.0, 50)
    explorer = widgets.ewa_explorer(values, beta=0.9)
    closing(explorer)
    check_explorer(explorer, ["beta"])
    out = explorer.callback(beta=0.95)
    assert np.allclose(out["corrected"], exponentially_weighted_average(values, 0.95, True))
    assert np.allclose(out["uncorrected"], exponentially_weighted_average(values, 0.95, False))
    data_line, corrected, uncorrected = explorer.figure.axes[0].lines
    assert np.allclose(corrected.get_ydata(), out["corrected"])
    assert np.allclose(uncorrected.get_ydata(), out["uncorrected"])
    # Bias correction removes the start-up pull towards 0.
    assert out["corrected"][0] == pytest.approx(10.0) and out["uncorrected"][0] == pytest.approx(0.5)


def test_ewa_explorer_default_series():
    explorer = widgets.ewa_explorer()
    try:
        assert explorer.result["corrected"].shape == (200,)
        explorer.controls["beta"].value = 0.5
        assert explorer.result["corrected"].shape == (200,)
    finally:
        explorer.close()


# ---------------------------------------------------------------- optimizer paths


def test_optimizer_paths_explorer_updates_the_four_lines(closing):
    explorer = widgets.optimizer_paths_explorer()
    closing(explorer)
    check_explorer(explorer, ["learning_rate", "beta", "beta2", "num_steps"])
    out = explorer.callback(learning_rate=0.1, beta=0.9, beta2=0.99, num_steps=30)
    lines = {line.get_label(): line for line in explorer.figure.axes[0].lines}
    for name in ("GD", "momentum", "RMSprop", "Adam"):
        assert out["paths"][name].shape == (31, 2)
        assert np.allclose(lines[name].get_xydata(), out["paths"][name])
        assert out["final_loss"][name] < widgets.elongated_bowl(-9.0, 2.5)


def test_optimizer_paths_gd_diverges_past_the_stability_limit():
    # Curvature 2 across the valley: plain gradient descent diverges for lr > 1.
    paths = widgets.optimizer_paths(1.2, num_steps=200)
    assert np.isnan(paths["GD"][-1]).all()
    assert np.isfinite(paths["Adam"]).all()
    stable = widgets.optimizer_paths(0.9, num_steps=200)
    assert np.abs(stable["GD"][-1]).max() < 1.0


def test_optimizer_paths_momentum_with_zero_beta_is_gradient_descent():
    paths = widgets.optimizer_paths(0.2, beta=0.0, num_steps=20)
    assert np.allclose(paths["momentum"], paths["GD"])


# ----------------------------------------------------------------- regularization


def test_dropout_l2_explorer_retrains_and_redraws(closing):
    explorer = widgets.dropout_l2_explorer()
    closing(explorer)
    check_explorer(explorer, ["keep_prob", "lambd"])
    image = explorer.figure.axes[0].images[0]
    plain = explorer.callback(keep_prob=1.0, lambd=0.0)
    plain_image = np.array(image.get_array())
    regularized = explorer.callback(keep_prob=1.0, lambd=3.0)
    assert 0.5 <= regularized["dev_acc"] <= 1.0 and 0.5 <= regularized["train_acc"] <= 1.0
    assert regularized["train_acc"] < plain["train_acc"]  # the unregularized network overfits
    assert regularized["weight_norm"] < plain["weight_norm"]  # L2 shrinks the weights
    assert not np.array_equal(np.array(image.get_array()), plain_image)
    train_line, dev_line = explorer.figure.axes[1].lines
    assert np.allclose(dev_line.get_ydata(), regularized["history"]["dev_acc"])
    dropout = explorer.callback(keep_prob=0.6, lambd=0.0)
    assert dropout["train_acc"] != plain["train_acc"]  # masks on: another network


def test_regularized_network_is_the_training_loop_of_dlcore_train():
    """train_regularized_network runs the loop of dlcore.train.train (Adam, full batch, same
    initialisation and dropout masks): the same parameters and accuracies, to rounding."""
    from dlcore.train import train

    X, Y, X_dev, Y_dev = widgets.initialization_regularization.overfitting_data(0)
    for keep_prob, lambd in ((1.0, 0.0), (0.7, 0.3)):
        run = widgets.train_regularized_network(X, Y, X_dev, Y_dev, (2, 12, 8, 1), keep_prob=keep_prob, lambd=lambd,
                                                num_epochs=30, learning_rate=0.03, record_every=1, seed=4)
        result = train(X, Y, [2, 12, 8, 1], optimizer="adam", learning_rate=0.03, num_epochs=30, keep_prob=keep_prob,
                       lambd=lambd, X_dev=X_dev, Y_dev=Y_dev, seed=4)
        for key, value in result.parameters.items():
            np.testing.assert_allclose(run["parameters"][key], value, rtol=1e-12, atol=1e-14, err_msg=key)
        assert np.array_equal(run["epochs"], np.arange(1, 31))
        assert np.allclose(run["train_acc"], result.history["train_acc"])
        assert np.allclose(run["dev_acc"], result.history["dev_acc"])
        assert np.array_equal(run["predict"](X_dev), result.predict(X_dev) == 1)


def test_batchnorm_network_without_batchnorm_is_gradient_descent_with_the_graded_functions():
    X, Y = data.moons(m=80, noise=0.2, seed=0)
    p = initialize_parameters_deep([2, 6, 5, 1], "he", np.random.default_rng(1))
    run = widgets.train_batchnorm_network(X, Y, p, 0.5, 15, batchnorm=False)
    q, costs = p, []
    for _ in range(15):
        AL, caches = model_forward(X, q)
        costs.append(compute_cost(AL, Y))
        q = update_parameters(q, model_backward(AL, Y, caches), 0.5)
    np.testing.assert_allclose(run["costs"], costs, rtol=1e-12)
    for key in q:
        np.testing.assert_allclose(run["parameters"][key], q[key], rtol=1e-12, atol=1e-14, err_msg=key)
    assert run["bn_parameters"] is None and run["running"] is None and not run["diverged"]


def test_batchnorm_network_runs_the_students_functions_and_leaves_the_bias_out():
    from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, update_running_averages

    calls = {"forward": 0, "backward": 0, "running": 0}

    def counting(name, fn):
        def wrapped(*args):
            calls[name] += 1
            return fn(*args)

        return wrapped

    X, Y = data.moons(m=80, noise=0.2, seed=0)
    p = initialize_parameters_deep([2, 6, 5, 1], "he", np.random.default_rng(1))
    p["b1"] = np.full((6, 1), 3.0)  # no effect: batch norm subtracts any bias with the mean
    run = widgets.train_batchnorm_network(X, Y, p, 0.5, 12, bn_forward=counting("forward", batchnorm_forward),
                                          bn_backward=counting("backward", batchnorm_backward),
                                          update_running=counting("running", update_running_averages),
                                          record_stats=True)
    assert calls == {"forward": 24, "backward": 24, "running": 24}  # 2 hidden layers, 12 steps
    assert np.array_equal(run["parameters"]["b1"], p["b1"]) and np.array_equal(run["parameters"]["b2"], p["b2"])
    assert not np.array_equal(run["parameters"]["b3"], p["b3"])
    assert run["costs"][-1] < run["costs"][0]
    assert [a.shape for a in run["input_std"]] == [(12, 6), (12, 5)]
    assert np.allclose(run["input_mean"][0][0], run["bn_parameters"]["beta1"].ravel() * 0.0)  # beta starts at 0
    assert set(run["running"]) == {"mean1", "var1", "mean2", "var2"}


def test_batchnorm_network_stops_when_training_diverges():
    X, Y = data.moons(m=80, noise=0.2, seed=0)
    p = initialize_parameters_deep([2, 6, 5, 1], "he", np.random.default_rng(1))
    run = widgets.train_batchnorm_network(X, Y, p, 1e100, 30, batchnorm=False)  # the weights overflow
    assert run["diverged"] and np.isnan(run["costs"][-1]) and np.isfinite(run["costs"][0])


def test_blit_explorer_shows_what_a_full_draw_shows(closing):
    """The cached background, the animated artists and the pasted overlay (the points) make the
    picture that drawing the whole figure makes."""
    import io

    from PIL import Image

    for explorer, values in ((widgets.dropout_l2_explorer(), dict(keep_prob=0.7, lambd=0.1)),
                             (widgets.training_regions_explorer(), dict(epoch=100))):
        closing(explorer)
        explorer.callback(**values)
        fast = np.asarray(Image.open(io.BytesIO(explorer.render_png())).convert("RGBA")).astype(int)
        for artist in explorer.animated + explorer.overlay:
            artist.set_animated(False)
        explorer.figure.canvas.draw()
        full = np.asarray(explorer.figure.canvas.buffer_rgba()).astype(int)
        assert fast.shape == full.shape
        assert (np.abs(fast - full).max(axis=2) > 8).mean() < 1e-3  # a few antialiased edge pixels at most


# ---------------------------------------------------------------------- threshold


def test_threshold_explorer_tracks_precision_and_recall(closing):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 300)
    scores = np.clip(0.3 * y_true + 0.7 * rng.random(300), 0, 1)
    explorer = widgets.threshold_explorer(y_true, scores)
    closing(explorer)
    check_explorer(explorer, ["threshold"])
    for threshold in (0.2, 0.5, 0.8):
        out = explorer.callback(threshold=threshold)
        expected = precision_recall_f1(y_true, (scores > threshold).astype(int))
        assert (out["precision"], out["recall"], out["f1"]) == pytest.approx(expected)
        assert out["confusion"].sum() == 300
        assert explorer.figure.axes[0].lines[-1].get_xdata()[0] == threshold  # the vertical marker
    low, high = explorer.callback(threshold=0.05), explorer.callback(threshold=0.9)
    assert low["recall"] >= high["recall"] and low["precision"] <= high["precision"]


def test_threshold_explorer_default_data_trains_a_model():
    explorer = widgets.threshold_explorer()
    try:
        assert 0.6 < explorer.result["f1"] <= 1.0
    finally:
        explorer.close()


# --------------------------------------------------------------------- the display


def test_nothing_printed_outside_a_notebook(capsys, closing):
    explorer = widgets.ewa_explorer()
    closing(explorer)
    explorer.controls["beta"].value = 0.8
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_close_closes_the_controls():
    explorer = widgets.ewa_explorer()
    slider = explorer.controls["beta"]
    explorer.close()
    assert slider.comm is None and explorer.comm is None


def test_explorer_puts_its_figure_in_the_output_widget_without_capturing_the_cell(closing, monkeypatch):
    """In a kernel the picture goes into the Output widget's ``outputs`` (one state update),
    never through ``with output:``, whose capture of the cell's messages made a headless client
    (nbclient) stall until its cell timeout (issue 18, item 10; see tests/test_notebook_timeout.py)."""
    import base64

    from dlcore.widgets import base

    monkeypatch.setattr(base, "in_ipython", lambda: True)
    explorer = widgets.ewa_explorer()
    closing(explorer)
    (shown,) = explorer.output.outputs
    assert shown["output_type"] == "display_data"
    assert base64.b64decode(shown["data"]["image/png"]) == explorer.render_png()
    assert explorer.output.msg_id == ""  # no capture was set up
    explorer.controls["beta"].value = 0.98  # a slider move replaces the picture
    (after,) = explorer.output.outputs
    assert after["data"]["image/png"] != shown["data"]["image/png"]
    assert explorer.output.msg_id == ""


def test_explorer_error_outside_a_kernel_is_raised(closing):
    def failing(beta):
        if beta > 0.95:
            raise ZeroDivisionError("the student's function failed")
        return {}

    other = widgets.ewa_explorer()
    closing(other)
    explorer = widgets.Explorer({"beta": ipywidgets.FloatSlider(value=0.5, min=0, max=1)}, failing, other.figure)
    closing(explorer)
    with pytest.raises(ZeroDivisionError, match="student"):
        explorer.controls["beta"].value = 0.99
