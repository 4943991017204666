"""Argument checks shared by every function in :mod:`dlcore`.

Each helper raises ``ValueError`` with a message that names the argument, says what
was expected and what was received, so that a student can fix the call.
"""
from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import numpy as np

ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu")


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def as_array(x: Any, name: str, ndim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a float64 array, or raise ``ValueError`` naming ``name``.

    ``ndim`` (if given) is the required number of dimensions. Empty arrays are refused
    unless ``allow_empty``. The input is never modified; a copy is made only when the
    dtype has to change.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a numeric array; got {_describe(x)}.") from None
    if ndim is not None and arr.ndim != ndim:
        hint = " (examples are columns: use shape (n, m))" if ndim == 2 else ""
        raise ValueError(
            f"`{name}` must be a {ndim}-D array{hint}; got shape {arr.shape}."
        )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}.")
    return arr


def check_shape(arr: np.ndarray, shape: tuple, name: str, why: str = "") -> None:
    """Raise ``ValueError`` unless ``arr.shape == shape`` (``None`` entries match any size)."""
    ok = len(arr.shape) == len(shape) and all(
        want is None or want == got for want, got in zip(shape, arr.shape)
    )
    if not ok:
        pretty = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        extra = f" {why}" if why else ""
        raise ValueError(f"`{name}` must have shape {pretty}; got {arr.shape}.{extra}")


def check_activation(activation: Any, allowed: Iterable[str] = ACTIVATIONS) -> str:
    """Return ``activation`` if it is one of ``allowed``, else raise ``ValueError``."""
    allowed = tuple(allowed)
    if activation not in allowed:
        raise ValueError(
            f"`activation` must be one of {', '.join(repr(a) for a in allowed)}; got {activation!r}."
        )
    return activation


def check_positive(value: Any, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite number > 0 (or >= 0), else raise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number; got {_describe(value)}.") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be a finite number {bound}; got {value!r}.")
    return v


def check_int(value: Any, name: str, low: int = 1, meaning: str = "") -> int:
    """Return ``value`` as an int if it is an integer (not a bool) ``>= low``, else raise ``ValueError``.

    ``meaning`` is added to the message, e.g. ``"epochs to wait"``.
    """
    try:
        v = operator.index(value)
    except TypeError:
        v = None
    if v is None or isinstance(value, bool) or v < low:
        extra = f" ({meaning})" if meaning else ""
        raise ValueError(f"`{name}` must be an integer >= {low}{extra}; got {value!r}.")
    return v


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` as float if it lies in ``(0, 1]``, else raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number in (0, 1]; got {_describe(value)}.") from None
    if not (0.0 < v <= 1.0):
        raise ValueError(f"`{name}` must lie in (0, 1]; got {value!r}.")
    return v


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, else raise ``ValueError``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"`{name}` must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
            f"got {_describe(rng)}."
        )
    return rng


def num_layers(parameters: Any) -> int:
    """Number of layers ``L`` of a parameters dict ``{"W1", "b1", ..., "WL", "bL"}``.

    Raises ``ValueError`` if a ``W{l}`` or ``b{l}`` is missing or shapes do not chain.
    """
    if not isinstance(parameters, dict) or not parameters:
        raise ValueError(f"`parameters` must be a non-empty dict {{'W1': ..., 'b1': ...}}; got {_describe(parameters)}.")
    L = max(len(parameters) // 2, 1)  # a lone "W1" still needs its "b1"
    for l in range(1, L + 1):
        for key in (f"W{l}", f"b{l}"):
            if key not in parameters:
                raise ValueError(
                    f"`parameters` must hold W1..W{L} and b1..b{L}; key {key!r} is missing "
                    f"(keys: {sorted(parameters)})."
                )
        W = np.asarray(parameters[f"W{l}"])
        b = np.asarray(parameters[f"b{l}"])
        if W.ndim != 2:
            raise ValueError(f"`parameters['W{l}']` must be 2-D (n[{l}], n[{l-1}]); got shape {W.shape}.")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"`parameters['b{l}']` must have shape ({W.shape[0]}, 1) to match W{l}; got {b.shape}.")
        if l > 1:
            prev = np.asarray(parameters[f"W{l-1}"]).shape[0]
            if W.shape[1] != prev:
                raise ValueError(
                    f"`parameters['W{l}']` has {W.shape[1]} columns but layer {l-1} has {prev} units."
                )
    return L


def label_vector(y: Any, name: str) -> np.ndarray:
    """Return labels of shape (m,) or (1, m) as a non-empty 1-D array, or raise ``ValueError``."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must hold labels of shape (m,) or (1, m); got shape {np.shape(y)}.")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {np.shape(y)}.")
    return arr


def class_labels(y: Any, name: str, C: int) -> np.ndarray:
    """Return labels of shape (m,) or (1, m) as a 1-D int64 array in ``[0, C)``, or raise ``ValueError``.

    Whole-number floats (``3.0``) are accepted; anything else (``2.5``, NaN, strings) is refused, and
    a label outside the range is named with its position.
    """
    arr = label_vector(y, name)
    if arr.dtype.kind not in "iub":
        try:
            as_float = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"`{name}` must hold integer labels; got dtype {arr.dtype}.") from None
        bad = ~np.isfinite(as_float) | (as_float != np.round(as_float))
        if bad.any():
            raise ValueError(
                f"`{name}` must hold integer labels (whole numbers); got {float(as_float[bad][0])} at position {int(np.argmax(bad))}."
            )
        arr = as_float
    labels = arr.astype(np.int64)
    bad = (labels < 0) | (labels >= C)
    if bad.any():
        raise ValueError(
            f"`{name}` must hold labels in [0, {C}) ({C} classes); got {labels[bad][0]} at position {int(np.argmax(bad))}."
        )
    return labels


def check_beta(beta: Any, name: str) -> float:
    """Return ``beta`` (a scalar, e.g. a decay rate of an average) as a float if it lies in [0, 1), else raise ``ValueError`` naming ``name``."""
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number in [0, 1); got {beta!r}.") from None
    if not 0.0 <= b < 1.0:
        raise ValueError(f"`{name}` must lie in [0, 1); got {beta!r}.")
    return b
