"""Checks of notebook 03, part 2: L2 regularization (the cost and its gradients)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, finite_difference_check, manifest, random_rng
from dlcore.checks.problems import random_network, smooth_network
from dlcore.gradcheck import check_gradients

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "compute_cost_with_l2": (),
    "model_backward_with_l2": (),
})


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
            _, p = random_network(rng, L)
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
        for l, ((_A_prev, W, b), _Z) in enumerate(caches, start=1):
            grads[f"dW{l}"] = grads[f"dW{l}"] + factor(m) * lambd * W
            if also_b:
                grads[f"db{l}"] = grads[f"db{l}"] + factor(m) * lambd * b
        return grads
    return wrong


def check_grads_dict(ex: Exercise, got: Any, keys: list[str], L: int) -> None:
    """Fail unless ``got`` is a dict of gradients with every one of ``keys`` (an ``L``-layer network)."""
    __tracebackhide__ = True
    if not isinstance(got, dict):
        raise CheckFailure(f"`{ex.name}` must return a dict of gradients; got {type(got).__name__}.")
    missing = [k for k in keys if k not in got]
    if missing:
        raise CheckFailure(f"`{ex.name}` (L={L}) must return the keys {keys}; {missing} missing. "
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
        X, params, AL, caches = smooth_network(rng, L)
        Y = (rng.random((1, X.shape[1])) < 0.5).astype(float)
        lambd = float(rng.uniform(0.1, 3.0))
        keys = [f"{p}{l}" for l in range(1, L + 1) for p in ("dW", "db")] + [f"dA{l}" for l in range(L)]
        got = ex.call(AL, Y, caches, lambd)
        check_grads_dict(ex, got, keys, L)
        ex.compare({k: got[k] for k in keys}, dlcore.model_backward_with_l2(AL, Y, caches, lambd),
                   f"grads (L={L})", (AL, Y, caches, lambd))
        if hidden:
            cost = lambda p: dlcore.compute_cost_with_l2(dlcore.model_forward(X, p)[0], Y, p, lambd)
            report = check_gradients(cost, {k: v.copy() for k, v in params.items()},
                                     {k: got[k] for k in keys if k[1] in "Wb"})
            finite_difference_check(ex.name, report, "(dW, db)", of="the cost")
    ex.done()


