"""Checks of notebook 03, part 3: dropout (the mask, its backward pass, the dropout network).

Masks are random, so they are judged by properties, never by one sequence of draws:
0/1 entries, the share kept and the independence of the entries (tolerances of
:data:`~dlcore.checks.core.SIGMAS` standard errors), the formula recomputed from the masks
the student returned, the same seed giving the same masks and different seeds different
ones. Backward passes are compared with the reference and, hidden, with finite differences.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import (
    SIGMAS,
    CheckFailure,
    Exercise,
    Mistake,
    finite_difference_check,
    kind,
    manifest,
    random_rng,
    with_hint,
)
from dlcore.checks.l2 import check_grads_dict
from dlcore.checks.problems import clear_of_kinks, random_network, random_shape, seed_from
from dlcore.gradcheck import check_gradients
from dlcore.losses import cross_entropy_backward

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "dropout_forward": (),
    "dropout_backward": (),
    "model_forward_with_dropout": ("dropout_forward",),
    "model_backward_with_dropout": ("dropout_backward",),
})


# --- 4. dropout ---------------------------------------------------------------------------
def _check_mask(ex: Exercise, D: Any, shape: tuple, keep_prob: float, what: str, statistics: bool) -> np.ndarray:
    """``D`` is a 0/1 array of ``shape``; with ``statistics``, its entries look like independent
    Bernoulli(keep_prob) draws. Returns D as float64."""
    __tracebackhide__ = True
    if D is None:
        raise CheckFailure(f"`{ex.name}`: {what} is None; it must be the 0/1 mask of shape {shape}.")
    if not isinstance(D, np.ndarray):
        raise CheckFailure(f"`{ex.name}`: {what} must be a numpy array of shape {shape}; got {type(D).__name__}.")
    if D.shape != shape:
        raise CheckFailure(f"`{ex.name}`: {what} has shape {D.shape}, expected {shape}: one mask entry per unit and per "
              f"example, drawn with the shape of A.")
    if D.dtype.kind not in "biuf":
        raise CheckFailure(f"`{ex.name}`: {what} must hold numbers 0 and 1; got dtype {D.dtype}.")
    D = D.astype(np.float64)
    if not np.all((D == 0) | (D == 1)):
        raise CheckFailure(f"`{ex.name}`: {what} must hold only 0s and 1s (1 = keep the unit); it holds other values. "
              f"Compare the random numbers with keep_prob: (rng.random(shape) < keep_prob).")
    if not statistics or keep_prob == 1.0:
        return D
    p, N = float(D.mean()), D.size
    se = math.sqrt(keep_prob * (1 - keep_prob) / N)
    if abs(p - keep_prob) > SIGMAS * se:
        hint = ""
        if abs(p - (1 - keep_prob)) < SIGMAS * se:
            hint = (" That is 1 - keep_prob: a unit is *kept* with probability keep_prob, so D = "
                    "(rng.random(shape) < keep_prob).")
        raise CheckFailure(f"`{ex.name}`: {what} keeps {p:.1%} of the units, but keep_prob is {keep_prob:.3g}.{hint}")
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
        if abs(agree - q) > SIGMAS * math.sqrt(q * (1 - q) / n):
            raise CheckFailure(f"`{ex.name}`: the entries of {what} are not drawn independently: neighbouring {along} agree "
                  f"{agree:.1%} of the time instead of {q:.1%}. Draw one random number per entry, with the "
                  f"full shape of A (not one per unit or one per example).")
    return D


def _pair(ex: Exercise, got: Any, names: tuple[str, str]) -> tuple:
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailure(f"`{ex.name}` must return the tuple ({', '.join(names)}); got {kind(got)}.")
    return got


def _check_dropped(ex: Exercise, A_drop: Any, A: np.ndarray, D: np.ndarray, keep_prob: float, what: str) -> None:
    """``A_drop == A * D / keep_prob`` for the mask D the student returned."""
    __tracebackhide__ = True
    ex.compare_with_hints(A_drop, A * D / keep_prob, what, [
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
        shape = random_shape(rng) if hidden else (3, 4)
        A, keep_prob = rng.normal(size=shape), float(rng.uniform(0.3, 0.95)) if hidden else 0.8
        A_drop, D = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed_from(rng))), names)
        D = _check_mask(ex, D, A.shape, keep_prob, "D", statistics=False)
        _check_dropped(ex, A_drop, A, D, keep_prob, "A_drop")
    # Statistics on a large layer, for a keep_prob above and one below 1/2.
    for low, high in ((0.6, 0.95), (0.1, 0.4)):
        shape = (int(rng.integers(150, 301)), int(rng.integers(150, 301))) if hidden else (200, 250)
        keep_prob = float(rng.uniform(low, high)) if hidden else (low + high) / 2
        A = rng.uniform(0.5, 2.0, size=shape)
        A_drop, D = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed_from(rng))), names)
        D = _check_mask(ex, D, shape, keep_prob, "D", statistics=True)
        _check_dropped(ex, A_drop, A, D, keep_prob, "A_drop")
    # Same seed, same mask; different seeds, different masks.
    A, keep_prob, seed = rng.normal(size=(30, 40)), 0.7, seed_from(rng)
    first = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed)), names)
    again = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed)), names)
    other = _pair(ex, ex.call(A, keep_prob, np.random.default_rng(seed + 1)), names)
    if not (np.array_equal(first[1], again[1]) and np.array_equal(first[0], again[0])):
        raise CheckFailure("`dropout_forward` gave different masks for two generators with the same seed. Draw every random "
              "number from `rng`.")
    if np.array_equal(first[1], other[1]):
        raise CheckFailure("`dropout_forward` gave the same mask for generators with different seeds: draw the mask from `rng`.")
    # keep_prob = 1 keeps everything and changes nothing.
    A = rng.normal(size=(4, 7))
    A_drop, D = _pair(ex, ex.call(A, 1.0, np.random.default_rng(seed_from(rng))), names)
    D = _check_mask(ex, D, A.shape, 1.0, "D (keep_prob = 1)", statistics=False)
    if not np.all(D == 1):
        raise CheckFailure("`dropout_forward` with keep_prob = 1 must keep every unit: D must be all ones.")
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
            shape = random_shape(rng)
            keep_prob = float(rng.uniform(0.2, 0.95))
            dA, A = rng.normal(size=shape), rng.normal(size=shape)
            D = (rng.random(shape) < keep_prob).astype(float)
            got = ex.against_reference(dA, D, keep_prob, what="dA_prev")
            report = check_gradients(lambda a: float(np.sum(dA * a * D / keep_prob)), A.copy(), got)
            finite_difference_check(ex.name, report, "dA_prev", of="the cost")
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
        raise CheckFailure(f"`{ex.name}`: caches must be a list with one cache per layer, {L} here ({label}); got {kind(caches)}.")
    A, masks, m = X, [], X.shape[1]
    W_prev_Z = X  # the pre-activation of the previous hidden layer (set at the end of each layer)
    for l in range(1, L + 1):
        cache = caches[l - 1]
        if not isinstance(cache, (tuple, list)) or len(cache) != 3:
            raise CheckFailure(f"`{ex.name}`: the cache of layer {l} must be the tuple (linear_cache, Z, D); got {kind(cache)}.")
        linear_cache, Z, D = cache
        W, b = params[f"W{l}"], params[f"b{l}"]
        if not isinstance(linear_cache, (tuple, list)) or len(linear_cache) != 3:
            raise CheckFailure(f"`{ex.name}`: the linear_cache of layer {l} must be (A_prev, W, b), as linear_forward makes it.")
        if l == 1:
            hints = [(X * D0 / keep_prob, "never drop the inputs X: dropout acts on the hidden layers' "
                                          "activations only.") for D0 in _masks_like(linear_cache[0], X)]
        else:
            Dp, Zp = masks[-1], W_prev_Z
            hints = [(dlcore.relu(Zp) * Dp, "divide the kept activations by keep_prob (inverted dropout)."),
                     (dlcore.relu(Zp), f"apply the mask of layer {l - 1} to its activations before layer {l} "
                                       f"uses them."),
                     (dlcore.relu(Zp) * Dp * keep_prob, "divide by keep_prob, do not multiply.")]
        ex.compare_with_hints(linear_cache[0], A, f"A_prev in the cache of layer {l} ({label})", hints)
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
            raise CheckFailure(f"`{ex.name}`: the output layer is never dropped, so its cache must hold D = None; got "
                  f"{type(D).__name__}.")
    ex.compare_with_hints(AL, dlcore.sigmoid(W @ A + b), f"AL ({label})",
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
                  isolate=MANIFEST["model_forward_with_dropout"])
    rng = random_rng() if hidden else np.random.default_rng(33)
    # Structure and formula on small networks.
    for L in ((2, 3, 4) if hidden else (3,)):
        X, params = random_network(rng, L)
        keep_prob = float(rng.uniform(0.4, 0.9))
        got = ex.call(X, params, keep_prob, np.random.default_rng(seed_from(rng)))
        _replay_dropout_network(ex, got, X, params, keep_prob, False, f"L={L}")
    # Mask statistics on wide layers.
    X, params = _wide_network(rng)
    keep_prob = float(rng.uniform(0.6, 0.9)) if hidden else 0.75
    seed = seed_from(rng)
    got = ex.call(X, params, keep_prob, np.random.default_rng(seed))
    masks = _replay_dropout_network(ex, got, X, params, keep_prob, True, "a wide network")
    again = ex.call(X, params, keep_prob, np.random.default_rng(seed))
    other = ex.call(X, params, keep_prob, np.random.default_rng(seed + 1))
    again_masks = _replay_dropout_network(ex, again, X, params, keep_prob, False, "a wide network")
    other_masks = _replay_dropout_network(ex, other, X, params, keep_prob, False, "a wide network")
    if not all(np.array_equal(a, b) for a, b in zip(masks, again_masks)):
        raise CheckFailure(f"`{ex.name}` drew different masks for two generators with the same seed: draw them from `rng`.")
    if all(np.array_equal(a, b) for a, b in zip(masks, other_masks)):
        raise CheckFailure(f"`{ex.name}` drew the same masks for generators with different seeds: draw them from `rng` "
              f"(pass it to dropout_forward).")
    # keep_prob = 1 is the plain network.
    X, params = random_network(rng, 3)
    got = ex.call(X, params, 1.0, np.random.default_rng(seed_from(rng)))
    masks = _replay_dropout_network(ex, got, X, params, 1.0, False, "keep_prob = 1")
    if not all(np.all(D == 1) for D in masks):
        raise CheckFailure(f"`{ex.name}` with keep_prob = 1 must keep every unit: every mask must be all ones.")
    ex.done()


def _dropout_problem(rng: np.random.Generator, L: int) -> tuple:
    """(X, Y, params, keep_prob, AL, caches) with unsaturated outputs, no pre-activation near a
    ReLU kink, and a gradient that reaches X (when the masks and ReLUs block almost all of it,
    the rounding noise of finite differences would dominate a relative comparison)."""
    while True:
        X, params = random_network(rng, L)
        keep_prob = float(rng.uniform(0.5, 0.9))
        AL, caches = dlcore.model_forward_with_dropout(X, params, keep_prob, np.random.default_rng(seed_from(rng)))
        if not (np.all((AL > 0.02) & (AL < 0.98)) and clear_of_kinks(caches)):
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
                  isolate=MANIFEST["model_backward_with_dropout"])
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
        check_grads_dict(ex, got, keys, L)
        want, after = _dropout_gradients(AL, Y, caches, keep_prob)
        try:
            ex.compare({k: got[k] for k in keys_wb + ["dA0"]}, {k: want[k] for k in keys_wb + ["dA0"]},
                       f"grads (L={L})", rtol=1e-7, atol=1e-10)
        except CheckFailure as failure:
            hint = None
            for flags, why in mistakes:
                wrong, _ = _dropout_gradients(AL, Y, caches, keep_prob, **flags)
                if all(isinstance(got[k], np.ndarray) and got[k].shape == wrong[k].shape
                       and np.allclose(got[k], wrong[k], rtol=1e-6, atol=1e-9) for k in keys_wb):
                    hint = why
                    break
            raise CheckFailure(with_hint(str(failure), hint)) from None
        for l in range(1, L):  # either convention for a hidden dA: before or after the mask
            g = got[f"dA{l}"]
            if not (isinstance(g, np.ndarray) and g.shape == after[l].shape
                    and (np.allclose(g, want[f"dA{l}"], rtol=1e-7, atol=1e-10)
                         or np.allclose(g, after[l], rtol=1e-7, atol=1e-10))):
                ex.compare(g, want[f"dA{l}"], f"grads['dA{l}'] (L={L}; the gradient with respect to A[{l}], "
                                              f"with or without the mask of layer {l}: both are accepted)")
        if hidden:
            masks = [c[2] for c in caches[:-1]]
            cost = lambda p: dlcore.compute_cost(_forward_with_masks(X, p, masks, keep_prob), Y)
            report = check_gradients(cost, {k: v.copy() for k, v in params.items()}, {k: got[k] for k in keys_wb})
            finite_difference_check(ex.name, report, "(dW, db)", of="the cost")
            m = X.shape[1]  # dA0 is m times the gradient of the cost with respect to X (1/m lives in dW, db)
            cost_of_x = lambda x: m * dlcore.compute_cost(_forward_with_masks(x, params, masks, keep_prob), Y)
            report = check_gradients(cost_of_x, X.copy(), got["dA0"])
            finite_difference_check(ex.name, report, "dA0", of="the cost")
    ex.done()


