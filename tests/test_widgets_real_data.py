"""Tests for dlcore.widgets.real_data and dlcore.figures: explorers build, controls change the figure,
and what is drawn comes from real computations on the real data sets."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-test-"))
import matplotlib

matplotlib.use("Agg")
import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlcore import data, figures, widgets
from dlcore.strategy import confusion_matrix, error_analysis_ceiling, precision_recall_f1
from dlcore.widgets import real_data as er


@pytest.fixture(scope="module")
def errors():
    return er.digit_errors()


def check_explorer(explorer, names):
    assert isinstance(explorer, ipywidgets.VBox) and isinstance(explorer, widgets.Explorer)
    assert list(explorer.controls) == names
    assert explorer.render_png().startswith(b"\x89PNG")


# ------------------------------------------------------------------ computations


def test_phone_digits_shift_blur_and_contrast():
    X, _ = data.digits()
    X = X[:, :50]
    before = X.copy()
    same = er.phone_digits(X, np.random.default_rng(0), max_shift=0.0, blur=0.0, contrast=1.0)
    assert np.allclose(same, X)  # no change asked, none made
    phone = er.phone_digits(X, np.random.default_rng(0))
    assert phone.shape == X.shape and np.array_equal(X, before)
    assert phone.max() <= 0.8 + 1e-12 and not np.allclose(phone, 0.8 * X)
    # no shift and no blur: only the contrast changes a pixel
    img = np.zeros((1, 8, 8))
    img[0, 3, 4] = 1.0
    moved = er.phone_digits(img.reshape(1, 64).T, np.random.default_rng(0), max_shift=0.0, blur=0.0)
    assert moved.reshape(8, 8)[3, 4] == pytest.approx(0.8)
    half = er.phone_digits(img.reshape(1, 64).T, np.random.default_rng(1), max_shift=1.0, blur=0.0, contrast=1.0)
    assert half.sum() == pytest.approx(1.0)  # ink is kept by an interpolated shift inside the frame
    with pytest.raises(ValueError, match="X"):
        er.phone_digits(np.zeros((10, 3)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="blur"):
        er.phone_digits(X, np.random.default_rng(0), blur=2.0)


def test_auto_error_tags_tags_exactly_the_mistakes(errors):
    X, y, P = errors["X_dev"], errors["y_dev"], errors["P_dev"]
    wrong, tags = er.auto_error_tags(X, y, P)
    assert np.array_equal(wrong, np.flatnonzero(np.argmax(P, axis=0) != y))
    assert len(tags) == wrong.size > 0 and set(tags) <= set(er.TAG_CATEGORIES)
    for i, tag in zip(wrong, tags):
        if tag == "near miss":
            assert np.argsort(P[:, i])[-2] == y[i]
    with pytest.raises(ValueError, match="P"):
        er.auto_error_tags(X, y, P[:, :5])


def test_learning_curve_trains_one_network_per_size():
    X, Y = data.digits()
    curve = er.learning_curve(X[:, :300], Y[:, :300], X[:, 1500:], Y[:, 1500:], [20, 300], [64, 16, 10],
                              learning_rate=0.01, num_epochs=40)
    assert list(curve["sizes"]) == [20, 300]
    assert curve["dev_error"][1] < curve["dev_error"][0]  # more data, fewer dev mistakes
    assert np.all((curve["train_error"] >= 0) & (curve["train_error"] <= curve["dev_error"] + 0.05))
    with pytest.raises(ValueError, match="sizes"):
        er.learning_curve(X[:, :30], Y[:, :30], X[:, 30:40], Y[:, 30:40], [50], [64, 10])


def test_breast_cancer_scores_come_from_a_trained_network():
    y, p = er.breast_cancer_scores()
    assert y.shape == p.shape == (200,)
    assert np.mean((p > 0.5) == y) > 0.85  # far above the 63% of always answering "benign"


# ------------------------------------------------------------------ explorers


def test_digit_tagger_tags_and_recomputes_the_ceilings(closing, errors):
    calls = []

    def ceiling(tags, rate):
        calls.append(list(tags))
        return error_analysis_ceiling(tags, rate)

    X, y, P = errors["X_dev"], errors["y_dev"], errors["P_dev"]
    explorer = er.digit_tagger(X, y, P, categories=["blurry", "other"], tags=None, ceiling=ceiling)
    closing(explorer)
    check_explorer(explorer, ["example", "tag"])
    n = explorer.indices.size
    assert explorer.current_tags() == ["other"] * n  # computed tags outside the categories become the last one
    image = explorer.figure.axes[0].images[0]
    first = np.array(image.get_array())
    out = explorer.callback(example=1, tag="blurry")
    assert calls[-1] == out["tags"] and out["tags"][1] == "blurry"
    rate = n / y.size
    assert out["ceiling"]["blurry"] == pytest.approx(rate / n)
    assert not np.array_equal(np.array(image.get_array()), first)  # another digit shown
    bar = explorer.figure.axes[2].patches[0]
    assert bar.get_width() == pytest.approx(rate / n)  # the ceiling bar is the student's number
    # moving the slider shows the stored tag of that example and keeps it
    explorer.controls["example"].value = 1
    assert explorer.controls["tag"].value == "blurry" and explorer.result["tags"][1] == "blurry"
    explorer.controls["example"].value = 2
    assert explorer.controls["tag"].value == "other"
    explorer.controls["tag"].value = "blurry"
    assert explorer.current_tags()[2] == "blurry"
    with pytest.raises(ValueError, match="tag"):
        explorer.callback(example=0, tag="dog")
    with pytest.raises(ValueError, match="example"):
        explorer.callback(example=n, tag="other")


def test_digit_tagger_default_data_and_bad_tags(closing):
    explorer = er.digit_tagger()
    closing(explorer)
    check_explorer(explorer, ["example", "tag"])
    assert set(explorer.current_tags()) <= set(er.TAG_CATEGORIES)
    d = er.digit_errors()
    with pytest.raises(ValueError, match="tags"):
        er.digit_tagger(d["X_dev"], d["y_dev"], d["P_dev"], tags=["near miss"])


def test_recall_threshold_explorer_tracks_missed_tumours(closing):
    y, p = er.breast_cancer_scores()
    seen = []

    def metrics(y_true, y_pred):
        seen.append(1)
        return precision_recall_f1(y_true, y_pred)

    explorer = er.recall_threshold_explorer(y, p, min_recall=0.95, metrics=metrics, confusion=confusion_matrix)
    closing(explorer)
    check_explorer(explorer, ["threshold"])
    assert len(seen) >= 101  # the curves are the student's metrics over a sweep
    low, high = explorer.callback(threshold=0.1), explorer.callback(threshold=0.9)
    assert low["recall"] >= high["recall"] and low["missed"] <= high["missed"]
    assert low["false_alarms"] >= high["false_alarms"]
    assert high["missed"] == int(np.sum((y == 1) & (p <= 0.9)))
    assert (high["precision"], high["recall"], high["f1"]) == pytest.approx(precision_recall_f1(y, (p > 0.9).astype(int)))
    line = explorer.figure.axes[0].lines[-1]
    assert line.get_xdata()[0] == 0.9  # the threshold line moved
    explorer.controls["threshold"].value = 0.3
    assert explorer.result["missed"] == int(np.sum((y == 1) & (p <= 0.3)))
    with pytest.raises(ValueError, match="min_recall"):
        er.recall_threshold_explorer(y, p, min_recall=0.0)


# ------------------------------------------------------------------ figures


def test_figures_draw_real_arrays():
    X, Y = data.digits()
    ax = figures.plot_digits(X[:, :12], Y[:, :12], Y[:, :12][:, ::-1], ncols=6)
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (2 * 12 - 1, 6 * 9 - 1)  # 3 label rows above each 8x8 image, 1-pixel gaps
    assert np.allclose(mosaic[3:11, 27:35], X[:, 3].reshape(8, 8))  # image 3: row 0, column 3
    assert [t.get_text() for t in ax.texts][:2] == [f"{Y[0, 0]}->{Y[0, 11]}", f"{Y[0, 1]}->{Y[0, 10]}"]
    plt.close(ax.figure)
    P = np.full((10, 4), 0.1)
    fig = figures.plot_digit_probabilities(X[:, :4], P, Y[:, :4], ncols=2)
    assert sum(len(ax.patches) for ax in fig.axes) == 40
    plt.close(fig)
    M = confusion_matrix(Y[0, :200], np.roll(Y[0, :200], 1), 10)
    ax = figures.plot_confusion_matrix(M)
    assert sum(int(t.get_text()) for t in ax.texts) == 200
    plt.close(ax.figure)
    W = np.random.default_rng(0).standard_normal((5, 64))
    ax = figures.plot_weight_images(W, ncols=3)
    mosaic = ax.images[0].get_array()
    assert np.allclose(mosaic[:8, :8], W[0].reshape(8, 8) / np.abs(W[0]).max())
    plt.close(ax.figure)
    ax = figures.plot_learning_curve([10, 100], [0.0, 0.1], [0.5, 0.2], human_error=0.01)
    assert np.allclose(ax.lines[1].get_ydata(), [0.5, 0.2])
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="M"):
        figures.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="x"):
        figures.digit_image(np.zeros(10))
