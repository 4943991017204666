"""Checks for notebook 05, batch normalization.

Same pattern as :mod:`dlcore.checks.forward`: visible checks on small hand-worked
examples by default; ``hidden=True`` draws random shapes and values from fresh entropy
and compares with the ``dlcore`` reference (and, for the backward pass, with finite
differences of the forward computation).

The cache of ``batchnorm_forward`` is a dict. The notebook promises the keys of
:data:`CACHE_KEYS` (those of the reference); ``batchnorm_forward`` is checked to store
them with the right values, and ``batchnorm_backward`` is judged on a cache holding
exactly those keys, so a backward pass may rely on them and on nothing else. Whatever
else a student keeps in the cache is theirs and is not checked.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, finite_difference_check, manifest, random_rng
from dlcore.gradcheck import check_gradients

#: The exercises of notebook 05, in order: name -> the graded functions it may call.
MANIFEST = manifest({
    "batchnorm_forward": (),
    "batchnorm_backward": ("batchnorm_forward",),
    "update_running_averages": (),
    "batchnorm_inference": (),
})

#: The keys of the cache of ``batchnorm_forward`` that ``batchnorm_backward`` may rely on.
CACHE_KEYS = ("mu", "var", "Z_hat", "inv_std", "gamma", "epsilon")

_CACHE_MEANING = {
    "mu": "the mean of each row of Z, shape (n, 1)",
    "var": "the biased variance of each row of Z (divided by m), shape (n, 1)",
    "Z_hat": "the normalised Z, (Z - mu) / sqrt(var + epsilon), shape (n, m)",
    "inv_std": "1 / sqrt(var + epsilon), shape (n, 1)",
    "gamma": "the gamma passed in, shape (n, 1)",
    "epsilon": "the epsilon used, a float",
}


def _bn_inputs(rng: np.random.Generator, n: int, m: int, small_var: bool = False) -> tuple:
    """Pre-activations with a different mean and spread per row, and gamma (never near 0), beta."""
    loc = rng.uniform(-3.0, 3.0, size=(n, 1))
    scale = rng.uniform(0.01, 0.03, size=(n, 1)) if small_var else rng.uniform(0.3, 3.0, size=(n, 1))
    Z = loc + scale * rng.standard_normal((n, m))
    gamma = rng.choice([-1.0, 1.0], size=(n, 1)) * rng.uniform(0.5, 2.0, size=(n, 1))
    beta = rng.normal(size=(n, 1))
    return Z, gamma, beta


def _shape(rng: np.random.Generator, m_low: int = 2) -> tuple[int, int]:
    return int(rng.integers(1, 7)), int(rng.integers(m_low, 10))


# --- batchnorm_forward -----------------------------------------------------------------------
def _forward_mistakes(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float = 1e-5) -> list:
    """(Z_tilde of a typical mistake, hint) pairs."""
    mu = Z.mean(axis=1, keepdims=True)
    var = Z.var(axis=1, keepdims=True)
    Z_hat = (Z - mu) / np.sqrt(var + epsilon)
    m = Z.shape[1]
    out = []
    with np.errstate(all="ignore"):
        if m > 1:
            var1 = Z.var(axis=1, ddof=1, keepdims=True)
            out.append((gamma * (Z - mu) / np.sqrt(var1 + epsilon) + beta,
                        "use the biased variance, divided by m (np.var's default), not by m - 1."))
        out += [
            (gamma * (Z - mu) / (np.sqrt(var) + epsilon) + beta,
             "epsilon goes inside the square root: (Z - mu) / sqrt(var + epsilon)."),
            (gamma * (Z - mu) / np.sqrt(var + 1e-5) + beta, "use the `epsilon` argument, not a fixed 1e-5."),
            (gamma * (Z - mu) / (var + epsilon) + beta, "divide by the standard deviation sqrt(var + epsilon), not by the variance."),
            (gamma * (Z - mu) / np.sqrt(var) + beta, "add epsilon to the variance before the square root."),
            (Z_hat, "scale and shift the normalised values: Z_tilde = gamma * Z_hat + beta."),
            (beta * Z_hat + gamma, "gamma scales and beta shifts: Z_tilde = gamma * Z_hat + beta."),
        ]
        mu0, var0 = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
        out.append((gamma * (Z - mu0) / np.sqrt(var0 + epsilon) + beta,
                    "the statistics are over the m examples, which are the columns: axis=1, keepdims=True."))
    return out


def _check_forward_call(ex: Exercise, args: tuple, kwargs: dict | None = None, label: str = "") -> None:
    __tracebackhide__ = True
    kwargs = kwargs or {}
    got = ex.call(*args, **kwargs)
    want_Z_tilde, want_cache = ex.reference_value(*args, **kwargs)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailure(f"`batchnorm_forward` must return the tuple (Z_tilde, cache); got "
                           f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
    Z_tilde, cache = got
    epsilon = kwargs.get("epsilon", args[3] if len(args) > 3 else 1e-5)
    ex.compare_with_hints(Z_tilde, want_Z_tilde, f"Z_tilde{label}", _forward_mistakes(*args[:3], epsilon),
                          named=True)
    if not isinstance(cache, dict):
        raise CheckFailure(f"`batchnorm_forward`: the cache must be a dict with the keys {list(CACHE_KEYS)}; "
                           f"got a {type(cache).__name__}.")
    missing = [k for k in CACHE_KEYS if k not in cache]
    if missing:
        meaning = "; ".join(f"{k!r}: {_CACHE_MEANING[k]}" for k in missing)
        raise CheckFailure(f"`batchnorm_forward`: the cache lacks the key(s) {missing}. It must hold at least "
                           f"{list(CACHE_KEYS)} (batchnorm_backward and the running averages rely on them): "
                           f"{meaning}.")
    for key in CACHE_KEYS:
        value = cache[key]
        if key == "epsilon" and isinstance(value, np.ndarray) and value.size == 1:
            value = float(value)
        candidates = []
        if key == "var" and args[0].shape[1] > 1:
            candidates.append((args[0].var(axis=1, ddof=1, keepdims=True),
                               "use the biased variance, divided by m (np.var's default), not by m - 1."))
        if key == "inv_std":
            candidates.append((np.sqrt(want_cache["var"] + want_cache["epsilon"]),
                               "store the inverse 1 / sqrt(var + epsilon), not the standard deviation."))
        ex.compare_with_hints(value, want_cache[key], f"cache[{key!r}]{label} ({_CACHE_MEANING[key]})", candidates,
                              named=True)


def batchnorm_forward(student: Callable, hidden: bool = False) -> None:
    """Check ``batchnorm_forward(Z, gamma, beta, epsilon=1e-5) -> (Z_tilde, cache)`` and the cache's keys."""
    __tracebackhide__ = True
    ex = Exercise("batchnorm_forward", student, dlcore.batchnorm_forward, hidden=hidden)
    if not hidden:
        Z = np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0]])
        gamma, beta = np.array([[2.0], [1.0]]), np.array([[0.5], [-1.0]])
        got = ex.call(Z, gamma, beta)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`batchnorm_forward` must return the tuple (Z_tilde, cache).")
        want = np.array([[-1.9494713718, 0.5, 2.9494713718], [-1.0, -1.0, -1.0]])
        ex.compare_with_hints(got[0], want, "Z_tilde for Z = [[1, 2, 3], [4, 4, 4]] (default epsilon=1e-5)",
                              _forward_mistakes(Z, gamma, beta), rtol=1e-8, named=True)
        _check_forward_call(ex, (Z, gamma, beta))
        rng = np.random.default_rng(5)
        _check_forward_call(ex, (*_bn_inputs(rng, 3, 5), 1e-3), label=" (epsilon=1e-3)")
    else:
        rng = random_rng()
        for eps in (1e-5, 1e-3, 0.1):
            _check_forward_call(ex, (*_bn_inputs(rng, *_shape(rng)), eps))
        n, m = _shape(rng)
        _check_forward_call(ex, _bn_inputs(rng, n, m), {"epsilon": float(rng.uniform(1e-4, 1e-2))},
                            label=" (epsilon given by keyword)")
        _check_forward_call(ex, _bn_inputs(rng, *_shape(rng), small_var=True),
                            label=" (default epsilon, rows of small variance)")
        Z, gamma, beta = _bn_inputs(rng, *_shape(rng))
        Z[0] = Z[0, 0]  # a constant unit: variance 0, so epsilon keeps the division finite
        _check_forward_call(ex, (Z, gamma, beta), label=" (a row of Z is constant)")
    ex.done()


# --- batchnorm_backward ----------------------------------------------------------------------
def _backward_mistakes() -> list[Mistake]:
    def parts(G, cache):
        Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
        return Z_hat, inv_std, gamma, G.sum(axis=1, keepdims=True), np.sum(G * Z_hat, axis=1, keepdims=True), G.shape[1]

    def constant_statistics(G, cache):
        Z_hat, inv_std, gamma, dbeta, dgamma, m = parts(G, cache)
        return gamma * inv_std * G, dgamma, dbeta

    def mean_path_only(G, cache):
        Z_hat, inv_std, gamma, dbeta, dgamma, m = parts(G, cache)
        return gamma * inv_std * (G - dbeta / m), dgamma, dbeta

    def no_one_over_m(G, cache):
        Z_hat, inv_std, gamma, dbeta, dgamma, m = parts(G, cache)
        return gamma * inv_std * (m * G - dbeta - Z_hat * dgamma), dgamma, dbeta

    def averaged(G, cache):
        dZ, dgamma, dbeta = dlcore.batchnorm_backward(G, cache)
        return dZ, dgamma / G.shape[1], dbeta / G.shape[1]

    def sign(G, cache):
        Z_hat, inv_std, gamma, dbeta, dgamma, m = parts(G, cache)
        return gamma * inv_std / m * (m * G - dbeta + Z_hat * dgamma), dgamma, dbeta

    def no_gamma(G, cache):
        Z_hat, inv_std, gamma, dbeta, dgamma, m = parts(G, cache)
        return inv_std / m * (m * G - dbeta - Z_hat * dgamma), dgamma, dbeta

    def fixed_epsilon(G, cache):
        return dlcore.batchnorm_backward(G, dict(cache, inv_std=1.0 / np.sqrt(cache["var"] + 1e-5)))

    def axis0(G, cache):
        dZ, dgamma, dbeta = dlcore.batchnorm_backward(G, cache)
        return dZ, np.sum(G * cache["Z_hat"], axis=0, keepdims=True), G.sum(axis=0, keepdims=True)

    return [
        Mistake(constant_statistics, "mu and var depend on Z too: dZ = gamma * inv_std * dZ_tilde treats them as "
                                     "constants. Add the paths through mu and var (the two sums of the formula)."),
        Mistake(mean_path_only, "the path through var is missing: subtract Z_hat * sum(dZ_hat * Z_hat) too."),
        Mistake(no_one_over_m, "the formula has a factor 1/m: dZ = (inv_std / m) * (m dZ_hat - sum dZ_hat - "
                               "Z_hat * sum(dZ_hat * Z_hat))."),
        Mistake(averaged, "dgamma and dbeta are sums over the examples, without 1/m (the training loop divides "
                          "them by m, as linear_backward does for dW and db)."),
        Mistake(sign, "check the sign of the Z_hat * sum(dZ_hat * Z_hat) term: it is subtracted."),
        Mistake(no_gamma, "dZ_hat = gamma * dZ_tilde: the gradient passes through the scale gamma first."),
        Mistake(fixed_epsilon, "use the cache's epsilon (or its inv_std), not a fixed 1e-5."),
        Mistake(axis0, "dgamma and dbeta sum over the examples, which are the columns: axis=1, keepdims=True."),
    ]


def _explain_cache_keys(run: Callable, *args: Any, **kwargs: Any) -> Any:
    """``run(*args, **kwargs)``; a KeyError of the student's backward also says which keys the cache holds."""
    __tracebackhide__ = True
    try:
        return run(*args, **kwargs)
    except CheckFailure as failure:
        message = str(failure)
        if "raised KeyError" not in message:
            raise
        raise CheckFailure(
            message + f"\n  The cache given to batchnorm_backward holds exactly the keys {list(CACHE_KEYS)} "
            "(those the exercise promises); rely on these only, for any other key your own forward keeps "
            "is not there when batchnorm_backward is graded.") from None


def _fd_check(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, G: np.ndarray, got: tuple) -> None:
    __tracebackhide__ = True
    params = {"Z": Z.copy(), "gamma": gamma.copy(), "beta": beta.copy()}

    def f(p):
        return float(np.sum(G * dlcore.batchnorm_forward(p["Z"], p["gamma"], p["beta"], eps)[0]))

    report = check_gradients(f, params, {"Z": got[0], "gamma": got[1], "beta": got[2]})
    finite_difference_check("batchnorm_backward", report, "(dZ, dgamma, dbeta)")


def batchnorm_backward(student: Callable, hidden: bool = False) -> None:
    """Check ``batchnorm_backward(dZ_tilde, cache) -> (dZ, dgamma, dbeta)`` (reference and finite differences).

    The cache is the reference's, with exactly the keys of :data:`CACHE_KEYS`.
    """
    __tracebackhide__ = True
    ex = Exercise("batchnorm_backward", student, dlcore.batchnorm_backward, hidden=hidden,
                  isolate=MANIFEST["batchnorm_backward"], mistakes=_backward_mistakes())
    if not hidden:
        Z = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, -3.0]])
        gamma, beta = np.array([[2.0], [-1.0]]), np.array([[0.0], [1.0]])
        G = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
        cache = dlcore.batchnorm_forward(Z, gamma, beta)[1]
        got = _explain_cache_keys(ex.call, G, cache)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailure("`batchnorm_backward` must return the tuple (dZ, dgamma, dbeta).")
        wants = (np.array([[0.2290891641, -0.3436182833, 0.1145291192], [0.1360826501, -0.0680420055, -0.0680406446]]),
                 np.array([[-2.4053434458], [2.4494877015]]), np.array([[0.0], [2.5]]))
        for g, w, what in zip(got, wants, ("dZ", "dgamma", "dbeta")):
            ex.compare(g, w, what, (G, cache), rtol=1e-8)
        rng = np.random.default_rng(7)
        cases = [(*_bn_inputs(rng, 3, 5), 1e-3)]
    else:
        rng = random_rng()
        cases = [(*_bn_inputs(rng, *_shape(rng)), eps) for eps in (1e-5, 1e-3, 0.1, 1e-5)]
    for Z, gamma, beta, eps in cases:
        cache = dlcore.batchnorm_forward(Z, gamma, beta, eps)[1]
        G = rng.standard_normal(Z.shape)
        got = _explain_cache_keys(ex.against_reference, G, cache, what=("dZ", "dgamma", "dbeta"))
        _fd_check(Z, gamma, beta, eps, G, got)
    ex.done()


# --- update_running_averages -----------------------------------------------------------------
def update_running_averages(student: Callable, hidden: bool = False) -> None:
    """Check ``running = momentum * running + (1 - momentum) * batch``, with the default momentum 0.9."""
    __tracebackhide__ = True
    ex = Exercise("update_running_averages", student, dlcore.update_running_averages, hidden=hidden, mistakes=[
        Mistake(lambda rm, rv, mu, var, momentum=0.9: (momentum * mu + (1 - momentum) * rm,
                                                       momentum * var + (1 - momentum) * rv),
                "momentum weighs the old running value: running = momentum * running + (1 - momentum) * batch."),
        Mistake(lambda rm, rv, mu, var, momentum=0.9: (0.9 * rm + 0.1 * mu, 0.9 * rv + 0.1 * var),
                "use the `momentum` argument, not a fixed 0.9."),
        Mistake(lambda rm, rv, mu, var, momentum=0.9: (momentum * rv + (1 - momentum) * var,
                                                       momentum * rm + (1 - momentum) * mu),
                "return (running_mean, running_var), in that order."),
        Mistake(lambda rm, rv, mu, var, momentum=0.9: (momentum * rm + (1 - momentum) * mu,
                                                       momentum * rv + (1 - momentum) * mu),
                "the running variance averages the batch variances `var`, not the means."),
    ])
    names = ("running_mean", "running_var")
    if not hidden:
        rm, rv = np.array([[0.0], [1.0]]), np.array([[1.0], [4.0]])
        mu, var = np.array([[2.0], [-1.0]]), np.array([[3.0], [0.0]])
        got = ex.call(rm, rv, mu, var, 0.9)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailure("`update_running_averages` must return the tuple (running_mean, running_var).")
        for g, w, what in zip(got, ([[0.2], [0.8]], [[1.2], [3.6]]), names):
            ex.compare(g, np.array(w), what, (rm, rv, mu, var, 0.9))
        ex.against_reference(rm, rv, mu, var, 0.5, what=tuple(f"{n} (momentum=0.5)" for n in names))
        ex.against_reference(rm, rv, mu, var, what=tuple(f"{n} (default momentum)" for n in names))
    else:
        rng = random_rng()

        def stats(n):
            return (rng.normal(size=(n, 1)), rng.uniform(0.1, 4.0, size=(n, 1)),
                    rng.normal(size=(n, 1)), rng.uniform(0.1, 4.0, size=(n, 1)))

        for _ in range(3):
            momentum = float(rng.uniform(0.05, 0.95))
            ex.against_reference(*stats(int(rng.integers(1, 9))), momentum, what=names)
        ex.against_reference(*stats(int(rng.integers(1, 9))), what=tuple(f"{n} (default momentum)" for n in names))
        for momentum in (0.0, 1.0):
            ex.against_reference(*stats(int(rng.integers(1, 9))), momentum,
                                 what=tuple(f"{n} (momentum={momentum:g})" for n in names))
    ex.done()


# --- batchnorm_inference ---------------------------------------------------------------------
def _inference_mistakes() -> list[Mistake]:
    def batch_stats(Z, gamma, beta, rm, rv, epsilon=1e-5):
        return dlcore.batchnorm_forward(Z, gamma, beta, epsilon)[0]

    return [
        Mistake(batch_stats, "at test time, normalise with running_mean and running_var, not with the statistics "
                             "of the batch (a single example has variance 0)."),
        Mistake(lambda Z, g, b, rm, rv, epsilon=1e-5: g * (Z - rm) / (np.sqrt(rv) + epsilon) + b,
                "epsilon goes inside the square root: sqrt(running_var + epsilon)."),
        Mistake(lambda Z, g, b, rm, rv, epsilon=1e-5: g * (Z - rm) / (rv + epsilon) + b,
                "divide by the standard deviation sqrt(running_var + epsilon), not by the variance."),
        Mistake(lambda Z, g, b, rm, rv, epsilon=1e-5: (Z - rm) / np.sqrt(rv + epsilon),
                "scale and shift the normalised values with gamma and beta."),
        Mistake(lambda Z, g, b, rm, rv, epsilon=1e-5: g * (Z - rm) / np.sqrt(rv + 1e-5) + b,
                "use the `epsilon` argument, not a fixed 1e-5."),
        Mistake(lambda Z, g, b, rm, rv, epsilon=1e-5: b * (Z - rm) / np.sqrt(rv + epsilon) + g,
                "gamma scales and beta shifts: gamma * Z_hat + beta."),
    ]


def batchnorm_inference(student: Callable, hidden: bool = False) -> None:
    """Check test-time normalisation with the running statistics, for batches and single examples."""
    __tracebackhide__ = True
    ex = Exercise("batchnorm_inference", student, dlcore.batchnorm_inference, hidden=hidden,
                  mistakes=_inference_mistakes())
    if not hidden:
        Z = np.array([[1.0, 5.0], [0.0, 2.0]])
        gamma, beta = np.array([[2.0], [1.0]]), np.array([[0.0], [3.0]])
        rm, rv = np.array([[1.0], [1.0]]), np.array([[4.0], [0.25]])
        args = (Z, gamma, beta, rm, rv)
        want = np.array([[0.0, 3.999995], [1.0000399988, 4.9999600012]])
        ex.compare(ex.call(*args), want, "Z_tilde (default epsilon=1e-5)", args, rtol=1e-8)
        one = (Z[:, 1:], gamma, beta, rm, rv, 1e-3)
        ex.against_reference(*one, what="Z_tilde of a single example (epsilon=1e-3)")
    else:
        rng = random_rng()

        def case(n, m, small_var=False):
            Z, gamma, beta = _bn_inputs(rng, n, m)
            rv = rng.uniform(1e-4, 1e-3, size=(n, 1)) if small_var else rng.uniform(0.1, 4.0, size=(n, 1))
            return Z, gamma, beta, rng.normal(size=(n, 1)), rv

        for eps in (1e-5, 1e-3, 0.1):
            ex.against_reference(*case(*_shape(rng)), eps, what="Z_tilde")
        ex.against_reference(*case(int(rng.integers(1, 7)), 1), float(rng.uniform(1e-4, 1e-2)),
                             what="Z_tilde of a single example")
        ex.against_reference(*case(*_shape(rng), small_var=True),
                             what="Z_tilde (default epsilon, small running variances)")
    ex.done()
