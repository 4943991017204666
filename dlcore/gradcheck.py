"""Gradient checking: compare a backward pass with centred finite differences.

The two functions of the course exercise (:func:`numerical_gradient`,
:func:`gradient_difference`) plus :func:`check_gradients`, which checks a whole dict
of parameters at once and reports the worst element by name.

Rule of thumb for ``gradient_difference`` with ``epsilon = 1e-7``: below 1e-7 is
great, around 1e-5 deserves a look, above 1e-3 means a bug.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dlcore.validation import as_array


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, epsilon: float = 1e-7) -> np.ndarray:
    """Centred differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element i.

    f : scalar function of the array ``x`` (any shape, float64).  ``x`` is perturbed in
    place one element at a time and holds its original values on return.
    Returns an array shaped like ``x``.

    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0]))  # doctest: +SKIP
    array([ 2., -4.])
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("`x` must be a float64 numpy array (it is perturbed in place and restored).")
    if not epsilon > 0:
        raise ValueError(f"`epsilon` must be > 0; got {epsilon!r}.")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: x.reshape(-1) shares memory for contiguous x
    if not np.shares_memory(flat, x):
        raise ValueError("`x` must be a contiguous array so that it can be perturbed in place.")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + epsilon
        f_plus = float(f(x))
        flat[i] = old - epsilon
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * epsilon)
    return grad


def gradient_difference(grad: np.ndarray, grad_approx: np.ndarray) -> float:
    """Relative difference ``||g - g~|| / (||g|| + ||g~||)`` (2-norms), 0.0 when both are zero.

    grad, grad_approx : arrays of the same shape. Returns a Python float in [0, 1].

    >>> gradient_difference(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    g = as_array(grad, "grad", allow_empty=True)
    ga = as_array(grad_approx, "grad_approx", allow_empty=True)
    if g.shape != ga.shape:
        raise ValueError(f"`grad` and `grad_approx` must have the same shape; got {g.shape} and {ga.shape}.")
    denominator = np.linalg.norm(g) + np.linalg.norm(ga)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(g - ga) / denominator)


@dataclass
class GradientReport:
    """Result of :func:`check_gradients`.

    ``difference`` is the relative difference over all checked elements; ``per_key``
    the same for each parameter; ``worst`` names the element with the largest absolute
    error as ``(key, index, analytic, numeric)``; ``skipped`` counts elements left out
    because they sit on a kink (such as ReLU at 0), where finite differences are wrong.
    """

    difference: float
    per_key: dict[str, float]
    worst: tuple | None
    skipped: int = 0
    threshold: float = 1e-7
    numeric: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return self.difference < self.threshold

    def __str__(self) -> str:
        verdict = "OK" if self.passed else "MISMATCH"
        lines = [f"gradient check {verdict}: relative difference {self.difference:.2e} (threshold {self.threshold:.0e})"]
        for key, d in self.per_key.items():
            lines.append(f"  {key}: {d:.2e}")
        if self.worst is not None and not self.passed:
            key, idx, a, n = self.worst
            lines.append(f"  largest error at {key}{list(idx)}: backward gives {a:.6g}, finite differences {n:.6g}")
        if self.skipped:
            lines.append(f"  ({self.skipped} element(s) skipped: they sit on a kink such as ReLU at 0)")
        return "\n".join(lines)


def check_gradients(
    f: Callable[[dict[str, np.ndarray]], float],
    params: dict[str, np.ndarray] | np.ndarray,
    grads: dict[str, np.ndarray] | np.ndarray,
    epsilon: float = 1e-6,
    threshold: float = 1e-7,
    kink_tolerance: float = 1e-3,
) -> GradientReport:
    """Compare analytic ``grads`` with finite differences of ``f(params)``.

    params : dict of float64 arrays (or one array); perturbed in place and restored.
    grads : the analytic gradients, same keys (or ``"d" + key``) and shapes.
    f : scalar function of ``params`` (of the array itself if an array was given).

    Each element is also evaluated at steps of ``2 * epsilon``. Where ``f`` is smooth,
    the centred differences at both steps agree and the gap between the one-sided
    differences doubles with the step. An element that breaks either rule by more than
    ``kink_tolerance`` (relative) has a kink within ``2 * epsilon`` (such as ReLU at
    0): its centred difference is unreliable, so it is skipped and counted in
    ``report.skipped`` instead of failing a correct backward pass.
    """
    single = isinstance(params, np.ndarray)
    pdict = {"x": params} if single else params
    gdict = {"x": grads} if single else grads
    call = (lambda: float(f(params))) if single else (lambda: float(f(pdict)))
    f0 = call()
    per_key, numeric = {}, {}
    all_a, all_n, worst, skipped = [], [], None, 0
    for key, arr in pdict.items():
        g = gdict.get(key, gdict.get("d" + key)) if isinstance(gdict, dict) else None
        if g is None:
            raise ValueError(f"`grads` has no gradient for parameter {key!r} (expected key {key!r} or {'d' + key!r}).")
        g = np.asarray(g, dtype=np.float64)
        if g.shape != np.shape(arr):
            raise ValueError(f"`grads` for {key!r} must have shape {np.shape(arr)}; got {g.shape}.")
        if not (isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.flags.c_contiguous):
            raise ValueError(f"`params[{key!r}]` must be a C-contiguous float64 array.")
        flat = arr.reshape(-1)
        num = np.zeros(arr.size)
        keep = np.ones(arr.size, dtype=bool)
        for i in range(arr.size):
            old = flat[i]
            values = []
            for step in (epsilon, -epsilon, 2 * epsilon, -2 * epsilon):
                flat[i] = old + step
                values.append(call())
            flat[i] = old
            fp, fm, fp2, fm2 = values
            num[i] = (fp - fm) / (2 * epsilon)
            wide = (fp2 - fm2) / (4 * epsilon)
            # One-sided gaps: (forward - backward) difference quotients at both steps.
            gap, gap2 = (fp - 2 * f0 + fm) / epsilon, (fp2 - 2 * f0 + fm2) / (2 * epsilon)
            # Smooth f: wide ~ num (error O(eps^2)) and gap2 ~ 2 gap (both ~ step * f'').
            # A kink at distance d < 2 eps breaks one of them by a fixed share of its jump.
            mismatch = max(abs(num[i] - wide), abs(gap2 - 2 * gap))
            if mismatch > kink_tolerance * (abs(num[i]) + abs(wide)) + 1e-6:
                keep[i] = False
        a = g.reshape(-1)
        skipped += int((~keep).sum())
        numeric[key] = num.reshape(arr.shape)
        per_key[key] = gradient_difference(a[keep], num[keep])
        all_a.append(a[keep])
        all_n.append(num[keep])
        err = np.abs(a - num) * keep
        if err.size and (worst is None or err.max() > abs(worst[2] - worst[3])):
            i = int(err.argmax())
            worst = (key, tuple(int(j) for j in np.unravel_index(i, arr.shape)), float(a[i]), float(num[i]))
    difference = gradient_difference(np.concatenate(all_a), np.concatenate(all_n)) if all_a else 0.0
    return GradientReport(difference, per_key, worst, skipped, threshold, numeric)
