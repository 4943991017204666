"""The grading engine: the score is decided here, in the trusted process.

For one submitted notebook (already rebuilt from trusted parts by :mod:`grader.rebuild`):

1. a fresh process of a :class:`~grader.sandbox.Sandbox` runs the student's code: the
   setup cell's imports (functions imported from ``dlcore`` become forwarders to this
   side), then each answer cell and each cell the student added, statement by statement
   with a time limit. A statement that hangs or kills its process is cut: the statements
   before it are kept, and the cells so far are replayed in a new sandbox. Exploration
   cells are not run: they are not graded.
2. for each test cell, the submission's process forks an *exercise child* (NumPy and the
   student's definitions are loaded once), and the test cell's source -- the course's
   own, restored by nbgrader from the gradebook, hidden tests included -- runs *here*,
   with each exercise name bound to a :class:`RemoteFunction`. The checks of
   :mod:`dlcore.checks` make the inputs, call the student's function through it (plain
   data crosses, nothing else), compare and explain. A crash, exit, timeout or memory
   error inside one exercise ends only that child (or that sandbox) and costs only
   that exercise.
3. the verdicts become the cells' outputs in the form nbgrader reads: a test cell that
   passed shows the check's message, one that failed shows an ``error`` output holding
   the message alone (no source, no hidden input). nbgrader's ``SaveAutoGrades`` turns
   that into the score: all the points or none.

:class:`GradeInSandbox` plugs the engine into nbgrader's autograde pipeline in place of
its ``Execute`` preprocessor, so stock ``nbgrader autograde`` uses it too.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import io
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Float, Int, Unicode

import dlcore
from dlcore.checks import CheckFailure
from dlcore.checks.core import hint_of
from dlcore.checks.runner import WireError
from grader.exercises import CHECK_MODULES, EXERCISES
from grader.metadata import ADDED, METADATA_KEY
from grader.notebooks import grade_id, python_source
from grader.sandbox import POOL, Limits, Sandbox, SandboxError, SandboxTimeout, SubmissionEnded, status_text

#: Imports of the setup cell that the sandbox skips (display only; slow to import).
_DISPLAY_MODULES = {"matplotlib", "ipywidgets", "IPython", "dlcore"}


@dataclass
class Verdict:
    """What became of one test cell."""

    passed: bool
    message: str
    student_output: str = ""


@dataclass
class CellRun:
    """What became of one student cell in the sandbox."""

    error: dict | None = None
    output: str = ""


@dataclass
class Report:
    verdicts: dict[str, Verdict] = field(default_factory=dict)   # test cell grade_id -> verdict
    cells: dict[int, CellRun] = field(default_factory=dict)      # notebook index -> run of a student cell
    events: list[str] = field(default_factory=list)              # notable things, for flags.csv
    sandbox: str = ""


def prelude(setup_source: str) -> tuple[list[str], dict[str, str]]:
    """Of a setup cell: the import statements to run in the sandbox, and the functions it
    imports from ``dlcore`` (name in the notebook -> dlcore attribute), which are forwarded."""
    imports, provided = [], {}
    try:
        tree = ast.parse(python_source(setup_source))
    except SyntaxError:
        return ["import numpy as np"], {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dlcore":
            if node.module == "dlcore":
                provided.update({a.asname or a.name: a.name for a in node.names if callable(getattr(dlcore, a.name, None))})
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            roots = [a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import) else [(node.module or "").split(".")[0]]
            if not set(roots) & _DISPLAY_MODULES:
                imports.append(ast.unparse(node))
    return imports or ["import numpy as np"], provided


class RemoteFunction:
    """A student's function living in the sandbox, as the checks see it (a runner, not callable)."""

    def __init__(self, session: Session):
        self.session = session

    def call(self, name: str, args: tuple, kwargs: dict, isolate: Any) -> dict:
        return self.session.call(name, args, kwargs, tuple(isolate))


class Session:
    """One submission's sandbox, its replayable cells, and the calls of one exercise."""

    def __init__(self, assignment: str, setup_source: str, limits: Limits, sandbox_kind: str = "auto"):
        self.assignment, self.limits, self.kind = assignment, limits, sandbox_kind
        self.imports, self.provided = prelude(setup_source)
        self.box: Sandbox | None = None
        self.cells: list[tuple[int, str, int | None]] = []  # (index, source, statements to run) to replay
        self.progress = -1
        self.deadline = time.monotonic() + limits.submission_timeout
        self.exercise_running = False  # an exercise child is serving calls
        self.child_dead: str | None = None
        self.exercise = ""
        self.events: list[str] = []

    # -- sandbox life cycle ------------------------------------------------------------------
    def _left(self, limit: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SandboxTimeout("the time limit of the whole submission was reached")
        return min(limit, left)

    def _start(self) -> None:
        self.close()
        self.box = POOL.acquire(self.limits, self.kind, self.assignment)
        self.box.send({"op": "prelude", "imports": self.imports, "provided": list(self.provided)})
        self.box.receive(self._left(max(30.0, self.limits.call_timeout)))
        for index, source, upto in self.cells:
            self.box.send({"op": "exec", "source": _as_python(source), "label": f"<cell {index}>", "upto": upto})
            self._receive_serving(self.limits.call_timeout, allowed=set(self.provided))

    def close(self) -> None:
        """End the sandbox now (after a fault: it is never reused)."""
        if self.box is not None:
            self.box.kill()
            self.box = None
        self.exercise_running = False

    def finish(self) -> None:
        """End the submission; a sandbox that ends it cleanly serves the next one (the zygote)."""
        if self.box is None:
            return
        box, clean = self.box, False
        if self.exercise_running:
            self.end_exercise()
        if self.box is not None and self.box.alive():
            try:
                self.box.send({"op": "end"})
                clean = True
            except SandboxError:
                pass
        self.box = None
        POOL.release(box, clean)

    def run_cell(self, index: int, source: str) -> CellRun:
        """Execute one student cell. A statement that hangs or ends the process is cut: the
        sandbox is replaced, and the statements before it are kept (as in a kernel)."""
        self.progress = -1
        try:
            if self.box is None or not self.box.alive():
                self._start()
            self.box.send({"op": "exec", "source": _as_python(source), "label": f"<cell {index}>"})
            reply = self._receive_serving(self.limits.call_timeout, allowed=set(self.provided))
            error = _error_of(reply)
        except SandboxError as exc:
            timeout = isinstance(exc, SandboxTimeout)
            self.close()
            if timeout and "whole submission" in str(exc):
                why = str(exc)
            elif timeout:
                why = f"did not finish within {self.limits.call_timeout:g} s (an endless loop or a long computation?)"
            else:
                why = f"ended the Python process ({exc})"
            kept = max(self.progress, 0)
            self.cells.append((index, source, kept))
            self.events.append(f"cell {index}: statement {kept + 1} {why}")
            return CellRun({"type": "TimeoutError" if timeout else "ProcessEnded", "types": [],
                            "message": f"statement {kept + 1} of this cell {why}; it was cut "
                                       f"(the {kept} statement(s) before it were kept)", "trace": ""})
        self.cells.append((index, source, None))
        return CellRun(error, str(reply.get("output", ""))[:100_000])

    # -- one exercise ------------------------------------------------------------------------------
    def begin_exercise(self, name: str) -> None:
        self.exercise, self.child_dead = name, None
        if self.box is None or not self.box.alive():
            self._start()
        self.box.send({"op": "fork"})
        reply = self.box.receive(self._left(max(10.0, self.limits.call_timeout)))
        if reply.get("op") != "forked":
            raise SandboxError("the process did not start the exercise")
        self.exercise_running = True

    def end_exercise(self) -> str:
        """End the exercise's child; return what the student's code printed at the end."""
        if not self.exercise_running or self.box is None:
            return ""
        self.exercise_running = False
        try:
            self.box.send({"op": "end"})
            reply = self.box.receive(self._left(5.0))
            return str(reply.get("output", "")) if reply.get("op") == "ended" else ""
        except SandboxError:
            self.close()
            return ""

    def call(self, name: str, args: tuple, kwargs: dict, isolate: tuple) -> dict:
        """A call of the student's ``name`` on plain data, answered with a report (see core.Runner)."""
        if self.child_dead:
            return {"failed": self.child_dead}
        if self.box is None or not self.exercise_running:
            return {"failed": "could not be run: its process had already ended."}
        allowed = {k for k in isolate if k != name} | {k for k in self.provided if k != name}
        try:
            self.box.send({"op": "call", "name": name, "args": tuple(args), "kwargs": dict(kwargs), "isolate": list(isolate)})
            reply = self._receive_serving(self.limits.call_timeout, allowed)
        except SandboxTimeout as exc:
            self.close()
            if "whole submission" in str(exc):
                self.child_dead = f"was stopped: {exc}."
            else:
                self.child_dead = (f"did not return within {self.limits.call_timeout:g} s, so it was stopped. "
                                   f"Look for an endless loop, or a loop over elements that NumPy can do at once.")
            self.events.append(f"{self.exercise}: {self.child_dead}")
            return {"failed": self.child_dead}
        except SubmissionEnded as exc:
            self.close()
            self.child_dead = f"ended its Python process ({status_text(exc.status)}) while it ran."
            self.events.append(f"{self.exercise}: {self.child_dead}")
            return {"failed": self.child_dead}
        except SandboxError as exc:
            self.close()
            self.child_dead = f"broke the connection with the grader ({exc}), so it was stopped."
            self.events.append(f"{self.exercise}: {self.child_dead}")
            return {"failed": self.child_dead}
        if reply.get("op") == "ended":
            self.exercise_running = False
            self.child_dead = f"ended its Python process ({status_text(reply.get('status'))}) while it ran."
            self.events.append(f"{self.exercise}: {self.child_dead}")
            return {"failed": self.child_dead}
        return reply

    def _receive_serving(self, limit: float, allowed: set[str]) -> dict:
        """The next reply, answering the sandbox's calls of reference functions meanwhile."""
        deadline = time.monotonic() + self._left(limit)
        while True:
            msg = self.box.receive(max(0.0, min(deadline, self.deadline) - time.monotonic()))
            if msg.get("op") == "progress":
                statement = msg.get("statement")
                self.progress = statement if type(statement) is int else -1
            elif msg.get("op") == "callback":
                reply = self._callback(msg, allowed)
                try:
                    self.box.send(reply)
                except WireError as exc:  # a result of the reference that cannot cross (too large)
                    self.box.send({"error": f"{msg.get('name')}: {exc}"})
            else:
                return msg

    def _callback(self, msg: dict, allowed: set[str]) -> dict:
        """A forwarded call, computed here with the reference: refused unless its arguments
        hold at most :attr:`Limits.callback_mb` (decided before any work); run under the time
        left to the student's call where a timer can interrupt it (the main thread)."""
        name = str(msg.get("name"))
        target = self.provided.get(name, name)
        if name not in allowed or not callable(getattr(dlcore, target, None)):
            return {"error": f"{name} is not available here"}
        args, kwargs = msg.get("args", ()), msg.get("kwargs", {})
        if not isinstance(args, (tuple, list)) or not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            return {"error": f"{name}: malformed call"}
        args, kwargs = tuple(args), dict(kwargs)
        size = _nbytes((args, kwargs))
        if size > self.limits.callback_mb * 2**20:
            return {"error": f"{name}: its arguments hold {size / 2**20:.0f} MiB; calls the grader answers "
                             f"may pass at most {self.limits.callback_mb} MiB"}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), _time_limit(self._left(self.limits.call_timeout)):
                warnings.simplefilter("ignore")
                result = getattr(dlcore, target)(*args, **kwargs)
        except _CallbackTimeout:
            return {"error": f"{name} did not finish in time"}
        except Exception as exc:  # the student passed something the reference refuses
            return {"error": f"{type(exc).__name__}: {exc}"}
        # Generators the reference drew from: their new state goes back, so that the student's
        # generator moves on exactly as it would have with a local call.
        rngs = {f"arg:{i}": a for i, a in enumerate(args)} | {f"kw:{k}": v for k, v in kwargs.items()}
        states = {k: v.bit_generator.state for k, v in rngs.items() if isinstance(v, np.random.Generator)}
        return {"result": result, "rng_states": states} if states else {"result": result}


class _CallbackTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the body after ``seconds`` (SIGALRM; only in the main thread, else no limit)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def ring(signum, frame):
        raise _CallbackTimeout()

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _nbytes(value: Any, depth: int = 0) -> int:
    """Bytes of the arrays and strings in a decoded value (its size as the reference sees it)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (tuple, list)):
        return 8 * len(value) + sum(_nbytes(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return 16 * len(value) + sum(_nbytes(k, depth + 1) + _nbytes(v, depth + 1) for k, v in value.items())
    return 8


def _as_python(source: str) -> str:
    """A cell as plain Python for the runner: IPython syntax (magics, shell escapes)
    translated as IPython would (the runner has no IPython)."""
    try:
        compile(source, "<cell>", "exec", ast.PyCF_ONLY_AST)
        return source
    except SyntaxError:
        return python_source(source)


def _error_of(reply: dict) -> dict | None:
    """The error of a cell's reply, checked to be what the outputs are built from."""
    error = reply.get("error")
    if error is None:
        return None
    if not isinstance(error, dict):
        raise SandboxError("the process sent a malformed cell report")
    return {"type": str(error.get("type", "Error"))[:200], "types": [str(t) for t in error.get("types", [])][:50]
            if isinstance(error.get("types"), list) else [], "message": str(error.get("message", ""))[:2000],
            "trace": str(error.get("trace", ""))[:4000], "module": error.get("module")}


def _capture(fn, *args) -> tuple[Any, str, BaseException | None]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            return fn(*args), out.getvalue(), None
        except Exception as exc:
            return None, out.getvalue(), exc


def grade_notebook(nb, assignment: str, limits: Limits, sandbox_kind: str = "auto") -> Report:
    """Grade one (rebuilt) notebook of ``assignment``; see the module docstring."""
    report = Report()
    names = EXERCISES.get(assignment)
    if not names:
        raise ValueError(f"no exercises registered for assignment {assignment!r} (grader.exercises.EXERCISES)")
    checks = importlib.import_module(CHECK_MODULES[assignment])
    setup = next((c.source for c in nb.cells if grade_id(c) == "setup"), "import numpy as np")
    session = Session(assignment, setup, limits, sandbox_kind)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if is_solution(cell) or cell.metadata.get(ADDED):
                report.cells[index] = session.run_cell(index, cell.source)
        for cell in nb.cells:
            if not (cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)):
                continue
            report.verdicts[grade_id(cell)] = _judge(session, cell, checks, names)
        report.sandbox = session.box.kind if session.box else ""
    finally:
        session.finish()
        report.events += session.events
    return report


def _judge(session: Session, cell, checks, names) -> Verdict:
    gid = grade_id(cell)
    name = gid[5:] if gid.startswith("test_") else gid
    try:
        session.begin_exercise(name)
    except SandboxError as exc:
        session.close()
        why = str(exc) if "whole submission" in str(exc) else f"its process could not start the exercise ({exc})"
        return Verdict(False, f"`{name}` could not be graded: {why}.")
    ns = {"__name__": "__grading__", "checks": checks, "np": np, "dlcore": dlcore}
    ns.update({n: RemoteFunction(session) for n in names})
    try:
        code = compile(python_source(cell.source), f"<{gid}>", "exec")
    except SyntaxError as exc:  # the course's own test cell: a broken release, not the student's fault
        raise RuntimeError(f"test cell {gid} does not compile: {exc}") from exc
    _, printed, exc = _capture(exec, code, ns)
    student_output = session.end_exercise()
    if exc is None:
        return Verdict(True, printed, student_output)
    if isinstance(exc, CheckFailure):
        return Verdict(False, str(exc), student_output)
    return Verdict(False, f"`{name}`: the check could not judge the answer ({type(exc).__name__}: {exc}).", student_output)


# --- nbgrader ----------------------------------------------------------------------------------------
def recorded_hints(nb) -> dict[str, str]:
    """grade_id -> the likely mistake that :class:`GradeInSandbox` recorded on a failed test
    cell of a graded notebook (where its check named one)."""
    hints = {}
    for cell in nb.cells:
        hint = cell.get("metadata", {}).get(METADATA_KEY, {}).get("hint")
        if hint and grade_id(cell):
            hints[grade_id(cell)] = str(hint)
    return hints


def _stream(text: str, name: str = "stdout"):
    return new_output("stream", name=name, text=text)


def _error_output(ename: str, message: str):
    lines = message.splitlines() or [""]
    return new_output("error", ename=ename, evalue=lines[0], traceback=lines)


class GradeInSandbox(NbGraderPreprocessor):
    """nbgrader autograde step that replaces ``Execute``: grade with the engine (module docstring)."""

    call_timeout = Float(Limits.call_timeout, help="Seconds one call of a student's function (or one cell) may run.").tag(config=True)
    submission_timeout = Float(Limits.submission_timeout, help="Seconds one submission may run in all.").tag(config=True)
    memory_mb = Int(Limits.memory_mb, help="Address-space limit of the student's process, MiB.").tag(config=True)
    processes = Int(Limits.processes, help="Process limit of the student's code.").tag(config=True)
    sandbox = Unicode("auto", help="'auto' (bwrap if installed), 'bwrap' or 'process'.").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        limits = Limits(call_timeout=self.call_timeout, submission_timeout=self.submission_timeout,
                        memory_mb=self.memory_mb, processes=self.processes)
        report = grade_notebook(nb, assignment, limits, self.sandbox)
        for index, run in report.cells.items():
            cell = nb.cells[index]
            cell.outputs = [_stream(run.output)] if run.output else []
            if run.error:
                trace = [ln for ln in str(run.error.get("trace", "")).splitlines()]
                cell.outputs.append(new_output("error", ename=run.error["type"], evalue=run.error["message"],
                                               traceback=trace + [f"{run.error['type']}: {run.error['message']}"]))
        for cell in nb.cells:
            verdict = report.verdicts.get(grade_id(cell)) if cell.cell_type == "code" else None
            if verdict is None:
                continue
            cell.outputs = []
            if verdict.student_output:
                cell.outputs.append(_stream("Your code printed:\n" + verdict.student_output))
            if verdict.passed:
                cell.outputs.append(_stream(verdict.message or "passed\n"))
            else:
                cell.outputs.append(_error_output("CheckFailure", verdict.message))
            cell.metadata.setdefault(METADATA_KEY, {})["passed"] = verdict.passed
            if not verdict.passed and hint_of(verdict.message):
                cell.metadata[METADATA_KEY]["hint"] = hint_of(verdict.message)
        nb.metadata.setdefault(METADATA_KEY, {}).setdefault("events", []).extend(report.events)
        nb.metadata[METADATA_KEY]["sandbox"] = report.sandbox
        return nb, resources
