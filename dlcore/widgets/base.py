"""What every explorer of :mod:`dlcore.widgets` shares: the :class:`Explorer` widget, its figure, and helpers.

Each explorer returns an :class:`Explorer`: an ``ipywidgets.VBox`` (controls above the
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

Helpers for the topic modules: :func:`new_figure`, :data:`STYLE` (of the controls'
descriptions), :func:`in_slices` and :func:`region_colors` (decision regions), and
:func:`train_binary_network` (the full-batch retraining of notebooks 03 and 05, on
:func:`dlcore.train.run_epochs`).
"""
from __future__ import annotations

import base64
import io
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from dlcore.network import Network
from dlcore.train import Trainer, run_epochs

__all__ = ["Explorer", "BlitExplorer", "STYLE", "new_figure", "in_ipython", "in_slices", "region_colors",
           "train_binary_network"]

#: The style of the controls: descriptions as wide as their text.
STYLE = {"description_width": "initial"}


def in_ipython() -> bool:
    """True inside IPython (a notebook kernel), where an explorer has a display to show its figure in."""
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
        try:
            self.refresh()
        except Exception:
            if not in_ipython():
                raise
            self.output.outputs = (_error_output(),)

    def _show(self) -> None:
        if not in_ipython():  # plain Python (tests, benchmarks): nothing to display into
            return
        # The picture is put in the Output widget by setting its outputs (one state update,
        # which replaces the previous picture), never by displaying inside `with self.output:`.
        # That block makes the widget capture the running cell's messages, and a client that
        # runs notebooks without a browser (nbclient, nbconvert, grading) then mirrors every
        # captured output back to the kernel on the shell channel while it waits there for the
        # cell's reply: the reply can go unnoticed until the client's cell timeout expires.
        png = base64.b64encode(self.render_png()).decode("ascii")
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": "<IPython.core.display.Image object>"}},)


def _error_output() -> dict:
    """The exception being handled as a notebook ``error`` output (the traceback IPython would show)."""
    etype, evalue, tb = sys.exc_info()
    from IPython import get_ipython

    lines = get_ipython().InteractiveTB.structured_traceback(etype, evalue, tb)
    return {"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": lines}


def new_figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    """A figure of ``width`` x ``height`` inches with ``ncols`` axes in a row: ``(figure, axes)``.

    ``axes`` is one Axes for ``ncols == 1``, else an array (ncols,) of them.
    """
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


def in_slices(predict: Callable[[np.ndarray], np.ndarray], size: int = 512) -> Callable[[np.ndarray], np.ndarray]:
    """``predict`` applied to the points (n0, k) by slices of ``size`` columns.

    Products that small run on one BLAS thread, which for a decision grid is faster and
    steadier on a busy machine than one large product shared between threads.
    """
    def sliced(points: np.ndarray) -> np.ndarray:
        return np.concatenate([predict(points[:, i:i + size]) for i in range(0, points.shape[1], size)], axis=-1)

    return sliced


def region_colors(image: AxesImage) -> np.ndarray:
    """The RGBA bytes (k, 4) of classes 0..k-1 in ``image``'s colour map (from :func:`plot_decision_boundary`).

    An explorer then sets the image to ``colors[labels]``: an RGBA image of bytes is drawn
    as it is, about twice as fast as labels put through the colour map at every redraw.
    """
    k = int(round(image.norm.vmax + 0.5))
    return image.cmap(image.norm(np.arange(k)), bytes=True)


def train_binary_network(
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
    after_step: Callable[[int, Network], None] | None = None,
    with_costs: bool = True,
) -> dict:
    """Full-batch training of ``[LINEAR -> (BATCHNORM) -> RELU -> (DROPOUT)] x (L-1) -> LINEAR -> SIGMOID``.

    What the explorers that retrain a network at every slider move share
    (:func:`~dlcore.widgets.initialization_regularization.train_regularized_network`,
    :func:`~dlcore.widgets.batchnorm.train_batchnorm_network`): the training loop of
    :func:`dlcore.train.train` (:func:`dlcore.train.run_epochs`, one full-batch step per
    epoch, stopping at divergence), without its per-epoch evaluation, so that a run of a
    small network takes tens of milliseconds.

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
    t-th update (1-based), ``net`` being the :class:`dlcore.network.Network` trained.
    with_costs : False to skip computing the costs (left NaN).
    Training stops at the first iteration whose cost or output is not finite (it diverged).
    Returns ``{"costs", "diverged", "net"}``: the cost before each step ((num_iterations,),
    NaN from the divergence on), whether training diverged, and the network.
    """
    forward, backward, update_running = bn_functions
    net = Network.create(parameters, "binary", batchnorm=batchnorm, bn_forward=forward, bn_backward=backward,
                         bn_update_running=update_running)
    trainer = Trainer(net, optimizer)

    def on_epoch(epoch: int, cost: float, lr: float) -> None:
        after_step(epoch + 1, trainer.net)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        costs, diverged = run_epochs(trainer, X, Y, num_iterations, learning_rate=learning_rate, lambd=lambd,
                                     keep_prob=keep_prob, bn_momentum=bn_momentum, rng=rng, observe=observe,
                                     on_epoch=None if after_step is None else on_epoch, stop_on_divergence=True,
                                     with_cost=with_costs)
    return {"costs": costs, "diverged": diverged, "net": trainer.net}
