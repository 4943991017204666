"""The machinery behind every exercise check: run a student's function safely, compare
its answer with the reference, and explain a failure in words.

Notebooks call the per-notebook modules (:mod:`dlcore.checks.forward`, ...), which
build on :class:`Exercise`. A failed check raises :class:`CheckFailure` (an
``AssertionError``) whose message says what went wrong, where the largest error is and,
when the answer matches a known mistake, what that mistake probably is. Messages name
shapes and positions, never the values of a hidden test's random inputs.
"""
from __future__ import annotations

import copy
import inspect
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = ["CheckFailure", "Exercise", "Mistake", "passed", "random_rng"]


class CheckFailure(AssertionError):
    """A check of a student's answer failed; the message says why in words."""


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


@contextmanager
def _quiet() -> Iterator[list]:
    """Record warnings instead of printing them: a warning never costs a correct answer points."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        yield caught


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
    return type(a) is type(b) and a == b


def _shape_of(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x)}"
    return f"a {type(x).__name__}"


class Exercise:
    """Checks one graded function of a student against its ``dlcore`` reference.

    name : the exercise (function) name.  student : the student's function.
    reference : the ``dlcore`` function of the same name.
    mistakes : typical wrong answers, used to explain a mismatch.
    isolate : names of *other* exercises that ``student`` may call; while it runs they
        are replaced by their references, so an error in one exercise does not cost the
        points of another.
    hidden : True in the hidden tests (changes only the wording of messages).
    may_modify : arguments the exercise may change in place (checked by the caller).
    """

    def __init__(
        self,
        name: str,
        student: Callable,
        reference: Callable,
        mistakes: Sequence[Mistake] = (),
        isolate: Sequence[str] = (),
        hidden: bool = False,
        may_modify: Sequence[str] = (),
    ):
        __tracebackhide__ = True
        self.name, self.student, self.reference = name, student, reference
        self.mistakes, self.isolate, self.hidden = list(mistakes), tuple(isolate), hidden
        self.params = list(inspect.signature(reference).parameters)
        self.may_modify = tuple(may_modify)
        self.warned: list[str] = []
        if not callable(student):
            raise CheckFailure(f"`{name}` must be a function; got {type(student).__name__}. Run its cell first.")
        self._refuse_delegation_by_identity()

    # -- running the student's code ------------------------------------------------
    def _refuse_delegation_by_identity(self) -> None:
        __tracebackhide__ = True
        code = getattr(inspect.unwrap(self.student), "__code__", None)
        if self.student is self.reference or (code is not None and _same_code(code, self.reference.__code__)):
            raise CheckFailure(self._delegation_message())

    def _delegation_message(self) -> str:
        return (
            f"`{self.name}` hands the work to dlcore's reference `{self.name}`. The exercise is "
            f"to write it yourself, so this earns no points: implement the formula with NumPy."
        )

    @contextmanager
    def isolated(self) -> Iterator[list]:
        """While active, the other exercises named in ``isolate`` are their references
        (in the student's namespace), and warnings are recorded instead of printed."""
        ns = getattr(self.student, "__globals__", {})
        import dlcore

        missing = object()
        saved = {k: ns.get(k, missing) for k in self.isolate}
        try:
            for k in saved:  # also supplies helpers the student has not defined (yet)
                ns[k] = getattr(dlcore, k)
            with _quiet() as caught:
                yield caught
        finally:
            for k, v in saved.items():
                if v is missing:
                    ns.pop(k, None)
                else:
                    ns[k] = v

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Run the student's function on copies of ``args`` and return its result.

        Fails with a clear message if it raises, calls the reference of the same
        exercise, modifies an argument in place, or touches the global ``np.random`` state.
        """
        __tracebackhide__ = True
        copies = copy.deepcopy((args, kwargs))
        self.last_args = copies[0]  # what the student received, for checks of in-place work
        ref_code = self.reference.__code__
        delegated = []

        def profiler(frame, event, arg):  # noqa: ARG001
            if event == "call" and _same_code(frame.f_code, ref_code):
                delegated.append(True)

        state = np.random.get_state()
        old_profile = sys.getprofile()
        with self.isolated() as caught:
            sys.setprofile(profiler)
            try:
                result = self.student(*copies[0], **copies[1])
            except CheckFailure:
                raise
            except NotImplementedError:
                raise CheckFailure(
                    f"`{self.name}` is not implemented yet: replace `raise NotImplementedError()` with your code."
                ) from None
            except Exception as exc:
                shapes = ", ".join(
                    f"{n} {np.shape(a)}" for n, a in zip(self.params, args) if isinstance(a, np.ndarray)
                )
                raise CheckFailure(
                    f"`{self.name}` raised {type(exc).__name__}: {exc}"
                    + (f"\n  (called with {shapes})" if shapes else "")
                ) from exc
            finally:
                sys.setprofile(old_profile)
        if delegated:
            raise CheckFailure(self._delegation_message())
        for w in caught:
            note = f"{w.category.__name__}: {w.message}"
            if note not in self.warned:
                self.warned.append(note)
        after = np.random.get_state()
        if not (state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]):
            raise CheckFailure(
                f"`{self.name}` used the global `np.random` state. Draw random numbers only from the "
                f"`rng` argument (e.g. `rng.standard_normal(shape)`), so results are reproducible."
            )
        for pname, before, now in zip(self.params, args, copies[0]):
            if pname in self.may_modify or isinstance(before, np.random.Generator) or callable(before):
                continue
            if not _equal(before, now):
                raise CheckFailure(
                    f"`{self.name}` modified its argument `{pname}` in place. Build new arrays "
                    f"(e.g. `W = W - lr * dW` rather than `W -= lr * dW`) and leave the inputs unchanged."
                )
        return result

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
            extra = ""
            if got.shape == want.shape[::-1] and got.ndim == 2:
                extra = " It looks transposed: check the order of the matrix product."
            elif got.ndim == 1 or want.ndim == 1 or got.size == want.size:
                extra = " Check keepdims=True / reshape so the result keeps the layout of the formula."
            raise CheckFailure(self._with_hint(f"{what} has shape {got.shape}, expected {want.shape}.{extra}", args))
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
                f"the largest error is {float(err[idx]):.3g} at index {idx}.", args))

    def _with_hint(self, message: str, args: tuple) -> str:
        hint = self.diagnose(args) if args else None
        return f"`{self.name}`: {message}" + (f"\n  Likely mistake: {hint}" if hint else "")

    def diagnose(self, args: tuple) -> str | None:
        """The hint of the first known mistake that reproduces the student's answer."""
        if not self.mistakes:
            return None
        with self.isolated():
            try:
                got = self.student(*copy.deepcopy(args))
            except Exception:
                return None
            for mistake in self.mistakes:
                try:
                    wrong = mistake.compute(*copy.deepcopy(args))
                except Exception:
                    continue
                if _close(got, wrong):
                    return mistake.hint
        return None

    def against_reference(self, *args: Any, what: str | Sequence[str] | None = None, rtol: float = 1e-7, atol: float = 1e-10) -> Any:
        """Call the student and the reference on the same ``args`` and compare everything returned."""
        __tracebackhide__ = True
        got = self.call(*args)
        with _quiet():
            want = self.reference(*copy.deepcopy(args))
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
