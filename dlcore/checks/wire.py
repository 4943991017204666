"""Plain data across the trust boundary: encode and decode without pickle.

What crosses between the grader and a student's process is *plain data*: ``None``,
``bool``, ``int``, ``float``, ``complex``, ``str``, NumPy arrays and scalars of numbers,
booleans or text, and ``tuple``/``list``/``dict`` of these. Two stand-ins name things
that cannot cross as objects, so that the other side can rebuild them:

- a ``numpy.random.Generator`` crosses as its bit generator's state (a dict of
  integers), and is rebuilt as a new generator in exactly that state;
- a :class:`Fn` names a function of :data:`FUNCTIONS` with plain parameters.

A frame is a JSON header (the structure, with arrays replaced by references) followed by
the raw bytes of the arrays. Decoding builds only plain ``ndarray`` objects of the
allowed dtypes from those bytes, so nothing the sender made (no subclass, no object with
its own ``__eq__``) ever reaches the receiver. This module needs only NumPy: it runs on
both sides, inside the sandbox too.
"""
from __future__ import annotations

import json
import math
import struct
from typing import Any, Callable

import numpy as np

__all__ = ["Fn", "FUNCTIONS", "WireError", "decode", "encode", "MAX_FRAME"]

MAX_FRAME = 256 * 2**20       #: the largest frame either side accepts (bytes)
MAX_DEPTH = 32                #: nesting depth of tuples, lists and dicts
_KINDS = set("biufcU")        #: array dtype kinds that may cross (no objects, no void)


class WireError(ValueError):
    """A value that is not plain data, or a frame that is not well formed."""


class Fn:
    """A function named by a key of :data:`FUNCTIONS` and plain parameters; callable.

    Checks pass ``Fn("smooth", seed=3, shape=(2, 3))`` where an exercise takes a function
    (``numerical_gradient(f, x)``): each side rebuilds the same function from its name.
    """

    def __init__(self, name: str, **params: Any):
        if name not in FUNCTIONS:
            raise WireError(f"unknown function {name!r}; known: {sorted(FUNCTIONS)}")
        self.name, self.params = name, params
        self._f = FUNCTIONS[name](**params)

    def __call__(self, *args: Any) -> Any:
        return self._f(*args)

    def __repr__(self) -> str:
        return f"Fn({self.name!r})"


def _smooth(seed: int, shape: list | tuple) -> Callable[[np.ndarray], float]:
    """A smooth scalar function of an array: a sum of sines, cubes and a squared sum."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in shape)
    a, c, d = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    return lambda x: float(np.sum(a * np.sin(c * x) + d * x ** 3) + np.sum(x) ** 2)


def _quadratic(seed: int, n: int) -> Callable[[np.ndarray], float]:
    """``x^T A x / 2 + b^T x`` with a random symmetric ``A``."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    A, b = (M + M.T) / 2, rng.normal(size=n)
    return lambda x: float(0.5 * np.ravel(x) @ A @ np.ravel(x) + b @ np.ravel(x))


#: Functions that may cross as a name: ``name -> factory(**params) -> function``.
FUNCTIONS: dict[str, Callable[..., Callable]] = {"smooth": _smooth, "quadratic": _quadratic}


# --- encoding ----------------------------------------------------------------------------------
def encode(value: Any) -> bytes:
    """``value`` as one frame; raises :class:`WireError` naming what cannot cross."""
    buffers: list[bytes] = []
    header = json.dumps(_enc(value, buffers, 0, "the value"), allow_nan=True, separators=(",", ":")).encode()
    frame = struct.pack("<I", len(header)) + header + b"".join(buffers)
    if len(frame) > MAX_FRAME:
        raise WireError(f"the value is too large to send ({len(frame) / 2**20:.0f} MiB; limit {MAX_FRAME >> 20} MiB)")
    return frame


def _enc(v: Any, buffers: list[bytes], depth: int, where: str) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"{where} is nested more than {MAX_DEPTH} levels deep")
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is int:
        return v if abs(v) < 2**63 else {"~big": str(v)}
    if t is float:
        return v if math.isfinite(v) else {"~f": repr(v)}
    if t is complex:
        return {"~c": [_enc(v.real, buffers, depth, where), _enc(v.imag, buffers, depth, where)]}
    if isinstance(v, np.ndarray):
        a = np.asarray(v)  # a subclass's data, read as a plain array
        if a.dtype.kind not in _KINDS:
            raise WireError(f"{where} is an array of dtype {a.dtype}; only numbers, booleans and text can be sent")
        a = np.ascontiguousarray(a)
        buffers.append(a.tobytes())
        return {"~a": len(buffers) - 1, "dtype": a.dtype.str, "shape": list(a.shape)}
    if isinstance(v, np.generic):
        if v.dtype.kind not in _KINDS:
            raise WireError(f"{where} is a NumPy scalar of dtype {v.dtype}")
        return {"~s": _enc(np.asarray(v).reshape(1), buffers, depth, where)}
    if isinstance(v, np.random.Generator):
        return {"~rng": _enc(v.bit_generator.state, buffers, depth + 1, where)}
    if isinstance(v, Fn):
        return {"~fn": v.name, "params": _enc(v.params, buffers, depth + 1, where)}
    if t is tuple or t is list:
        items = [_enc(x, buffers, depth + 1, f"{where}[{i}]") for i, x in enumerate(v)]
        return items if t is list else {"~t": items}
    if t is dict:
        return {"~d": [[_enc(k, buffers, depth + 1, f"a key of {where}"), _enc(x, buffers, depth + 1, f"{where}[{k!r}]")]
                       for k, x in v.items()]}
    # Subclasses of plain types cross as the plain value they hold (a float subclass that
    # lies under comparison arrives as an ordinary float).
    for base in (bool, int, float, complex, str, tuple, list, dict):
        if isinstance(v, base):
            return _enc(base(v), buffers, depth, where)
    if callable(v):
        raise WireError(f"{where} is a function ({getattr(v, '__name__', type(v).__name__)}); "
                        f"functions cross only as wire.Fn(name, ...)")
    raise WireError(f"{where} is a {type(v).__name__}, which cannot be sent: only numbers, strings, "
                    f"None, NumPy arrays, and tuples, lists and dicts of these")


# --- decoding ----------------------------------------------------------------------------------
def decode(frame: bytes) -> Any:
    """The value of a frame made by :func:`encode`; raises :class:`WireError` if malformed."""
    if len(frame) < 4 or len(frame) > MAX_FRAME:
        raise WireError("frame of impossible size")
    (n,) = struct.unpack_from("<I", frame)
    if 4 + n > len(frame):
        raise WireError("truncated frame header")
    try:
        header = json.loads(frame[4:4 + n].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"unreadable frame header ({exc})") from None
    return _Decoder(memoryview(frame)[4 + n:]).value(header, 0)


class _Decoder:
    def __init__(self, data: memoryview):
        self.data, self.pos, self.next = data, 0, 0

    def _buffer(self, index: int, nbytes: int) -> memoryview:
        # The encoder appends buffers in the order the decoder meets their references.
        if index != self.next or self.pos + nbytes > len(self.data):
            raise WireError("array data out of order or truncated")
        raw = self.data[self.pos:self.pos + nbytes]
        self.pos, self.next = self.pos + nbytes, self.next + 1
        return raw

    def value(self, h: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 2:
            raise WireError("frame nested too deeply")
        if h is None or isinstance(h, (bool, int, float, str)):
            return h
        if isinstance(h, list):
            return [self.value(x, depth + 1) for x in h]
        if not isinstance(h, dict) or len(h) == 0:
            raise WireError("malformed frame")
        if "~a" in h:
            dtype = np.dtype(str(h["dtype"]))
            if dtype.kind not in _KINDS or dtype.hasobject:
                raise WireError(f"refused dtype {dtype}")
            shape = tuple(int(s) for s in h["shape"])
            if any(s < 0 for s in shape):
                raise WireError("negative array dimension")
            count = math.prod(shape)
            raw = self._buffer(int(h["~a"]), count * dtype.itemsize)
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "~s" in h:
            return self.value(h["~s"], depth + 1)[0]
        if "~t" in h:
            return tuple(self.value(x, depth + 1) for x in h["~t"])
        if "~d" in h:
            out = {}
            for pair in h["~d"]:
                k = self.value(pair[0], depth + 1)
                if isinstance(k, (list, dict, np.ndarray)):
                    raise WireError("unhashable dict key")
                out[k] = self.value(pair[1], depth + 1)
            return out
        if "~f" in h:
            return float(h["~f"])
        if "~big" in h:
            return int(h["~big"])
        if "~c" in h:
            return complex(self.value(h["~c"][0], depth + 1), self.value(h["~c"][1], depth + 1))
        if "~rng" in h:
            state = self.value(h["~rng"], depth + 1)
            if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
                raise WireError("only PCG64 generators (np.random.default_rng) can be sent")
            bitgen = np.random.PCG64()
            bitgen.state = state
            return np.random.Generator(bitgen)
        if "~fn" in h:
            params = self.value(h["params"], depth + 1)
            if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
                raise WireError("malformed function parameters")
            return Fn(str(h["~fn"]), **params)
        raise WireError("malformed frame")
