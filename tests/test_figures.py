"""dlcore.figures: digit images are the columns read row by row, and bad arguments are named."""
from __future__ import annotations

import numpy as np
import pytest

from dlcore import figures


def test_digit_image_reads_a_column_row_by_row():
    x = np.arange(64.0)
    image = figures.digit_image(x)
    assert image.shape == (8, 8)
    np.testing.assert_array_equal(image[1], np.arange(8.0, 16.0))  # the second row is pixels 8..15


def test_plot_digits_tiles_every_image_into_one_picture():
    rng = np.random.default_rng(0)
    X = rng.random((64, 13))
    ax = figures.plot_digits(X, np.arange(13) % 10, ncols=5)
    assert len(ax.images) == 1  # one tiled image, not one Axes per digit
    mosaic = ax.images[0].get_array()
    assert mosaic.shape[1] == 5 * 8 + 4  # 5 columns of 8 pixels with a 1-pixel gap
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(k % 10) for k in range(13)]


def test_plot_digits_marks_the_errors():
    X = np.zeros((64, 3))
    ax = figures.plot_digits(X, [1, 2, 3], [1, 7, 3])
    colors = [t.get_color() for t in ax.texts]
    assert [t.get_text() for t in ax.texts] == ["1->1", "2->7", "3->3"]
    assert colors[1] != colors[0] and colors[0] == colors[2]


@pytest.mark.parametrize("call, match", [
    (lambda: figures.plot_digits(np.zeros((64, 0))), "`X`"),
    (lambda: figures.plot_digits(np.zeros((64, 2)), [1, 2, 3]), "`y_true`"),
    (lambda: figures.plot_digits(np.zeros((64, 2)), [1, 2], [1]), "`y_pred`"),
    (lambda: figures.plot_digits(np.zeros((64, 2)), titles=["a"]), "`titles`"),
    (lambda: figures.digit_image(np.zeros(63)), "`x`"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
