"""The student's side of the trust boundary: call a student's function on plain data.

This module runs where the student's code runs, and trusts nothing it gets back from
it. :func:`invoke` calls one function and reports what happened as plain data (the
result, the arguments as the function left them, warnings, whether the global
``np.random`` state moved, the error if any). :func:`serve` is the sandbox worker: it
executes the student's cells, forks one child per graded exercise (a fault ends only
that child), and answers ``call`` requests from the grader over two pipes, in frames of
:mod:`dlcore.checks.wire`. Calls that an answer makes to *other* exercises, or to the
functions a notebook imports from ``dlcore``, are forwarded to the grader, which computes
them with the reference and sends back plain data: the sandbox holds no reference code.

Only the standard library, NumPy and :mod:`wire` are used here, so that the sandbox can
run this file with nothing else of the course.
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # started as the sandbox worker: its import path comes first
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))] + [a for a in sys.argv[3:] if a.startswith("/")]

import ast
import io
import struct
import traceback
import warnings
from typing import Any, Callable

import numpy as np

try:  # inside the course package
    from dlcore.checks import wire
except ImportError:  # inside the sandbox: wire.py sits next to this file
    import wire  # type: ignore[no-redef]

MAX_OUTPUT = 20_000  #: characters of a student's printed output kept per step


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


_NOT_STUDENT = (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(np.__file__))


def _error(exc: BaseException) -> dict:
    """An exception as plain data: its type names, message and the student's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_NOT_STUDENT)]
    trace = "".join(traceback.format_list(frames[-8:]))
    message = str(exc)
    return {
        "type": type(exc).__name__,
        "types": [c.__name__ for c in type(exc).__mro__],
        "message": message[:2000],
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
        except Exception as exc:  # noqa: BLE001  (a student's error of any kind is reported)
            result, error = None, _error(exc)
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
        return wire.decode(wire.encode(report))
    except wire.WireError as exc:
        bad = dict(report, result=None, args=(), kwargs={})
        bad["error"] = {"type": "WireError", "types": ["WireError"], "message": str(exc).replace("the value", "the result", 1),
                        "trace": "", "module": None, "unsendable": True}
        return wire.decode(wire.encode(bad))


# --- the sandbox worker ------------------------------------------------------------------------
def read_frame(fd: int, limit: int = wire.MAX_FRAME) -> bytes:
    head = _read_exact(fd, 4)
    (n,) = struct.unpack("<I", head)
    if n > limit:
        raise wire.WireError(f"frame of {n} bytes refused")
    return _read_exact(fd, n)


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    data = struct.pack("<I", len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Channel:
    def __init__(self, rfd: int, wfd: int):
        self.rfd, self.wfd = rfd, wfd

    def send(self, message: dict) -> None:
        write_frame(self.wfd, wire.encode(message))

    def receive(self) -> dict:
        return wire.decode(read_frame(self.rfd))


def _python(source: str) -> str:
    """A cell as Python: IPython syntax (magics, shell escapes) translated as IPython would."""
    try:
        compile(source, "<cell>", "exec", ast.PyCF_ONLY_AST)
        return source
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)


class _Shell:
    """``get_ipython()`` for cells that use magics: they do nothing while grading."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    run_cell_magic = system = getoutput = run_line_magic


class Worker:
    """Serves one submission inside the sandbox (see the module docstring)."""

    def __init__(self, channel: _Channel):
        self.channel = channel
        self.out = CappedText()
        self.dlcore_refused = False  # a cell failed to import dlcore (the reference solutions)
        self.ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__, "get_ipython": _Shell}

    def _callback(self, name: str) -> Callable:
        def forwarded(*args: Any, **kwargs: Any) -> Any:
            self.channel.send({"op": "callback", "name": name, "args": args, "kwargs": kwargs})
            reply = self.channel.receive()
            if reply.get("error"):
                raise RuntimeError(f"{name}: {reply['error']}")
            # A generator the reference drew from moves on here too, as if the call were local.
            for where, state in reply.get("rng_states", {}).items():
                kind, _, key = str(where).partition(":")
                rng = args[int(key)] if kind == "arg" and key.isdigit() and int(key) < len(args) else kwargs.get(key)
                if isinstance(rng, np.random.Generator) and isinstance(state, dict):
                    try:
                        rng.bit_generator.state = state
                    except (TypeError, ValueError):
                        pass
            return reply["result"]

        forwarded.__name__ = forwarded.__qualname__ = name
        return forwarded

    def op_prelude(self, msg: dict) -> dict:
        errors = []
        for line in msg.get("imports", []):
            try:
                exec(line, self.ns)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{line}: {type(exc).__name__}: {exc}")
        for name in msg.get("provided", []):
            self.ns[name] = self._callback(name)
        return {"ok": True, "errors": errors}

    def op_exec(self, msg: dict) -> dict:
        """Run a cell statement by statement, telling the grader which one starts, so that a
        statement that never ends can be left out of a replay while the ones before it stay."""
        error = None
        upto = msg.get("upto")
        try:
            tree = compile(_python(msg["source"]), msg["label"], "exec", ast.PyCF_ONLY_AST)
            for i, stmt in enumerate(tree.body):
                if upto is not None and i >= upto:
                    break
                self.channel.send({"op": "progress", "statement": i})
                exec(compile(ast.Module([stmt], []), msg["label"], "exec"), self.ns)
        except Exception as exc:  # noqa: BLE001
            error = _error(exc)
            if str(error.get("module") or "").split(".")[0] == "dlcore":
                self.dlcore_refused = True
        return {"ok": error is None, "error": error, "output": self.out.take()}

    def op_call(self, msg: dict) -> dict:
        name = msg["name"]
        fn = self.ns.get(name)
        if fn is None or not callable(fn):
            return {"missing": True, "dlcore": self.dlcore_refused, "output": self.out.take()}
        saved = {k: self.ns.get(k) for k in msg.get("isolate", [])}
        try:
            for k in saved:
                self.ns[k] = self._callback(k)
            report = invoke(fn, tuple(msg["args"]), dict(msg["kwargs"]))
        finally:
            for k, v in saved.items():
                if v is None:
                    self.ns.pop(k, None)
                else:
                    self.ns[k] = v
        report["output"] = self.out.take()
        return plain(report)

    def serve(self) -> None:
        sys.stdout = sys.stderr = self.out
        while True:
            msg = self.channel.receive()
            op = msg.get("op")
            if op == "fork":
                pid = os.fork()
                if pid == 0:
                    self.channel.send({"op": "forked"})
                    continue
                _, status = os.waitpid(pid, 0)
                self.channel.send({"op": "ended", "status": status, "output": self.out.take()})
            elif op == "end":
                os._exit(0)
            elif op in ("prelude", "exec", "call"):
                self.channel.send(getattr(self, "op_" + op)(msg))
            else:
                os._exit(3)


# --- the zygote: NumPy loaded once, a fresh process per submission ------------------------------
#: Folders of the sandbox a submission can write to; emptied before the next submission.
SCRATCH = ("/tmp", "/dev/shm")


def _other_processes() -> list[int]:
    """Every process of the sandbox (its own PID namespace) but its init and this one."""
    me = os.getpid()
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, me):
            try:
                with open(f"/proc/{name}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        pids.append(int(name))
            except OSError:
                pass
    return pids


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_the_rest() -> bool:
    """Kill every other process of the sandbox (a submission's leftovers); True when none is left."""
    import signal
    import time

    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        _reap()
        pids = _other_processes()
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.005)
    return False


def _mount_points() -> set[str]:
    """Mount points of the sandbox (its read-only binds may sit below a scratch folder, e.g.
    when the grader's Python lives under /tmp): never removed, nor the folders above them."""
    points = set()
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                points.add(line.split()[4].replace("\\040", " "))
    except OSError:
        pass
    return points


def _remove(path: str, keep: set[str]) -> None:
    """Remove a file or a folder tree, whatever permissions the student gave it, except
    mount points and the folders that lead to them."""
    if path in keep:
        return
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            try:
                _remove(os.path.join(path, name), keep)
            except OSError:
                pass
        if not any(k.startswith(path + "/") for k in keep):
            os.rmdir(path)
    else:
        os.unlink(path)


def _leftovers(folder: str, keep: set[str]) -> list[str]:
    """What is still in ``folder`` apart from mount points and the folders leading to them."""
    left = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if path in keep:
            continue
        if os.path.isdir(path) and not os.path.islink(path) and any(k.startswith(path + "/") for k in keep):
            left += _leftovers(path, keep)
        else:
            left.append(path)
    return left


def _wipe() -> str:
    """Empty the scratch folders and check no System V IPC object is left; "" or what is dirty."""
    keep = _mount_points()
    for folder in SCRATCH:
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            try:
                _remove(os.path.join(folder, name), keep)
            except OSError:
                pass
        if _leftovers(folder, keep):
            return f"{folder} could not be emptied"
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                if len(f.read().strip().splitlines()) > 1:
                    return f"a System V {kind} object was left"
        except OSError:
            pass
    return ""


def zygote(channel: _Channel) -> None:
    """Serve submission after submission, each in a fresh child of this preloaded process.

    Before each one (the grader's ``submission`` message, which carries a random marker):
    leftovers of the previous submission are killed and its files removed; the marker is
    written raw on the channel, so that the grader skips whatever a previous submission
    left in the pipe; then a child serves the submission as :class:`Worker` and this
    process waits for it. Only used inside bubblewrap, whose PID namespace holds nothing
    but this sandbox's processes. If anything cannot be cleaned, the grader is told
    (``dirty``) and ends the whole sandbox instead of reusing it.
    """
    os.chdir("/tmp")
    while True:
        msg = channel.receive()
        if msg.get("op") != "submission":
            os._exit(3)
        dirty = "" if _kill_the_rest() else "a process of the previous submission could not be ended"
        dirty = dirty or _wipe()
        os.write(channel.wfd, bytes.fromhex(str(msg["marker"])))
        if dirty:
            channel.send({"op": "dirty", "why": dirty})
            continue
        channel.send({"op": "ready"})
        pid = os.fork()
        if pid == 0:
            Worker(channel).serve()
            os._exit(0)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = -1
        _kill_the_rest()
        # The grader may be waiting for a reply that will never come (the submission's
        # process ended: os._exit, a crash): tell it. After a normal end nobody reads this;
        # the next submission starts after its marker anyway.
        channel.send({"op": "ended", "status": status})


def main(argv: list[str]) -> None:
    """``worker.py [--zygote] RFD WFD [PATH ...]``: serve on the two inherited pipe ends."""
    as_zygote = argv[1:2] == ["--zygote"]
    if as_zygote:
        argv = argv[:1] + argv[2:]
    rfd, wfd = int(argv[1]), int(argv[2])
    # fds 0-2 go nowhere: the student's output is captured at the Python level, and
    # nothing written to a raw fd can reach the grader's channel.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    channel = _Channel(rfd, wfd)
    if as_zygote:
        zygote(channel)
    else:
        Worker(channel).serve()


if __name__ == "__main__":
    main(sys.argv)
