"""The sandbox protocol, served by the process of one submission.

:class:`SubmissionServer` runs in the student's process: it executes the student's cells,
forks one *exercise child* per graded exercise (a fault ends only that child), and answers
``call`` requests from the grader on its two pipes, in messages of :mod:`.codec`. Calls
that an answer makes to *other* exercises, or to the functions a notebook imports from
``dlcore``, are forwarded to the grader, which computes them with the reference and sends
back plain data: the sandbox holds no reference code.

Requests (``op``): ``prelude`` (the setup cell's imports, the names forwarded to the
grader), ``exec`` (a cell, already plain Python: the grader translates IPython syntax),
``call`` (a function of the student's on plain data), ``fork`` (start an exercise child),
``end`` (end this process, or the exercise child).
"""
from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import codec
from .calls import CappedText, error_report, invoke, plain

__all__ = ["Channel", "SubmissionServer"]


class Channel:
    """Two pipe ends that carry messages of :mod:`.codec`."""

    def __init__(self, rfd: int, wfd: int):
        self.rfd, self.wfd = rfd, wfd

    def send(self, message: dict) -> None:
        codec.write_message(self.wfd, message)

    def receive(self) -> Any:
        return codec.read_message(self.rfd)


class _Shell:
    """``get_ipython()`` for cells that use magics: they do nothing while grading."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    run_cell_magic = system = getoutput = run_line_magic


class SubmissionServer:
    """Serves one submission (see the module docstring)."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.out = CappedText()
        self.dlcore_refused = False  # a cell failed to import dlcore (the reference solutions)
        self.ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__, "get_ipython": _Shell}

    def _forwarded(self, name: str) -> Callable:
        """A stand-in for ``name`` whose calls the grader answers with the reference."""
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
            except Exception as exc:
                errors.append(f"{line}: {type(exc).__name__}: {exc}")
        for name in msg.get("provided", []):
            self.ns[name] = self._forwarded(name)
        return {"ok": True, "errors": errors}

    def op_exec(self, msg: dict) -> dict:
        """Run a cell statement by statement, telling the grader which one starts, so that a
        statement that never ends can be left out of a replay while the ones before it stay."""
        error = None
        upto = msg.get("upto")
        try:
            tree = compile(msg["source"], msg["label"], "exec", ast.PyCF_ONLY_AST)
            for i, stmt in enumerate(tree.body):
                if upto is not None and i >= upto:
                    break
                self.channel.send({"op": "progress", "statement": i})
                exec(compile(ast.Module([stmt], []), msg["label"], "exec"), self.ns)
        except Exception as exc:
            error = error_report(exc)
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
                self.ns[k] = self._forwarded(k)
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
        """Answer requests until ``end``; an exercise child returns here after its fork."""
        sys.stdout = sys.stderr = self.out
        while True:
            msg = self.channel.receive()
            op = msg.get("op") if isinstance(msg, dict) else None
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
