"""Checks for notebook 02, backpropagation and gradient checking.

Same pattern as :mod:`dlcore.checks.forward`: visible checks on hand-worked examples by
default; ``hidden=True`` compares with the ``dlcore`` reference *and* with finite
differences of the forward computation, on random shapes and values.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore
from dlcore.checks import application
from dlcore.checks.core import CheckFailure, Exercise, Mistake, finite_difference_check, manifest, random_rng
from dlcore.checks.problems import distinct_dims, random_network, random_shape
from dlcore.checks.runner import Fn
from dlcore.gradcheck import check_gradients

_BACKWARD_NAMES = ("sigmoid_backward", "relu_backward", "tanh_backward")

#: The exercises of notebook 02, in order: name -> the graded functions it may call.
MANIFEST = manifest({
    "sigmoid_backward": (),
    "relu_backward": (),
    "tanh_backward": (),
    "linear_backward": (),
    "linear_activation_backward": ("linear_backward",) + _BACKWARD_NAMES,
    "model_backward": ("linear_activation_backward", "linear_backward") + _BACKWARD_NAMES,
    "update_parameters": (),
    "numerical_gradient": (),
    "gradient_difference": (),
    **application.MANIFEST,  # predict, the application at the end of the notebook
})
predict = application.predict


def _activation_backward(name: str, forward: Callable, student: Callable, hidden: bool,
                         visible: tuple, mistakes: list[Mistake]) -> None:
    __tracebackhide__ = True
    ex = Exercise(name, student, getattr(dlcore, name), hidden=hidden, mistakes=mistakes)
    if not hidden:
        dA, Z, want = (np.array(v, dtype=float) for v in visible)
        ex.compare(ex.call(dA, Z), want, f"{name}(dA, Z)", (dA, Z), rtol=1e-6)
    else:
        rng = random_rng()
        for _ in range(4):
            shape = random_shape(rng)
            dA, Z = rng.normal(size=shape), rng.normal(0, 2, size=shape)
            dZ = ex.against_reference(dA, Z, what="dZ")
            report = check_gradients(lambda z: float(np.sum(dA * forward(z))), Z.copy(), dZ)
            finite_difference_check(name, report, "dZ")
    ex.done()


def sigmoid_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``sigmoid_backward(dA, Z) = dA * s * (1 - s)``."""
    __tracebackhide__ = True
    s = dlcore.sigmoid
    _activation_backward("sigmoid_backward", dlcore.sigmoid, student, hidden,
                         ([[1.0, 2.0, -1.0]], [[0.0, 2.0, -1.0]], [[0.25, 0.20998717, -0.19661193]]), [
        Mistake(lambda dA, Z: dA * s(Z), "sigmoid's derivative is s * (1 - s): the (1 - s) factor is missing."),
        Mistake(lambda dA, Z: s(Z) * (1 - s(Z)), "multiply by dA (the chain rule): dZ = dA * s * (1 - s)."),
        Mistake(lambda dA, Z: dA * Z * (1 - Z), "use s = sigmoid(Z) in the formula, not Z itself."),
    ])


def relu_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``relu_backward(dA, Z)``: dA passes where Z > 0."""
    __tracebackhide__ = True
    _activation_backward("relu_backward", dlcore.relu, student, hidden,
                         ([[1.0, -2.0, 3.0, 4.0]], [[0.5, 1.5, -1.0, -0.1]], [[1.0, -2.0, 0.0, 0.0]]), [
        Mistake(lambda dA, Z: (Z > 0).astype(float), "multiply by dA (the chain rule): dZ = dA where Z > 0."),
        Mistake(lambda dA, Z: np.where(dA > 0, dA, 0.0), "the mask comes from Z (Z > 0), not from dA."),
        Mistake(lambda dA, Z: np.maximum(0, Z) * dA, "ReLU's derivative is 1 where Z > 0, not Z itself."),
    ])


def tanh_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``tanh_backward(dA, Z) = dA * (1 - tanh(Z)**2)``."""
    __tracebackhide__ = True
    _activation_backward("tanh_backward", dlcore.tanh, student, hidden,
                         ([[1.0, 2.0, -1.0]], [[0.0, 0.5, -1.0]], [[1.0, 1.57289547, -0.41997434]]), [
        Mistake(lambda dA, Z: dA * (1 - Z ** 2), "use tanh(Z) in the formula: 1 - tanh(Z)**2, not 1 - Z**2."),
        Mistake(lambda dA, Z: dA * (1 - np.tanh(Z)), "the derivative squares tanh: 1 - tanh(Z)**2."),
        Mistake(lambda dA, Z: 1 - np.tanh(Z) ** 2, "multiply by dA (the chain rule)."),
    ])


# --- linear step ----------------------------------------------------------------------
def _linear_mistakes() -> list[Mistake]:
    def no_m_dw(dZ, c):
        A, W, b = c
        return W.T @ dZ, dZ @ A.T, dZ.sum(axis=1, keepdims=True) / A.shape[1]

    def no_m(dZ, c):
        A, W, b = c
        return W.T @ dZ, dZ @ A.T, dZ.sum(axis=1, keepdims=True)

    def m_on_da(dZ, c):
        A, W, b = c
        return W.T @ dZ / A.shape[1], dZ @ A.T / A.shape[1], dZ.sum(axis=1, keepdims=True) / A.shape[1]

    def db_axis0(dZ, c):
        A, W, b = c
        return W.T @ dZ, dZ @ A.T / A.shape[1], dZ.sum(axis=0, keepdims=True) / A.shape[1]

    return [
        Mistake(no_m_dw, "dW needs the 1/m factor: dW = (1/m) dZ A_prev^T."),
        Mistake(no_m, "dW and db both need the 1/m factor."),
        Mistake(m_on_da, "dA_prev = W^T dZ has no 1/m factor (it is applied to dW and db only)."),
        Mistake(db_axis0, "db sums dZ over the examples, which are the columns: axis=1, keepdims=True."),
    ]


def linear_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``linear_backward(dZ, cache) -> (dA_prev, dW, db)`` against the reference and finite differences."""
    __tracebackhide__ = True
    ex = Exercise("linear_backward", student, dlcore.linear_backward, hidden=hidden, mistakes=_linear_mistakes())
    names = ("dA_prev", "dW", "db")
    if not hidden:
        A = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]])
        W, b, dZ = np.array([[2.0, -1.0]]), np.array([[0.5]]), np.array([[0.3, -0.6, 0.9]])
        got = ex.call(dZ, (A, W, b))
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailure("`linear_backward` must return the tuple (dA_prev, dW, db).")
        for g, want, n in zip(got, ([[0.6, -1.2, 1.8], [-0.3, 0.6, -0.9]], [[-0.3, 0.7]], [[0.2]]), names):
            ex.compare(g, np.array(want), n, (dZ, (A, W, b)))
    else:
        rng = random_rng()
        for _ in range(4):
            n_prev, n, m = distinct_dims(rng)
            A, W, b = rng.normal(size=(n_prev, m)), rng.normal(size=(n, n_prev)), rng.normal(size=(n, 1))
            dZ = rng.normal(size=(n, m))
            dA_prev, dW, db = ex.against_reference(dZ, (A, W, b), what=names)
            # J = (1/m) sum(dZ * Z) has dJ/dW = dW, dJ/db = db and dJ/dA_prev = dA_prev / m.
            params = {"A_prev": A.copy(), "W": W.copy(), "b": b.copy()}
            J = lambda p: float(np.sum(dZ * (p["W"] @ p["A_prev"] + p["b"])) / m)
            report = check_gradients(J, params, {"A_prev": dA_prev / m, "W": dW, "b": db})
            finite_difference_check("linear_backward", report, "(dA_prev, dW, db)")
    ex.done()


def linear_activation_backward(student: Callable, hidden: bool = False) -> None:
    """Check all four activations of ``linear_activation_backward``."""
    __tracebackhide__ = True
    ex = Exercise("linear_activation_backward", student, dlcore.linear_activation_backward, hidden=hidden,
                  isolate=MANIFEST["linear_activation_backward"], mistakes=[
        Mistake(lambda dA, cache, act: dlcore.linear_backward(dA, cache[0]),
                "apply the activation's backward first: dZ = g'(Z) * dA, then linear_backward(dZ, linear_cache)."),
    ])
    rng = random_rng() if hidden else np.random.default_rng(1)
    for act in ("sigmoid", "relu", "tanh", "leaky_relu"):
        n_prev, n, m = distinct_dims(rng)
        A, W, b = rng.normal(size=(n_prev, m)), rng.normal(size=(n, n_prev)), rng.normal(size=(n, 1))
        _, cache = dlcore.linear_activation_forward(A, W, b, act)
        dA = rng.normal(size=(n, m))
        ex.against_reference(dA, cache, act, what=(f"dA_prev ({act})", f"dW ({act})", f"db ({act})"))
    ex.done()


def model_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``model_backward`` on networks of 1 to 4 layers, against the reference and finite differences."""
    __tracebackhide__ = True
    ex = Exercise("model_backward", student, dlcore.model_backward, hidden=hidden,
                  isolate=MANIFEST["model_backward"], mistakes=[
        Mistake(lambda AL, Y, caches: _start_from(AL - Y, caches),
                "dAL is the derivative of the cost with respect to AL: -(Y/AL - (1-Y)/(1-AL)). "
                "(AL - Y is dZL, which already includes the sigmoid's derivative.)"),
    ])
    rng = random_rng() if hidden else np.random.default_rng(2)
    for L in ((1, 2, 3, 4) if hidden else (2,)):
        X, params = random_network(rng, L)
        Y = (rng.random((1, X.shape[1])) < 0.5).astype(float)
        AL, caches = dlcore.model_forward(X, params)
        keys = [f"{p}{l}" for l in range(1, L + 1) for p in ("dW", "db")] + [f"dA{l}" for l in range(L)]
        got = ex.call(AL, Y, caches)
        want = dlcore.model_backward(AL, Y, caches)
        if not isinstance(got, dict):
            raise CheckFailure(f"`model_backward` must return a dict of gradients; got {type(got).__name__}.")
        missing = [k for k in keys if k not in got]
        if missing:
            raise CheckFailure(f"`model_backward` (L={L}) must return the keys {keys}; {missing} missing. "
                               "Store grads['dA' + str(l-1)], grads['dW' + str(l)] and grads['db' + str(l)].")
        ex.compare({k: got[k] for k in keys}, want, f"grads (L={L})", (AL, Y, caches))
        if hidden:
            cost = lambda p: dlcore.compute_cost(dlcore.model_forward(X, p)[0], Y)
            report = check_gradients(cost, {k: v.copy() for k, v in params.items()}, got)
            finite_difference_check("model_backward", report, "the gradients")
    ex.done()


def _start_from(dAL_wrong: np.ndarray, caches: list) -> dict:
    """Gradients obtained when backprop starts from a wrong dAL (for the mistake hint)."""
    grads, dA, L = {}, dAL_wrong, len(caches)
    for l in range(L, 0, -1):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = dlcore.linear_activation_backward(
            dA, caches[l - 1], "sigmoid" if l == L else "relu")
        grads[f"dA{l - 1}"] = dA
    return grads


def update_parameters(student: Callable, hidden: bool = False) -> None:
    """Check one gradient-descent step, returning a new dict and leaving the input unchanged."""
    __tracebackhide__ = True
    ex = Exercise("update_parameters", student, dlcore.update_parameters, hidden=hidden, mistakes=[
        Mistake(lambda p, g, lr: {k: v + lr * g["d" + k] for k, v in p.items()},
                "gradient descent steps against the gradient: W = W - learning_rate * dW."),
        Mistake(lambda p, g, lr: {k: v - g["d" + k] for k, v in p.items()},
                "multiply the gradient by learning_rate."),
    ])
    rng = random_rng() if hidden else np.random.default_rng(3)
    for L in ((1, 2, 3) if hidden else (2,)):
        _, params = random_network(rng, L)
        grads = {"d" + k: rng.normal(size=v.shape) for k, v in params.items()}
        grads.update({f"dA{l}": rng.normal(size=(2, 3)) for l in range(L)})  # present in real grads: ignore them
        lr = float(rng.uniform(0.01, 1.0))
        ex.against_reference(params, grads, lr, what=f"the new parameters (L={L})")
    ex.done()


# --- gradient checking -------------------------------------------------------------------
def _smooth_function(rng: np.random.Generator, shape: tuple) -> Fn:
    """A smooth test function, named so that it can be rebuilt where the student's code runs."""
    return Fn("smooth", seed=int(rng.integers(2**31)), shape=tuple(int(n) for n in shape))


def numerical_gradient(student: Callable, hidden: bool = False) -> None:
    """Check centred differences for several functions, shapes and epsilons, and that x is restored."""
    __tracebackhide__ = True
    ex = Exercise("numerical_gradient", student, dlcore.numerical_gradient, hidden=hidden, may_modify=("x",), mistakes=[
        Mistake(lambda f, x, epsilon=1e-7: _one_sided(f, x, epsilon),
                "use centred differences (f(x + eps) - f(x - eps)) / (2 eps), not one-sided ones."),
        Mistake(lambda f, x, epsilon=1e-7: 2 * dlcore.numerical_gradient(f, x, epsilon),
                "divide by 2 * epsilon: the two points are 2 * epsilon apart."),
        Mistake(lambda f, x, epsilon=1e-7: dlcore.numerical_gradient(f, x, 1e-7) if epsilon != 1e-7 else None,
                "use the `epsilon` argument instead of a fixed value."),
    ])
    rng = random_rng() if hidden else np.random.default_rng(4)
    cases = [((3,), 1e-7), ((2, 3), 1e-3)] if not hidden else [(random_shape(rng), e) for e in (1e-7, 1e-4, 1e-2)]
    for shape, eps in cases:
        f, x = _smooth_function(rng, shape), rng.normal(size=shape)
        got = ex.call(f, x, eps)
        ex.compare(got, dlcore.numerical_gradient(f, x.copy(), eps), f"the gradient of a test function (epsilon={eps:g})",
                   (f, x, eps), rtol=1e-5, atol=1e-7)
        if not np.allclose(ex.last_args[1], x, rtol=1e-12, atol=1e-15):
            raise CheckFailure("`numerical_gradient` must leave `x` with its original values: after evaluating "
                               "f at x[i] + epsilon and x[i] - epsilon, put the old value back.")
    ex.done()


def _one_sided(f: Callable, x: np.ndarray, epsilon: float) -> np.ndarray:
    grad, f0 = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + epsilon
        grad[i] = (f(x) - f0) / epsilon
        x[i] = old
    return grad


def gradient_difference(student: Callable, hidden: bool = False) -> None:
    """Check ``||g - g~|| / (||g|| + ||g~||)`` and ``0.0`` when both gradients are zero."""
    __tracebackhide__ = True
    norm = np.linalg.norm
    ex = Exercise("gradient_difference", student, dlcore.gradient_difference, hidden=hidden, mistakes=[
        Mistake(lambda g, ga: float(norm(g - ga) / (norm(g) + norm(ga))),
                "when both gradients are zero the formula is 0/0 (NaN): return 0.0 in that case."),
        Mistake(lambda g, ga: float(norm(g - ga)), "divide by ||grad|| + ||grad_approx|| to get a relative difference."),
        Mistake(lambda g, ga: float(norm(g - ga) / norm(g + ga)), "the denominator is ||grad|| + ||grad_approx||, not ||grad + grad_approx||."),
        Mistake(lambda g, ga: float(norm(g - ga) ** 2 / (norm(g) ** 2 + norm(ga) ** 2)), "use the norms themselves, not their squares."),
    ])
    if not hidden:
        g, ga = np.array([1.0, 2.0]), np.array([1.0, 2.5])
        ex.compare(ex.call(g, ga), 0.10144765023721385, "gradient_difference([1, 2], [1, 2.5])", (g, ga))
        z = (np.zeros(3), np.zeros(3))
        ex.compare(ex.call(*z), 0.0, "gradient_difference of two zero vectors", z)
    else:
        rng = random_rng()
        for _ in range(3):
            shape = random_shape(rng)
            g = rng.normal(size=shape)
            ga = g + rng.normal(0, float(rng.choice([1e-8, 1e-4, 1.0])), size=shape)
            ex.compare(ex.call(g, ga), dlcore.gradient_difference(g, ga), "the relative difference", (g, ga))
        z = (np.zeros((2, 2)), np.zeros((2, 2)))
        ex.compare(ex.call(*z), 0.0, "the difference of two zero gradients", z, rtol=0, atol=0)
        g = rng.normal(size=4)
        ex.compare(ex.call(g, np.zeros(4)), 1.0, "the difference between a gradient and zero", (g, np.zeros(4)))
    ex.done()
