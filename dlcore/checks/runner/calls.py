"""Calling a student's function on plain data, in the student's process.

:func:`invoke` calls one function and reports what happened as plain data (the result,
the arguments as the function left them, warnings, whether the global ``np.random``
state moved, the error if any); :func:`plain` makes such a report plain data through the
codec, so that an unsendable result becomes an error of the student's, not of the grader.
The notebooks' own checks (``dlcore.checks.core.LocalRunner``) and the sandbox's server
(:mod:`.serve`) both call functions through here.
"""
from __future__ import annotations

import io
import os
import traceback
import warnings
from collections.abc import Callable

import numpy as np

from . import codec

__all__ = ["CappedText", "MAX_OUTPUT", "error_report", "invoke", "plain"]

MAX_OUTPUT = 20_000  #: characters of a student's printed output kept per step

#: Frames in these folders are the runner's or NumPy's, not the student's: left out of traces.
_NOT_STUDENT = (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(np.__file__))


class CappedText(io.TextIOBase):
    """A stdout/stderr stand-in that keeps the first :data:`MAX_OUTPUT` characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        s = str(s)
        room = MAX_OUTPUT - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def take(self) -> str:
        text = "".join(self.parts) + (f"\n[... {self.dropped} more characters of output dropped]" if self.dropped else "")
        self.parts, self.size, self.dropped = [], 0, 0
        return text


def error_report(exc: BaseException) -> dict:
    """An exception as plain data: its type names, message and the student's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_NOT_STUDENT)]
    trace = "".join(traceback.format_list(frames[-8:]))
    return {
        "type": type(exc).__name__,
        "types": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc)[:2000],
        "trace": trace[:4000],
        "module": getattr(exc, "name", None) if isinstance(exc, ImportError) else None,
    }


def _global_rng_state() -> tuple:
    s = np.random.get_state()
    return s[0], s[1].tobytes(), s[2], s[3], s[4]


def invoke(fn: Callable, args: tuple, kwargs: dict) -> dict:
    """Call ``fn(*args, **kwargs)`` and report as plain data (see the module docstring).

    ``args`` are the student's own copies: the report carries them back as the function
    left them, for checks of in-place changes.
    """
    before = _global_rng_state()
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            result, error = fn(*args, **kwargs), None
        except Exception as exc:
            result, error = None, error_report(exc)
    notes = []
    for w in caught:
        note = f"{w.category.__name__}: {w.message}"
        if note not in notes:
            notes.append(note)
    return {
        "result": result,
        "error": error,
        "args": tuple(args),
        "kwargs": dict(kwargs),
        "warnings": notes[:5],
        "rng_touched": _global_rng_state() != before,
    }


def plain(report: dict) -> dict:
    """``report`` with its student values made plain data; unsendable results become errors."""
    try:
        return codec.decode(codec.encode(report))
    except codec.WireError as exc:
        bad = dict(report, result=None, args=(), kwargs={})
        bad["error"] = {"type": "WireError", "types": ["WireError"], "message": str(exc).replace("the value", "the result", 1),
                        "trace": "", "module": None, "unsendable": True}
        return codec.decode(codec.encode(bad))
