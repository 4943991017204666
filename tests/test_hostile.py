"""Grading that one student cannot bend for another (issue 17, the sandbox's part).

Each category of attack runs with bubblewrap: reaching the zygote's control channel or
memory, leaving kernel state behind, stopping the zygote, exceeding the documented
limits as a whole (memory across processes, processes as root, scratch space), and
forging or breaking the protocol so that the trusted side does unbounded work. The
session-level tests look at one attack each; the end-to-end run grades attackers between
perfect and blank students in ONE nbgrader run and checks that every row is there, the
attacked exercise scores 0, the attacker's other exercises and every student graded after
an attacker are unchanged, and nothing outside the sandbox's scratch changed. It also
prints the grader's peak memory with hostile submissions and with perfect ones.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from notebook_helpers import with_answers

from grader import REPO, SOLUTIONS
from grader.engine import Session
from grader.notebooks import grade_id, is_answer, read
from grader.sandbox import Limits, Pool, bwrap_path

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed (apt-get install bubblewrap)")

A = "01_forward_propagation"
LIMITS = Limits(call_timeout=5)


def _exec(box, source: str) -> dict:
    box.send({"op": "exec", "source": source, "label": "<cell>"})
    while True:
        reply = box.receive(20)
        if reply.get("op") != "progress":
            return reply


def _call(box, name: str) -> dict:
    box.send({"op": "call", "name": name, "args": (), "kwargs": {}, "isolate": []})
    return box.receive(20)


def _end(pool: Pool, box) -> None:
    box.send({"op": "end"})
    pool.release(box, clean=True)


# --- a. no channel from one submission to another ------------------------------------------------
REACH = textwrap.dedent(r'''
    import ctypes, os, signal
    libc = ctypes.CDLL(None, use_errno=True)
    me = os.getpid()
    def attack():
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:  # the folder listing's own descriptor
                pass
        seen = {"own_sockets": [x for x in links if x.startswith("socket:")],
                "opened": [], "mem": [], "ptrace": [], "uid": os.getuid()}
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        for pid in others:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                fds = []
            for fd in fds:
                for flags in (os.O_WRONLY, os.O_RDONLY):
                    try:
                        f = os.open(f"/proc/{pid}/fd/{fd}", flags | os.O_NONBLOCK)
                        seen["opened"].append(f"{pid}/{fd}")
                        try:
                            os.write(f, b"\x10\x00\x00\x00" + b"forged" * 100)
                        except OSError:
                            pass
                    except OSError:
                        pass
            try:
                with open(f"/proc/{pid}/mem", "r+b") as f:
                    seen["mem"].append(pid)
            except OSError:
                pass
            if libc.syscall(101, 16, pid, 0, 0) == 0:  # PTRACE_ATTACH
                seen["ptrace"].append(pid)
        for pid in others:
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass
        return seen
''')


def test_a_submission_cannot_reach_the_zygote_nor_the_next_submission():
    pool = Pool()
    try:
        first = pool.acquire(LIMITS, assignment=A)
        assert _exec(first, REACH)["ok"] is True
        seen = _call(first, "attack")["result"]
        assert seen["own_sockets"] == [], "the submission holds a socket (the zygote's control channel?)"
        assert seen["opened"] == [] and seen["mem"] == [] and seen["ptrace"] == [], seen
        assert seen["uid"] != 0
        _end(pool, first)

        start = time.monotonic()
        second = pool.acquire(LIMITS, assignment=A)
        took = time.monotonic() - start
        assert second is first, "the zygote (stopped by the attacker, woken by the grader) serves the next submission"
        assert took < 2.0, f"the next submission waited {took:.1f} s"
        assert _exec(second, "def f():\n    return 41 + 1\n")["ok"] is True
        assert _call(second, "f")["result"] == 42
        _end(pool, second)
    finally:
        pool.close()


def test_a_zygote_serves_one_assignment_only():
    pool = Pool()
    try:
        box = pool.acquire(LIMITS, assignment=A)
        _end(pool, box)
        other = pool.acquire(LIMITS, assignment="02_backpropagation")
        assert other is not box and not box.alive()
        _end(pool, other)
    finally:
        pool.close()


KERNEL_STATE = textwrap.dedent(r'''
    import ctypes, ctypes.util, os
    libc = ctypes.CDLL(None, use_errno=True)
    def errnos():
        out = {}
        def res(name, value):
            out[name] = ctypes.get_errno() if value == -1 else 0
        res("add_key", libc.syscall(248, b"user", b"left-behind", b"secret", 6, -4))   # KEY_SPEC_USER_KEYRING
        res("keyctl", libc.syscall(250, 0, -4, 0))                                        # KEYCTL_GET_KEYRING_ID
        res("mq_open", libc.syscall(240, b"left-behind", 0o100 | 2, 0o600, None))         # O_CREAT | O_RDWR
        res("unshare", libc.syscall(272, 0x10000000))                                     # CLONE_NEWUSER
        res("ptrace", libc.syscall(101, 0, 0, 0, 0))                                      # PTRACE_TRACEME
        res("process_vm_writev", libc.syscall(311, os.getppid(), None, 0, None, 0, 0))
        return out
''')


def test_kernel_state_that_survives_a_sandbox_cannot_be_made():
    pool = Pool()
    try:
        box = pool.acquire(LIMITS, assignment=A)
        assert _exec(box, KERNEL_STATE)["ok"] is True
        got = _call(box, "errnos")["result"]
        assert got == {k: 1 for k in got}, f"not all refused with EPERM: {got}"
        _end(pool, box)
    finally:
        pool.close()


# --- c. documented limits hold for the submission as a whole, also as root ------------------------
def test_memory_is_limited_across_all_the_processes_of_a_submission():
    session = Session(A, "import numpy as np", Limits(call_timeout=10, memory_mb=400))
    try:
        run = session.run_cell(0, "import os, time\nimport numpy as np\n"
                                  "for _ in range(3):\n"
                                  "    if os.fork() == 0:\n"
                                  "        x = np.ones(200 * 2**20 // 8)\n"
                                  "        time.sleep(60)\n"
                                  "time.sleep(20)\n")
    finally:
        session.finish()
    assert run.error and "memory" in run.error["message"], run.error


def test_processes_and_scratch_space_are_limited():
    pool = Pool()
    limits = Limits(call_timeout=10, processes=24, scratch_mb=32)
    try:
        box = pool.acquire(limits, assignment=A)
        probe = textwrap.dedent('''
            import os, time
            def probe():
                forks = 0
                for _ in range(60):
                    try:
                        if os.fork() == 0:
                            time.sleep(30)
                            os._exit(0)
                        forks += 1
                    except OSError:
                        break
                written = 0
                for folder in ("/tmp", "/dev/shm"):
                    for i in range(6):
                        try:
                            with open(f"{folder}/fill{i}", "wb") as f:
                                for _ in range(15):
                                    f.write(b"x" * 2**20)
                                    f.flush()
                                    written += 1
                        except OSError:
                            pass
                return {"forks": forks, "written_mb": written, "uid": os.getuid()}
        ''')
        assert _exec(box, probe)["ok"] is True
        got = _call(box, "probe")["result"]
        pool.release(box, clean=False)
    finally:
        pool.close()
    assert got["uid"] != 0
    assert got["forks"] < 24, got
    assert got["written_mb"] <= 2 * 32 + 2, got


# --- b/d. the trusted side is bounded; a broken protocol costs one exercise ------------------------
FORGE = textwrap.dedent(r'''
    import gc, json, os, struct
    def _channel():
        return next(o for o in gc.get_objects() if type(o).__name__ == "Channel")
    def _send(raw):
        os.write(_channel().wfd, raw)
    def _frame(header, data=b""):
        raw = json.dumps(header).encode()
        body = struct.pack("<I", len(raw)) + raw + data
        return struct.pack("<I", len(body)) + body
    def junk_header():      # 8 MB of structure: refused from its header length
        raw = ("[" + "[]," * (8 * 2**20 // 3) + "[]]").encode()
        body = struct.pack("<I", len(raw)) + raw
        _send(struct.pack("<I", len(body)) + body)
    def type_error():       # a shape that is not a list
        _send(_frame({"~a": 0, "dtype": "<f8", "shape": 5}))
    def huge_function():    # 100 bytes asking the grader to draw 2**32 numbers
        _send(_frame({"~fn": "smooth", "params": {"~d": [["seed", 1], ["shape", {"~t": [65536, 65536]}]]}}))
    def huge_claim():       # a head announcing 4 GiB
        _send(b"\xff\xff\xff\xff")
    def not_a_dict():
        _send(_frame([1, 2, 3]))
''')


def test_forged_replies_cost_only_their_exercise_and_bounded_memory():
    session = Session(A, "import numpy as np", LIMITS)
    outcomes = {}
    tracemalloc.start()
    try:
        assert session.run_cell(0, FORGE + "\ndef fine():\n    return np.arange(3)\n").error is None
        for name in ("junk_header", "type_error", "huge_function", "huge_claim", "not_a_dict", "fine"):
            session.begin_exercise(name)
            started = time.monotonic()
            outcomes[name] = (session.call(name, (), {}, ()), time.monotonic() - started)
            session.end_exercise()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        session.finish()
    for name in ("junk_header", "type_error", "huge_function", "huge_claim", "not_a_dict"):
        report, took = outcomes[name]
        assert "failed" in report and "connection" in report["failed"], (name, report)
        assert took < 2.0, (name, took)
    assert np.array_equal(outcomes["fine"][0]["result"], np.arange(3))
    print(f"\ngrader memory allocated while reading forged replies: peak {peak / 2**20:.1f} MiB")
    assert peak < 3 * LIMITS.reply_mb * 2**20


def test_a_call_the_grader_answers_is_refused_above_its_size_before_any_work():
    setup = "import numpy as np\nfrom dlcore import linear_forward"
    session = Session(A, setup, LIMITS)
    try:
        assert session.run_cell(0, "def big():\n    x = np.zeros((1500, 1500))\n"
                                   "    return linear_forward(x, x, np.zeros((1500, 1)))\n").error is None
        session.begin_exercise("big")
        started = time.monotonic()
        report = session.call("big", (), {}, ())
        took = time.monotonic() - started
        session.end_exercise()
    finally:
        session.finish()
    assert report["error"]["type"] == "RuntimeError" and "at most" in report["error"]["message"], report["error"]
    assert took < 2.0


# --- the whole run: attackers between victims --------------------------------------------------------
ATTACKS = {
    # reopen every descriptor of every other process, write forged frames, SIGSTOP them all
    "b_reach": ("sigmoid", REACH + "\nattack()\n\ndef sigmoid(Z):\n    return Z\n"),
    # forge a reply of the grader's protocol from inside relu
    "d_forge": ("relu", FORGE + "\ndef relu(Z):\n    junk_header()\n    return Z\n"),
    # a daemon that waits for the end of its submission, then writes into every pipe it can find
    "f_daemon": ("leaky_relu", textwrap.dedent(r'''
        import os, time
        submission = os.getpid()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while os.path.exists(f"/proc/{submission}"):
                    time.sleep(0.005)
                for _ in range(2000):
                    for pid in os.listdir("/proc"):
                        if pid.isdigit():
                            try:
                                for fd in os.listdir(f"/proc/{pid}/fd"):
                                    try:
                                        os.write(os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK), b"\x05\x00\x00\x00forge")
                                    except OSError:
                                        pass
                            except OSError:
                                pass
                    time.sleep(0.005)
            os._exit(0)
        def leaky_relu(Z, alpha=0.01):
            return Z
        ''')),
    # kernel state and scratch left behind
    "h_leftovers": ("compute_cost", KERNEL_STATE + textwrap.dedent('''
        errnos()
        open("/tmp/answers.txt", "w").write("cost = 42")
        def compute_cost(AL, Y):
            return 42.0
        ''')),
}


def _answers() -> dict[str, str]:
    return {grade_id(c): c.source for c in read(SOLUTIONS / A / f"{A}.ipynb").cells if is_answer(c)}


def _grade(tmp: Path, students: dict, name: str) -> tuple[dict, int]:
    """Grade ``students`` in one run; (scores, peak RSS of the grading process in KiB)."""
    subs = tmp / name
    for student, nb in students.items():
        (subs / student / A).mkdir(parents=True)
        import nbformat
        nbformat.write(nb, str(subs / student / A / f"{A}.ipynb"))
    out = tmp / f"{name}.csv"
    code = ("import atexit, resource, runpy, sys\n"  # the grader ends with os._exit after its exit handlers
            "atexit.register(lambda: print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True))\n"
            f"sys.argv = ['grader', 'autograde', {str(subs)!r}, '--output', {str(out)!r}, '--timeout', '2',"
            f" '--assignment', {A!r}]\n"
            "runpy.run_module('grader', run_name='__main__')\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.is_file(), run.stdout + run.stderr
    with out.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    peak = int(next(ln.split()[1] for ln in run.stdout.splitlines() if ln.startswith("PEAK")))
    return {(s, gid): float(sc) for s, a, gid, sc, mx in rows}, peak


@pytest.mark.slow
def test_attackers_change_nothing_for_the_students_graded_after_them(tmp_path):
    if not (SOLUTIONS / A).is_dir():
        pytest.skip(f"{A} not in solutions/")
    subprocess.run([sys.executable, "-m", "grader", "release", "--course", str(tmp_path / "release"), "--assignment", A],
                   cwd=REPO, check=True, capture_output=True)
    release = read(tmp_path / "release" / A / f"{A}.ipynb")
    good = _answers()
    students = {"a_perfect": with_answers(release, good)}
    for i, (attacker, (exercise, source)) in enumerate(ATTACKS.items()):
        students[attacker] = with_answers(release, {**good, exercise: source})
        victim = chr(ord(attacker[0]) + 1) + ("_blank" if i % 2 else "_perfect")
        students[victim] = release if i % 2 else with_answers(release, good)
    sentinel = tmp_path / "outside.txt"
    sentinel.write_text("untouched")
    os.chmod(sentinel, 0o666)
    repo_state = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout

    scores, hostile_peak = _grade(tmp_path, students, "hostile")
    _, perfect_peak = _grade(tmp_path, {"a_perfect": with_answers(release, good)}, "perfect")
    print(f"\npeak RSS of the grading process: {hostile_peak / 1024:.0f} MiB with the hostile class, "
          f"{perfect_peak / 1024:.0f} MiB with one perfect student")

    cells = sorted({gid for _, gid in scores})
    full = {gid: max(scores[(s, gid)] for s in students) for gid in cells}
    assert set(scores) == {(s, gid) for s in students for gid in cells}, "a row is missing"
    for student in students:
        got = {gid: scores[(student, gid)] for gid in cells}
        if student.endswith("_perfect"):
            assert got == full, (student, got)
        elif student.endswith("_blank"):
            assert not any(got.values()), (student, got)
        else:
            attacked = f"test_{ATTACKS[student][0]}"
            assert got[attacked] == 0, (student, attacked)
            assert {g: v for g, v in got.items() if g != attacked} == {g: v for g, v in full.items() if g != attacked}, \
                (student, got)
    assert sentinel.read_text() == "untouched"
    assert subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout == repo_state
    assert hostile_peak < perfect_peak + 3 * Limits.reply_mb * 1024
