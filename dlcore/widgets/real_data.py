"""Notebooks 03, 06 and 07 on the real data sets (digits, breast cancer): explorers and the computations behind them.

* :func:`digit_tagger`: error analysis by hand: each misclassified dev digit in turn, a
  toggle of categories to tag it, and the ceiling of every category computed with the
  student's ``error_analysis_ceiling`` as the tags come in.
* :func:`recall_threshold_explorer`: the decision threshold of a tumour classifier, where
  missing a malignant tumour costs far more than a false alarm: precision, recall, the
  counts of missed tumours and false alarms, and the largest threshold that keeps the
  recall of malignant tumours at a required level.
* :func:`auto_error_tags`: a first, computed tagging of misclassified digits (near miss,
  faint, off-centre, other), which the tagger starts from.
* :func:`phone_digits`: "phone camera" versions of digits (shifted and blurred), for the
  data-mismatch experiment.
* :func:`learning_curve`: training and dev error of real training runs against the size
  of the training set.
* :func:`digit_errors`, :func:`breast_cancer_scores`: small trained networks on fixed
  splits, the default data of the explorers.

Every explorer is a :class:`dlcore.widgets.base.Explorer` (controls above a figure) whose
``callback`` can be called directly, without a browser, as in :mod:`dlcore.widgets`.
Shapes: examples are columns, ``X`` (n_x, m); labels ``(m,)`` or ``(1, m)`` ints.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlcore.data import breast_cancer, digits, make_rng
from dlcore.figures import digit_image
from dlcore.preprocessing import normalize_inputs
from dlcore.strategy import confusion_matrix, error_analysis_ceiling, precision_recall_f1
from dlcore.train import train
from dlcore.validation import as_array, class_labels
from dlcore.widgets.base import BlitExplorer

__all__ = [
    "phone_digits",
    "auto_error_tags",
    "learning_curve",
    "digit_errors",
    "breast_cancer_scores",
    "digit_tagger",
    "recall_threshold_explorer",
    "TAG_CATEGORIES",
]

#: The categories of :func:`auto_error_tags`, in the order the rules try them.
TAG_CATEGORIES = ("near miss", "faint", "off-centre", "other")

_STYLE = {"description_width": "initial"}


def _figure(width: float, height: float, ncols: int, width_ratios: Sequence[float] | None = None):
    figure = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None)
    return figure, axes


def _labels_of(y, name: str, m: int, C: int) -> np.ndarray:
    """``y`` as m class labels in ``[0, C)`` (1-D int64), checked by :func:`dlcore.validation.class_labels`."""
    labels = class_labels(y, name, C)
    if labels.size != m:
        raise ValueError(f"`{name}` must hold one label per example ({m}); got {labels.size}.")
    return labels


# ------------------------------------------------------------------ computations


def _one_blas_thread():
    """A context in which NumPy's BLAS runs on one thread (a no-op without threadpoolctl).

    The networks trained here multiply matrices of a few hundred thousand entries: one
    thread does that as fast as several on an idle machine, and on a busy one (a shared
    server, a grading queue) extra BLAS threads wait for each other, measured up to 30
    times slower. threadpoolctl comes with scikit-learn, which provides the data.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _shifted(images: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Each (8, 8) image of ``images`` (m, 8, 8) moved by (dy[i], dx[i]) pixels, fractions interpolated linearly.

    Pixels moved in from outside the image are blank (0).
    """
    m, h, w = images.shape
    pad = int(np.ceil(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))) + 1
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    src_r = rows + pad - dy[:, None, None]                     # where each output pixel is read from
    src_c = cols + pad - dx[:, None, None]
    r0, c0 = np.floor(src_r).astype(np.int64), np.floor(src_c).astype(np.int64)
    fr, fc = src_r - r0, src_c - c0
    k = np.arange(m)[:, None, None]
    return ((1 - fr) * (1 - fc) * padded[k, r0, c0] + (1 - fr) * fc * padded[k, r0, c0 + 1]
            + fr * (1 - fc) * padded[k, r0 + 1, c0] + fr * fc * padded[k, r0 + 1, c0 + 1])


def phone_digits(X: np.ndarray, rng: np.random.Generator, *, max_shift: float = 0.5, blur: float = 0.5,
                 contrast: float = 0.8) -> np.ndarray:
    """The same digits as seen by a "phone camera": off-centre, blurred and paler.

    X : (64, m) digits in [0, 1], 8x8 images read row by row.
    rng : draws each image's shift, (dy, dx) each uniform in ``[-max_shift, max_shift]``
    pixels (a fraction of a pixel mixes neighbouring pixels; pixels shifted in are blank).
    blur : each pixel becomes ``(1 - blur) * itself + blur * mean of its 4 neighbours``.
    contrast : the result is multiplied by it (a paler image).
    Returns a new (64, m) array; ``X`` is left unchanged.
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] != 64:
        raise ValueError(f"`X` must hold 8x8 digits as columns, shape (64, m); got {X.shape}.")
    if not 0.0 <= max_shift <= 4.0:
        raise ValueError(f"`max_shift` must lie in [0, 4] pixels; got {max_shift!r}.")
    if not 0.0 <= blur <= 1.0:
        raise ValueError(f"`blur` must lie in [0, 1]; got {blur!r}.")
    if not 0.0 < contrast <= 1.0:
        raise ValueError(f"`contrast` must lie in (0, 1]; got {contrast!r}.")
    m = X.shape[1]
    shifts = rng.uniform(-max_shift, max_shift, size=(2, m))
    out = _shifted(X.T.reshape(m, 8, 8), shifts[0], shifts[1])
    ring = np.pad(out, ((0, 0), (1, 1), (1, 1)))
    neighbours = (ring[:, :-2, 1:-1] + ring[:, 2:, 1:-1] + ring[:, 1:-1, :-2] + ring[:, 1:-1, 2:]) / 4.0
    out = contrast * ((1.0 - blur) * out + blur * neighbours)
    return out.reshape(m, 64).T.copy()


def _centre_of_mass(X: np.ndarray) -> np.ndarray:
    """(2, m) row and column of the ink's centre of mass of each 8x8 digit of X (64, m)."""
    rows, cols = np.divmod(np.arange(64), 8)
    ink = X.sum(axis=0) + 1e-12
    return np.vstack([rows @ X / ink, cols @ X / ink])


def auto_error_tags(X: np.ndarray, y_true: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A first tagging of the misclassified digits, computed from the images and the probabilities.

    X : (64, m) dev digits.  y_true : (m,) labels.  P : (C, m) the network's probabilities.
    Each misclassified example gets the first category whose rule holds:

    * ``"near miss"``: the true class is the network's second choice;
    * ``"faint"``: less ink than 3 in 4 digits of its true class in ``X``;
    * ``"off-centre"``: its centre of mass is over 1 pixel from the mean of its true class;
    * ``"other"``: none of these.

    Returns ``(indices, tags)``: the columns of the misclassified examples, and one tag each.
    """
    X = as_array(X, "X", ndim=2)
    P = as_array(P, "P", ndim=2)
    m = X.shape[1]
    if P.shape[1] != m:
        raise ValueError(f"`P` must have one column per example of X ({m}); got shape {P.shape}.")
    y_true = _labels_of(y_true, "y_true", m, P.shape[0])
    wrong = np.flatnonzero(np.argmax(P, axis=0) != y_true)
    ink = X.sum(axis=0)
    centres = _centre_of_mass(X)
    tags = []
    for i in wrong:
        same = y_true == y_true[i]
        second = int(np.argsort(P[:, i])[-2])
        if second == y_true[i]:
            tags.append("near miss")
        elif ink[i] < np.percentile(ink[same], 25):
            tags.append("faint")
        elif np.linalg.norm(centres[:, i] - centres[:, same].mean(axis=1)) > 1.0:
            tags.append("off-centre")
        else:
            tags.append("other")
    return wrong, tags


def learning_curve(
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_dev: np.ndarray,
    Y_dev: np.ndarray,
    sizes: Sequence[int],
    layer_dims: Sequence[int],
    **train_kwargs,
) -> dict[str, np.ndarray]:
    """Train one network per training-set size and measure its training and dev error.

    X_train (n_x, m), Y_train (1, m) or one-hot; run k trains on the first ``sizes[k]``
    columns (so shuffle first) with :func:`dlcore.train.train` (``layer_dims`` and
    ``train_kwargs``; ``seed=0`` and ``progress=False`` unless given).
    Returns ``{"sizes", "train_error", "dev_error"}``, 1-D arrays of len(sizes), errors as fractions.
    """
    X_train = as_array(X_train, "X_train", ndim=2)
    m = X_train.shape[1]
    sizes = [int(s) for s in sizes]
    if not sizes or any(s < 1 or s > m for s in sizes):
        raise ValueError(f"`sizes` must be training-set sizes in [1, {m}]; got {sizes}.")
    settings = {"seed": 0, "progress": False, **train_kwargs}
    train_error, dev_error = [], []
    with _one_blas_thread():
        for s in sizes:
            net = train(X_train[:, :s], np.asarray(Y_train)[:, :s], list(layer_dims), **settings)
            train_error.append(1.0 - net.accuracy(X_train[:, :s], np.asarray(Y_train)[:, :s]))
            dev_error.append(1.0 - net.accuracy(X_dev, Y_dev))
    return {"sizes": np.array(sizes), "train_error": np.array(train_error), "dev_error": np.array(dev_error)}


def digit_errors(num_train: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    """A small softmax network [64, 32, 10] trained on ``num_train`` digits, and its dev-set answers.

    The digits are shuffled with ``seed``; the dev set is the last 400 of them.
    Returns ``{"X_dev" (64, 400), "y_dev" (400,), "P_dev" (10, 400)}``.
    """
    X, Y = digits()
    perm = make_rng(seed=seed).permutation(X.shape[1])
    X, Y = X[:, perm], Y[:, perm]
    with _one_blas_thread():
        net = train(X[:, :num_train], Y[:, :num_train], [64, 32, 10], learning_rate=0.01, num_epochs=60, seed=seed,
                    progress=False)
    X_dev, y_dev = X[:, -400:], Y[0, -400:]
    return {"X_dev": X_dev, "y_dev": y_dev, "P_dev": net.predict_proba(X_dev)}


def breast_cancer_scores(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Dev-set probabilities of malignancy from a small network trained on normalised breast-cancer data.

    The 569 tumours are shuffled with ``seed``: 369 train, 200 dev. Returns ``(y_dev, p_dev)``,
    both (200,): 1 = malignant, and the network's P(malignant).
    """
    X, Y = breast_cancer()
    perm = make_rng(seed=seed).permutation(X.shape[1])
    X, Y = X[:, perm], Y[:, perm]
    X_train, X_dev = normalize_inputs(X[:, :369], X[:, 369:])
    with _one_blas_thread():
        net = train(X_train, Y[:, :369], [30, 8, 1], learning_rate=0.003, num_epochs=60, seed=seed, progress=False)
    return Y[0, 369:], net.predict_proba(X_dev)[0]


# ------------------------------------------------------------------ error analysis


def digit_tagger(
    X: np.ndarray | None = None,
    y_true: np.ndarray | None = None,
    P: np.ndarray | None = None,
    *,
    categories: Sequence[str] = TAG_CATEGORIES,
    tags: Sequence[str] | None = None,
    error_rate: float | None = None,
    ceiling: Callable[[Sequence[Hashable], float], dict] | None = None,
) -> BlitExplorer:
    """Tag the misclassified digits by hand and watch the ceiling of each category.

    X : (64, m) dev digits, y_true : (m,) labels, P : (C, m) the network's probabilities
    (default: :func:`digit_errors`). The tagger shows the misclassified ones, one at a time.
    categories : the tags offered.  tags : a starting tag per misclassified example
    (default: :func:`auto_error_tags`, restricted to ``categories`` — a tag outside them
    becomes the last category).
    error_rate : the dev error the ceilings share out (default: measured, errors / m).
    ceiling : ``ceiling(tags, error_rate) -> {category: ceiling}``, the student's
    ``error_analysis_ceiling`` (default: the dlcore reference).

    Controls: ``example`` (which misclassified digit) and ``tag`` (its category). Moving
    ``example`` sets ``tag`` to that example's current tag; choosing a ``tag`` retags it.
    Callback: ``(example, tag)`` -> ``{"index", "tags", "ceiling"}``; ``explorer.current_tags()``
    returns the current tags (a list, one per misclassified example, in order) and
    ``explorer.indices`` the columns of ``X`` they belong to.
    """
    if X is None or y_true is None or P is None:
        d = digit_errors()
        X, y_true, P = d["X_dev"], d["y_dev"], d["P_dev"]
    X = as_array(X, "X", ndim=2)
    P = as_array(P, "P", ndim=2)
    m = X.shape[1]
    y_true = _labels_of(y_true, "y_true", m, P.shape[0])
    categories = [str(c) for c in categories]
    if len(categories) < 2 or len(set(categories)) != len(categories):
        raise ValueError(f"`categories` must hold at least 2 distinct names; got {categories}.")
    wrong, auto = auto_error_tags(X, y_true, P)
    if wrong.size == 0:
        raise ValueError("the network makes no mistake on these examples: there is nothing to tag.")
    if tags is None:
        tags = [t if t in categories else categories[-1] for t in auto]
    tags = [str(t) for t in tags]
    if len(tags) != wrong.size or any(t not in categories for t in tags):
        raise ValueError(f"`tags` must hold one of {categories} per misclassified example ({wrong.size}); got {tags}.")
    rate = float(wrong.size / m) if error_rate is None else float(error_rate)
    ceiling = ceiling or error_analysis_ceiling
    y_pred = np.argmax(P, axis=0)
    C = P.shape[0]

    figure, (ax_img, ax_prob, ax_ceil) = _figure(9.0, 2.8, 3, width_ratios=[1.0, 1.3, 1.7])
    image = ax_img.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0.0, vmax=1.0)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    img_title = ax_img.set_title("", fontsize=9)
    bars = ax_prob.bar(np.arange(C), np.zeros(C), color="0.7")
    ax_prob.set_ylim(0, 1)
    ax_prob.set_xticks(np.arange(C))
    ax_prob.set_title("the network's probabilities", fontsize=9)
    cbars = ax_ceil.barh(np.arange(len(categories)), np.zeros(len(categories)), color="C0")
    ax_ceil.set_yticks(np.arange(len(categories)), categories)
    ax_ceil.invert_yaxis()
    ax_ceil.set_xlim(0, rate * 1.05)
    ax_ceil.set_xlabel("ceiling: the most fixing it can lower the error")
    ax_ceil.axvline(rate, color="k", linewidth=0.8, linestyle=":")
    ceil_texts = [ax_ceil.text(0, k, "", va="center", fontsize=8) for k in range(len(categories))]
    ceil_title = ax_ceil.set_title("", fontsize=9)

    state = {"tags": list(tags)}

    def callback(example: int, tag: str) -> dict:
        k = int(example)
        if not 0 <= k < wrong.size:
            raise ValueError(f"`example` must lie in [0, {wrong.size}); got {example}.")
        if tag not in categories:
            raise ValueError(f"`tag` must be one of {categories}; got {tag!r}.")
        state["tags"][k] = tag
        i = int(wrong[k])
        image.set_data(digit_image(X[:, i]))
        img_title.set_text(f"#{k + 1} of {wrong.size}: true {y_true[i]}, predicted {y_pred[i]}")
        for c, bar in enumerate(bars):
            bar.set_height(float(P[c, i]))
            bar.set_color("C2" if c == y_true[i] else ("C3" if c == y_pred[i] else "0.7"))
        result = {str(key): float(v) for key, v in dict(ceiling(list(state["tags"]), rate)).items()}
        for c, (bar, text) in enumerate(zip(cbars, ceil_texts)):
            value = result.get(categories[c], 0.0)
            bar.set_width(value)
            bar.set_color("C1" if categories[c] == tag else "C0")
            n = state["tags"].count(categories[c])
            text.set_position((value, c))
            text.set_text(f" {value:.1%} ({n})")
        ceil_title.set_text(f"error {rate:.1%} shared by {wrong.size} mistakes")
        return {"index": i, "tags": list(state["tags"]), "ceiling": result}

    slider = widgets.IntSlider(value=0, min=0, max=wrong.size - 1, description="misclassified example",
                               style=_STYLE, layout=widgets.Layout(width="420px"))
    toggle = widgets.ToggleButtons(options=categories, value=state["tags"][0], description="tag",
                                   style={"button_width": "90px"})

    def show_stored_tag(change) -> None:
        # Registered before the explorer's own observer: moving to an example first shows its tag.
        toggle.value = state["tags"][int(change["new"])]

    slider.observe(show_stored_tag, names="value")
    animated = [image, img_title, *bars, *cbars, *ceil_texts, ceil_title]
    explorer = BlitExplorer({"example": slider, "tag": toggle}, callback, figure, animated)
    explorer.indices = wrong                                    # columns of X of the misclassified examples
    explorer.categories = categories
    explorer.current_tags = lambda: list(state["tags"])         # a copy of the tags as they stand
    return explorer


# ------------------------------------------------------------------ threshold


def recall_threshold_explorer(
    y_true: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    *,
    threshold: float = 0.5,
    min_recall: float = 0.98,
    metrics: Callable | None = None,
    confusion: Callable | None = None,
) -> BlitExplorer:
    """The decision threshold of a classifier that must not miss positives (malignant tumours).

    y_true : (m,) 0/1, 1 = malignant.  scores : (m,) predicted P(malignant) (default:
    :func:`breast_cancer_scores`). An example is called malignant when its score is above
    the threshold.
    min_recall : the required recall of malignant tumours (a satisficing metric); the
    largest threshold that meets it is marked once, with a dotted line.
    metrics, confusion : the student's ``precision_recall_f1`` and ``confusion_matrix``
    (default: the dlcore reference).
    Left: the scores of benign and malignant tumours (histograms) with the threshold;
    right: precision and recall against the threshold. Callback: ``threshold`` ->
    ``{"precision", "recall", "f1", "confusion", "missed", "false_alarms"}``.
    """
    if y_true is None or scores is None:
        y_true, scores = breast_cancer_scores()
    scores = as_array(scores, "scores").ravel()
    y_true = _labels_of(y_true, "y_true", scores.size, 2)  # 1 = malignant, 0 = benign
    if not 0.0 < min_recall <= 1.0:
        raise ValueError(f"`min_recall` must lie in (0, 1]; got {min_recall!r}.")
    metrics = metrics or precision_recall_f1
    confusion = confusion or confusion_matrix
    thresholds = np.linspace(0.0, 1.0, 101)
    curves = np.array([[float(v) for v in metrics(y_true, (scores > t).astype(np.int64))] for t in thresholds])
    meets = np.flatnonzero(curves[:, 1] >= min_recall)
    safe = float(thresholds[meets[-1]]) if meets.size else 0.0

    figure, (ax_hist, ax_curves) = _figure(10.0, 3.6, 2)
    bins = np.linspace(0.0, 1.0, 26)
    ax_hist.hist(scores[y_true == 0], bins=bins, color="C0", alpha=0.6, label="benign")
    ax_hist.hist(scores[y_true == 1], bins=bins, color="C3", alpha=0.6, label="malignant")
    ax_hist.set_yscale("log")
    ax_hist.set_xlabel("P(malignant) given by the network")
    ax_hist.set_ylabel("tumours")
    ax_hist.legend(loc="upper center", fontsize=8)
    hist_line = ax_hist.axvline(threshold, color="k", linewidth=1.2)
    counts = ax_hist.text(0.5, 0.62, "", transform=ax_hist.transAxes, ha="center", family="monospace", fontsize=9)
    ax_curves.plot(thresholds, curves[:, 0], label="precision")
    ax_curves.plot(thresholds, curves[:, 1], label="recall (malignant found)")
    ax_curves.axhline(min_recall, color="C1", linewidth=0.8, linestyle="--")
    ax_curves.axvline(safe, color="C2", linewidth=1, linestyle=":")
    ax_curves.annotate(f"largest threshold with recall >= {min_recall:.0%}: {safe:.2f}", (safe, 0.3),
                       xytext=(4, 0), textcoords="offset points", fontsize=8, color="C2")
    curve_line = ax_curves.axvline(threshold, color="k", linewidth=1.2)
    ax_curves.set_xlim(0, 1)
    ax_curves.set_ylim(-0.02, 1.02)
    ax_curves.set_xlabel("threshold")
    ax_curves.legend(loc="lower left", fontsize=8)
    title = ax_curves.set_title("", fontsize=10)

    def callback(threshold: float) -> dict:
        y_pred = (scores > threshold).astype(np.int64)
        precision, recall, f1 = (float(v) for v in metrics(y_true, y_pred))
        matrix = np.asarray(confusion(y_true, y_pred, 2))
        (tn, fp), (fn, tp) = matrix
        for line in (hist_line, curve_line):
            line.set_xdata([threshold, threshold])
        counts.set_text(f"missed malignant (FN) {fn:3d}\nfalse alarms (FP)    {fp:3d}")
        counts.set_color("C3" if recall < min_recall else "k")
        title.set_text(f"threshold {threshold:.2f}: recall {recall:.1%}, precision {precision:.1%}")
        return {"precision": precision, "recall": recall, "f1": f1, "confusion": matrix,
                "missed": int(fn), "false_alarms": int(fp)}

    slider = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description="threshold",
                                 style=_STYLE, layout=widgets.Layout(width="500px"))
    return BlitExplorer({"threshold": slider}, callback, figure, [hist_line, curve_line, counts, title])
