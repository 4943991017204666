"""The sandboxed process a submission's code runs in, seen from the trusted side.

:class:`Sandbox` starts :mod:`dlcore.checks.worker` in a fresh process for one
submission and talks to it over two pipes, in frames of :mod:`dlcore.checks.wire`
(plain data, no pickle). Every read has a deadline; anything malformed, late or
oversized ends the process.

Two levels of protection:

``bwrap`` (bubblewrap, the sandbox Flatpak is built on; used whenever it is installed)
    new user, PID, network, IPC, UTS and cgroup namespaces; the student runs as
    ``nobody`` with no network; the file system holds only read-only system folders, the
    Python installation with its packages, and the two worker files, plus an empty
    scratch ``/tmp`` of its own. No repository, no ``solutions/``, no gradebook, no other
    submission, no home folder and no environment variable of the grader is visible.
    When the sandbox ends, every process in it ends (its PID namespace dies).
``process`` (fallback where bwrap is missing, e.g. an instructor's laptop)
    a separate Python process with an empty environment, its own scratch folder as
    working directory, ``dlcore`` not on its import path, and the same resource limits;
    it runs as the grader's user, so it *can* read and write what that user can (see
    docs/grading.md, "Without a sandbox").

Both apply resource limits: address space (memory), processes, file size, open files
and CPU time.
"""
from __future__ import annotations

import atexit
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlcore.checks import wire
from dlcore.checks import worker as worker_module

WORKER_FILES = (Path(worker_module.__file__).resolve(), Path(wire.__file__).resolve())
NOBODY = 65534


@dataclass
class Limits:
    """Resource limits of one submission's process (seconds, MiB, counts)."""

    call_timeout: float = 5.0         #: one call of a student's function, one cell
    submission_timeout: float = 120.0  #: everything of one submission
    memory_mb: int = 2048             #: address space of each process
    processes: int = 64               #: processes and threads (bwrap mode: of the sandbox user)
    file_mb: int = 16                 #: largest file it may write (in its scratch folder)
    open_files: int = 256


class SandboxError(RuntimeError):
    """The student's process ended, broke the protocol or ran out of time."""


class SandboxTimeout(SandboxError):
    pass


_warned_no_bwrap = False


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def mode(requested: str = "auto") -> str:
    """``"bwrap"`` or ``"process"`` for ``requested`` in auto/bwrap/process (see module docstring)."""
    global _warned_no_bwrap
    if requested not in ("auto", "bwrap", "process"):
        raise ValueError(f"sandbox must be 'auto', 'bwrap' or 'process'; got {requested!r}")
    if requested == "process":
        return "process"
    if bwrap_path():
        return "bwrap"
    if requested == "bwrap":
        raise RuntimeError("sandbox 'bwrap' requested but bubblewrap is not installed (Debian: apt-get install bubblewrap)")
    if not _warned_no_bwrap:
        _warned_no_bwrap = True
        warnings.warn(
            "bubblewrap (bwrap) is not installed: student code runs in a separate process with resource "
            "limits but WITHOUT the sandbox, so it can read and write the grader user's files. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap); docs/grading.md lists what is unprotected.",
            RuntimeWarning, stacklevel=2)
    return "process"


def _site_packages() -> list[str]:
    """The folders that hold NumPy (and IPython), for the worker's import path."""
    import numpy

    paths = {str(Path(numpy.__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"]}
    return sorted(p for p in paths if Path(p).is_dir())


def _python() -> str:
    return str(Path(sys.executable).resolve())


def _bwrap_command(rfd: int, wfd: int) -> list[str]:
    cmd = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
           "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in ("lib", "lib64", "bin", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    if Path("/etc/ld.so.cache").exists():
        cmd += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    prefix = str(Path(sys.base_prefix).resolve())
    if not prefix.startswith("/usr/"):
        cmd += ["--ro-bind", prefix, prefix]
    paths = _site_packages()
    for p in paths:
        if not p.startswith(("/usr/", prefix + "/")):
            cmd += ["--ro-bind", p, p]
    for f in WORKER_FILES:
        cmd += ["--ro-bind", str(f), f"/runner/{f.name}"]
    cmd += ["--chdir", "/tmp", "--clearenv"]
    for k, v in _worker_env("/tmp").items():
        cmd += ["--setenv", k, v]
    return cmd + [_python(), "-I", "-S", "-B", "/runner/worker.py", "--zygote", str(rfd), str(wfd), *paths]


def _worker_env(home: str) -> dict[str, str]:
    return {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLCONFIGDIR": home, "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0"}


class Sandbox:
    """One submission's worker process; use as a context manager."""

    def __init__(self, limits: Limits, kind: str = "auto"):
        self.limits, self.kind = limits, mode(kind)
        self.proc: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.submissions = 0

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        limits = self.limits

        def preexec() -> None:
            mem = limits.memory_mb * 2**20
            cpu = int(limits.submission_timeout) + 5
            for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_NPROC, limits.processes),
                               (resource.RLIMIT_FSIZE, limits.file_mb * 2**20), (resource.RLIMIT_CORE, 0),
                               (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CPU, cpu)):
                try:
                    resource.setrlimit(res, (value, value))
                except (ValueError, OSError):
                    pass
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file fails to write, nothing more

        if self.kind == "bwrap":
            cmd, cwd, env = _bwrap_command(to_child_r, from_child_w), None, {"PATH": "/usr/bin:/bin"}
        else:
            self.scratch = tempfile.mkdtemp(prefix="grader-sandbox-")
            cmd = [_python(), "-I", "-S", "-B", str(WORKER_FILES[0]), str(to_child_r), str(from_child_w), *_site_packages()]
            cwd, env = self.scratch, _worker_env(self.scratch)
        try:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(to_child_r, from_child_w),
                                         preexec_fn=preexec, start_new_session=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.wfd, self.rfd = to_child_w, from_child_r

    # -- submissions ------------------------------------------------------------------------
    def begin_submission(self, timeout: float = 10.0) -> None:
        """Make the process serve a new submission.

        A plain process serves one submission from its start. A zygote (bwrap) forks a fresh
        child for each: first this side checks, from outside, that nothing but the sandbox's
        init and the zygote is left running in it (a leftover could read the next
        submission's messages); then the zygote kills leftovers, empties the scratch folders
        and writes a random marker, and everything the pipe held before the marker (what a
        previous submission wrote and nobody read) is skipped.
        """
        self.submissions += 1
        if self.kind != "bwrap":
            if self.submissions > 1:
                raise SandboxError("a plain process serves one submission only")
            return
        if self.submissions > 1 and not self._only_zygote_left():
            raise SandboxError("a process of the previous submission is still running")
        marker = os.urandom(16)
        self.send({"op": "submission", "marker": marker.hex()})
        self._skip_to(marker, time.monotonic() + timeout)

    def reusable(self) -> bool:
        """True when the process can serve another submission (a clean zygote)."""
        return self.kind == "bwrap" and self.alive() and self._only_zygote_left()

    def _descendants(self) -> list[int]:
        """Running processes below this sandbox's bwrap process, read from /proc."""
        children: dict[int, list[int]] = {}
        running: set[int] = set()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(name))
            if fields[0] != b"Z":
                running.add(int(name))
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return [p for p in found if p in running]

    def _only_zygote_left(self, wait: float = 1.0) -> bool:
        """True once the sandbox holds just its init and the zygote (waits up to ``wait`` s)."""
        deadline = time.monotonic() + wait
        while True:
            if self.proc is None or self.proc.poll() is not None:
                return False
            if len(self._descendants()) <= 2:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def _skip_to(self, marker: bytes, deadline: float) -> None:
        """Read up to and including ``marker`` (byte by byte: nothing after it is consumed),
        then the zygote's word on the submission: ``ready``, or why it cannot serve it."""
        seen, skipped = b"", 0
        while not seen.endswith(marker):
            if skipped > 1 << 20:
                raise SandboxError("the process sent too much before starting the submission")
            seen = seen[-len(marker):] + self._read(1, deadline)
            skipped += 1
        reply = self.receive(max(0.0, deadline - time.monotonic()))
        if reply.get("op") != "ready":
            raise SandboxError(f"the sandbox cannot serve another submission ({reply.get('why', reply.get('op'))})")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """End the process and everything it started; remove its scratch folder."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait()
            for fd in (self.wfd, self.rfd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()

    # -- talking ----------------------------------------------------------------------------
    def send(self, message: dict) -> None:
        try:
            worker_module.write_frame(self.wfd, wire.encode(message))
        except (BrokenPipeError, OSError) as exc:
            raise SandboxError(f"the process is gone ({exc})") from None

    def receive(self, timeout: float) -> dict:
        """The next message, within ``timeout`` seconds; :class:`SandboxError` otherwise."""
        deadline = time.monotonic() + max(0.0, timeout)
        head = self._read(4, deadline)
        n = int.from_bytes(head, "little")
        if n > wire.MAX_FRAME:
            raise SandboxError("the process sent an oversized message")
        try:
            return wire.decode(self._read(n, deadline))
        except wire.WireError as exc:
            raise SandboxError(f"the process sent an unreadable message ({exc})") from None

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxTimeout("no answer in time")
            ready, _, _ = select.select([self.rfd], [], [], left)
            if not ready:
                raise SandboxTimeout("no answer in time")
            chunk = os.read(self.rfd, min(n - got, 1 << 20))
            if not chunk:
                raise SandboxError("the process ended")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


class Pool:
    """Reuse of sandboxes between submissions (the zygote), one process at a time.

    :meth:`acquire` gives a sandbox ready for a new submission: the idle zygote if there
    is one and it is clean, else a new one. :meth:`release` keeps a zygote whose
    submission ended cleanly, and ends anything else.
    """

    def __init__(self) -> None:
        self.idle: Sandbox | None = None

    def acquire(self, limits: Limits, kind: str = "auto") -> Sandbox:
        box, self.idle = self.idle, None
        if box is not None and (box.limits != limits or box.kind != mode(kind)):
            box.kill()
            box = None
        if box is not None:
            try:
                box.begin_submission()
                return box
            except SandboxError:
                box.kill()
        box = Sandbox(limits, kind)
        box.start()
        try:
            box.begin_submission(timeout=max(30.0, limits.call_timeout))
        except BaseException:
            box.kill()
            raise
        return box

    def release(self, box: Sandbox, clean: bool) -> None:
        if clean and box.reusable():
            if self.idle is not None:
                self.idle.kill()
            self.idle = box
        else:
            box.kill()

    def close(self) -> None:
        if self.idle is not None:
            self.idle.kill()
            self.idle = None


#: The pool of this process (grading is sequential within a process).
POOL = Pool()
atexit.register(POOL.close)
