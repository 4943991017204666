"""The sandboxed process a submission's code runs in, seen from the trusted side.

:class:`Sandbox` starts the runner (:mod:`dlcore.checks.runner`, run as ``python -m
runner`` with only that folder and NumPy importable) and talks to it in messages of the
runner's codec (plain data, no pickle), read and written by the same functions on both
sides. Every read has a deadline and a size limit decided from the message's head before
anything is read; anything malformed, late or oversized ends the process.

Two levels of protection:

``bwrap`` (bubblewrap, the sandbox Flatpak is built on; used whenever it is installed)
    new PID, network, IPC, UTS and cgroup namespaces, no network; the file system holds
    only read-only system folders, the Python installation with its packages and the
    runner folder, plus a scratch ``/tmp`` and ``/dev/shm`` of :attr:`Limits.scratch_mb`
    each. No repository, no ``solutions/``, no gradebook, no other submission, no home
    folder and no environment variable of the grader is visible. A seccomp filter
    (:mod:`grader.seccomp`) denies tracing, keyrings, message queues, namespaces and
    mounts. The student runs as an unprivileged user: ``nobody`` in a user namespace when
    the grader is not root; when it is root, a user id of its own (:func:`sandbox_uid`,
    unique to the grading process) that the runner switches to before anything else, so
    that the process limit applies (root is exempt from it). When the sandbox ends, every
    process in it ends (its PID namespace dies). Its zygote (:mod:`dlcore.checks.runner.zygote`)
    serves the submissions of one assignment, one fresh process each.
``process`` (fallback where bwrap is missing, e.g. an instructor's laptop)
    a separate Python process with an empty environment, its own scratch folder as
    working directory, ``dlcore`` not on its import path, and the same resource limits;
    it runs as the grader's user, so it *can* read and write what that user can (see
    docs/grading.md, "Without a sandbox"). It serves one submission.

Both apply resource limits to each process: address space, processes, file size, open
files and CPU time; and, while the grader waits for an answer, the resident memory of
all the submission's processes together is summed every :data:`WATCH_INTERVAL` seconds
and the sandbox is ended above :attr:`Limits.memory_mb`.
"""
from __future__ import annotations

import atexit
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlcore.checks import runner
from grader import seccomp

RUNNER = Path(runner.__file__).resolve().parent  #: the folder the sandbox mounts as ``runner``
NOBODY = 65534
WATCH_INTERVAL = 0.1  #: seconds between two sums of the submission's memory
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Limits:
    """Resource limits of one submission (seconds, MiB, counts)."""

    call_timeout: float = 5.0         #: one call of a student's function, one cell
    submission_timeout: float = 120.0  #: everything of one submission
    memory_mb: int = 2048             #: address space of each process, and resident memory of all of them
    processes: int = 64               #: processes and threads of the sandbox's user
    file_mb: int = 16                 #: largest file it may write (in its scratch folder)
    open_files: int = 256
    scratch_mb: int = 64              #: size of the sandbox's /tmp, and of its /dev/shm
    reply_mb: int = 64                #: largest message the grader reads from the sandbox
    callback_mb: int = 16             #: largest arguments of a forwarded call the grader computes


class SandboxError(RuntimeError):
    """The student's process ended, broke the protocol or ran out of time."""


class SandboxTimeout(SandboxError):
    pass


class SubmissionEnded(SandboxError):
    """The submission's process ended (the zygote says so); ``status`` is its wait status."""

    def __init__(self, status: Any):
        super().__init__(status_text(status))
        self.status = status


class SandboxUnavailableWarning(UserWarning):
    """bubblewrap is not installed: student code runs in a plain process (docs/grading.md)."""


def status_text(status: Any) -> str:
    """A wait status in words."""
    if not isinstance(status, int) or status < 0:
        return "unknown status"
    if status & 0x7F:
        sig = status & 0x7F
        return {9: "killed, e.g. out of memory", 11: "segmentation fault", 6: "aborted"}.get(sig, f"signal {sig}")
    return f"exit code {status >> 8}"


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
        with warnings.catch_warnings():  # shown whatever the filters say, never an error: grading goes on
            warnings.simplefilter("always", SandboxUnavailableWarning)
            warnings.warn(
                "bubblewrap (bwrap) is not installed: student code runs in a separate process with resource "
                "limits but WITHOUT the sandbox, so it can read and write the grader user's files. Install it "
                "(Debian/Ubuntu: apt-get install bubblewrap); docs/grading.md lists what is unprotected.",
                SandboxUnavailableWarning, stacklevel=2)
    return "process"


def sandbox_uid() -> int:
    """The user (and group) id a root grader's sandbox runs as: unused by any account and
    unique to this grading process, so that its process limit counts only its own sandbox."""
    return 2**30 + os.getpid()


def _site_packages() -> list[str]:
    """The folders that hold NumPy, for the runner's import path."""
    import numpy

    paths = {str(Path(numpy.__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"]}
    return sorted(p for p in paths if Path(p).is_dir())


def _python() -> str:
    return str(Path(sys.executable).resolve())


def _runner_env(home: str, runner_parent: str) -> dict[str, str]:
    return {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLCONFIGDIR": home, "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join([runner_parent] + _site_packages())}


#: ``-P``: no script folder or working directory on the import path; ``-s -S``: no site
#: packages but those of PYTHONPATH; ``-B``: nothing written.
_PYTHON_FLAGS = ("-P", "-s", "-S", "-B")


def _bwrap_command(control_fd: int, seccomp_fd: int | None, limits: Limits) -> list[str]:
    as_root = os.geteuid() == 0
    cmd = [bwrap_path(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if as_root:  # no user namespace (it would map the student to root outside); the runner drops to sandbox_uid()
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    scratch = str(limits.scratch_mb * 2**20)
    cmd += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", scratch, "--tmpfs", "/tmp",
            "--perms", "1777", "--size", scratch, "--tmpfs", "/dev/shm"]
    for link in ("lib", "lib64", "bin", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    if Path("/etc/ld.so.cache").exists():
        cmd += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    prefix = str(Path(sys.base_prefix).resolve())
    binds = [prefix] if not prefix.startswith("/usr/") else []
    binds += [p for p in _site_packages() if not p.startswith(("/usr/", prefix + "/"))]
    made: set[str] = {"/", "/usr", "/tmp", "/dev", "/proc"}
    for p in binds + ["/sandbox/runner"]:
        for parent in reversed(Path(p).parents):  # readable by the student's user, whatever the host's are
            if str(parent) not in made:
                made.add(str(parent))
                cmd += ["--perms", "0755", "--dir", str(parent)]
    for p in binds:
        cmd += ["--ro-bind", p, p]
    cmd += ["--ro-bind", str(RUNNER), "/sandbox/runner", "--chdir", "/tmp", "--clearenv"]
    for k, v in _runner_env("/tmp", "/sandbox").items():
        cmd += ["--setenv", k, v]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += [_python(), *_PYTHON_FLAGS, "-m", "runner", "zygote", str(control_fd)]
    return cmd + ([str(sandbox_uid())] if as_root else [])


_runner_link: str | None = None


def _runner_parent() -> str:
    """A folder holding only ``runner`` (a link to the runner folder), for the plain process's path."""
    global _runner_link
    if _runner_link is None:
        folder = tempfile.mkdtemp(prefix="grader-runner-")
        os.symlink(RUNNER, os.path.join(folder, "runner"))
        atexit.register(shutil.rmtree, folder, True)
        _runner_link = folder
    return _runner_link


def _seccomp_fd() -> int | None:
    """A pipe's read end holding the seccomp program (bwrap reads it), or None off x86_64/aarch64."""
    if not seccomp.supported():
        return None
    r, w = os.pipe()
    os.write(w, seccomp.filter_program())
    os.close(w)
    return r


class Sandbox:
    """The process(es) of one assignment's submissions; use as a context manager."""

    def __init__(self, limits: Limits, kind: str = "auto", assignment: str = ""):
        self.limits, self.kind, self.assignment = limits, mode(kind), assignment
        self.proc: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.control: socket.socket | None = None  # to the zygote (bwrap); no submission holds it
        self.rfd = self.wfd = -1                     # the current submission's pipes
        self.submissions = 0
        self._watched = 0.0

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
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

        passed: list[int] = []
        if self.kind == "bwrap":
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            filt = _seccomp_fd()
            passed = [theirs.fileno()] + ([filt] if filt is not None else [])
            cmd, cwd, env = _bwrap_command(theirs.fileno(), filt, limits), None, {"PATH": "/usr/bin:/bin"}
            self.control = ours
        else:
            self.scratch = tempfile.mkdtemp(prefix="grader-sandbox-")
            to_r, self.wfd = os.pipe()
            self.rfd, from_w = os.pipe()
            passed = [to_r, from_w]
            cmd = [_python(), *_PYTHON_FLAGS, "-m", "runner", "serve", str(to_r), str(from_w)]
            cwd, env = self.scratch, _runner_env(self.scratch, _runner_parent())
        try:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=passed, preexec_fn=preexec,
                                         start_new_session=True)
        finally:
            for fd in passed:
                os.close(fd)
            if self.kind == "bwrap":
                theirs.detach()

    # -- submissions ------------------------------------------------------------------------
    def begin_submission(self, timeout: float = 10.0) -> None:
        """Make the process serve a new submission, on pipes of its own.

        A plain process serves one submission from its start. A zygote (bwrap) forks a fresh
        process for each: first this side checks, from outside, that nothing but the sandbox's
        init and the zygote is left running in it, and wakes the zygote should a submission
        have stopped it; then it hands the zygote two new pipe ends on the control socket.
        Nothing of a previous submission can reach these pipes.
        """
        self.submissions += 1
        if self.kind != "bwrap":
            if self.submissions > 1:
                raise SandboxError("a plain process serves one submission only")
            return
        if self.submissions > 1 and not self._only_zygote_left():
            raise SandboxError("a process of the previous submission is still running")
        self._close_pipes()
        for pid in self._descendants():  # a zygote stopped by the previous submission goes on
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        try:
            socket.send_fds(self.control, [runner.pack({"op": "submission"})], [to_r, from_w])
        except OSError as exc:
            raise SandboxError(f"the sandbox is gone ({exc})") from None
        finally:
            os.close(to_r)
            os.close(from_w)
        self.wfd, self.rfd = to_w, from_r
        deadline = time.monotonic() + timeout
        while True:
            reply = self._control_message(deadline)
            if reply.get("op") == "ready":
                return
            if reply.get("op") != "ended":  # the end of the previous submission, told late
                raise SandboxError(f"the sandbox cannot serve another submission ({reply.get('why', reply.get('op'))})")

    def _control_message(self, deadline: float) -> dict:
        """The zygote's next word on the control socket (small messages only)."""
        try:
            head = self._read_from(self.control.fileno(), runner.HEAD, deadline)
            message = runner.decode(self._read_from(self.control.fileno(), runner.length(head, 2**16), deadline))
        except runner.WireError as exc:
            raise SandboxError(f"the zygote sent an unreadable message ({exc})") from None
        if not isinstance(message, dict):
            raise SandboxError("the zygote sent a message that is not a dict")
        return message

    def reusable(self) -> bool:
        """True when the process can serve another submission (a clean zygote)."""
        return self.kind == "bwrap" and self.alive() and self._only_zygote_left()

    def _processes(self) -> dict[int, tuple[int, bytes]]:
        """pid -> (parent, state) of every process, read from /proc."""
        table = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            table[int(name)] = (int(fields[1]), fields[0])
        return table

    def _descendants(self) -> list[int]:
        """Running processes below this sandbox's first process."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        table = self._processes()
        for pid, (parent, _) in table.items():
            children.setdefault(parent, []).append(pid)
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return [p for p in found if table[p][1] != b"Z"]

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

    def memory_mb(self) -> float:
        """Resident memory of all the sandbox's processes together, MiB."""
        pids = ([self.proc.pid] if self.proc else []) + self._descendants()
        total = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
        return total * _PAGE / 2**20

    def _watch(self) -> None:
        """End the sandbox when its processes together hold more than the memory limit."""
        now = time.monotonic()
        if now - self._watched < WATCH_INTERVAL:
            return
        self._watched = now
        used = self.memory_mb()
        if used > self.limits.memory_mb:
            self.kill()
            raise SandboxError(f"its processes together used more than {self.limits.memory_mb} MiB of memory "
                               f"({used:.0f} MiB), so the sandbox was ended")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _close_pipes(self) -> None:
        for fd in (self.wfd, self.rfd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.wfd = self.rfd = -1

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
            self.proc = None
        self._close_pipes()
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()

    # -- talking ----------------------------------------------------------------------------
    def send(self, message: dict) -> None:
        try:
            runner.write_message(self.wfd, message)
        except OSError as exc:
            raise SandboxError(f"the process is gone ({exc})") from None

    def receive(self, timeout: float) -> dict:
        """The next message (a dict), within ``timeout`` seconds and :attr:`Limits.reply_mb`
        (checked from its head, before reading it); :class:`SandboxError` otherwise."""
        deadline = time.monotonic() + max(0.0, timeout)
        limit = self.limits.reply_mb * 2**20
        try:
            n = runner.length(self._read(runner.HEAD, deadline), limit)
            message = runner.decode(self._read(n, deadline))
        except runner.WireError as exc:
            raise SandboxError(f"the process sent an unreadable message ({exc})") from None
        if not isinstance(message, dict):
            raise SandboxError("the process sent a message that is not a dict")
        return message

    def _read(self, n: int, deadline: float) -> bytes:
        return self._read_from(self.rfd, n, deadline, submission=True)

    def _read_from(self, fd: int, n: int, deadline: float, submission: bool = False) -> bytes:
        """``n`` bytes of ``fd`` before ``deadline``. While a submission is served, the zygote's
        word that its process ended ends the wait, and its memory is watched."""
        watch = [fd] + ([self.control.fileno()] if submission and self.control is not None else [])
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxTimeout("no answer in time")
            ready, _, _ = select.select(watch, [], [], min(left, WATCH_INTERVAL))
            if not ready:
                self._watch()
                continue
            if fd not in ready:  # the control socket: the submission's process ended
                reply = self._control_message(deadline)
                raise SubmissionEnded(reply.get("status")) if reply.get("op") == "ended" else \
                    SandboxError(f"the sandbox said {reply.get('op')!r}")
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise SandboxError("the process ended")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


class Pool:
    """Reuse of a sandbox between the submissions of one assignment (the zygote), one at a time.

    :meth:`acquire` gives a sandbox ready for a new submission: the idle zygote if there
    is one for the same assignment, limits and kind and it is clean, else a new one.
    :meth:`release` keeps a zygote whose submission ended cleanly, and ends anything else.
    """

    def __init__(self) -> None:
        self.idle: Sandbox | None = None

    def acquire(self, limits: Limits, kind: str = "auto", assignment: str = "") -> Sandbox:
        box, self.idle = self.idle, None
        if box is not None and (box.limits != limits or box.kind != mode(kind) or box.assignment != assignment):
            box.kill()
            box = None
        if box is not None:
            try:
                box.begin_submission()
                return box
            except SandboxError:
                box.kill()
        box = Sandbox(limits, kind, assignment)
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

    def forget(self) -> None:
        """In a forked child (a local grading worker): drop the parent's idle sandbox without
        ending it (it is the parent's); the child starts its own."""
        if self.idle is not None:
            self.idle.proc = None  # not ours to kill or wait for
            self.idle.kill()
            self.idle = None


#: The pool of this process (grading is sequential within a process).
POOL = Pool()
atexit.register(POOL.close)
os.register_at_fork(after_in_child=POOL.forget)
