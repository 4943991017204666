"""Checks for notebook 04, optimization.

Each function takes the student's implementation. By default it runs the visible
checks (small worked examples); with ``hidden=True`` it runs the grading tests: random
shapes, values and hyperparameters from fresh entropy, compared with the ``dlcore``
reference. The mini-batches are random, so they are checked by their properties
(pairing, partition, sizes, determinism under a seed, a real shuffle), never against
one particular permutation.

>>> from dlcore.checks import optimization as checks
>>> checks.exponential_decay(my_exponential_decay)     # doctest: +SKIP
✔ exponential_decay: all checks passed.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks import training
from dlcore.checks.core import CheckFailure, ColumnOrigins, Exercise, Mistake, manifest, random_rng

#: The exercises of notebook 04, in order: name -> the graded functions it may call.
MANIFEST = manifest({
    "random_mini_batches": (),
    "exponentially_weighted_average": (),
    "initialize_velocity": (),
    "update_parameters_with_momentum": (),
    "update_parameters_with_rmsprop": (),
    "initialize_adam": ("initialize_velocity",),
    "update_parameters_with_adam": (),
    "train_model": training.MANIFEST["train_model"],
    "learning_rate_decay": (),
    "schedule_lr_decay": ("learning_rate_decay",),
    "exponential_decay": (),
    "clip_by_global_norm": training.MANIFEST["clip_by_global_norm"],
})
train_model, clip_by_global_norm = training.train_model, training.clip_by_global_norm  # checked in dlcore.checks.training

# --- mini-batches -------------------------------------------------------------------------------


def _batch_order(ex: Exercise, X: np.ndarray, Y: np.ndarray, size: int, batches: Any) -> np.ndarray:
    """Check the structure of ``batches``; return the original indices of their columns, in order.

    Checks: a list of (X_t, Y_t) pairs, ceil(m / size) of them, full batches then one smaller
    final batch, columns of X unchanged, Y_t paired with X_t, each example exactly once.
    """
    __tracebackhide__ = True
    name, (n_x, m), n_y = ex.name, X.shape, Y.shape[0]
    if not isinstance(batches, (list, tuple)):
        raise CheckFailure(f"`{name}` must return a list of (X_t, Y_t) pairs; got a {type(batches).__name__}.")
    full, rest = divmod(m, size)
    want = full + (rest > 0)
    sizes = [size] * full + ([rest] if rest else [])
    if len(batches) != want:
        hint = ""
        if rest and len(batches) == full:
            hint = (f" The final, smaller batch with the remaining m % mini_batch_size = {rest} examples is "
                    f"missing.")
        elif len(batches) == want + 1 and not rest:
            hint = " When m is a multiple of mini_batch_size there is no extra (empty) final batch."
        raise CheckFailure(f"`{name}` (m = {m}, mini_batch_size = {size}) must return ceil(m / mini_batch_size) = "
                           f"{want} mini-batches; got {len(batches)}.{hint}")
    origins = ColumnOrigins(X)
    order = []
    for t, (batch, k) in enumerate(zip(batches, sizes)):
        if not isinstance(batch, (list, tuple)) or len(batch) != 2:
            length = f" of length {len(batch)}" if isinstance(batch, (list, tuple)) else ""
            raise CheckFailure(f"`{name}`: mini-batch {t} must be a pair (X_t, Y_t); got "
                               f"{type(batch).__name__}{length}.")
        Xt, Yt = batch
        for label, arr, rows in (("X", Xt, n_x), ("Y", Yt, n_y)):
            if not isinstance(arr, np.ndarray):
                raise CheckFailure(f"`{name}`: {label}_t of mini-batch {t} must be a numpy array; got "
                                   f"{type(arr).__name__}.")
            if arr.shape != (rows, k):
                extra = ""
                if arr.shape == (k, rows) and k != rows:
                    extra = " It looks transposed: examples are columns, so select columns (X[:, indices])."
                elif arr.ndim == 2 and arr.shape[0] == rows and t == len(sizes) - 1 and rest:
                    extra = f" The last batch keeps the remaining {rest} examples."
                elif arr.ndim == 2 and arr.shape[0] == rows and t < len(sizes) - 1:
                    extra = (" Only the last mini-batch may be smaller: shuffle all the columns first, then cut "
                             "them in order.")
                columns = "mini_batch_size" if k == size else "the remainder"
                raise CheckFailure(f"`{name}`: {label}_t of mini-batch {t} has shape {arr.shape}, expected "
                                   f"({rows}, {k}) = ({label} rows, {columns}).{extra}")
        for j in range(k):
            index = origins.of(Xt[:, j])
            if index is None:
                raise CheckFailure(f"`{name}`: column {j} of X_t in mini-batch {t} is not a column of X. Take whole "
                                   f"columns (examples) of X, unchanged: shuffle the columns, not the rows or values.")
            if not np.array_equal(Yt[:, j], Y[:, index]):
                raise CheckFailure(f"`{name}`: in mini-batch {t}, column {j} of Y_t is not the label of column {j} of "
                                   f"X_t. Shuffle X and Y with the same permutation, so that every example keeps "
                                   f"its label.")
            order.append(index)
    order = np.array(order)
    counts = np.bincount(order, minlength=m)
    if np.any(counts != 1):
        raise CheckFailure(f"`{name}`: {int(np.sum(counts > 1))} example(s) appear in more than one place and "
                           f"{int(np.sum(counts == 0))} not at all. The batches must split one permutation of the "
                           f"columns: every example exactly once (draw the permutation once, without replacement).")
    return order


def _check_shuffled(name: str, order: np.ndarray) -> None:
    """Fail unless ``order`` looks like a uniformly random permutation (m >= 12).

    A uniform permutation is the identity with probability 1/m! (< 3e-9), and has on
    average 2(m-1)/m neighbours i, i+1 (either way round) side by side; more than 15 has
    probability below 1e-9. Unshuffled, rotated or blockwise-shuffled orders have many.
    """
    __tracebackhide__ = True
    m = order.size
    if m < 12:
        return
    if np.array_equal(order, np.arange(m)):
        raise CheckFailure(f"`{name}`: the examples are in their original order. Shuffle the columns first "
                           f"(one permutation from `rng`, e.g. rng.permutation(m)), then cut the batches.")
    neighbours = int(np.sum(np.abs(np.diff(order)) == 1))
    if neighbours > 15:
        raise CheckFailure(f"`{name}`: {neighbours} of the {m - 1} pairs of consecutive examples in the batches were "
                           f"also neighbours before, where a random shuffle leaves about 2. Shuffle all the columns "
                           f"with one permutation, rather than the order of the batches or blocks.")


def _batch_data(rng: np.random.Generator, n_x: int, n_y: int, m: int, labels: bool = False) -> tuple:
    X = rng.normal(size=(n_x, m))
    Y = rng.integers(0, 2, size=(1, m)) if labels else rng.normal(size=(n_y, m))
    return X, Y


def random_mini_batches(student: Callable, hidden: bool = False) -> None:
    """Check the batches' structure and pairing, determinism under a seed, and a real shuffle."""
    __tracebackhide__ = True
    ex = Exercise("random_mini_batches", student, dlcore.random_mini_batches, hidden=hidden)
    rng = random_rng() if hidden else np.random.default_rng(40)
    if hidden:
        cases = []
        for size in (int(rng.choice([16, 32, 64])), int(rng.choice([8, 16, 32]))):
            m = int(rng.integers(4, 10)) * size + int(rng.integers(1, size))  # a remainder
            cases.append((int(rng.integers(1, 5)), int(rng.choice([1, 3])), m, size, False))
        size = int(rng.choice([4, 8, 16]))
        cases.append((int(rng.integers(1, 4)), 1, size * int(rng.integers(3, 8)), size, True))  # no remainder
        cases.append((2, 1, int(rng.integers(12, 40)), 64, True))  # one batch holds everything
        cases.append((int(rng.integers(1, 4)), 2, int(rng.integers(12, 30)), 1, False))  # stochastic
    else:
        cases = [(3, 1, 148, 64, True), (2, 2, 7, 3, False), (2, 1, 40, 8, False)]
    for n_x, n_y, m, size, labels in cases:
        X, Y = _batch_data(rng, n_x, n_y, m, labels)
        seed = int(rng.integers(2**31))
        batches = ex.call(X, Y, size, np.random.default_rng(seed))
        order = _batch_order(ex, X, Y, size, batches)
        _check_shuffled(ex.name, order)
        again = ex.call(X, Y, size, np.random.default_rng(seed))
        if not np.array_equal(_batch_order(ex, X, Y, size, again), order):
            raise CheckFailure("`random_mini_batches` gave different batches for two generators with the same seed. "
                               "Draw the permutation from the `rng` argument (and nothing else).")
    # A different seed must give a different shuffle (equal with probability 1/m! < 3e-9).
    n_x, n_y, m, size, labels = cases[0]
    X, Y = _batch_data(rng, n_x, n_y, m, labels)
    seeds = rng.choice(2**31, size=2, replace=False)
    first, second = (_batch_order(ex, X, Y, size, ex.call(X, Y, size, np.random.default_rng(int(s)))) for s in seeds)
    if np.array_equal(first, second):
        raise CheckFailure("`random_mini_batches` gave the same shuffle for two different seeds. Use the `rng` "
                           "argument to draw the permutation, not a generator of your own with a fixed seed.")
    ex.done()


# --- exponentially weighted average -------------------------------------------------------------


def _ewa(values: np.ndarray, beta: float, bias_correction: bool = True, *, weights: tuple | None = None,
         first: bool = False, shift: int = 0, always: bool | None = None) -> np.ndarray:
    """The average with a deliberate mistake (for the hints): swapped weights, v_0 = theta_1, ..."""
    a, b = weights or (beta, 1 - beta)
    v, out = (values[0] if first else 0.0), np.empty(len(values))
    for t, theta in enumerate(values, start=1):
        v = a * v + b * theta
        out[t - 1] = v
    correct = bias_correction if always is None else always
    if correct:
        out = out / (1 - beta ** (np.arange(1, len(values) + 1) + shift))
    return out


def exponentially_weighted_average(student: Callable, hidden: bool = False) -> None:
    """Check ``v_t = beta v_{t-1} + (1 - beta) theta_t`` with and without bias correction."""
    __tracebackhide__ = True
    ex = Exercise("exponentially_weighted_average", student, dlcore.exponentially_weighted_average, hidden=hidden,
                  mistakes=[
        Mistake(lambda x, b, c=True: _ewa(x, b, c, always=False),
                "divide v_t by (1 - beta**t) when bias_correction is True."),
        Mistake(lambda x, b, c=True: _ewa(x, b, c, always=True),
                "leave v_t uncorrected when bias_correction is False."),
        Mistake(lambda x, b, c=True: _ewa(x, b, c, weights=(1 - b, b)),
                "the old average gets the weight beta and the new value 1 - beta: v = beta v + (1 - beta) theta."),
        Mistake(lambda x, b, c=True: _ewa(x, b, c, first=True),
                "start from v_0 = 0 (which the bias correction then compensates), not from the first value."),
        Mistake(lambda x, b, c=True: _ewa(x, b, c, shift=1),
                "t counts from 1: the first average is divided by 1 - beta, not 1 - beta**2."),
        Mistake(lambda x, b, c=True: _ewa(x, b, c, shift=-1),
                "t counts from 1: with t = 0 the correction divides by 1 - beta**0 = 0."),
    ])
    if not hidden:
        x = np.array([1.0, 2.0, 3.0])
        ex.compare(ex.call(x, 0.5, False), np.array([0.5, 1.25, 2.125]),
                   "exponentially_weighted_average([1, 2, 3], 0.5, bias_correction=False)", (x, 0.5, False))
        ex.compare(ex.call(x, 0.5, True), np.array([1.0, 5 / 3, 17 / 7]),
                   "exponentially_weighted_average([1, 2, 3], 0.5, bias_correction=True)", (x, 0.5, True))
        ex.compare(ex.call(x, 0.5), np.array([1.0, 5 / 3, 17 / 7]),
                   "exponentially_weighted_average([1, 2, 3], 0.5) (bias correction by default)", (x, 0.5))
        series = 10 + np.sin(np.arange(30) / 3)
        ex.against_reference(series, 0.9, True, what="the corrected averages of a 30-value series, beta = 0.9")
    else:
        rng = random_rng()
        for beta, correction in ((float(rng.uniform(0.5, 0.99)), True), (float(rng.uniform(0.5, 0.99)), False),
                                 (0.0, True), (float(rng.uniform(0.9, 0.999)), None)):
            values = rng.normal(float(rng.uniform(-20, 20)), float(rng.uniform(0.5, 5)), size=int(rng.integers(1, 60)))
            args = (values, beta) if correction is None else (values, beta, correction)
            label = "the default" if correction is None else str(correction)
            ex.against_reference(*args, what=f"the averages (bias_correction={label})")
    ex.done()


# --- optimizer states and updates ---------------------------------------------------------------


def _network(rng: np.random.Generator, L: int | None = None) -> dict[str, np.ndarray]:
    """Random parameters of an L-layer network of small random sizes."""
    L = int(rng.integers(1, 4)) if L is None else L
    dims = [int(n) for n in rng.integers(1, 7, size=L + 1)]
    params = {}
    for l in range(1, L + 1):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1]))
        params[f"b{l}"] = rng.normal(size=(dims[l], 1))
    return params


def _like(rng: np.random.Generator, params: dict, kind: str = "normal", scale: float = 1.0) -> dict:
    """A dict "dW1", "db1", ... shaped like ``params``: normal values or positive ones (second moments)."""
    out = {}
    for key, value in params.items():
        draw = rng.normal(0, scale, size=value.shape)
        out["d" + key] = draw ** 2 if kind == "square" else draw
    return out


def _with_activation_grads(rng: np.random.Generator, grads: dict, L: int) -> dict:
    """Real gradients also hold "dA0", "dA1", ...: the updates must ignore them."""
    return {**grads, **{f"dA{l}": rng.normal(size=(2, 3)) for l in range(L)}}


def _zeros_like_network(student: Callable, hidden: bool, name: str, what: Any) -> None:
    __tracebackhide__ = True
    ex = Exercise(name, student, getattr(dlcore, name), hidden=hidden,
                  isolate=MANIFEST[name])
    rng = random_rng() if hidden else np.random.default_rng(41)
    if not hidden:
        params = {"W1": np.ones((3, 2)), "b1": np.ones((3, 1)), "W2": np.ones((1, 3)), "b2": np.ones((1, 1))}
        ex.against_reference(params, what=what)
    for L in ((1, 2, 3, 4) if hidden else (3,)):
        ex.against_reference(_network(rng, L), what=what)
    ex.done()


def initialize_velocity(student: Callable, hidden: bool = False) -> None:
    """Check zeros shaped like every parameter, under the keys "dW{l}" and "db{l}"."""
    __tracebackhide__ = True
    _zeros_like_network(student, hidden, "initialize_velocity", "v")


def initialize_adam(student: Callable, hidden: bool = False) -> None:
    """Check the two zero moments ``(v, s)``, keyed like the gradients."""
    __tracebackhide__ = True
    _zeros_like_network(student, hidden, "initialize_adam", ("v", "s"))


def _step(parameters: dict, grads: dict, direction: dict, learning_rate: float) -> dict:
    L = len(parameters) // 2
    return {k: parameters[k] - learning_rate * direction["d" + k] for k in (f"{p}{l}" for l in range(1, L + 1) for p in "Wb")}


def _keys(parameters: dict) -> list[str]:
    return ["d" + k for k in parameters]


def _momentum(p: dict, g: dict, v: dict, beta: float, lr: float, *, new_weight: float | None = None,
              step_with: str = "v") -> tuple:
    new_v = {k: beta * v[k] + (1 - beta if new_weight is None else new_weight) * g[k] for k in _keys(p)}
    return _step(p, g, {"v": new_v, "old": v, "g": g}[step_with], lr), new_v


def update_parameters_with_momentum(student: Callable, hidden: bool = False) -> None:
    """Check one momentum step: the new velocity, the new parameters, inputs unchanged."""
    __tracebackhide__ = True
    ex = Exercise("update_parameters_with_momentum", student, dlcore.update_parameters_with_momentum, hidden=hidden,
                  mistakes=[
        Mistake(lambda p, g, v, b, lr: _momentum(p, g, v, b, lr, new_weight=1.0),
                "the gradient's weight is (1 - beta): v = beta v + (1 - beta) dW."),
        Mistake(lambda p, g, v, b, lr: _momentum(p, g, v, 1 - b, lr, new_weight=b),
                "beta weighs the old velocity: v = beta v + (1 - beta) dW, not (1 - beta) v + beta dW."),
        Mistake(lambda p, g, v, b, lr: _momentum(p, g, v, b, lr, step_with="g"),
                "step along the new velocity, W = W - learning_rate * v, not along the gradient."),
        Mistake(lambda p, g, v, b, lr: _momentum(p, g, v, b, lr, step_with="old"),
                "update v first, then step with the new v."),
        Mistake(lambda p, g, v, b, lr: (_momentum(p, g, v, b, lr)[0], v),
                "return the new velocity too: (parameters, v) with v updated."),
        Mistake(lambda p, g, v, b, lr: (_momentum(p, g, v, b, -lr)[0], _momentum(p, g, v, b, lr)[1]),
                "step against the velocity: W = W - learning_rate * v."),
    ])
    names = ("the new parameters", "the new velocity v")
    if not hidden:
        p = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
        g = {"dW1": np.array([[0.1, -0.2]]), "db1": np.array([[0.3]])}
        v = {"dW1": np.zeros((1, 2)), "db1": np.zeros((1, 1))}
        got = ex.call(p, g, v, 0.9, 0.1)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`update_parameters_with_momentum` must return the tuple (parameters, v).")
        want = ({"W1": np.array([[0.999, 2.002]]), "b1": np.array([[0.497]])},
                {"dW1": np.array([[0.01, -0.02]]), "db1": np.array([[0.03]])})
        for g_, w_, n_ in zip(got, want, names):
            ex.compare(g_, w_, n_ + " (first step from v = 0, beta = 0.9, learning_rate = 0.1)", (p, g, v, 0.9, 0.1))
        rng = np.random.default_rng(42)
        p = _network(rng, 2)
        ex.against_reference(p, _like(rng, p), _like(rng, p), 0.9, 0.05, what=names)
    else:
        rng = random_rng()
        for L in (1, 2, 3):
            p = _network(rng, L)
            g = _with_activation_grads(rng, _like(rng, p), L)
            ex.against_reference(p, g, _like(rng, p), float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.01, 1)),
                                 what=names)
    ex.done()


def _rmsprop(p: dict, g: dict, s: dict, beta2: float, lr: float, epsilon: float = 1e-8, *, inside: bool = False,
             old: bool = False, root: bool = True, square: bool = True, eps: float | None = None) -> tuple:
    epsilon = epsilon if eps is None else eps
    new_s = {k: beta2 * s[k] + (1 - beta2) * (g[k] ** 2 if square else g[k]) for k in _keys(p)}
    use = s if old else new_s
    if inside:
        direction = {k: g[k] / np.sqrt(use[k] + epsilon) for k in _keys(p)}
    else:
        direction = {k: g[k] / ((np.sqrt(use[k]) if root else use[k]) + epsilon) for k in _keys(p)}
    return _step(p, g, direction, lr), new_s


def update_parameters_with_rmsprop(student: Callable, hidden: bool = False) -> None:
    """Check one RMSprop step, including the placement of epsilon."""
    __tracebackhide__ = True
    ex = Exercise("update_parameters_with_rmsprop", student, dlcore.update_parameters_with_rmsprop, hidden=hidden,
                  mistakes=[
        Mistake(lambda *a: _rmsprop(*a, inside=True),
                "epsilon goes outside the square root: dW / (np.sqrt(s) + epsilon)."),
        Mistake(lambda *a: _rmsprop(*a, eps=1e-8),
                "use the `epsilon` argument rather than a fixed 1e-8."),
        Mistake(lambda *a: _rmsprop(*a, old=True), "update s first, then divide by the square root of the new s."),
        Mistake(lambda *a: _rmsprop(*a, root=False), "divide by the square root of s: dW / (np.sqrt(s) + epsilon)."),
        Mistake(lambda *a: _rmsprop(*a, square=False), "s averages the squared gradients: (1 - beta2) * dW**2."),
        Mistake(lambda p, g, s, b2, lr, e=1e-8: (_rmsprop(p, g, s, b2, lr, e)[0], s),
                "return the new s too: (parameters, s) with s updated."),
    ])
    names = ("the new parameters", "the new s")
    if not hidden:
        p = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
        g = {"dW1": np.array([[0.1, -0.2]]), "db1": np.array([[0.3]])}
        s = {"dW1": np.zeros((1, 2)), "db1": np.zeros((1, 1))}
        got = ex.call(p, g, s, 0.99, 0.01)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`update_parameters_with_rmsprop` must return the tuple (parameters, s).")
        step = 0.01 / np.sqrt(0.01)  # the first step moves every weight by learning_rate / sqrt(1 - beta2)
        want = ({"W1": np.array([[1.0 - step, 2.0 + step]]), "b1": np.array([[0.5 - step]])},
                {"dW1": np.array([[1e-4, 4e-4]]), "db1": np.array([[9e-4]])})
        for g_, w_, n_ in zip(got, want, names):
            ex.compare(g_, w_, n_ + " (first step from s = 0, beta2 = 0.99, learning_rate = 0.01)", (p, g, s, 0.99, 0.01),
                       rtol=1e-6)
        rng = np.random.default_rng(43)
        p = _network(rng, 2)
        ex.against_reference(p, _like(rng, p), _like(rng, p, "square"), 0.9, 0.01, 1e-2, what=names)
    else:
        rng = random_rng()
        for L, epsilon in ((1, float(10 ** rng.uniform(-3, -1))), (2, float(10 ** rng.uniform(-3, -1))), (3, None)):
            p = _network(rng, L)
            g = _with_activation_grads(rng, _like(rng, p, scale=float(10 ** rng.uniform(-2, 0))), L)
            args = (p, g, _like(rng, p, "square", 0.1), float(rng.uniform(0.8, 0.999)), float(10 ** rng.uniform(-3, -1)))
            ex.against_reference(*args, *(() if epsilon is None else (epsilon,)),
                                 what=tuple(n + (" (default epsilon)" if epsilon is None else " (a given epsilon)")
                                            for n in names))
    ex.done()


def _adam(p: dict, g: dict, v: dict, s: dict, t: int, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
          epsilon: float = 1e-8, *, correct: bool = True, t_shift: int = 0, inside: bool = False,
          return_corrected: bool = False, correct_s_with_beta1: bool = False) -> tuple:
    new_v = {k: beta1 * v[k] + (1 - beta1) * g[k] for k in _keys(p)}
    new_s = {k: beta2 * s[k] + (1 - beta2) * g[k] ** 2 for k in _keys(p)}
    step = t + t_shift
    c1 = 1 - beta1 ** step if correct else 1.0
    c2 = 1 - (beta1 if correct_s_with_beta1 else beta2) ** step if correct else 1.0
    v_hat = {k: new_v[k] / c1 for k in new_v}
    s_hat = {k: new_s[k] / c2 for k in new_s}
    if inside:
        direction = {k: v_hat[k] / np.sqrt(s_hat[k] + epsilon) for k in v_hat}
    else:
        direction = {k: v_hat[k] / (np.sqrt(s_hat[k]) + epsilon) for k in v_hat}
    if return_corrected:
        return _step(p, g, direction, lr), v_hat, s_hat
    return _step(p, g, direction, lr), new_v, new_s


def update_parameters_with_adam(student: Callable, hidden: bool = False) -> None:
    """Check one Adam step: corrected moments in the step, uncorrected ones returned."""
    __tracebackhide__ = True
    ex = Exercise("update_parameters_with_adam", student, dlcore.update_parameters_with_adam, hidden=hidden,
                  mistakes=[
        Mistake(lambda *a: _adam(*a, return_corrected=True),
                "return the uncorrected moments v and s (the corrected ones are only for the step); the next "
                "call updates the uncorrected ones."),
        Mistake(lambda *a: _adam(*a, correct=False),
                "the step uses the bias-corrected moments v / (1 - beta1**t) and s / (1 - beta2**t)."),
        Mistake(lambda *a: _adam(*a, t_shift=1), "t counts from 1: correct with 1 - beta**t, not 1 - beta**(t+1)."),
        Mistake(lambda *a: _adam(*a, t_shift=-1), "t counts from 1: correct with 1 - beta**t, not 1 - beta**(t-1)."),
        Mistake(lambda *a: _adam(*a, inside=True),
                "epsilon goes outside the square root: v_corrected / (np.sqrt(s_corrected) + epsilon)."),
        Mistake(lambda *a: _adam(*a, correct_s_with_beta1=True), "correct s with beta2: s / (1 - beta2**t)."),
        Mistake(lambda p, g, v, s, t, *rest: _adam(p, g, v, s, t),
                "use the arguments learning_rate, beta1, beta2 and epsilon, not fixed values."),
    ])
    names = ("the new parameters", "the new v", "the new s")
    if not hidden:
        p = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
        g = {"dW1": np.array([[0.1, -0.2]]), "db1": np.array([[0.3]])}
        zeros = {"dW1": np.zeros((1, 2)), "db1": np.zeros((1, 1))}
        got = ex.call(p, g, zeros, zeros, 1)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailure("`update_parameters_with_adam` must return the tuple (parameters, v, s).")
        # At t = 1 the corrected moments are dW and dW**2: the first step moves every weight by
        # about learning_rate = 0.01 (the default), against the sign of its gradient.
        want = ({"W1": np.array([[0.99, 2.01]]), "b1": np.array([[0.49]])},
                {"dW1": np.array([[0.01, -0.02]]), "db1": np.array([[0.03]])},
                {"dW1": np.array([[1e-5, 4e-5]]), "db1": np.array([[9e-5]])})
        for g_, w_, n_ in zip(got, want, names):
            ex.compare(g_, w_, n_ + " (first step, t = 1, default hyperparameters)", (p, g, zeros, zeros, 1), rtol=1e-6)
        rng = np.random.default_rng(44)
        p = _network(rng, 2)
        ex.against_reference(p, _like(rng, p), _like(rng, p, scale=0.1), _like(rng, p, "square", 0.1), 3, 0.02, 0.8,
                             0.99, 1e-3, what=names)
    else:
        rng = random_rng()
        for L, t, epsilon, when in ((1, 1, float(10 ** rng.uniform(-3, -1)), "at t = 1"),
                                    (2, int(rng.integers(2, 6)), 1e-8, "at an early step t"),
                                    (3, int(rng.integers(6, 200)), float(10 ** rng.uniform(-3, -1)), "at a later step t")):
            p = _network(rng, L)
            g = _with_activation_grads(rng, _like(rng, p, scale=float(10 ** rng.uniform(-2, 0))), L)
            v, s = _like(rng, p, scale=0.1), _like(rng, p, "square", 0.1)
            hyper = (float(10 ** rng.uniform(-3, -1)), float(rng.uniform(0.6, 0.95)), float(rng.uniform(0.9, 0.999)), epsilon)
            ex.against_reference(p, g, v, s, t, *hyper, what=tuple(f"{n} ({when})" for n in names))
        p = _network(rng, 2)
        ex.against_reference(p, _with_activation_grads(rng, _like(rng, p), 2), _like(rng, p, scale=0.1),
                             _like(rng, p, "square", 0.1), int(rng.integers(1, 20)),
                             what=tuple(f"{n} (default hyperparameters)" for n in names))
    ex.done()


# --- learning-rate schedules --------------------------------------------------------------------


def _schedule(ex: Exercise, calls: list[tuple[tuple, str]]) -> None:
    """Compare the rate for each ``(args, what)``; ``what`` describes the call without its values."""
    __tracebackhide__ = True
    for args, what in calls:
        ex.compare(ex.call(*args), ex.reference_value(*args), what, args, rtol=1e-9)


def learning_rate_decay(student: Callable, hidden: bool = False) -> None:
    """Check ``learning_rate0 / (1 + decay_rate * epoch_num)``, returned as a float."""
    __tracebackhide__ = True
    ex = Exercise("learning_rate_decay", student, dlcore.learning_rate_decay, hidden=hidden, mistakes=[
        Mistake(lambda a, e, r: a / 1 + r * e, "mind the brackets: learning_rate0 / (1 + decay_rate * epoch_num)."),
        Mistake(lambda a, e, r: a / (r * e) if r * e else math.inf, "the denominator is 1 + decay_rate * epoch_num."),
        Mistake(lambda a, e, r: a / (1 + r) ** e, "that is exponential decay; this one is 1 / (1 + decay_rate * epoch_num)."),
        Mistake(lambda a, e, r: a * (1 + r * e), "divide learning_rate0 by (1 + decay_rate * epoch_num)."),
    ])
    if not hidden:
        ex.compare(ex.call(0.5, 2, 1.0), 0.5 / 3, "learning_rate_decay(0.5, 2, 1.0)", (0.5, 2, 1.0))
        ex.compare(ex.call(0.2, 0, 1.0), 0.2, "learning_rate_decay(0.2, 0, 1.0) (epoch 0 keeps learning_rate0)",
                   (0.2, 0, 1.0))
    else:
        rng = random_rng()
        calls = [((float(rng.uniform(1e-3, 1)), int(rng.integers(1, 5000)), float(rng.uniform(0, 2))),
                  "the learning rate at a random epoch") for _ in range(4)]
        calls.append(((float(rng.uniform(1e-3, 1)), 0, float(rng.uniform(0, 2))), "the learning rate at epoch 0"))
        _schedule(ex, calls)
    ex.done()


def schedule_lr_decay(student: Callable, hidden: bool = False) -> None:
    """Check the staircase ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``."""
    __tracebackhide__ = True
    ref = dlcore.learning_rate_decay
    ex = Exercise("schedule_lr_decay", student, dlcore.schedule_lr_decay, hidden=hidden, isolate=MANIFEST["schedule_lr_decay"],
                  mistakes=[
        Mistake(lambda a, e, r, i=1000: ref(a, e / i, r),
                "round epoch_num / time_interval down (np.floor or //): the rate stays constant for whole intervals."),
        Mistake(lambda a, e, r, i=1000: ref(a, math.ceil(e / i), r),
                "round epoch_num / time_interval down (floor), not up."),
        Mistake(lambda a, e, r, i=1000: ref(a, round(e / i), r),
                "round epoch_num / time_interval down (floor), not to the nearest integer."),
        Mistake(lambda a, e, r, i=1000: ref(a, e // 1000, r), "use the `time_interval` argument rather than 1000."),
        Mistake(lambda a, e, r, i=1000: ref(a, e, r), "the staircase divides the epoch by time_interval first."),
    ])
    if not hidden:
        for args, want in (((0.5, 999, 1.0), 0.5), ((0.5, 1000, 1.0), 0.25), ((0.5, 2500, 1.0, 1000), 0.5 / 3),
                           ((0.3, 10, 1.0, 10), 0.15)):
            ex.compare(ex.call(*args), want, f"schedule_lr_decay{args}", args)
    else:
        rng = random_rng()
        calls = []
        for _ in range(3):
            lr0, rate, interval = float(rng.uniform(1e-3, 1)), float(rng.uniform(0.1, 2)), int(rng.integers(10, 2000))
            k = int(rng.integers(1, 6))
            for epoch, where in ((k * interval, "at a multiple of time_interval"),
                                 (k * interval - 1, "one epoch before a multiple of time_interval"),
                                 (k * interval + interval // 2, "half-way through an interval"),
                                 (int(rng.integers(0, 6 * interval)), "at a random epoch")):
                calls.append(((lr0, epoch, rate, interval), f"the learning rate {where}"))
        lr0, rate, k = float(rng.uniform(1e-3, 1)), float(rng.uniform(0.1, 2)), int(rng.integers(1, 6))
        calls += [((lr0, 1000 * k - 1, rate), "the learning rate one epoch before a multiple of the default "
                   "time_interval"), ((lr0, 1000 * k, rate), "the learning rate at a multiple of the default "
                   "time_interval")]
        _schedule(ex, calls)
    ex.done()


def exponential_decay(student: Callable, hidden: bool = False) -> None:
    """Check ``learning_rate0 * exp(-k * epoch_num)``, returned as a float."""
    __tracebackhide__ = True
    ex = Exercise("exponential_decay", student, dlcore.exponential_decay, hidden=hidden, mistakes=[
        Mistake(lambda a, e, k: a * math.exp(k * e), "the exponent is negative: exp(-k * epoch_num)."),
        Mistake(lambda a, e, k: a * k ** e, "the decay is exp(-k * epoch_num), not k ** epoch_num."),
        Mistake(lambda a, e, k: a * math.exp(-k) * e, "the epoch goes into the exponent: exp(-k * epoch_num)."),
        Mistake(lambda a, e, k: math.exp(-k * e), "multiply by learning_rate0."),
    ])
    if not hidden:
        ex.compare(ex.call(1.0, 2, math.log(2)), 0.25, "exponential_decay(1.0, 2, log 2) (halves every epoch)",
                   (1.0, 2, math.log(2)))
        ex.compare(ex.call(0.1, 10, 0.05), 0.1 * math.exp(-0.5), "exponential_decay(0.1, 10, 0.05)", (0.1, 10, 0.05))
    else:
        rng = random_rng()
        calls = [((float(rng.uniform(1e-3, 1)), int(rng.integers(1, 300)), float(rng.uniform(0.001, 0.05))),
                  "the learning rate at a random epoch") for _ in range(4)]
        calls.append(((float(rng.uniform(1e-3, 1)), 0, float(rng.uniform(0, 0.05))), "the learning rate at epoch 0"))
        _schedule(ex, calls)
    ex.done()
