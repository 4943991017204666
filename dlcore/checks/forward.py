"""Checks for notebook 01, forward propagation.

Each function takes the student's implementation. By default it runs the visible
checks (small, hand-worked examples printed in the notebook); with ``hidden=True`` it
runs the grading tests: random shapes and values from fresh entropy, compared with the
``dlcore`` reference, plus the properties the exercise promises.

>>> from dlcore.checks import forward as checks
>>> checks.sigmoid(my_sigmoid)                 # doctest: +SKIP
✔ sigmoid: all checks passed.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, manifest, random_rng
from dlcore.checks.problems import distinct_dims, random_network, random_shape

ACTS = ("sigmoid", "relu", "tanh", "leaky_relu")
_ACT_NAMES = ("sigmoid", "relu", "leaky_relu")  # activations that are exercises of this notebook

#: The exercises of notebook 01, in order: name -> the graded functions it may call.
MANIFEST = manifest({
    "sigmoid": (),
    "relu": (),
    "leaky_relu": (),
    "initialize_parameters": (),
    "linear_forward": (),
    "linear_activation_forward": ("linear_forward",) + _ACT_NAMES,
    "model_forward": ("linear_activation_forward", "linear_forward") + _ACT_NAMES,
    "compute_cost": (),
})


# --- activations --------------------------------------------------------------------
def sigmoid(student: Callable, hidden: bool = False) -> None:
    """Check ``sigmoid(Z)``: values, shapes, and no overflow for ``|Z|`` up to 1000."""
    __tracebackhide__ = True
    ex = Exercise("sigmoid", student, dlcore.sigmoid, hidden=hidden, mistakes=[
        Mistake(lambda Z: 1 / (1 + np.exp(Z)), "the sign of the exponent: sigmoid is 1 / (1 + e^(-Z))."),
        Mistake(lambda Z: np.exp(Z) / (1 + np.exp(Z)),
                "e^Z / (1 + e^Z) gives inf/inf = NaN for large Z; use 1 / (1 + e^(-Z))."),
        Mistake(lambda Z: 1 / (1 - np.exp(-Z)), "the denominator is 1 + e^(-Z), not 1 - e^(-Z)."),
    ])
    if not hidden:
        ex.compare(ex.call(np.array([[-1.0, 0.0, 2.0]])), np.array([[0.26894142, 0.5, 0.88079708]]),
                   "sigmoid([[-1, 0, 2]])", (np.array([[-1.0, 0.0, 2.0]]),), rtol=1e-6)
        ex.compare(ex.call(np.zeros((2, 3))), np.full((2, 3), 0.5), "sigmoid(np.zeros((2, 3)))")
        big = np.array([-1000.0, 1000.0])
        ex.compare(ex.call(big), np.array([0.0, 1.0]), "sigmoid([-1000, 1000])", (big,))
    else:
        rng = random_rng()
        for _ in range(4):
            ex.against_reference(rng.normal(0, 4, size=random_shape(rng)), what="A")
        ex.against_reference(rng.uniform(-1000, 1000, size=(3, 5)), what="A (for |Z| up to 1000)")
        ex.against_reference(np.array([[-1000.0, -710.0, 709.0, 1000.0]]), what="A (for |Z| up to 1000)")
    ex.done()


def relu(student: Callable, hidden: bool = False) -> None:
    """Check ``relu(Z) = max(0, Z)``."""
    __tracebackhide__ = True
    ex = Exercise("relu", student, dlcore.relu, hidden=hidden, mistakes=[
        Mistake(lambda Z: np.maximum(0.01 * Z, Z), "that is leaky ReLU; ReLU sets negative values to exactly 0."),
        Mistake(np.abs, "ReLU is max(0, Z), not |Z|."),
        Mistake(lambda Z: np.minimum(0, Z), "ReLU keeps the positive part: np.maximum(0, Z)."),
        Mistake(lambda Z: (Z > 0).astype(float), "that is ReLU's derivative (a 0/1 mask); ReLU returns Z where Z > 0."),
    ])
    if not hidden:
        Z = np.array([[-1.5, 0.0, 2.5], [3.0, -0.1, 0.2]])
        ex.compare(ex.call(Z), np.array([[0.0, 0.0, 2.5], [3.0, 0.0, 0.2]]), "relu(Z)", (Z,))
    else:
        rng = random_rng()
        for _ in range(4):
            ex.against_reference(rng.normal(0, 3, size=random_shape(rng)), what="A")
    ex.done()


def leaky_relu(student: Callable, hidden: bool = False) -> None:
    """Check ``leaky_relu(Z, alpha=0.01) = max(alpha * Z, Z)``, including the default ``alpha``."""
    __tracebackhide__ = True
    ex = Exercise("leaky_relu", student, dlcore.leaky_relu, hidden=hidden, mistakes=[
        Mistake(lambda Z, alpha=0.01: np.maximum(0.01 * Z, Z), "use the `alpha` argument, not the constant 0.01."),
        Mistake(lambda Z, alpha=0.01: np.maximum(0, Z), "negative inputs are scaled by alpha, not set to 0."),
        Mistake(lambda Z, alpha=0.01: np.where(Z > 0, Z, alpha), "negative inputs become alpha * Z, not alpha."),
        Mistake(lambda Z, alpha=0.01: np.maximum(alpha, Z), "the formula is max(alpha * Z, Z), not max(alpha, Z)."),
    ])
    if not hidden:
        Z = np.array([[-2.0, 0.0, 3.0]])
        ex.compare(ex.call(Z, 0.1), np.array([[-0.2, 0.0, 3.0]]), "leaky_relu(Z, alpha=0.1)", (Z, 0.1))
        ex.compare(ex.call(Z), np.array([[-0.02, 0.0, 3.0]]), "leaky_relu(Z) with the default alpha", (Z,))
    else:
        rng = random_rng()
        for _ in range(4):
            Z = rng.normal(0, 3, size=random_shape(rng))
            alpha = float(rng.uniform(0.02, 0.5))
            got = ex.call(Z, alpha)
            ex.compare(got, dlcore.leaky_relu(Z, alpha), "A", (Z, alpha))
        Z = rng.normal(0, 3, size=(4, 5))
        ex.compare(ex.call(Z), dlcore.leaky_relu(Z), "A with the default alpha", (Z,))
    ex.done()


# --- parameters ---------------------------------------------------------------------
def initialize_parameters(student: Callable, hidden: bool = False) -> None:
    """Check keys, shapes, zero biases, the 0.01 * N(0, 1) statistics and use of ``rng``."""
    __tracebackhide__ = True
    ex = Exercise("initialize_parameters", student, dlcore.initialize_parameters, hidden=hidden)
    rng = random_rng()
    if hidden:
        dims_list = [[int(n) for n in rng.integers(1, 9, size=rng.integers(2, 6))] for _ in range(3)]
    else:
        dims_list = [[3, 2, 1], [5, 4, 3, 1]]
    for dims in dims_list:
        seed = int(rng.integers(2**31))
        params = ex.call(dims, np.random.default_rng(seed))
        _check_parameter_layout(ex, params, dims)
        again = ex.call(dims, np.random.default_rng(seed))
        for k in params:
            if not np.array_equal(params[k], again[k]):
                raise CheckFailure(
                    "`initialize_parameters` gave different weights for two generators with the same seed. "
                    "Draw every random number from `rng`.")
    # Statistics on a large layer: W ~ 0.01 * N(0, 1).
    n_out, n_in = (400, 500) if hidden else (300, 400)
    W = ex.call([n_in, n_out], np.random.default_rng(int(rng.integers(2**31))))["W1"]
    std, mean = float(W.std()), float(W.mean())
    if not 0.0097 < std < 0.0103:
        hint = " (did you forget to multiply by 0.01?)" if std > 0.1 else ""
        hint = hint or (" (rng.random draws uniform numbers in [0, 1); use rng.standard_normal)" if mean > 0.002 else "")
        raise CheckFailure(f"`initialize_parameters`: the weights have standard deviation {std:.4g}, "
                           f"expected 0.01{hint}.")
    if abs(mean) > 5 * 0.01 / np.sqrt(W.size):
        raise CheckFailure(f"`initialize_parameters`: the weights have mean {mean:.3g}, expected about 0 "
                           "(use rng.standard_normal, which is centred on 0).")
    inside = float(np.mean(np.abs(W) < 0.01))
    if abs(inside - 0.6827) > 0.01:
        raise CheckFailure(f"`initialize_parameters`: {inside:.1%} of the weights lie within one standard "
                           "deviation of 0, but a normal distribution has 68.3% there: use rng.standard_normal.")
    ex.done()


def _check_parameter_layout(ex: Exercise, params: object, dims: list[int]) -> None:
    __tracebackhide__ = True
    L = len(dims) - 1
    want = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if not isinstance(params, dict):
        raise CheckFailure(f"`{ex.name}` must return a dict; got {type(params).__name__}.")
    if sorted(params) != sorted(want):
        raise CheckFailure(f"`{ex.name}({dims}, rng)` must return the keys {want}; got {sorted(params)}. "
                           f"A network with layer_dims of length {len(dims)} has L = {L} layers.")
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        for key, arr, shape in ((f"W{l}", W, (dims[l], dims[l - 1])), (f"b{l}", b, (dims[l], 1))):
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
                raise CheckFailure(f"`{ex.name}`: {key} must have shape {shape} = (n[{l}], "
                                   f"{'n[' + str(l - 1) + ']' if key[0] == 'W' else '1'}); got {got}.")
            if arr.dtype != np.float64:
                raise CheckFailure(f"`{ex.name}`: {key} must hold float64 numbers; got {arr.dtype}.")
        if np.any(b != 0):
            raise CheckFailure(f"`{ex.name}`: b{l} must be all zeros.")
        if W.size > 1 and np.all(W == W.flat[0]):
            raise CheckFailure(f"`{ex.name}`: all entries of W{l} are equal. Random weights break the symmetry "
                               "between units; draw them with rng.standard_normal.")


# --- layers ---------------------------------------------------------------------------
def _layer_inputs(rng: np.random.Generator, n_prev: int, n: int, m: int) -> tuple:
    return rng.normal(size=(n_prev, m)), rng.normal(size=(n, n_prev)), rng.normal(size=(n, 1))


def linear_forward(student: Callable, hidden: bool = False) -> None:
    """Check ``linear_forward(A_prev, W, b) -> (Z, (A_prev, W, b))``."""
    __tracebackhide__ = True
    ex = Exercise("linear_forward", student, dlcore.linear_forward, hidden=hidden, mistakes=[
        Mistake(lambda A, W, b: (W @ A, (A, W, b)), "you forgot to add the bias b."),
        Mistake(lambda A, W, b: (W @ A - b, (A, W, b)), "the bias is added: Z = W A_prev + b."),
        Mistake(lambda A, W, b: ((W @ A + b).T, (A, W, b)), "Z must be (n[l], m): no transpose at the end."),
    ])
    if not hidden:
        A, W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, -1.0]]), np.array([[0.5]])
        ex.against_reference(A, W, b, what=("Z", "cache"))
        ex.compare(ex.call(A, W, b)[0], np.array([[-1.5, -1.5]]), "Z", (A, W, b))
    else:
        rng = random_rng()
        for _ in range(4):
            ex.against_reference(*_layer_inputs(rng, *distinct_dims(rng)), what=("Z", "cache"))
    ex.done()


_FORWARD_VISIBLE = {
    "sigmoid": [[0.88079708, 0.5], [0.1480472, 0.81757448]],
    "relu": [[2.0, 0.0], [0.0, 1.5]],
    "tanh": [[0.96402758, 0.0], [-0.94137554, 0.90514825]],
    "leaky_relu": [[2.0, 0.0], [-0.0175, 1.5]],
}


def linear_activation_forward(student: Callable, hidden: bool = False) -> None:
    """Check all four activations, the cache ``(linear_cache, Z)``, and ValueError for unknown names."""
    __tracebackhide__ = True
    ex = Exercise("linear_activation_forward", student, dlcore.linear_activation_forward, hidden=hidden,
                  isolate=MANIFEST["linear_activation_forward"])
    if not hidden:
        A, W, b = np.array([[1.0, -2.0], [0.5, 1.0]]), np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([[0.0], [-1.0]])
        for act, want in _FORWARD_VISIBLE.items():
            got = ex.call(A, W, b, act)
            if not isinstance(got, tuple) or len(got) != 2:
                raise CheckFailure("`linear_activation_forward` must return the tuple (A, cache).")
            ex.compare(got[0], np.array(want), f"A for activation={act!r}", rtol=1e-6)
            ex.against_reference(A, W, b, act, what=("A", "cache"))
    else:
        rng = random_rng()
        for act in ACTS:
            ex.against_reference(*_layer_inputs(rng, *distinct_dims(rng)), act, what=(f"A ({act})", f"cache ({act})"))
    ex.raises(ValueError, *_layer_inputs(np.random.default_rng(0), 2, 3, 4), "softplus", what="..., activation='softplus'")
    ex.done()


# --- model ------------------------------------------------------------------------------
def model_forward(student: Callable, hidden: bool = False) -> None:
    """Check ``model_forward``: L-1 ReLU layers then sigmoid, ``AL`` (1, m) and L caches."""
    __tracebackhide__ = True
    ex = Exercise("model_forward", student, dlcore.model_forward, hidden=hidden,
                  isolate=MANIFEST["model_forward"], mistakes=[
        Mistake(lambda X, p: _forward_with(X, p, "sigmoid", "sigmoid"), "hidden layers use ReLU; only the output layer uses sigmoid."),
        Mistake(lambda X, p: _forward_with(X, p, "relu", "relu"), "the output layer uses sigmoid, so that AL is a probability."),
    ])
    if not hidden:
        X = np.array([[1.0, -1.0, 2.0], [0.5, 0.0, -1.0]])
        p = {"W1": np.array([[0.5, -1.0], [1.0, 0.25], [-0.5, 0.5]]), "b1": np.array([[0.0], [0.1], [0.2]]),
             "W2": np.array([[1.0, -1.0, 0.5]]), "b2": np.array([[-0.1]])}
        got = ex.call(X, p)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`model_forward` must return the tuple (AL, caches).")
        ex.compare(got[0], np.array([[0.20998763, 0.5621765, 0.5124974]]), "AL", (X, p), rtol=1e-6)
        ex.against_reference(X, p, what=("AL", "caches"))
    else:
        rng = random_rng()
        for L in (1, 2, 3, 4):
            ex.against_reference(*random_network(rng, L), what=(f"AL (L={L})", f"caches (L={L})"))
    ex.done()


def _forward_with(X: np.ndarray, p: dict, hidden_act: str, out_act: str) -> tuple:
    L = len(p) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        A, cache = dlcore.linear_activation_forward(A, p[f"W{l}"], p[f"b{l}"], hidden_act if l < L else out_act)
        caches.append(cache)
    return A, caches


def compute_cost(student: Callable, hidden: bool = False) -> None:
    """Check the binary cross-entropy, returned as a Python float."""
    __tracebackhide__ = True
    ex = Exercise("compute_cost", student, dlcore.compute_cost, hidden=hidden, mistakes=[
        Mistake(lambda AL, Y: -dlcore.compute_cost(AL, Y), "the minus sign: the cost is -(1/m) * sum(...), a positive number."),
        Mistake(lambda AL, Y: dlcore.compute_cost(AL, Y) * Y.shape[1], "divide the sum by m, the number of examples."),
        Mistake(lambda AL, Y: float(-np.sum(Y * np.log(AL))) / Y.shape[1], "include the (1 - y) log(1 - a) term for the examples with y = 0."),
        Mistake(lambda AL, Y: dlcore.compute_cost(AL, Y) / np.log(10), "use the natural logarithm np.log, not np.log10."),
    ])
    if not hidden:
        AL, Y = np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]])
        ex.compare(ex.call(AL, Y), 0.2797765635793423, "compute_cost([[0.8, 0.9, 0.4]], [[1, 1, 0]])", (AL, Y))
    else:
        rng = random_rng()
        for m in rng.integers(1, 40, size=4):
            AL = rng.uniform(0.01, 0.99, size=(1, int(m)))
            Y = (rng.random((1, int(m))) < 0.5).astype(float)
            ex.compare(ex.call(AL, Y), dlcore.compute_cost(AL, Y), "the cost", (AL, Y))
    ex.done()
