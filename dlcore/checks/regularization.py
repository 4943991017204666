"""Checks for notebook 03, initialization and regularization.

Same pattern as :mod:`dlcore.checks.forward` and :mod:`dlcore.checks.backward`: visible
checks on small worked examples by default; ``hidden=True`` runs the grading tests on
random shapes and values from fresh entropy.

Random exercises (``initialize_parameters_deep``, ``dropout_forward``,
``model_forward_with_dropout``) are judged by properties, never by one sequence of
draws: shapes, the formula recomputed from the masks the student returned, statistics
with tolerances of six standard errors (a correct answer fails less than once in
10^8 runs), the same seed giving the same result, different seeds different ones, and
the global ``np.random`` state left alone. Backward exercises are compared with the
``dlcore`` reference and, in the hidden tests, with finite differences.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, random_rng
from dlcore.checks.forward import _random_network, _random_shape
from dlcore.gradcheck import check_gradients
from dlcore.losses import cross_entropy_backward

_SIGMAS = 6.0  #: tolerance of the statistical checks, in standard errors


def _fail(message: str) -> None:
    __tracebackhide__ = True
    raise CheckFailure(message)


def _finite_difference_check(name: str, report, what: str) -> None:
    __tracebackhide__ = True
    if report.difference > 1e-6:
        key, idx, _, _ = report.worst
        _fail(f"`{name}`: {what} disagrees with finite differences of the cost (relative difference "
              f"{report.difference:.1e}); the largest error is in {key} at index {tuple(int(i) for i in idx)}.")


def _compare_with_hint(ex: Exercise, got: Any, want: Any, what: str, hints: list[tuple[Any, str]],
                       rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """``ex.compare`` whose failure names the first of ``hints`` (value, why) that ``got`` matches."""
    __tracebackhide__ = True
    try:
        ex.compare(got, want, what, rtol=rtol, atol=atol)
    except CheckFailure as failure:
        message = str(failure)
        if isinstance(got, np.ndarray):
            for value, why in hints:
                value = np.asarray(value, dtype=float)
                if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
                    message += f"\n  Likely mistake: {why}"
                    break
        raise CheckFailure(message) from None


def _kind(x: Any) -> str:
    """``x`` described by its type, e.g. "tuple of length 2"."""
    return type(x).__name__ + (f" of length {len(x)}" if isinstance(x, (tuple, list)) else "")


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


# --- 1. normalizing inputs ------------------------------------------------------------------
def _standardize(X: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    safe = np.where(sigma == 0, 1.0, sigma)
    return np.where(sigma == 0, 0.0, (X - mu) / safe)


def _own_stats(Xt: np.ndarray, Xo: np.ndarray) -> tuple:
    return (_standardize(Xt, Xt.mean(1, keepdims=True), Xt.std(1, keepdims=True)),
            _standardize(Xo, Xo.mean(1, keepdims=True), Xo.std(1, keepdims=True)))


def _normalize_mistakes() -> list[Mistake]:
    def with_stats(mu_fn, sigma_fn):
        def wrong(Xt, Xo):
            mu, sigma = mu_fn(Xt), sigma_fn(Xt)
            return _standardize(Xt, mu, sigma), _standardize(Xo, mu, sigma)
        return wrong

    mean = lambda X: X.mean(axis=1, keepdims=True)  # noqa: E731
    std = lambda X: X.std(axis=1, keepdims=True)  # noqa: E731
    return [
        Mistake(_own_stats, "X_other must be normalized with the mean and standard deviation of the *training* "
                            "set (the model only ever saw data scaled that way), not with its own."),
        Mistake(lambda Xt, Xo: (_standardize(Xt, Xt.mean(0, keepdims=True), Xt.std(0, keepdims=True)),
                                _standardize(Xo, Xo.mean(0, keepdims=True), Xo.std(0, keepdims=True))),
                "the statistics are per feature (per row), taken over the examples (the columns): axis=1, "
                "keepdims=True."),
        Mistake(with_stats(lambda X: np.zeros((X.shape[0], 1)), std), "subtract the mean before dividing."),
        Mistake(with_stats(mean, lambda X: X.var(axis=1, keepdims=True)),
                "divide by the standard deviation (np.std), not by the variance."),
        Mistake(with_stats(mean, lambda X: X.std(axis=1, ddof=1, keepdims=True)),
                "use the standard deviation with 1/m (np.std's default, ddof=0), as in the formula."),
        Mistake(with_stats(mean, lambda X: np.ones((X.shape[0], 1))), "divide by the standard deviation too."),
    ]


def normalize_inputs(student: Callable, hidden: bool = False) -> None:
    """Check ``normalize_inputs(X_train, X_other)``: training statistics applied to both sets."""
    __tracebackhide__ = True
    ex = Exercise("normalize_inputs", student, dlcore.normalize_inputs, hidden=hidden, mistakes=_normalize_mistakes())
    names = ("X_train_n", "X_other_n")
    if not hidden:
        X_train = np.array([[1.0, 2.0, 3.0, 6.0], [10.0, 10.0, 10.0, 10.0], [-2.0, 0.0, 2.0, 0.0]])
        X_other = np.array([[4.0, 0.0], [10.0, 10.0], [1.0, -1.0]])
        got = ex.call(X_train, X_other)
        if not isinstance(got, tuple) or len(got) != 2:
            _fail("`normalize_inputs` must return the tuple (X_train_n, X_other_n).")
        for g, n in zip(got, names):
            if isinstance(g, np.ndarray) and g.shape[:1] == (3,) and np.isnan(g[1]).any():
                _fail(f"`normalize_inputs`: {n} holds NaN in row 1, a feature that is constant in X_train. "
                      f"Its standard deviation is 0: map such a feature to 0 instead of dividing by 0 "
                      f"(e.g. replace a zero sigma by 1).")
        sigma = np.array([[math.sqrt(3.5)], [1.0], [math.sqrt(2.0)]])
        mu = np.array([[3.0], [10.0], [0.0]])
        for g, X, n in zip(got, (X_train, X_other), names):
            ex.compare(g, (X - mu) / sigma, n, (X_train, X_other), rtol=1e-6, atol=1e-9)
        ex.against_reference(X_train, X_other, what=names, rtol=1e-6, atol=1e-9)
    else:
        rng = random_rng()
        for case in range(4):
            n, m_train, m_other = int(rng.integers(2, 7)), int(rng.integers(8, 60)), int(rng.integers(1, 30))
            scale = 10 ** rng.uniform(-1, 3, size=(n, 1))
            offset = rng.uniform(-50, 50, size=(n, 1)) * scale
            X_train = offset + scale * rng.normal(size=(n, m_train))
            # another set from a shifted, wider distribution: its own statistics differ
            X_other = offset + scale * (1.0 + 1.5 * rng.normal(size=(n, m_other)))
            if case % 2:  # a constant feature (the same constant in both sets)
                k, c = int(rng.integers(n)), float(rng.integers(-5, 6))
                X_train[k], X_other[k] = c, c
            ex.against_reference(X_train, X_other, what=names, rtol=1e-6, atol=1e-6)
    ex.done()


# --- 2. initialization ----------------------------------------------------------------------
_METHODS = ("zeros", "random", "xavier", "he", "lecun")


def _std_for(method: str, n_in: int, n_out: int) -> float:
    return {"zeros": 0.0, "random": 0.01, "xavier": math.sqrt(2.0 / (n_in + n_out)),
            "he": math.sqrt(2.0 / n_in), "lecun": math.sqrt(1.0 / n_in)}[method]


def _candidate_scales(n_in: int, n_out: int) -> dict[str, float]:
    """Standard deviations of typical mistakes, to name the one a student made."""
    return {
        "0.01, the scale of method 'random'": 0.01,
        "1 (no scaling: rng.standard_normal alone)": 1.0,
        "sqrt(2 / n[l-1]), He's scale": math.sqrt(2.0 / n_in),
        "sqrt(1 / n[l-1]), LeCun's scale": math.sqrt(1.0 / n_in),
        "sqrt(2 / (n[l-1] + n[l])), Xavier (Glorot)'s scale": math.sqrt(2.0 / (n_in + n_out)),
        "sqrt(2 / n[l]): the fan-out n[l] where the fan-in n[l-1] belongs": math.sqrt(2.0 / n_out),
        "sqrt(1 / n[l]): the fan-out n[l] where the fan-in n[l-1] belongs": math.sqrt(1.0 / n_out),
        "2 / n[l-1]: the variance itself; multiply by its square root, np.sqrt(2 / n[l-1])": 2.0 / n_in,
        "1 / n[l-1]: the variance itself; multiply by its square root, np.sqrt(1 / n[l-1])": 1.0 / n_in,
        "2 / (n[l-1] + n[l]): the variance itself; multiply by its square root": 2.0 / (n_in + n_out),
    }


def _check_layout(ex: Exercise, params: Any, dims: list[int], method: str) -> None:
    __tracebackhide__ = True
    L = len(dims) - 1
    want = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if not isinstance(params, dict):
        _fail(f"`{ex.name}` must return a dict; got {type(params).__name__}.")
    if sorted(params) != sorted(want):
        _fail(f"`{ex.name}` with layer_dims of length {len(dims)} (L = {L} layers) must return the keys {want}; "
              f"got {sorted(params)} (method={method!r}).")
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            arr = params[key]
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
                rows = f"n[{l}]"
                cols = f"n[{l - 1}]" if key[0] == "W" else "1"
                _fail(f"`{ex.name}` (method={method!r}): {key} must have shape {shape} = ({rows}, {cols}); got {got}.")
            if arr.dtype != np.float64:
                _fail(f"`{ex.name}` (method={method!r}): {key} must hold float64 numbers; got {arr.dtype}.")
        if np.any(params[f"b{l}"] != 0):
            _fail(f"`{ex.name}` (method={method!r}): b{l} must be all zeros, whatever the method.")
        W = params[f"W{l}"]
        if method == "zeros" and np.any(W != 0):
            _fail(f"`{ex.name}`: method 'zeros' must give W{l} all zeros.")
        if method != "zeros" and W.size > 1 and np.all(W == W.flat[0]):
            _fail(f"`{ex.name}` (method={method!r}): all entries of W{l} are equal. Draw them with "
                  f"rng.standard_normal so that the units of a layer start different (symmetry breaking).")


def _check_weight_statistics(ex: Exercise, W: np.ndarray, method: str, l: int, n_in: int, n_out: int) -> None:
    """W ~ N(0, std^2) for the method, within six standard errors."""
    __tracebackhide__ = True
    N = W.size
    std = _std_for(method, n_in, n_out)
    got_std, got_mean = float(W.std()), float(W.mean())
    where = f"`{ex.name}` (method={method!r}): W{l} (shape ({n_out}, {n_in}))"
    if abs(got_std / std - 1) > _SIGMAS / math.sqrt(2 * N):
        hint = ""
        for name, s in _candidate_scales(n_in, n_out).items():
            if abs(got_std / s - 1) < _SIGMAS / math.sqrt(2 * N):
                hint = f" It matches {name}."
                break
        _fail(f"{where} has standard deviation {got_std:.4g}; method {method!r} asks for {std:.4g}.{hint}")
    if abs(got_mean) > _SIGMAS * std / math.sqrt(N):
        _fail(f"{where} has mean {got_mean:.3g}, expected about 0: draw with rng.standard_normal, which is "
              f"centred on 0.")
    inside = float(np.mean(np.abs(W) < std))
    p = math.erf(1 / math.sqrt(2))  # 68.3 %: a normal variable within one standard deviation of its mean
    if abs(inside - p) > _SIGMAS * math.sqrt(p * (1 - p) / N):
        _fail(f"{where}: {inside:.1%} of the weights lie within one standard deviation of 0, but a normal "
              f"distribution has {p:.1%} there. Draw with rng.standard_normal(shape) and multiply by the scale.")


def _contrasting_dims(rng: np.random.Generator) -> list[int]:
    """Three layer sizes where fan-in and fan-out differ a lot, so that every scale is distinct."""
    return [int(rng.integers(200, 401)), int(rng.integers(60, 101)), int(rng.integers(200, 401))]


def initialize_parameters_deep(student: Callable, hidden: bool = False) -> None:
    """Check every method: layout, zero biases, the weight scale of each method, use of ``rng``."""
    __tracebackhide__ = True
    ex = Exercise("initialize_parameters_deep", student, dlcore.initialize_parameters_deep, hidden=hidden)
    rng = random_rng() if hidden else np.random.default_rng(30)
    for method in _METHODS:
        dims = [int(n) for n in rng.integers(1, 9, size=rng.integers(2, 6))] if hidden else [3, 4, 2, 1]
        _check_layout(ex, ex.call(dims, method, np.random.default_rng(_seed(rng))), dims, method)
    dims = _contrasting_dims(rng) if hidden else [300, 80, 250]
    for method in _METHODS[1:]:
        params = ex.call(dims, method, np.random.default_rng(_seed(rng)))
        _check_layout(ex, params, dims, method)
        for l in (1, 2):
            _check_weight_statistics(ex, params[f"W{l}"], method, l, dims[l - 1], dims[l])
    small = [int(n) for n in rng.integers(3, 9, size=4)] if hidden else [5, 4, 3, 1]
    for method in _METHODS[1:]:
        seed = _seed(rng)
        first = ex.call(small, method, np.random.default_rng(seed))
        again = ex.call(small, method, np.random.default_rng(seed))
        other = ex.call(small, method, np.random.default_rng(seed + 1))
        if any(not np.array_equal(first[k], again[k]) for k in first):
            _fail(f"`{ex.name}` (method={method!r}) gave different weights for two generators with the same "
                  f"seed. Draw every random number from `rng`.")
        if all(np.array_equal(first[k], other[k]) for k in first):
            _fail(f"`{ex.name}` (method={method!r}) gave the same weights for generators with different seeds: "
                  f"the weights must be drawn from `rng`.")
    ex.raises(ValueError, [3, 2, 1], "glorot", np.random.default_rng(0), what="[3, 2, 1], method='glorot', rng")
    ex.done()


# --- 3. L2 regularization -------------------------------------------------------------------
def _squares(parameters: dict, prefixes: str = "W") -> float:
    L = len(parameters) // 2
    return sum(float(np.sum(np.square(parameters[f"{p}{l}"]))) for l in range(1, L + 1) for p in prefixes)


def _l2_cost_mistakes() -> list[Mistake]:
    ce = dlcore.compute_cost

    def L_of(p):
        return len(p) // 2

    return [
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / (2 * Y.shape[1]) * _squares(p, "Wb"),
                "only the weights are penalised; leave the biases b out of the sum."),
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / Y.shape[1] * _squares(p),
                "the penalty is (lambd / (2 m)) times the sum of squares: the 2 is missing."),
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / 2 * _squares(p),
                "divide the penalty by m too: (lambd / (2 m)) times the sum of squares."),
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / (2 * Y.shape[1])
                * sum(float(np.sum(np.abs(p[f"W{l}"]))) for l in range(1, L_of(p) + 1)),
                "square the weights (np.square or W ** 2): the Frobenius norm squared is a sum of squares."),
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / (2 * Y.shape[1])
                * float(np.sum(np.square(p[f"W{L_of(p)}"]))),
                "sum over every layer l = 1 .. L, not just the last one."),
        Mistake(lambda AL, Y, p, lambd: ce(AL, Y) + lambd / (2 * Y.shape[1]) * float(np.sum(np.square(p["W1"]))),
                "sum over every layer l = 1 .. L, not just the first one."),
        Mistake(lambda AL, Y, p, lambd: lambd / (2 * Y.shape[1]) * _squares(p),
                "add the penalty to the cross-entropy cost (compute_cost(AL, Y))."),
    ]


def compute_cost_with_l2(student: Callable, hidden: bool = False) -> None:
    """Check cross-entropy + ``(lambd / 2m) * sum_l ||W{l}||^2``, returned as a Python float."""
    __tracebackhide__ = True
    ex = Exercise("compute_cost_with_l2", student, dlcore.compute_cost_with_l2, hidden=hidden,
                  mistakes=_l2_cost_mistakes())
    if not hidden:
        AL, Y = np.array([[0.8, 0.1, 0.6]]), np.array([[1.0, 0.0, 1.0]])
        p = {"W1": np.array([[1.0, -2.0], [0.5, 0.0]]), "b1": np.array([[3.0], [-1.0]]),
             "W2": np.array([[2.0, -1.0]]), "b2": np.array([[2.0]])}
        # cross-entropy 0.27978 + (0.3 / 6) * (1 + 4 + 0.25 + 4 + 1) = 0.27978 + 0.5125
        ex.compare(ex.call(AL, Y, p, 0.3), 0.7922765635793423, "compute_cost_with_l2(AL, Y, parameters, 0.3)",
                   (AL, Y, p, 0.3))
        ex.compare(ex.call(AL, Y, p, 0.0), 0.2797765635793423, "the cost with lambd = 0", (AL, Y, p, 0.0))
    else:
        rng = random_rng()
        for L in (1, 2, 3, 4):
            _, p = _random_network(rng, L)
            m = int(rng.integers(2, 30))
            AL = rng.uniform(0.02, 0.98, size=(1, m))
            Y = (rng.random((1, m)) < 0.5).astype(float)
            lambd = float(rng.uniform(0.05, 3.0))
            ex.compare(ex.call(AL, Y, p, lambd), dlcore.compute_cost_with_l2(AL, Y, p, lambd),
                       f"the cost (L={L})", (AL, Y, p, lambd))
    ex.done()


def _grads_plus(factor: Callable[[int], float], also_b: bool = False) -> Callable:
    """model_backward's grads plus factor(m) * W{l} on each dW{l} (and b{l} on db{l})."""
    def wrong(AL, Y, caches, lambd):
        grads = dlcore.model_backward(AL, Y, caches)
        m = Y.shape[1]
        for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
            grads[f"dW{l}"] = grads[f"dW{l}"] + factor(m) * lambd * W
            if also_b:
                grads[f"db{l}"] = grads[f"db{l}"] + factor(m) * lambd * b
        return grads
    return wrong


def _check_grads_dict(ex: Exercise, got: Any, keys: list[str], L: int) -> None:
    __tracebackhide__ = True
    if not isinstance(got, dict):
        _fail(f"`{ex.name}` must return a dict of gradients; got {type(got).__name__}.")
    missing = [k for k in keys if k not in got]
    if missing:
        _fail(f"`{ex.name}` (L={L}) must return the keys {keys}; {missing} missing. "
              "Store grads['dA' + str(l-1)], grads['dW' + str(l)] and grads['db' + str(l)] for every layer.")


def model_backward_with_l2(student: Callable, hidden: bool = False) -> None:
    """Check ``dW{l} += (lambd / m) W{l}`` on top of ``model_backward``: reference and finite differences."""
    __tracebackhide__ = True
    ex = Exercise("model_backward_with_l2", student, dlcore.model_backward_with_l2, hidden=hidden, mistakes=[
        Mistake(_grads_plus(lambda m: 1.0), "the weight term is (lambd / m) * W: divide by m."),
        Mistake(_grads_plus(lambda m: 0.5 / m), "the derivative of (lambd / 2m) * W**2 is (lambd / m) * W: "
                                                "the 1/2 cancels with the 2 of the square."),
        Mistake(_grads_plus(lambda m: -1.0 / m), "add the weight term, (lambd / m) * W, do not subtract it."),
        Mistake(_grads_plus(lambda m: 1.0 / m, also_b=True), "the biases are not penalised: only dW gets the "
                                                            "extra term, db stays as in model_backward."),
        Mistake(lambda AL, Y, caches, lambd: dlcore.model_backward(AL, Y, caches),
                "add (lambd / m) * W{l} to every dW{l}."),
    ])
    rng = random_rng() if hidden else np.random.default_rng(31)
    for L in ((1, 2, 3, 4) if hidden else (2, 3)):
        X, params, AL, caches = _smooth_network(rng, L)
        Y = (rng.random((1, X.shape[1])) < 0.5).astype(float)
        lambd = float(rng.uniform(0.1, 3.0))
        keys = [f"{p}{l}" for l in range(1, L + 1) for p in ("dW", "db")] + [f"dA{l}" for l in range(L)]
        got = ex.call(AL, Y, caches, lambd)
        _check_grads_dict(ex, got, keys, L)
        ex.compare({k: got[k] for k in keys}, dlcore.model_backward_with_l2(AL, Y, caches, lambd),
                   f"grads (L={L})", (AL, Y, caches, lambd))
        if hidden:
            cost = lambda p: dlcore.compute_cost_with_l2(dlcore.model_forward(X, p)[0], Y, p, lambd)  # noqa: E731
            report = check_gradients(cost, {k: v.copy() for k, v in params.items()},
                                     {k: got[k] for k in keys if k[1] in "Wb"})
            _finite_difference_check(ex.name, report, "(dW, db)")
    ex.done()


# --- 4. dropout ---------------------------------------------------------------------------
def _check_mask(ex: Exercise, D: Any, shape: tuple, keep_prob: float, what: str, statistics: bool) -> np.ndarray:
    """``D`` is a 0/1 array of ``shape``; with ``statistics``, its entries look like independent
    Bernoulli(keep_prob) draws. Returns D as float64."""
    __tracebackhide__ = True
    if D is None:
        _fail(f"`{ex.name}`: {what} is None; it must be the 0/1 mask of shape {shape}.")
    if not isinstance(D, np.ndarray):
        _fail(f"`{ex.name}`: {what} must be a numpy array of shape {shape}; got {type(D).__name__}.")
    if D.shape != shape:
        _fail(f"`{ex.name}`: {what} has shape {D.shape}, expected {shape}: one mask entry per unit and per "
              f"example, drawn with the shape of A.")
    if D.dtype.kind not in "biuf":
        _fail(f"`{ex.name}`: {what} must hold numbers 0 and 1; got dtype {D.dtype}.")
    D = D.astype(np.float64)
    if not np.all((D == 0) | (D == 1)):
        _fail(f"`{ex.name}`: {what} must hold only 0s and 1s (1 = keep the unit); it holds other values. "
              f"Compare the random numbers with keep_prob: (rng.random(shape) < keep_prob).")
    if not statistics or keep_prob == 1.0:
        return D
    p, N = float(D.mean()), D.size
    se = math.sqrt(keep_prob * (1 - keep_prob) / N)
    if abs(p - keep_prob) > _SIGMAS * se:
        hint = ""
        if abs(p - (1 - keep_prob)) < _SIGMAS * se:
            hint = (" That is 1 - keep_prob: a unit is *kept* with probability keep_prob, so D = "
                    "(rng.random(shape) < keep_prob).")
        _fail(f"`{ex.name}`: {what} keeps {p:.1%} of the units, but keep_prob is {keep_prob:.3g}.{hint}")
    # Independence: non-overlapping pairs of neighbouring columns (then rows) agree with
    # probability p^2 + (1-p)^2 when every entry is drawn on its own.
    q = keep_prob ** 2 + (1 - keep_prob) ** 2
    for axis, along in ((1, "examples (columns)"), (0, "units (rows)")):
        if D.ndim != 2 or D.shape[axis] < 20:
            continue
        k = D.shape[axis] // 2
        first = np.take(D, np.arange(0, 2 * k, 2), axis=axis)
        second = np.take(D, np.arange(1, 2 * k, 2), axis=axis)
        agree, n = float(np.mean(first == second)), first.size
        if abs(agree - q) > _SIGMAS * math.sqrt(q * (1 - q) / n):
            _fail(f"`{ex.name}`: the entries of {what} are not drawn independently: neighbouring {along} agree "
                  f"{agree:.1%} of the time instead of {q:.1%}. Draw one random number per entry, with the "
                  f"full shape of A (not one per unit or one per example).")
    return D


def _pair(ex: Exercise, got: Any, names: tuple[str, str]) -> tuple:
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 2:
        _fail(f"`{ex.name}` must return the tuple ({', '.join(names)}); got {_kind(got)}.")
    return got


def _check_dropped(ex: Exercise, A_drop: Any, A: np.ndarray, D: np.ndarray, keep_prob: float, what: str) -> None:
    """``A_drop == A * D / keep_prob`` for the mask D the student returned."""
    __tracebackhide__ = True
    _compare_with_hint(ex, A_drop, A * D / keep_prob, what, [
        (A * D, "divide the kept values by keep_prob (inverted dropout), so that the expected value of each "
                "activation stays the same."),
        (A * D * keep_prob, "divide by keep_prob, do not multiply."),
        (A / keep_prob, "multiply by the mask D as well: dropped units become 0."),
        (A * (1 - D) / keep_prob, "the mask is inverted: keep the units where D is 1."),
        (A, "apply the mask: A * D / keep_prob."),
    ])


def dropout_forward(student: Callable, hidden: bool = False) -> None:
    """Check inverted dropout: the mask's statistics, ``A * D / keep_prob``, determinism, ``keep_prob = 1``."""
    __tracebackhide__ = True
    ex = Exercise("dropout_forward", student, dlcore.dropout_forward, hidden=hidden)
    names = ("A_drop", "D")
    rng = random_rng() if hidden else np.random.default_rng(32)
    # The formula, on small arrays of any shape (the mask the student drew is used as given).
    for _ in range(3 if hidden else 1):
        shape = _random_shape(rng) if hidden else (3, 4)
        A, keep_prob = rng.normal(size=shape), float(rng.uniform(0.3, 0.95)) if hidden else 0.8
        A_drop, D = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(_seed(rng))), names)
        D = _check_mask(ex, D, A.shape, keep_prob, "D", statistics=False)
        _check_dropped(ex, A_drop, A, D, keep_prob, "A_drop")
    # Statistics on a large layer, for a keep_prob above and one below 1/2.
    for low, high in ((0.6, 0.95), (0.1, 0.4)):
        shape = (int(rng.integers(150, 301)), int(rng.integers(150, 301))) if hidden else (200, 250)
        keep_prob = float(rng.uniform(low, high)) if hidden else (low + high) / 2
        A = rng.uniform(0.5, 2.0, size=shape)
        A_drop, D = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(_seed(rng))), names)
        D = _check_mask(ex, D, shape, keep_prob, "D", statistics=True)
        _check_dropped(ex, A_drop, A, D, keep_prob, "A_drop")
    # Same seed, same mask; different seeds, different masks.
    A, keep_prob, seed = rng.normal(size=(30, 40)), 0.7, _seed(rng)
    first = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed)), names)
    again = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed)), names)
    other = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed + 1)), names)
    if not (np.array_equal(first[1], again[1]) and np.array_equal(first[0], again[0])):
        _fail("`dropout_forward` gave different masks for two generators with the same seed. Draw every random "
              "number from `rng`.")
    if np.array_equal(first[1], other[1]):
        _fail("`dropout_forward` gave the same mask for generators with different seeds: draw the mask from `rng`.")
    # keep_prob = 1 keeps everything and changes nothing.
    A = rng.normal(size=(4, 7))
    A_drop, D = _pair(ex, ex.call(A, 1.0, np.random.default_rng(_seed(rng))), names)
    D = _check_mask(ex, D, A.shape, 1.0, "D (keep_prob = 1)", statistics=False)
    if not np.all(D == 1):
        _fail("`dropout_forward` with keep_prob = 1 must keep every unit: D must be all ones.")
    ex.compare(A_drop, A, "A_drop with keep_prob = 1 (it must equal A)", rtol=1e-15, atol=0)
    ex.done()


def dropout_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``dA * D / keep_prob`` against the reference and finite differences."""
    __tracebackhide__ = True
    ex = Exercise("dropout_backward", student, dlcore.dropout_backward, hidden=hidden, mistakes=[
        Mistake(lambda dA, D, kp: dA * D, "divide by keep_prob, as the forward pass did: dA * D / keep_prob."),
        Mistake(lambda dA, D, kp: dA * D * kp, "divide by keep_prob, do not multiply."),
        Mistake(lambda dA, D, kp: dA / kp, "multiply by the mask D: no gradient flows through a dropped unit."),
        Mistake(lambda dA, D, kp: dA * (1 - D) / kp, "the gradient flows where D is 1 (the kept units)."),
        Mistake(lambda dA, D, kp: dA, "apply the same mask and scale as the forward pass: dA * D / keep_prob."),
    ])
    if not hidden:
        dA, D = np.array([[1.0, 2.0, -3.0], [4.0, -5.0, 6.0]]), np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
        want = np.array([[1.25, 0.0, -3.75], [0.0, -6.25, 7.5]])
        ex.compare(ex.call(dA, D, 0.8), want, "dropout_backward(dA, D, 0.8)", (dA, D, 0.8))
    else:
        rng = random_rng()
        for _ in range(4):
            shape = _random_shape(rng)
            keep_prob = float(rng.uniform(0.2, 0.95))
            dA, A = rng.normal(size=shape), rng.normal(size=shape)
            D = (rng.random(shape) < keep_prob).astype(float)
            got = ex.against_reference(dA, D, keep_prob, what="dA_prev")
            report = check_gradients(lambda a: float(np.sum(dA * a * D / keep_prob)), A.copy(), got)
            _finite_difference_check(ex.name, report, "dA_prev")
    ex.done()


def _wide_network(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A network with wide hidden layers, for statistics of the masks."""
    dims = [3, int(rng.integers(100, 161)), int(rng.integers(80, 121)), 1]
    params = {}
    for l in range(1, 4):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) * math.sqrt(2 / dims[l - 1])
        params[f"b{l}"] = rng.normal(0, 0.1, size=(dims[l], 1))
    return rng.normal(size=(3, int(rng.integers(150, 251)))), params


def _replay_dropout_network(ex: Exercise, got: Any, X: np.ndarray, params: dict, keep_prob: float,
                            statistics: bool, label: str) -> list[np.ndarray]:
    """Recompute the network from the masks the student returned; compare every cache and AL.

    Returns the hidden layers' masks (float64)."""
    __tracebackhide__ = True
    L = len(params) // 2
    AL, caches = _pair(ex, got, ("AL", "caches"))
    if not isinstance(caches, (list, tuple)) or len(caches) != L:
        _fail(f"`{ex.name}`: caches must be a list with one cache per layer, {L} here ({label}); got {_kind(caches)}.")
    A, masks, m = X, [], X.shape[1]
    for l in range(1, L + 1):
        cache = caches[l - 1]
        if not isinstance(cache, (tuple, list)) or len(cache) != 3:
            _fail(f"`{ex.name}`: the cache of layer {l} must be the tuple (linear_cache, Z, D); got {_kind(cache)}.")
        linear_cache, Z, D = cache
        W, b = params[f"W{l}"], params[f"b{l}"]
        if not isinstance(linear_cache, (tuple, list)) or len(linear_cache) != 3:
            _fail(f"`{ex.name}`: the linear_cache of layer {l} must be (A_prev, W, b), as linear_forward makes it.")
        if l == 1:
            hints = [(X * D0 / keep_prob, "never drop the inputs X: dropout acts on the hidden layers' "
                                          "activations only.") for D0 in _masks_like(linear_cache[0], X)]
        else:
            Dp, Zp = masks[-1], W_prev_Z
            hints = [(dlcore.relu(Zp) * Dp, "divide the kept activations by keep_prob (inverted dropout)."),
                     (dlcore.relu(Zp), f"apply the mask of layer {l - 1} to its activations before layer {l} "
                                       f"uses them."),
                     (dlcore.relu(Zp) * Dp * keep_prob, "divide by keep_prob, do not multiply.")]
        _compare_with_hint(ex, linear_cache[0], A, f"A_prev in the cache of layer {l} ({label})", hints)
        ex.compare(linear_cache[1], W, f"W in the cache of layer {l}")
        ex.compare(linear_cache[2], b, f"b in the cache of layer {l}")
        Z_want = W @ A + b
        ex.compare(Z, Z_want, f"Z in the cache of layer {l} (the pre-activation W A_prev + b, before ReLU and "
                              f"dropout) ({label})")
        if l < L:
            D = _check_mask(ex, D, (W.shape[0], m), keep_prob, f"D of hidden layer {l} ({label})", statistics)
            masks.append(D)
            W_prev_Z = Z_want
            A = dlcore.relu(Z_want) * D / keep_prob
        elif D is not None:
            _fail(f"`{ex.name}`: the output layer is never dropped, so its cache must hold D = None; got "
                  f"{type(D).__name__}.")
    _compare_with_hint(ex, AL, dlcore.sigmoid(W @ A + b), f"AL ({label})",
                       [(dlcore.sigmoid(dlcore.relu(W @ A + b)), "the output layer uses sigmoid, not ReLU.")])
    return masks


def _masks_like(A_prev: Any, X: np.ndarray) -> list[np.ndarray]:
    """If the student dropped X, the mask they used, read off A_prev (for a hint)."""
    if isinstance(A_prev, np.ndarray) and A_prev.shape == X.shape:
        return [(A_prev != 0).astype(float)]
    return []


def model_forward_with_dropout(student: Callable, hidden: bool = False) -> None:
    """Check the dropout network from the masks the student returned: caches, AL, mask statistics, determinism."""
    __tracebackhide__ = True
    ex = Exercise("model_forward_with_dropout", student, dlcore.model_forward_with_dropout, hidden=hidden,
                  isolate=("dropout_forward",))
    rng = random_rng() if hidden else np.random.default_rng(33)
    # Structure and formula on small networks.
    for L in ((2, 3, 4) if hidden else (3,)):
        X, params = _random_network(rng, L)
        keep_prob = float(rng.uniform(0.4, 0.9))
        got = ex.call(X, params, keep_prob, np.random.default_rng(_seed(rng)))
        _replay_dropout_network(ex, got, X, params, keep_prob, False, f"L={L}")
    # Mask statistics on wide layers.
    X, params = _wide_network(rng)
    keep_prob = float(rng.uniform(0.6, 0.9)) if hidden else 0.75
    seed = _seed(rng)
    got = ex.call(X, params, keep_prob, np.random.default_rng(seed))
    masks = _replay_dropout_network(ex, got, X, params, keep_prob, True, "a wide network")
    again = ex.call(X, params, keep_prob, np.random.default_rng(seed))
    other = ex.call(X, params, keep_prob, np.random.default_rng(seed + 1))
    again_masks = _replay_dropout_network(ex, again, X, params, keep_prob, False, "a wide network")
    other_masks = _replay_dropout_network(ex, other, X, params, keep_prob, False, "a wide network")
    if not all(np.array_equal(a, b) for a, b in zip(masks, again_masks)):
        _fail(f"`{ex.name}` drew different masks for two generators with the same seed: draw them from `rng`.")
    if all(np.array_equal(a, b) for a, b in zip(masks, other_masks)):
        _fail(f"`{ex.name}` drew the same masks for generators with different seeds: draw them from `rng` "
              f"(pass it to dropout_forward).")
    # keep_prob = 1 is the plain network.
    X, params = _random_network(rng, 3)
    got = ex.call(X, params, 1.0, np.random.default_rng(_seed(rng)))
    masks = _replay_dropout_network(ex, got, X, params, 1.0, False, "keep_prob = 1")
    if not all(np.all(D == 1) for D in masks):
        _fail(f"`{ex.name}` with keep_prob = 1 must keep every unit: every mask must be all ones.")
    ex.done()


def _clear_of_kinks(caches: list) -> bool:
    """True when no hidden pre-activation is within 1e-3 of ReLU's kink at 0.

    Finite differences step by 1e-6 (and 2e-6): a step across a kink gives a wrong
    numerical gradient, by an amount too small for the kink detector of
    :func:`dlcore.gradcheck.check_gradients` when the kink is barely crossed. Networks with a
    pre-activation that close to 0 are redrawn, so that a correct answer never fails."""
    return all(np.min(np.abs(cache[1])) > 1e-3 for cache in caches[:-1])


def _smooth_network(rng: np.random.Generator, L: int) -> tuple[np.ndarray, dict, np.ndarray, list]:
    """(X, params, AL, caches) of model_forward, unsaturated and clear of ReLU kinks."""
    while True:
        X, params = _random_network(rng, L)
        AL, caches = dlcore.model_forward(X, params)
        if _clear_of_kinks(caches):
            return X, params, AL, caches


def _dropout_problem(rng: np.random.Generator, L: int) -> tuple:
    """(X, Y, params, keep_prob, AL, caches) with unsaturated outputs, no pre-activation near a
    ReLU kink, and a gradient that reaches X (when the masks and ReLUs block almost all of it,
    the rounding noise of finite differences would dominate a relative comparison)."""
    while True:
        X, params = _random_network(rng, L)
        keep_prob = float(rng.uniform(0.5, 0.9))
        AL, caches = dlcore.model_forward_with_dropout(X, params, keep_prob, np.random.default_rng(_seed(rng)))
        if not (np.all((AL > 0.02) & (AL < 0.98)) and _clear_of_kinks(caches)):
            continue
        Y = (rng.random((1, X.shape[1])) < 0.5).astype(float)
        if np.linalg.norm(dlcore.model_backward_with_dropout(AL, Y, caches, keep_prob)["dA0"]) > 0.05:
            return X, Y, params, keep_prob, AL, caches


def _forward_with_masks(X: np.ndarray, p: dict, masks: list, keep_prob: float) -> np.ndarray:
    L = len(p) // 2
    A = X
    for l in range(1, L):
        A = dlcore.relu(p[f"W{l}"] @ A + p[f"b{l}"]) * masks[l - 1] / keep_prob
    return dlcore.sigmoid(p[f"W{L}"] @ A + p[f"b{L}"])


def _dropout_gradients(AL, Y, caches, keep_prob, apply_mask=True, scale=True, shift=False,
                       start_from_dZ=False) -> tuple[dict, dict]:
    """Gradients of the dropout network (trusted) and, for each hidden l, dA{l} *after* dropout.

    The flags build typical mistakes: masks ignored, no 1/keep_prob, mask of the wrong layer,
    AL - Y used as dAL."""
    L = len(caches)
    grads, after = {}, {}
    dA = AL - Y if start_from_dZ else cross_entropy_backward(AL, Y)
    for l in range(L, 0, -1):
        linear_cache, Z, D = caches[l - 1]
        dA, grads[f"dW{l}"], grads[f"db{l}"] = dlcore.linear_activation_backward(
            dA, (linear_cache, Z), "sigmoid" if l == L else "relu")
        after[l - 1] = dA
        if l > 1 and apply_mask:
            mask = caches[l - 1][2] if shift and l < L else caches[l - 2][2]
            if mask is not None and mask.shape == dA.shape:
                dA = dA * mask / (keep_prob if scale else 1.0)
        grads[f"dA{l - 1}"] = dA
    return grads, after


def model_backward_with_dropout(student: Callable, hidden: bool = False) -> None:
    """Check the dropout network's gradients against the reference and finite differences (masks fixed)."""
    __tracebackhide__ = True
    ex = Exercise("model_backward_with_dropout", student, dlcore.model_backward_with_dropout, hidden=hidden,
                  isolate=("dropout_backward",))
    mistakes = [
        (dict(apply_mask=False), "apply each hidden layer's mask on the way back: the gradient of a dropped "
                                 "unit is 0 (dropout_backward with that layer's D)."),
        (dict(scale=False), "divide by keep_prob on the way back too, as the forward pass did."),
        (dict(shift=True), "use the mask of the layer whose activations you differentiate: dA[l] gets the "
                           "mask D[l] stored in the cache of layer l."),
        (dict(start_from_dZ=True), "dAL is the derivative of the cost with respect to AL: -(Y/AL - (1-Y)/(1-AL)). "
                                   "(AL - Y is dZ[L], which already includes the sigmoid's derivative.)"),
    ]
    rng = random_rng() if hidden else np.random.default_rng(34)
    for L in ((1, 2, 3, 4) if hidden else (3,)):
        X, Y, params, keep_prob, AL, caches = _dropout_problem(rng, L)
        keys_wb = [f"{p}{l}" for l in range(1, L + 1) for p in ("dW", "db")]
        keys = keys_wb + [f"dA{l}" for l in range(L)]
        got = ex.call(AL, Y, caches, keep_prob)
        _check_grads_dict(ex, got, keys, L)
        want, after = _dropout_gradients(AL, Y, caches, keep_prob)
        try:
            ex.compare({k: got[k] for k in keys_wb + ["dA0"]}, {k: want[k] for k in keys_wb + ["dA0"]},
                       f"grads (L={L})", rtol=1e-7, atol=1e-10)
        except CheckFailure as failure:
            message = str(failure)
            for flags, why in mistakes:
                wrong, _ = _dropout_gradients(AL, Y, caches, keep_prob, **flags)
                if all(isinstance(got[k], np.ndarray) and got[k].shape == wrong[k].shape
                       and np.allclose(got[k], wrong[k], rtol=1e-6, atol=1e-9) for k in keys_wb):
                    message += f"\n  Likely mistake: {why}"
                    break
            raise CheckFailure(message) from None
        for l in range(1, L):  # either convention for a hidden dA: before or after the mask
            g = got[f"dA{l}"]
            if not (isinstance(g, np.ndarray) and g.shape == after[l].shape
                    and (np.allclose(g, want[f"dA{l}"], rtol=1e-7, atol=1e-10)
                         or np.allclose(g, after[l], rtol=1e-7, atol=1e-10))):
                ex.compare(g, want[f"dA{l}"], f"grads['dA{l}'] (L={L}; the gradient with respect to A[{l}], "
                                              f"with or without the mask of layer {l}: both are accepted)")
        if hidden:
            masks = [c[2] for c in caches[:-1]]
            cost = lambda p: dlcore.compute_cost(_forward_with_masks(X, p, masks, keep_prob), Y)  # noqa: E731
            report = check_gradients(cost, {k: v.copy() for k, v in params.items()}, {k: got[k] for k in keys_wb})
            _finite_difference_check(ex.name, report, "(dW, db)")
            m = X.shape[1]  # dA0 is m times the gradient of the cost with respect to X (1/m lives in dW, db)
            cost_of_x = lambda x: m * dlcore.compute_cost(_forward_with_masks(x, params, masks, keep_prob), Y)  # noqa: E731
            report = check_gradients(cost_of_x, X.copy(), got["dA0"])
            _finite_difference_check(ex.name, report, "dA0")
    ex.done()


# --- 5. early stopping ---------------------------------------------------------------------
def _early_stopping_mistakes() -> list[Mistake]:
    def rule(costs, patience, better, wait, last):
        best = 0
        for e in range(1, len(costs)):
            if better(costs[e], costs[best]):
                best = e
            elif wait(e - best, patience):
                return e, best
        return last(costs), best

    strict, ge = (lambda a, b: a < b), (lambda gap, p: gap >= p)
    return [
        Mistake(lambda c, p: rule(c, p, lambda a, b: a <= b, ge, lambda c: len(c) - 1),
                "on ties keep the first lowest cost: only a strictly lower cost (<) is an improvement."),
        Mistake(lambda c, p: rule(c, p, strict, lambda gap, p: gap > p, lambda c: len(c) - 1),
                "stop at the first epoch e with e - best_epoch >= patience (not >)."),
        Mistake(lambda c, p: rule(c, p, strict, ge, lambda c: len(c)),
                "when training never stops early, stop_epoch is the last epoch, len(dev_costs) - 1."),
        Mistake(lambda c, p: (rule(c, p, strict, ge, lambda c: len(c) - 1)[0], int(np.argmin(c))),
                "best_epoch is the best epoch *so far*, up to the stop epoch, not over the whole list."),
    ]


def _epochs_of(ex: Exercise, got: Any) -> tuple[int, int]:
    """``got`` as (stop_epoch, best_epoch), or fail if it is not a pair of ints."""
    __tracebackhide__ = True
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        _fail(f"`{ex.name}` must return the tuple (stop_epoch, best_epoch); got {_kind(got)}.")
    for value, name in zip(got, ("stop_epoch", "best_epoch")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            _fail(f"`{ex.name}`: {name} must be an int (an epoch index); got {type(value).__name__}.")
    return int(got[0]), int(got[1])


def _judge_epochs(ex: Exercise, cases: list[tuple[tuple, tuple[int, int], str]]) -> None:
    """Run every case ``(args, expected, description)``; on a failure, name the known mistake that
    gives the student's answers on *all* cases (one case alone often fits several)."""
    __tracebackhide__ = True
    answers = [_epochs_of(ex, ex.call(*args)) for args, _, _ in cases]
    wrong = [i for i, (got, (_, want, _)) in enumerate(zip(answers, cases)) if got != tuple(want)]
    if not wrong:
        return
    hint = None
    for mistake in ex.mistakes:
        try:
            if all(tuple(int(v) for v in ex._reference_value(mistake.compute, args)) == got
                   for got, (args, _, _) in zip(answers, cases)):
                hint = mistake.hint
                break
        except Exception:  # noqa: BLE001
            continue
    i = wrong[0]
    message = (f"`{ex.name}`: {cases[i][2]}: returned (stop_epoch, best_epoch) = {answers[i]}, expected "
               f"{tuple(cases[i][1])}.")
    raise CheckFailure(message + (f"\n  Likely mistake: {hint}" if hint else ""))


def _cost_curve(rng: np.random.Generator) -> list[float]:
    """A dev-cost curve: falls, then rises, with noise; rounded so that ties happen."""
    E = int(rng.integers(1, 41))
    t = np.arange(E)
    turn = rng.uniform(0, E)
    curve = 1.0 + 0.02 * (t - turn) ** 2 / max(E, 1) + rng.normal(0, float(rng.choice([0.01, 0.05, 0.2])), E)
    return [float(v) for v in np.round(curve, 1)]


def early_stopping(student: Callable, hidden: bool = False) -> None:
    """Check ``(stop_epoch, best_epoch)``: strict improvements, the patience rule, never-stopping runs."""
    __tracebackhide__ = True
    ex = Exercise("early_stopping", student, dlcore.early_stopping, hidden=hidden, mistakes=_early_stopping_mistakes())
    if not hidden:
        cases = [
            ([3.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.5], 3, (5, 2), "the example of the text"),
            ([2.0, 1.0, 1.0, 1.0, 1.0], 2, (3, 1), "a tie with the best cost (not an improvement)"),
            ([5.0, 4.0, 3.0, 2.0], 2, (3, 3), "a cost that keeps falling (training never stops early)"),
            ([1.0, 2.0], 1, (1, 0), "patience 1"),
            ([0.7], 5, (0, 0), "a single epoch"),
        ]
        _judge_epochs(ex, [((costs, patience), want, f"early_stopping({costs}, patience={patience}), {what}")
                           for costs, patience, want, what in cases])
    else:
        rng = random_rng()
        cases = []
        for i in range(30):
            costs, patience = _cost_curve(rng), int(rng.integers(1, 9))
            arg = np.array(costs) if i % 3 == 0 else costs
            cases.append(((arg, patience), dlcore.early_stopping(costs, patience), "on a hidden sequence of dev costs"))
        _judge_epochs(ex, cases)
    ex.done()
