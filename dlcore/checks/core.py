"""The judge behind every exercise check: make inputs, compare the student's answer with
the reference, and explain a failure in words.

Notebooks call the per-notebook modules (:mod:`dlcore.checks.forward`, ...), which
build on :class:`Exercise`. The judge never runs the student's code itself: every call
goes through a *runner* (``runner.call(name, args, kwargs, isolate) -> report``) on plain
data only (the codec of :mod:`dlcore.checks.runner`). In the student's own kernel that is
:class:`LocalRunner`; when grading, the engine's runner forwards the call to a sandboxed
process, so the same checks judge there without ever holding a student object. A failed check raises :class:`CheckFailure` (an
``AssertionError``) whose message says what went wrong, where the largest error is and,
when the answer matches a known mistake, what that mistake probably is. Messages name
shapes and positions, never the values of a hidden test's random inputs.

The toolkit the check modules share: :func:`manifest` (each module's exercises and what
they may call), :func:`with_hint` (the one format of a "likely mistake", read back by
:func:`hint_of`), :meth:`Exercise.compare_with_hints` and :meth:`Exercise.fail`,
:func:`finite_difference_check`, and the random problems of :mod:`dlcore.checks.problems`.
"""
from __future__ import annotations

import copy
import inspect
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from dlcore.checks.runner import Fn, decode, encode, invoke, plain

__all__ = [
    "HINT_PREFIX", "SIGMAS", "CheckFailure", "ColumnOrigins", "Exercise", "LocalRunner", "Mistake", "Runner", "describe",
    "finite_difference_check", "hint_of", "kind", "manifest", "matching_hint", "passed", "random_rng", "same_result", "with_hint",
]


#: The prefix of the line of a failure message that names the likely mistake. Messages are
#: built with :func:`with_hint` and read back with :func:`hint_of` (the grader's class report
#: counts the hints); nothing else spells the prefix.
HINT_PREFIX = "Likely mistake: "

#: Tolerance of the statistical checks of random exercises, in standard errors: a correct
#: answer fails such a test less than once in 10^8 runs.
SIGMAS = 6.0


def with_hint(message: str, hint: str | None) -> str:
    """``message``, followed by the line naming the likely mistake when there is a ``hint``."""
    return message + (f"\n  {HINT_PREFIX}{hint}" if hint else "")


def hint_of(message: str) -> str | None:
    """The "likely mistake" a check's failure message names, if any (for the class report)."""
    for line in str(message).splitlines():
        if line.strip().startswith(HINT_PREFIX):
            return line.strip()[len(HINT_PREFIX):].strip() or None
    return None


def manifest(exercises: dict[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """The exercise manifest of a check module: exercise name -> the graded functions it may call.

    Names are those of the ``dlcore`` references, in the order of the notebook. While the
    student's function of an exercise runs, the functions it may call are their references
    (see :class:`Exercise`'s ``isolate``), so a mistake in one costs the points of one only.
    """
    import dlcore

    if not isinstance(exercises, dict) or not exercises:
        raise ValueError(f"`exercises` must be a non-empty dict of name -> names it may call; got {exercises!r}.")
    out = {}
    for name, calls in exercises.items():
        if isinstance(calls, str) or not all(isinstance(c, str) for c in calls):
            raise ValueError(f"`exercises[{name!r}]` must be a tuple of function names; got {calls!r}.")
        unknown = [n for n in (name, *calls) if not callable(getattr(dlcore, n, None))]
        if unknown:
            raise ValueError(f"`exercises[{name!r}]` names {unknown}, which dlcore does not export as functions.")
        if name in calls:
            raise ValueError(f"`exercises[{name!r}]` lists the exercise among the functions it may call.")
        out[name] = tuple(calls)
    return out


def finite_difference_check(name: str, report: Any, what: str, of: str = "the forward pass") -> None:
    """Fail unless the gradients ``what`` agree with finite differences ``of`` a computation.

    ``report`` is a :func:`dlcore.gradcheck.check_gradients` report of the student's gradients.
    """
    __tracebackhide__ = True
    if report.difference > 1e-6:
        key, idx = report.worst[0], report.worst[1]
        raise CheckFailure(
            f"`{name}`: {what} disagrees with finite differences of {of} "
            f"(relative difference {report.difference:.1e}); the largest error is in {key} at index "
            f"{tuple(int(i) for i in idx)}.")


def matching_hint(got: Any, candidates: Sequence[tuple[Any, str]]) -> str | None:
    """The hint of the first ``(value, hint)`` candidate whose array value ``got`` equals."""
    if not isinstance(got, np.ndarray):
        return None
    for value, hint in candidates:
        value = np.asarray(value)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9, equal_nan=True):
            return hint
    return None


def describe(x: Any) -> str:
    """``x`` in words for a message: "an array of shape (2, 3)", "a tuple of length 2", "None"."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list, dict)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}" if x is not None else "None"


class ColumnOrigins:
    """Where a column comes from: the index of the column of ``X`` equal to it, bit for bit.

    For checks of functions that select or shuffle the examples (the columns) of ``X``,
    whose columns must all differ.
    """

    def __init__(self, X: np.ndarray):
        if not isinstance(X, np.ndarray) or X.ndim != 2:
            raise ValueError(f"`X` must be a 2-D array of examples as columns; got {describe(X)}.")
        self.dtype = X.dtype
        self.index = {np.ascontiguousarray(X[:, j]).tobytes(): j for j in range(X.shape[1])}

    def of(self, column: np.ndarray) -> int | None:
        """The index of the column of ``X`` equal to ``column``, or None."""
        return self.index.get(np.ascontiguousarray(column, dtype=self.dtype).tobytes())


def kind(x: Any) -> str:
    """``x`` described by its type, e.g. "tuple of length 2"."""
    return type(x).__name__ + (f" of length {len(x)}" if isinstance(x, (tuple, list)) else "")


def same_result(a: Any, b: Any) -> bool:
    """Equality of plain results: strings and None exactly, numbers up to rounding."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_result(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b))
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return a is b or (isinstance(a, str) and isinstance(b, str) and a == b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return False
    try:
        return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-7, atol=1e-10,
                                equal_nan=True))
    except (TypeError, ValueError):
        return False


class CheckFailure(AssertionError):
    """A check of a student's answer failed; the message says why in words.

    In a notebook it renders as its message alone (no traceback into the checker's code).
    """

    def _render_traceback_(self) -> list[str]:
        lines = str(self).splitlines() or [""]
        return ["\x1b[0;31m\u2718 " + lines[0] + "\x1b[0m"] + lines[1:]


class Mistake:
    """A typical wrong answer: ``compute(*args)`` gives what that mistake returns."""

    def __init__(self, compute: Callable[..., Any], hint: str):
        self.compute = compute
        self.hint = hint


def random_rng() -> np.random.Generator:
    """A generator seeded from fresh OS entropy: hidden inputs differ at every run."""
    return np.random.default_rng()


def passed(name: str, hidden: bool = False) -> None:
    """Print the success line of a check."""
    print(f"\u2714 {name}: all {'hidden tests' if hidden else 'checks'} passed.")


def _same_code(a: Any, b: Any) -> bool:
    return a is b or (
        a.co_code == b.co_code and a.co_consts == b.co_consts and a.co_names == b.co_names
    )


def _equal(a: Any, b: Any) -> bool:
    """Deep equality of nested tuples/lists/dicts of arrays (NaN equals NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f"))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.random.Generator) or isinstance(b, np.random.Generator):
        return True  # a generator is meant to be used up
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _shape_of(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x, key=str)}"
    return f"a {type(x).__name__}"


class Runner(Protocol):
    """Runs a student's function on plain data and reports what happened (plain data too).

    ``call`` returns a dict with ``result``, ``error`` (None or a dict with ``type``,
    ``types``, ``message``, ``trace``, ``module``), ``args``/``kwargs`` (as the function
    left them), ``warnings``, ``rng_touched``, ``output``; or ``missing: True`` when the
    function is not defined, ``delegated: True`` when it called its own reference, and
    ``failed: "why"`` when its process crashed, was killed or ran out of time.
    """

    def call(self, name: str, args: tuple, kwargs: dict, isolate: Sequence[str]) -> dict: ...


class LocalRunner:
    """The runner of the student's own kernel: calls ``fn`` in this process.

    Arguments and results still cross the wire encoding, so a check that passes something
    other than plain data fails here, in the notebook, just as it would when grading.
    While ``fn`` runs, the other exercises named in ``isolate`` are their ``dlcore``
    references, and a call of the reference of the same exercise is detected.
    """

    def __init__(self, fn: Callable, reference: Callable | None):
        self.fn, self.reference = fn, reference

    def call(self, name: str, args: tuple, kwargs: dict, isolate: Sequence[str]) -> dict:
        import dlcore

        args, kwargs = decode(encode((tuple(args), dict(kwargs))))
        ns = getattr(self.fn, "__globals__", {})
        missing = object()
        saved = {k: ns.get(k, missing) for k in isolate}
        ref_code = getattr(self.reference, "__code__", None)
        delegated = []

        def profiler(frame, event, arg):
            if event == "call" and ref_code is not None and _same_code(frame.f_code, ref_code):
                delegated.append(True)

        old_profile = sys.getprofile()
        try:
            for k in saved:  # also supplies helpers the student has not defined (yet)
                ns[k] = getattr(dlcore, k)
            sys.setprofile(profiler)
            report = invoke(self.fn, args, kwargs)
        finally:
            sys.setprofile(old_profile)
            for k, v in saved.items():
                if v is missing:
                    ns.pop(k, None)
                else:
                    ns[k] = v
        report = plain(report)
        report["delegated"] = bool(delegated)
        return report


class Exercise:
    """Checks one graded function of a student against its ``dlcore`` reference.

    name : the exercise (function) name.
    student : the student's function (in a notebook) or a :class:`Runner` (when grading).
    reference : the ``dlcore`` function of the same name.
    mistakes : typical wrong answers, used to explain a mismatch.
    isolate : names of *other* exercises that ``student`` may call (the exercise's entry in
        its check module's :func:`manifest`); while it runs they are replaced by their
        references, so an error in one exercise does not cost the points of another.
    hidden : True in the hidden tests (changes only the wording of messages).
    may_modify : arguments the exercise may change in place.

    Every call of the student's function goes through :meth:`call` (or :meth:`raises`),
    with plain data as arguments: arrays, numbers, strings, None, tuples, lists and dicts
    of these, ``np.random.Generator`` objects (they cross as their state) and
    :class:`~dlcore.checks.runner.Fn` for functions.
    """

    def __init__(
        self,
        name: str,
        student: Any,
        reference: Callable,
        mistakes: Sequence[Mistake] = (),
        isolate: Sequence[str] = (),
        hidden: bool = False,
        may_modify: Sequence[str] = (),
    ):
        __tracebackhide__ = True
        self.name, self.reference = name, reference
        self.mistakes, self.isolate, self.hidden = list(mistakes), tuple(isolate), hidden
        self.params = list(inspect.signature(reference).parameters)
        self.may_modify = tuple(may_modify)
        self.warned: list[str] = []
        self.last_args: tuple = ()
        if hasattr(student, "call") and not callable(student):
            self.runner = student
        elif callable(student):
            self._refuse_delegation_by_identity(student)
            self.runner = LocalRunner(student, reference)
        else:
            raise CheckFailure(f"`{name}` must be a function; got {type(student).__name__}. Run its cell first.")

    # -- running the student's code (always through the runner) ---------------------------
    def _refuse_delegation_by_identity(self, student: Callable) -> None:
        __tracebackhide__ = True
        code = getattr(inspect.unwrap(student), "__code__", None)
        if student is self.reference or (code is not None and _same_code(code, self.reference.__code__)):
            raise CheckFailure(self._delegation_message())

    def _delegation_message(self) -> str:
        return (
            f"`{self.name}` hands the work to dlcore's reference `{self.name}`. The exercise is "
            f"to write it yourself, so this earns no points: implement the formula with NumPy."
        )

    def _report(self, args: tuple, kwargs: dict) -> dict:
        return self.runner.call(self.name, tuple(args), dict(kwargs), self.isolate)

    def _failure(self, report: dict, args: tuple) -> str | None:
        """The message for a report that did not produce a result, else None."""
        if report.get("failed"):
            return f"`{self.name}` {report['failed']}"
        if report.get("missing") and report.get("dlcore"):
            return (f"`{self.name}` is not defined: its cell imports dlcore, which holds the reference solutions and "
                    f"is not available while grading. The exercise is to write it yourself: implement the formula with NumPy.")
        if report.get("missing"):
            return f"`{self.name}` is not defined. Run the cell that defines it (and the cells above it)."
        if report.get("delegated"):
            return self._delegation_message()
        err = report.get("error")
        if not err:
            return None
        if err.get("unsendable"):
            return f"`{self.name}` returned something the checks cannot read: {err['message']}."
        if err["type"] == "NotImplementedError":
            return f"`{self.name}` is not implemented yet: replace `raise NotImplementedError()` with your code."
        if err["type"] in ("ModuleNotFoundError", "ImportError") and str(err.get("module") or "").split(".")[0] == "dlcore":
            return (f"`{self.name}` imports dlcore, which holds the reference solutions and is not available "
                    f"while grading. The exercise is to write it yourself: implement the formula with NumPy.")
        shapes = ", ".join(f"{n} {np.shape(a)}" for n, a in zip(self.params, args) if isinstance(a, np.ndarray))
        message = f"`{self.name}` raised {err['type']}: {err['message']}"
        if shapes:
            message += f"\n  (called with {shapes})"
        if err.get("trace"):
            message += "\n  where your code raised it:\n" + "\n".join("    " + ln for ln in err["trace"].rstrip().splitlines())
        return message

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Run the student's function on ``args`` and return its result (plain data).

        Fails with a clear message if it raises, calls the reference of the same
        exercise, modifies an argument in place, or touches the global ``np.random`` state.
        After the call, :attr:`last_args` holds the arguments as the function left them.
        """
        __tracebackhide__ = True
        report = self._report(args, kwargs)
        message = self._failure(report, args)
        if message:
            raise CheckFailure(message)
        self.last_args = tuple(report.get("args", ()))
        for note in report.get("warnings", []):
            if note not in self.warned:
                self.warned.append(note)
        if report.get("rng_touched"):
            raise CheckFailure(
                f"`{self.name}` used the global `np.random` state. Draw random numbers only from the "
                f"`rng` argument (e.g. `rng.standard_normal(shape)`), so results are reproducible."
            )
        for pname, before, now in zip(self.params, args, self.last_args):
            if pname in self.may_modify or isinstance(before, np.random.Generator) or isinstance(before, Fn):
                continue
            if not _equal(before, now):
                raise CheckFailure(
                    f"`{self.name}` modified its argument `{pname}` in place (`{pname} -= ...` or "
                    f"`{pname}[...] = ...` writes into the caller's array). Compute into a new array "
                    f"(e.g. `{pname} = {pname} - ...`) and leave the inputs unchanged."
                )
        return report["result"]

    def raises(self, expected: type[BaseException], *args: Any, what: str = "", **kwargs: Any) -> None:
        """Fail unless the student's function raises ``expected`` (or a subclass) on ``args``.

        ``what`` describes the call in the message, e.g. ``"activation='softplus'"``.
        """
        __tracebackhide__ = True
        report = self._report(args, kwargs)
        err = report.get("error")
        if report.get("failed") or report.get("missing") or report.get("delegated") or (
                err and (err["type"] == "NotImplementedError" or err.get("unsendable"))):
            raise CheckFailure(self._failure(report, args))
        call = f"`{self.name}({what or '...'})`"
        if err is None:
            raise CheckFailure(f"{call} must raise {expected.__name__}; it returned without an error.")
        if expected.__name__ not in err["types"]:
            raise CheckFailure(f"{call} must raise {expected.__name__}; it raised {err['type']}: {err['message']}")

    # -- comparing answers ------------------------------------------------------------
    def compare(self, got: Any, want: Any, what: str, args: tuple = (), rtol: float = 1e-7, atol: float = 1e-10) -> None:
        """Fail unless ``got`` matches ``want`` (arrays, floats, tuples, lists, dicts).

        ``what`` names the value in messages ("dW", "the cost", ...). ``args`` are the
        inputs, used to test the known mistakes when the values differ.
        """
        __tracebackhide__ = True
        if isinstance(want, dict):
            if not isinstance(got, dict):
                raise CheckFailure(f"{what} must be a dict with keys {sorted(want)}; got {_shape_of(got)}.")
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            if missing:
                raise CheckFailure(f"{what} is missing the key(s) {missing}" + (f" and has unexpected {extra}" if extra else "") + ".")
            for k in want:
                self.compare(got[k], want[k], f"{what}[{k!r}]", args, rtol, atol)
            return
        if isinstance(want, (tuple, list)):
            if not isinstance(got, (tuple, list)) or len(got) != len(want):
                raise CheckFailure(f"{what} must be a {type(want).__name__} of length {len(want)}; got {_shape_of(got)}.")
            for i, (g, w) in enumerate(zip(got, want)):
                self.compare(g, w, f"{what}[{i}]", args, rtol, atol)
            return
        if isinstance(want, float) and not isinstance(want, np.ndarray):
            if not isinstance(got, (float, int, np.floating, np.integer)) or isinstance(got, bool):
                extra = " Turn it into a number with float(...)." if isinstance(got, np.ndarray) and got.size == 1 else ""
                raise CheckFailure(f"`{self.name}`: {what} must be a Python float; got {_shape_of(got)}.{extra}")
            if not np.isclose(float(got), want, rtol=rtol, atol=atol):
                raise CheckFailure(self._with_hint(f"{what} is {float(got):.6g}, expected {want:.6g}.", args))
            return
        want = np.asarray(want)
        if not isinstance(got, np.ndarray):
            raise CheckFailure(f"{what} must be a numpy array of shape {want.shape}; got {_shape_of(got)}.")
        if got.shape != want.shape:
            hint = self.diagnose(args) if args else None
            extra = ""  # a general remark, only where no known mistake explains the shape
            if hint is None and got.shape == want.shape[::-1] and got.ndim == 2:
                extra = " It looks transposed (rows and columns swapped)."
            elif hint is None and (got.ndim == 1 or want.ndim == 1 or got.size == want.size):
                extra = " Check keepdims=True / reshape so the result keeps the layout of the formula."
            message = f"`{self.name}`: {what} has shape {got.shape}, expected {want.shape}.{extra}"
            raise CheckFailure(with_hint(message + self._shown(got, want), hint))
        if got.dtype.kind not in "fiub":
            raise CheckFailure(f"{what} must hold numbers; got dtype {got.dtype}.")
        if not np.isfinite(got).all() and np.isfinite(want).all():
            bad = np.argwhere(~np.isfinite(got))[0]
            raise CheckFailure(self._with_hint(
                f"{what} holds inf or NaN (first at index {tuple(int(i) for i in bad)}) where finite values "
                f"are expected. Look for an overflow (exp of a large number) or a division by zero.", args))
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            err = np.abs(got.astype(float) - want)
            err[np.isnan(err)] = np.inf
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
            wrong = int((~np.isclose(got, want, rtol=rtol, atol=atol)).sum())
            raise CheckFailure(self._with_hint(
                f"{what} has the right shape {want.shape} but {wrong} of {want.size} values are wrong; "
                f"the largest error is {float(err[idx]):.3g} at index {idx}." + self._shown(got, want), args))

    def _shown(self, got: np.ndarray, want: np.ndarray) -> str:
        """Both arrays in full for the visible checks' tiny fixed examples; nothing for hidden tests,
        whose inputs must stay unknown, nor for arrays too large to read at a glance."""
        if self.hidden or want.size > 16 or got.size > 16:
            return ""
        return "".join(f"\n  {label}: " + np.array2string(np.asarray(a), precision=4, prefix=f"  {label}: ")
                       for label, a in (("expected", want), ("received", got)))

    def _with_hint(self, message: str, args: tuple) -> str:
        hint = self.diagnose(args) if args else None
        return with_hint(f"`{self.name}`: {message}", hint)

    def diagnose(self, args: tuple) -> str | None:
        """The hint of the first known mistake that reproduces the student's answer."""
        if not self.mistakes:
            return None
        report = self._report(args, {})
        if self._failure(report, args):
            return None
        return self.mistake_matching(report["result"], args)

    def mistake_matching(self, got: Any, args: tuple, same: Callable[[Any, Any], bool] | None = None) -> str | None:
        """The hint of the first known mistake whose value on ``args`` is ``got`` (by ``same``)."""
        same = same or _close
        for mistake in self.mistakes:
            try:
                wrong = self.trusted_value(mistake.compute, args)
            except Exception:
                continue
            if same(got, wrong):
                return mistake.hint
        return None

    def fail(self, message: str, got: Any = None, args: tuple | None = None) -> None:
        """Raise :class:`CheckFailure` with ``message`` about this exercise; when ``args`` are given,
        name the known mistake that gives ``got`` on them (plain results compared exactly)."""
        __tracebackhide__ = True
        hint = self.mistake_matching(got, args, same_result) if args is not None else None
        raise CheckFailure(with_hint(f"`{self.name}`: {message}", hint))

    def compare_with_hints(self, got: Any, want: Any, what: str, candidates: Sequence[tuple[Any, str]],
                           rtol: float = 1e-7, atol: float = 1e-10, named: bool = False) -> None:
        """:meth:`compare`, whose failure names the first ``(value, hint)`` of ``candidates`` that
        ``got`` equals. ``named``: every message starts with the exercise's name."""
        __tracebackhide__ = True
        try:
            self.compare(got, want, what, rtol=rtol, atol=atol)
        except CheckFailure as failure:
            message = str(failure)
            if named and not message.startswith(f"`{self.name}`"):
                message = f"`{self.name}`: {message}"
            raise CheckFailure(with_hint(message, matching_hint(got, candidates))) from None

    @staticmethod
    def trusted_value(fn: Callable, args: tuple, kwargs: dict | None = None) -> Any:
        """``fn`` (the reference or a mistake, trusted code) on copies of the arguments, quietly."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs or {}))

    def reference_value(self, *args: Any, **kwargs: Any) -> Any:
        """What the reference returns for ``args`` (on copies; warnings silenced)."""
        return self.trusted_value(self.reference, args, kwargs)

    def against_reference(self, *args: Any, what: str | Sequence[str] | None = None, rtol: float = 1e-7, atol: float = 1e-10) -> Any:
        """Call the student and the reference on the same ``args`` and compare everything returned."""
        __tracebackhide__ = True
        got = self.call(*args)
        want = self.reference_value(*args)
        names = [what] if isinstance(what, str) else list(what or [])
        if isinstance(want, tuple) and len(names) == len(want):
            if not isinstance(got, tuple) or len(got) != len(want):
                raise CheckFailure(
                    f"`{self.name}` must return a tuple ({', '.join(names)}); got {_shape_of(got)}."
                )
            for g, w, n in zip(got, want, names):
                self.compare(g, w, n, args, rtol, atol)
        else:
            self.compare(got, want, names[0] if names else "the result", args, rtol, atol)
        return got

    def done(self) -> None:
        """Print the success line, with a friendly note about any warning seen."""
        passed(self.name, self.hidden)
        if self.warned:
            print(f"  Note: your code emitted a warning ({'; '.join(self.warned[:2])}).\n"
                  f"  The answer is correct, but a warning often signals an overflow or a division by zero.")


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))
