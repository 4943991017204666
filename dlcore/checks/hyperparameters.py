"""Checks of notebook 07, part 4: hyperparameter search (log-scale samplers) and picking a model.

A sampler must stay in its range and spread its draws evenly over the log scale: a
Kolmogorov-Smirnov test whose bound, by the Dvoretzky-Kiefer-Wolfowitz inequality, fails
a correct sampler less than once in 10^8 calls.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import Exercise, Mistake, describe, manifest, random_rng, same_result

KS_FAILURE_PROBABILITY = 1e-8  #: chance that a correct sampler fails one distribution test

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "sample_log_uniform": (),
    "sample_beta": ("sample_log_uniform",),
    "pick_model": (),
})


def _ks_distance(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the sample ``u`` and the uniform law on [0, 1]."""
    u = np.sort(np.clip(u, 0.0, 1.0))
    n = u.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def _ks_bound(n: int) -> float:
    """DKW: P(distance > bound) <= 2 exp(-2 n bound^2) = KS_FAILURE_PROBABILITY for a correct sampler."""
    return math.sqrt(math.log(2.0 / KS_FAILURE_PROBABILITY) / (2.0 * n))


def _sampler_values(ex: Exercise, got: Any, shape: tuple, what: str) -> np.ndarray:
    __tracebackhide__ = True
    if not isinstance(got, np.ndarray):
        ex.fail(f"must return a numpy array of shape {shape} ({what}); got {describe(got)}.")
    if got.shape != shape:
        ex.fail(f"returned shape {got.shape}, expected {shape} ({what}). Pass `size` on to the generator "
                  f"(e.g. rng.uniform(a, b, size=size)).")
    if got.dtype.kind != "f":
        ex.fail(f"must return floats; got dtype {got.dtype} ({what}).")
    if not np.all(np.isfinite(got)):
        ex.fail(f"returned inf or NaN ({what}).")
    return got


def _bounds(low: float, high: float, relative: bool) -> tuple[float, float]:
    """[low, high] widened by rounding room: relative for log-uniform values, absolute for betas."""
    if relative:
        return low * (1 - 1e-9), high * (1 + 1e-9)
    return low - 1e-9, high + 1e-9


def _check_sampler(ex: Exercise, low: float, high: float, transform: Callable, r_range: tuple[float, float],
                   n: int, seeds: tuple[int, int], case: str, scale_hint: str, relative: bool,
                   range_hint: str, natural: Callable) -> None:
    """Range, log-scale distribution (KS test), determinism and use of the seed of one sampler."""
    __tracebackhide__ = True
    x = _sampler_values(ex, ex.call(low, high, n, np.random.default_rng(seeds[0])), (n,), f"size={n}")
    lo, hi = _bounds(low, high, relative)
    below, above = int(np.sum(x < lo)), int(np.sum(x > hi))
    if below or above:
        hint = ""
        r_lo, r_hi = sorted(r_range)
        if np.all((x >= r_lo - 1e-9) & (x <= r_hi + 1e-9)):
            hint = " They lie in the range of the exponent r: return the value built from 10**r, not r itself."
        else:
            hint = " " + range_hint
        ex.fail(f"{below + above} of {n} values lie outside [low, high] ({case}).{hint}")
    if n > 1 and np.all(x == x.flat[0]):
        ex.fail(f"all {n} values are equal ({case}): draw `size` values, one per trial (pass size=size to rng).")
    r = transform(x)
    a, b = r_range
    u = (r - a) / (b - a)
    distance = _ks_distance(u)
    if distance > _ks_bound(n):
        with np.errstate(all="ignore"):
            u_natural = (natural(x) - a) / (b - a)
        if np.all(np.isfinite(u_natural)) and _ks_distance(u_natural) <= _ks_bound(n):
            ex.fail(f"the values are spread evenly in natural-log units, not in powers of 10 ({case}): an "
                      f"exponent drawn between log10 values must be turned back with 10**r (np.exp undoes "
                      f"np.log, not np.log10).")
        shares = np.histogram(np.clip(u, 0, 1), bins=4, range=(0, 1))[0] / n
        ex.fail(f"the values are not spread evenly on the log scale ({case}). Cut the log-scale range into "
                  f"4 equal parts: each should get about 25% of the values; yours get "
                  f"{', '.join(f'{s:.0%}' for s in shares)}. {scale_hint}")
    again = ex.call(low, high, n, np.random.default_rng(seeds[0]))
    if not (isinstance(again, np.ndarray) and again.shape == x.shape and np.array_equal(again, x)):
        ex.fail("two generators with the same seed gave different values. Draw only from the `rng` argument.")
    other = ex.call(low, high, n, np.random.default_rng(seeds[1]))
    if isinstance(other, np.ndarray) and other.shape == x.shape and np.array_equal(other, x):
        ex.fail("generators with different seeds gave the same values: draw the random numbers from `rng`.")


def _check_sampler_shapes(ex: Exercise, low: float, high: float, rng: np.random.Generator, relative: bool) -> None:
    __tracebackhide__ = True
    lo, hi = _bounds(low, high, relative)
    for size, shape in ((1, (1,)), ((2, 3), (2, 3)), ((4, 1, 2), (4, 1, 2))):
        got = ex.call(low, high, size, np.random.default_rng(int(rng.integers(2**31))))
        _sampler_values(ex, got, shape, f"size={size!r}")
        if np.any(got < lo) or np.any(got > hi):
            ex.fail(f"values outside [low, high] for size={size!r}.")


_LOG_HINT = ("Draw the exponent r uniformly between log10(low) and log10(high) and return 10**r: drawing the "
             "value itself uniformly puts most of it in the top decade.")
_LOG_RANGE_HINT = ("Draw r between log10(low) and log10(high) and return 10**r (np.exp undoes np.log, "
                   "not np.log10).")
_BETA_RANGE_HINT = ("It is 1 - beta that lies between 1 - high and 1 - low: draw it there on a log scale, "
                    "then return 1 minus it.")
_BETA_HINT = ("Draw r uniformly between log10(1 - high) and log10(1 - low) and return 1 - 10**r: it is 1 - beta "
              "(the inverse of the averaging window) that should be spread evenly over orders of magnitude.")


def sample_log_uniform(student: Callable, hidden: bool = False) -> None:
    """Check range, log-uniform spread, shapes, and seeded reproducibility of the samples."""
    __tracebackhide__ = True
    ex = Exercise("sample_log_uniform", student, dlcore.sample_log_uniform, hidden=hidden)
    rng = random_rng() if hidden else np.random.default_rng(11)
    if not hidden:
        cases = [(1e-4, 1.0), (0.5, 20.0)]
    else:
        cases = []
        for _ in range(2):
            e_low = float(rng.uniform(-7, 1))
            cases.append((10.0 ** e_low, 10.0 ** (e_low + float(rng.uniform(1, 5)))))
    for low, high in cases:
        seeds = tuple(int(s) for s in rng.choice(2**31, size=2, replace=False))
        case = f"low={low:g}, high={high:g}" if not hidden else "a random range"
        _check_sampler(ex, low, high, np.log10, (math.log10(low), math.log10(high)), 4000, seeds, case, _LOG_HINT,
                       relative=True, range_hint=_LOG_RANGE_HINT, natural=np.log)
    _check_sampler_shapes(ex, *cases[0], rng, relative=True)
    ex.done()


def sample_beta(student: Callable, hidden: bool = False) -> None:
    """Check range, the log-uniform spread of 1 - beta, shapes, and seeded reproducibility."""
    __tracebackhide__ = True
    ex = Exercise("sample_beta", student, dlcore.sample_beta, hidden=hidden, isolate=MANIFEST["sample_beta"])
    rng = random_rng() if hidden else np.random.default_rng(12)
    if not hidden:
        cases = [(0.9, 0.999), (0.0, 0.99)]
    else:
        cases = [(float(rng.choice([0.0, 0.5, 0.8, 0.9])), float(rng.choice([0.99, 0.995, 0.999, 0.9999])))
                 for _ in range(2)]
    for low, high in cases:
        seeds = tuple(int(s) for s in rng.choice(2**31, size=2, replace=False))
        case = f"low={low:g}, high={high:g}" if not hidden else "a random range"
        _check_sampler(ex, low, high, lambda b: np.log10(np.maximum(1.0 - b, 1e-300)),
                       (math.log10(1.0 - high), math.log10(1.0 - low)), 4000, seeds, case, _BETA_HINT,
                       relative=False, range_hint=_BETA_RANGE_HINT, natural=lambda b: np.log(1.0 - b))
    _check_sampler_shapes(ex, *cases[0], rng, relative=False)
    ex.done()


# ------------------------------------------------------------------------------ pick_model
def pick_model(student: Callable, hidden: bool = False) -> None:
    """Check the most accurate model within the runtime limit (inclusive), or None."""
    __tracebackhide__ = True
    ex = Exercise("pick_model", student, dlcore.pick_model, hidden=hidden, mistakes=[
        Mistake(lambda c, limit: max(c, key=lambda d: d["accuracy"])["name"] if c else None,
                "runtime is a satisficing metric: first keep only the models with runtime_ms <= max_runtime_ms, "
                "then take the most accurate of those."),
        Mistake(lambda c, limit: dlcore.pick_model(c, limit - 1e-9) if any(d["runtime_ms"] == limit for d in c) else "~",
                "a model whose runtime equals the limit meets it: use runtime_ms <= max_runtime_ms."),
        Mistake(lambda c, limit: min((d for d in c if d["runtime_ms"] <= limit), key=lambda d: d["runtime_ms"],
                                     default={"name": None})["name"],
                "among the models that meet the limit, accuracy decides (optimizing metric), not speed."),
    ])

    def judge(candidates, limit, label):
        __tracebackhide__ = True
        got = ex.call(candidates, limit)
        want = dlcore.pick_model(candidates, limit)
        if isinstance(got, dict):
            ex.fail(f"return the model's name (the value of its 'name' key), not the whole dict ({label}).")
        if not same_result(got, want):
            if want is None:
                shown = f"; got {got!r}" if not hidden else f"; got {describe(got)}"
                ex.fail(f"no model meets the limit ({label}), so the answer is None{shown}.", got, (candidates, limit))
            shown = f"{got!r}, expected {want!r}" if not hidden else "not the expected model"
            ex.fail(f"the pick is {shown} ({label}).", got, (candidates, limit))

    if not hidden:
        cands = [{"name": "A", "accuracy": 0.90, "runtime_ms": 80},
                 {"name": "B", "accuracy": 0.92, "runtime_ms": 95},
                 {"name": "C", "accuracy": 0.95, "runtime_ms": 1500}]
        for limit in (100, 90, 1500, 50):
            judge(cands, limit, f"models A, B, C of the notes with max_runtime_ms={limit}")
        judge([], 100, "an empty list of candidates")
    else:
        rng = random_rng()
        for _ in range(3):
            n = int(rng.integers(4, 12))
            accuracy = rng.choice(np.arange(600, 1000), size=n, replace=False) / 1000
            runtime = rng.choice(np.arange(5, 800), size=n, replace=False).astype(float)
            names = [f"model-{int(k)}" for k in rng.choice(1000, size=n, replace=False)]
            cands = [{"name": nm, "accuracy": float(a), "runtime_ms": float(r)}
                     for nm, a, r in zip(names, accuracy, runtime)]
            # the limit: exactly the runtime of the best model under a looser limit (the "<=" case),
            # a value between runtimes, and one below every runtime (None).
            loose = float(rng.uniform(np.median(runtime), runtime.max()))
            best = dlcore.pick_model(cands, loose)
            exact = next(c["runtime_ms"] for c in cands if c["name"] == best)
            for limit in (exact, float(rng.uniform(runtime.min(), runtime.max())), float(runtime.min()) - 1.0):
                judge(cands, limit, "a random list of models")
    ex.done()
