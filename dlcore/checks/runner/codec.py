"""Plain data across the trust boundary: encode, decode and frame it, without pickle.

What crosses between the grader and a student's process is *plain data*: ``None``,
``bool``, ``int``, ``float``, ``complex``, ``str``, NumPy arrays and scalars of numbers,
booleans or text, and ``tuple``/``list``/``dict`` of these. Two stand-ins name things
that cannot cross as objects, so that the other side can rebuild them:

- a ``numpy.random.Generator`` crosses as its bit generator's state (a dict of
  integers), and is rebuilt as a new generator in exactly that state;
- a :class:`Fn` names a function of :data:`FUNCTIONS` with plain parameters.

A value is encoded as a JSON header (the structure, with arrays replaced by references)
followed by the raw bytes of the arrays; a *message* on a pipe is that encoding behind a
4-byte little-endian length (:func:`pack`, :func:`read_message`, :func:`length`). Both
sides use these functions: the student's process (:mod:`.serve`) and the grader
(``grader.sandbox``).

Decoding is bounded before any work: a message longer than the reader's limit is refused
from its 4-byte head; the header may hold at most :data:`MAX_HEADER` bytes and
:data:`MAX_DEPTH` levels; an array's size (its shape times its item size) must match bytes
actually present before anything is allocated; a :class:`Fn` may not build more than
:data:`MAX_FN_ELEMENTS` numbers. Decoding builds only plain ``ndarray`` objects of the
allowed dtypes from those bytes, so nothing the sender made (no subclass, no object with
its own ``__eq__``) ever reaches the receiver, and any malformed input raises
:class:`WireError` (never another exception). Only NumPy and the standard library are used.
"""
from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Fn", "FUNCTIONS", "WireError", "decode", "encode", "pack", "length", "read_message", "write_message",
           "HEAD", "MAX_FRAME", "MAX_HEADER", "MAX_DEPTH", "MAX_FN_ELEMENTS"]

MAX_FRAME = 256 * 2**20       #: the largest message either side accepts by default (bytes)
MAX_HEADER = 2 * 2**20        #: the largest JSON header of a message (bytes): bounds the Python objects decoded
MAX_DEPTH = 32                #: nesting depth of tuples, lists and dicts
MAX_FN_ELEMENTS = 2**20       #: numbers a function named by :class:`Fn` may hold (its ``shape``)
HEAD = 4                      #: bytes of a message's length prefix
_KINDS = set("biufcU")        #: array dtype kinds that may cross (no objects, no void)


class WireError(ValueError):
    """A value that is not plain data, or a message that is not well formed."""


class Fn:
    """A function named by a key of :data:`FUNCTIONS` and plain parameters; callable.

    Checks pass ``Fn("smooth", seed=3, shape=(2, 3))`` where an exercise takes a function
    (``numerical_gradient(f, x)``): each side rebuilds the same function from its name.
    """

    def __init__(self, name: str, **params: Any):
        if name not in FUNCTIONS:
            raise WireError(f"unknown function {name!r}; known: {sorted(FUNCTIONS)}")
        self.name, self.params = name, params
        try:
            self._f = FUNCTIONS[name](**params)
        except TypeError as exc:
            raise WireError(f"bad parameters of function {name!r}: {exc}") from None

    def __call__(self, *args: Any) -> Any:
        return self._f(*args)

    def __repr__(self) -> str:
        return f"Fn({self.name!r})"


def _smooth(seed: int, shape: list | tuple) -> Callable[[np.ndarray], float]:
    """A smooth scalar function of an array: a sum of sines, cubes and a squared sum."""
    ints = (int, np.integer)
    if not isinstance(seed, ints) or not isinstance(shape, (list, tuple)) or len(shape) > MAX_DEPTH \
            or not all(isinstance(n, ints) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise WireError("smooth: seed must be an int and shape a short tuple of non-negative ints")
    shape = tuple(int(n) for n in shape)
    if math.prod(shape) > MAX_FN_ELEMENTS:  # decided before anything is drawn
        raise WireError(f"smooth: shape {shape} holds more than {MAX_FN_ELEMENTS} numbers")
    rng = np.random.default_rng(int(seed))
    a, c, d = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    return lambda x: float(np.sum(a * np.sin(c * x) + d * x ** 3) + np.sum(x) ** 2)


#: Functions that may cross as a name: ``name -> factory(**params) -> function``.
FUNCTIONS: dict[str, Callable[..., Callable]] = {"smooth": _smooth}


# --- messages on a pipe ------------------------------------------------------------------------
def pack(value: Any) -> bytes:
    """``value`` as one message: its length (:data:`HEAD` bytes) and its encoding."""
    payload = encode(value)
    return struct.pack("<I", len(payload)) + payload


def length(head: bytes, limit: int = MAX_FRAME) -> int:
    """The length a message's head announces; :class:`WireError` above ``limit`` (nothing read yet)."""
    if len(head) != HEAD:
        raise WireError("truncated message head")
    (n,) = struct.unpack("<I", head)
    if n > limit:
        raise WireError(f"message of {n} bytes refused (limit {limit})")
    return n


def write_message(fd: int, value: Any) -> None:
    """Write ``value`` as one message on ``fd`` (blocking)."""
    view = memoryview(pack(value))
    while view:
        view = view[os.write(fd, view):]


def read_message(fd: int, limit: int = MAX_FRAME) -> Any:
    """Read one message from ``fd`` (blocking) and decode it; EOFError when the pipe closed."""
    return decode(_read_exact(fd, length(_read_exact(fd, HEAD), limit)))


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# --- encoding ----------------------------------------------------------------------------------
def encode(value: Any) -> bytes:
    """``value`` encoded (header and arrays); raises :class:`WireError` naming what cannot cross."""
    buffers: list[bytes] = []
    header = json.dumps(_enc(value, buffers, 0, "the value"), allow_nan=True, separators=(",", ":")).encode()
    if len(header) > MAX_HEADER:
        raise WireError(f"the value has too many items to send ({len(header)} bytes of structure; "
                        f"limit {MAX_HEADER}): use NumPy arrays for long sequences of numbers")
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
                        f"functions cross only as Fn(name, ...) of dlcore.checks.runner")
    raise WireError(f"{where} is a {type(v).__name__}, which cannot be sent: only numbers, strings, "
                    f"None, NumPy arrays, and tuples, lists and dicts of these")


# --- decoding ----------------------------------------------------------------------------------
def decode(frame: bytes) -> Any:
    """The value :func:`encode` made; raises :class:`WireError` (only) if it is malformed."""
    if len(frame) < 4 or len(frame) > MAX_FRAME:
        raise WireError("encoding of impossible size")
    (n,) = struct.unpack_from("<I", frame)
    if n > MAX_HEADER or 4 + n > len(frame):
        raise WireError("header too large or truncated")
    try:
        header = json.loads(bytes(frame[4:4 + n]).decode())
        return _Decoder(memoryview(frame)[4 + n:]).value(header, 0)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
        raise WireError(f"malformed message ({type(exc).__name__}: {str(exc)[:200]})") from None


def _ints(x: Any, what: str) -> list[int]:
    if not isinstance(x, list) or len(x) > MAX_DEPTH or not all(type(i) is int and i >= 0 for i in x):
        raise WireError(f"malformed {what}")
    return x


class _Decoder:
    def __init__(self, data: memoryview):
        self.data, self.pos, self.next = data, 0, 0

    def _buffer(self, index: Any, nbytes: int) -> memoryview:
        # The encoder appends buffers in the order the decoder meets their references.
        if index != self.next or self.pos + nbytes > len(self.data):
            raise WireError("array data out of order or truncated")
        raw = self.data[self.pos:self.pos + nbytes]
        self.pos, self.next = self.pos + nbytes, self.next + 1
        return raw

    def value(self, h: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 2:
            raise WireError("message nested too deeply")
        if h is None or isinstance(h, (bool, int, float, str)):
            return h
        if isinstance(h, list):
            return [self.value(x, depth + 1) for x in h]
        if not isinstance(h, dict) or len(h) == 0:
            raise WireError("malformed message")
        if "~a" in h:
            dtype = np.dtype(str(h["dtype"]))
            if dtype.kind not in _KINDS or dtype.hasobject or dtype.subdtype is not None:
                raise WireError(f"refused dtype {dtype}")
            shape = tuple(_ints(h["shape"], "array shape"))
            nbytes = math.prod(shape) * dtype.itemsize  # checked against the bytes present before allocating
            raw = self._buffer(h["~a"], nbytes)
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "~s" in h:
            arr = self.value(h["~s"], depth + 1)
            if not isinstance(arr, np.ndarray) or arr.shape != (1,):
                raise WireError("malformed scalar")
            return arr[0]
        if "~t" in h:
            if not isinstance(h["~t"], list):
                raise WireError("malformed tuple")
            return tuple(self.value(x, depth + 1) for x in h["~t"])
        if "~d" in h:
            out = {}
            for pair in h["~d"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("malformed dict")
                k = self.value(pair[0], depth + 1)
                if isinstance(k, (list, dict, np.ndarray)):
                    raise WireError("unhashable dict key")
                out[k] = self.value(pair[1], depth + 1)
            return out
        if "~f" in h:
            return float(str(h["~f"]))
        if "~big" in h:
            digits = str(h["~big"])
            if len(digits) > 4000:
                raise WireError("integer too long")
            return int(digits)
        if "~c" in h:
            parts = h["~c"]
            if not isinstance(parts, list) or len(parts) != 2:
                raise WireError("malformed complex")
            re_, im = self.value(parts[0], depth + 1), self.value(parts[1], depth + 1)
            if not all(type(p) in (int, float) for p in (re_, im)):
                raise WireError("malformed complex")
            return complex(re_, im)
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
        raise WireError("malformed message")
