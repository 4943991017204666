"""The sandbox's zygote: NumPy loaded once, one fresh process per submission.

Used only inside bubblewrap, whose PID namespace holds nothing but this sandbox's
processes, and only for the submissions of one assignment (the grader starts a new
sandbox for another assignment). The zygote talks to the grader on a *control socket*
that no submission ever holds:

1. the grader sends ``submission`` with two fresh pipe ends attached (``SCM_RIGHTS``);
2. the zygote kills what is left of the previous submission, empties the scratch folders,
   checks that no System V IPC object is left, and answers ``ready`` (or ``dirty``, why it
   cannot serve: the grader then ends the whole sandbox);
3. it forks the submission's process, which closes the control socket and serves the
   submission on the fresh pipes only (:class:`~.serve.SubmissionServer`);
4. when that process ends, the zygote kills its leftovers and answers ``ended`` with its
   exit status (the grader may be waiting for a reply that will never come).

The zygote never reads anything a submission can write. It is not dumpable
(``prctl(PR_SET_DUMPABLE, 0)``), so its children cannot open its ``/proc/<pid>/fd``,
``/proc/<pid>/mem`` nor trace it; the grader's seccomp filter denies ``ptrace`` and
``process_vm_writev`` in any case.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import time

from . import codec
from .serve import Channel, SubmissionServer

__all__ = ["SCRATCH", "Zygote", "make_undumpable"]

#: Folders of the sandbox a submission can write to; emptied before the next submission.
SCRATCH = ("/tmp", "/dev/shm")
_PR_SET_DUMPABLE = 4


def make_undumpable() -> None:
    """``prctl(PR_SET_DUMPABLE, 0)``: processes of the same user cannot read, write or trace this one."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


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


class Zygote:
    """Serves submission after submission on the control socket ``control_fd`` (module docstring)."""

    def __init__(self, control_fd: int):
        self.control = socket.socket(fileno=control_fd)

    def _reply(self, message: dict) -> None:
        self.control.sendall(codec.pack(message))

    def _request(self) -> tuple[dict, list[int]]:
        head, fds, _, _ = socket.recv_fds(self.control, codec.HEAD, 2)
        if len(head) < codec.HEAD:
            head += self._exact(codec.HEAD - len(head))
        return codec.decode(self._exact(codec.length(head))), fds

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.control.recv(n - len(data))
            if not chunk:
                raise EOFError("control socket closed")
            data += chunk
        return data

    def serve(self) -> None:
        make_undumpable()
        os.chdir("/tmp")
        while True:
            try:
                msg, fds = self._request()
            except (EOFError, OSError, codec.WireError):
                os._exit(0)
            if msg.get("op") != "submission" or len(fds) != 2:
                os._exit(3)
            dirty = "" if _kill_the_rest() else "a process of the previous submission could not be ended"
            dirty = dirty or _wipe()
            if dirty:
                for fd in fds:
                    os.close(fd)
                self._reply({"op": "dirty", "why": dirty})
                continue
            self._reply({"op": "ready"})
            pid = os.fork()
            if pid == 0:
                self.control.close()  # the submission holds its own two pipe ends, nothing else of ours
                os.setsid()
                SubmissionServer(Channel(*fds)).serve()
                os._exit(0)
            for fd in fds:
                os.close(fd)
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                status = -1
            _kill_the_rest()
            self._reply({"op": "ended", "status": status})
