"""Checks for the training exercises of notebook 04: ``clip_by_global_norm`` and ``train_model``.

``clip_by_global_norm`` is compared with the ``dlcore`` reference on random gradient dicts (which
also hold ``dA`` entries that must be left out), above and below the limit.

``train_model`` is graded by what it does, never by one exact sequence of draws from ``rng``:

1. it returns parameters shaped by ``layer_dims`` and one cost per epoch;
2. the last cost is the cost of the whole training set with the parameters it returns, and a
   shorter run with the same seed gives the first costs of a longer one;
3. it is reproducible under a seed, differs between seeds, and never uses ``np.random``;
4. with every optimizer, on data and settings drawn at random, its training cost matches the
   reference loop's run with the same seed when it draws in the same order; otherwise it is
   compared with the typical mistakes (same seed) and, if none explains it, it must reach a
   training cost in the range of the reference loop's runs over several seeds;
5. an unknown optimizer raises ``ValueError``.

While it runs, the functions it calls (mini-batches, forward, backward, the updates, ...) are
the ``dlcore`` references, so a mistake in another exercise costs nothing here.
Uses only public names of :mod:`dlcore.checks.core`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, manifest, random_rng

# --- clip_by_global_norm -------------------------------------------------------------------------


def _grads(rng: np.random.Generator, L: int, scale: float) -> dict[str, np.ndarray]:
    """Random gradients of an L-layer network, with the "dA" entries a real backward pass adds."""
    dims = [int(n) for n in rng.integers(1, 7, size=L + 1)]
    grads = {}
    for l in range(L, 0, -1):
        grads[f"dA{l}"] = rng.normal(0, 3 * scale, size=(dims[l], 5))
        grads[f"dW{l}"] = rng.normal(0, scale, size=(dims[l], dims[l - 1]))
        grads[f"db{l}"] = rng.normal(0, scale, size=(dims[l], 1))
    grads["dA0"] = rng.normal(0, 3 * scale, size=(dims[0], 5))
    return grads


def _params_of(grads: dict) -> list[str]:
    return [k for k in grads if k[:2] in ("dW", "db")]


def _clip(grads: dict, max_norm: float, *, per_tensor: bool = False, with_da: bool = False, squared: bool = False,
          always: bool = False, norm_after: bool = False) -> tuple:
    """Clipping with a deliberate mistake (for the hints)."""
    keys = _params_of(grads)
    counted = list(grads) if with_da else keys
    norm = math.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in counted))
    shown = norm ** 2 if squared else norm
    if per_tensor:
        out = {k: grads[k] * min(1.0, max_norm / max(np.linalg.norm(grads[k]), 1e-300)) for k in keys}
    else:
        scale = max_norm / shown if (always or shown > max_norm) else 1.0
        out = {k: grads[k] * scale for k in keys}
    if norm_after:
        shown = math.sqrt(sum(float(np.sum(v ** 2)) for v in out.values()))
    return out, shown


def _clip_against(ex: Exercise, grads: dict, max_norm: float, where: str) -> None:
    """Call the student's clipping on ``grads`` and compare everything with the reference."""
    __tracebackhide__ = True
    got = ex.call(grads, max_norm)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailure("`clip_by_global_norm` must return the tuple (clipped, global_norm).")
    keys = _params_of(grads)
    if isinstance(got[0], dict) and set(got[0]) - set(keys):
        extra = sorted(set(got[0]) - set(keys))
        raise CheckFailure(f"`clip_by_global_norm` ({where}): the clipped dict must hold only the parameters' "
                           f"gradients {keys}; leave out {extra}, which are not clipped (nor counted).")
    want = ex.reference_value(grads, max_norm)
    for value, expected, what in zip(got, want, ("the clipped gradients", "global_norm")):
        ex.compare(value, expected, f"{what} ({where})", (grads, max_norm))


def clip_by_global_norm(student: Callable, hidden: bool = False) -> None:
    """Check the global norm, the common scale factor, the keys of the result and a bad ``max_norm``."""
    __tracebackhide__ = True
    ex = Exercise("clip_by_global_norm", student, dlcore.clip_by_global_norm, hidden=hidden,
                  isolate=MANIFEST["clip_by_global_norm"], mistakes=[
        Mistake(lambda g, c: _clip(g, c, per_tensor=True),
                "clip by the norm of ALL the gradients together (one factor max_norm / global_norm for every "
                "array), not each array by its own norm: clipping each one separately changes the direction."),
        Mistake(lambda g, c: _clip(g, c, with_da=True),
                "only the parameters' gradients dW{l} and db{l} count in the norm; leave out the dA entries."),
        Mistake(lambda g, c: _clip(g, c, squared=True),
                "global_norm is the square root of the sum of the squares: np.sqrt(total)."),
        Mistake(lambda g, c: _clip(g, c, always=True),
                "scale only when global_norm > max_norm; below the limit return the gradients unchanged."),
        Mistake(lambda g, c: _clip(g, c, norm_after=True),
                "return the global norm measured before clipping (it tells how large the gradients were)."),
    ])
    if not hidden:
        g = {"dW1": np.array([[3.0]]), "db1": np.array([[4.0]]), "dA0": np.array([[12.0]])}
        _clip_against(ex, g, 1.0, "dW1 = [[3]], db1 = [[4]], max_norm = 1 (global norm 5)")
        _clip_against(ex, g, 10.0, "the same gradients below the limit (max_norm = 10)")
        rng = np.random.default_rng(45)
        _clip_against(ex, _grads(rng, 3, 1.0), 2.0, "a 3-layer network")
    else:
        rng = random_rng()
        for L in (1, 2, 3, 4):
            grads = _grads(rng, L, float(10 ** rng.uniform(-1, 1)))
            norm = math.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in _params_of(grads)))
            above = L != 2  # one network stays below its limit
            max_norm = norm * float(rng.uniform(0.05, 0.8) if above else rng.uniform(1.2, 3.0))
            _clip_against(ex, grads, max_norm, f"{L} layers, global norm {'above' if above else 'below'} max_norm")
    g = _grads(rng, 2, 1.0)
    for bad in (0.0, -float(rng.uniform(0.5, 5))):
        ex.raises(ValueError, g, bad, what=f"grads, max_norm={bad:g}")
    ex.done()


# --- train_model ---------------------------------------------------------------------------------

#: The exercises of notebook 04 on training: name -> the graded functions each may call.
MANIFEST = manifest({
    "train_model": ("initialize_parameters_deep", "random_mini_batches", "model_forward", "model_backward",
                    "compute_cost", "update_parameters", "initialize_velocity", "update_parameters_with_momentum",
                    "update_parameters_with_rmsprop", "initialize_adam", "update_parameters_with_adam"),
    "clip_by_global_norm": (),
})
_OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")


def _loop(X, Y, layer_dims, optimizer, learning_rate, num_epochs, mini_batch_size, rng, beta=0.9, beta1=0.9,
          beta2=0.999, epsilon=1e-8, *, t_per_epoch: bool = False, shuffle_once: bool = False,
          reset_each_epoch: bool = False, only_gd: bool = False, swap_betas: bool = False) -> tuple:
    """The reference loop with one deliberate mistake (for the hints)."""
    d = dlcore
    parameters = d.initialize_parameters_deep(layer_dims, "he", rng)
    once = d.random_mini_batches(X, Y, mini_batch_size, rng) if shuffle_once else None
    t, costs, state = 0, [], None
    b_momentum, b_rms = (beta1, beta) if swap_betas else (beta, beta2)
    for epoch in range(num_epochs):
        if state is None or reset_each_epoch:
            state = d.initialize_adam(parameters)
        for X_t, Y_t in once if shuffle_once else d.random_mini_batches(X, Y, mini_batch_size, rng):
            AL, caches = d.model_forward(X_t, parameters)
            grads = d.model_backward(AL, Y_t, caches)
            t += 1
            if optimizer == "gd" or only_gd:
                parameters = d.update_parameters(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = d.update_parameters_with_momentum(parameters, grads, state[0], b_momentum, learning_rate)
                state = (v, state[1])
            elif optimizer == "rmsprop":
                parameters, s = d.update_parameters_with_rmsprop(parameters, grads, state[1], b_rms, learning_rate,
                                                                 epsilon)
                state = (state[0], s)
            else:
                step = epoch + 1 if t_per_epoch else t
                parameters, v, s = d.update_parameters_with_adam(parameters, grads, state[0], state[1], step,
                                                                 learning_rate, beta1, beta2, epsilon)
                state = (v, s)
        costs.append(d.compute_cost(d.model_forward(X, parameters)[0], Y))
    return parameters, costs


_MISTAKES = (
    ({"t_per_epoch": True}, "Adam's t counts the updates (the mini-batches) from 1: add 1 to t at every mini-batch, "
                            "not once per epoch."),
    ({"shuffle_once": True}, "draw new mini-batches at the start of every epoch (call random_mini_batches inside the "
                             "epoch loop), so that each epoch sees a fresh shuffle."),
    ({"reset_each_epoch": True}, "initialise the optimizer's state (v, s) once, before the first epoch: resetting it "
                                 "every epoch throws away the averages."),
    ({"only_gd": True}, "update with the optimizer named by `optimizer` (momentum, RMSprop or Adam), not always with "
                        "gradient descent."),
    ({"swap_betas": True}, "momentum uses `beta` and RMSprop uses `beta2` (beta1 is Adam's first-moment weight)."),
)


def _problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """A small random binary problem that a small network can learn, and its layer sizes."""
    n_x, m = int(rng.integers(2, 5)), int(rng.integers(48, 97))
    X = rng.normal(size=(n_x, m))
    w = rng.normal(size=n_x)
    score = X.T @ w + float(rng.uniform(0.5, 1.5)) * (X[0] ** 2 - 1) + 0.3 * rng.normal(size=m)
    Y = (score > np.median(score)).astype(int).reshape(1, m)
    hidden_layers = [int(n) for n in rng.integers(3, 8, size=int(rng.integers(1, 3)))]
    return X, Y, [n_x] + hidden_layers + [1]


def _settings(rng: np.random.Generator, optimizer: str) -> dict[str, float]:
    low, high = {"gd": (0.05, 0.3), "momentum": (0.05, 0.3), "rmsprop": (0.002, 0.01), "adam": (0.005, 0.02)}[optimizer]
    return {"learning_rate": float(rng.uniform(low, high)), "beta": float(rng.uniform(0.6, 0.95)),
            "beta1": float(rng.uniform(0.7, 0.95)), "beta2": float(rng.uniform(0.9, 0.999)),
            "epsilon": float(10 ** rng.uniform(-8, -5))}


def _quietly(fn: Callable, args: tuple) -> Any:
    """``fn(*args)`` (trusted code: a mistake's loop) on copies, warnings silenced; (None, None) if it fails."""
    try:
        return Exercise.trusted_value(fn, args)
    except Exception:  # a mistake that cannot run explains nothing
        return None, None


def _cost(X: np.ndarray, Y: np.ndarray, parameters: dict) -> float:
    with np.errstate(all="ignore"):
        return dlcore.compute_cost(dlcore.model_forward(X, parameters)[0], Y)


def _same(a: Any, b: Any, rtol: float = 1e-6) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], rtol) for k in a)
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=1e-9))


def _result(ex: Exercise, layer_dims: list[int], num_epochs: int, got: Any) -> tuple[dict, list[float]]:
    """Check the structure of what train_model returned; return (parameters, costs as floats)."""
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailure("`train_model` must return the tuple (parameters, costs).")
    parameters, costs = got
    L = len(layer_dims) - 1
    want = {f"{p}{l}": (layer_dims[l], layer_dims[l - 1] if p == "W" else 1) for l in range(1, L + 1) for p in "Wb"}
    if not isinstance(parameters, dict) or sorted(parameters) != sorted(want):
        keys = sorted(parameters) if isinstance(parameters, dict) else type(parameters).__name__
        raise CheckFailure(f"`train_model`: parameters must be a dict with keys {sorted(want)} (layer_dims = "
                           f"{layer_dims}); got {keys}.")
    for k, shape in want.items():
        if np.shape(parameters[k]) != shape:
            raise CheckFailure(f"`train_model`: parameters[{k!r}] has shape {np.shape(parameters[k])}, expected {shape} "
                               f"for layer_dims = {layer_dims}.")
    if not isinstance(costs, (list, tuple, np.ndarray)) or np.ndim(costs) != 1:
        raise CheckFailure(f"`train_model`: costs must be a list with one cost per epoch; got "
                           f"{type(costs).__name__}" + (f" of shape {np.shape(costs)}" if np.ndim(costs) else "") + ".")
    if len(costs) != num_epochs:
        hint = (" Append the cost once per epoch, after its last mini-batch, not once per mini-batch."
                if len(costs) > num_epochs else "")
        raise CheckFailure(f"`train_model`: costs must hold one cost per epoch ({num_epochs}); got {len(costs)}.{hint}")
    try:
        values = [float(c) for c in costs]
    except (TypeError, ValueError):
        raise CheckFailure("`train_model`: every entry of costs must be a number (the cost of that epoch).") from None
    return parameters, values


def _check_last_cost(X: np.ndarray, Y: np.ndarray, parameters: dict, costs: list[float], what: str) -> None:
    __tracebackhide__ = True
    actual = _cost(X, Y, parameters)
    if not np.isclose(costs[-1], actual, rtol=1e-6, atol=1e-9):
        raise CheckFailure(
            f"`train_model` ({what}): the last entry of costs is {costs[-1]:.6g}, but the cost of the whole training "
            f"set with the parameters it returns is {actual:.6g}. costs[e] is the cost of all of X and Y after the "
            f"last update of epoch e.\n  Likely mistake: the cost of the last mini-batch (or an average over the "
            f"mini-batches, computed before their updates) instead of compute_cost(model_forward(X, parameters)[0], Y) "
            f"at the end of each epoch.")


def _compare_with_reference(ex: Exercise, X, Y, dims, optimizer, epochs, size, seed, hyper, got, what, rng) -> None:
    """Same seed: the reference (same draw order), else the known mistakes, else the range of reference runs."""
    __tracebackhide__ = True
    parameters, costs = got
    args = (X, Y, dims, optimizer, hyper["learning_rate"], epochs, size)
    rest = (hyper["beta"], hyper["beta1"], hyper["beta2"], hyper["epsilon"])
    want_params, want_costs = ex.reference_value(*args, np.random.default_rng(seed), *rest)
    if _same(parameters, want_params) and _same(costs, want_costs):
        return
    for flags, hint in _MISTAKES:
        wrong = _quietly(lambda *a: _loop(*a, **flags), args + (np.random.default_rng(seed),) + rest)
        if _same(wrong[1], want_costs) or wrong[1] is None:
            continue  # this mistake makes no difference here (e.g. the betas of plain gradient descent)
        if _same(parameters, wrong[0]) and _same(costs, wrong[1]):
            raise CheckFailure(f"`train_model` ({what}) does not train as the loop of the exercise does.\n"
                               f"  Likely mistake: {hint}")
    finals = [want_costs[-1]]
    for other in rng.choice(2**31, size=7, replace=False):
        finals.append(ex.reference_value(*args, np.random.default_rng(int(other)), *rest)[1][-1])
    worst, best = max(finals), min(finals)
    if not costs[-1] <= worst + (worst - best) + 0.01:
        raise CheckFailure(
            f"`train_model` ({what}) ends at a training cost of {costs[-1]:.4g}, while the reference loop with the "
            f"same settings ends between {best:.4g} and {worst:.4g} (8 seeds). Check the update of this optimizer "
            f"(and its hyperparameters), that every mini-batch of every epoch makes one update, and that training "
            f"starts from initialize_parameters_deep(layer_dims, 'he', rng).")


def train_model(student: Callable, hidden: bool = False) -> None:
    """Check the training loop by its behaviour (see the module docstring)."""
    __tracebackhide__ = True
    ex = Exercise("train_model", student, dlcore.train_model, hidden=hidden, isolate=MANIFEST["train_model"])
    rng = random_rng() if hidden else np.random.default_rng(46)
    X, Y, dims = _problem(rng)
    epochs, size = int(rng.integers(6, 11)), int(rng.choice([16, 32] if hidden else [16]))
    seed = int(rng.integers(2**31))
    # 1-3: structure, the costs, reproducibility (Adam with its default hyperparameters).
    what = f"adam with the default betas, {epochs} epochs"
    first = _result(ex, dims, epochs, ex.call(X, Y, dims, "adam", 0.01, epochs, size, np.random.default_rng(seed)))
    _check_last_cost(X, Y, first[0], first[1], what)
    again = _result(ex, dims, epochs, ex.call(X, Y, dims, "adam", 0.01, epochs, size, np.random.default_rng(seed)))
    if not (_same(first[0], again[0], 1e-12) and _same(first[1], again[1], 1e-12)):
        raise CheckFailure("`train_model` gave different results for two generators with the same seed. Draw every "
                           "random number (the initialisation, the shuffles) from the `rng` argument.")
    short = int(rng.integers(1, epochs))
    head = _result(ex, dims, short, ex.call(X, Y, dims, "adam", 0.01, short, size, np.random.default_rng(seed)))
    _check_last_cost(X, Y, head[0], head[1], f"adam, {short} epochs")
    if not _same(head[1], first[1][:short]):
        raise CheckFailure(f"`train_model`: with the same seed, a run of {short} epochs should give the first {short} "
                           f"costs of a run of {epochs} epochs; it does not. costs[e] is the cost after epoch e, so the "
                           f"first epochs cannot depend on how many follow.")
    other = int(rng.integers(2**31))
    while other == seed:
        other = int(rng.integers(2**31))
    third = _result(ex, dims, epochs, ex.call(X, Y, dims, "adam", 0.01, epochs, size, np.random.default_rng(other)))
    if _same(first[1], third[1], 1e-12):
        raise CheckFailure("`train_model` gave the same costs for two different seeds. Use the `rng` argument for the "
                           "initialisation and for random_mini_batches, not a generator of your own.")
    defaults = {"learning_rate": 0.01, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    _compare_with_reference(ex, X, Y, dims, "adam", epochs, size, seed, defaults, first, what, rng)
    # 4: every optimizer, with its hyperparameters passed explicitly.
    for optimizer in _OPTIMIZERS:
        X, Y, dims = _problem(rng)
        hyper, epochs, seed = _settings(rng, optimizer), int(rng.integers(6, 11)), int(rng.integers(2**31))
        size = int(rng.choice([8, 16, 32]))
        what = f"optimizer={optimizer!r}, {epochs} epochs, mini-batches of {size}"
        got = _result(ex, dims, epochs, ex.call(X, Y, dims, optimizer, hyper["learning_rate"], epochs, size,
                                                np.random.default_rng(seed), hyper["beta"], hyper["beta1"],
                                                hyper["beta2"], hyper["epsilon"]))
        _check_last_cost(X, Y, got[0], got[1], what)
        _compare_with_reference(ex, X, Y, dims, optimizer, epochs, size, seed, hyper, got, what, rng)
    # 5: an unknown optimizer.
    name = str(rng.choice(["sgd", "nesterov", "adagrad", "Adam", "adamw"]))
    ex.raises(ValueError, X, Y, dims, name, 0.01, 2, 16, np.random.default_rng(0), what=f"..., optimizer={name!r}, ...")
    ex.done()
