"""The sandbox's zygote: one preloaded process serves submission after submission, and
nothing one submission leaves behind reaches the next (files, processes, IPC objects,
bytes in the pipe)."""
from __future__ import annotations

import textwrap

import pytest

from grader.sandbox import Limits, Pool, SandboxError, bwrap_path

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed (apt-get install bubblewrap)")

LIMITS = Limits(call_timeout=5)

HOSTILE = textwrap.dedent(r'''
    import gc, os, sys, time
    open("/tmp/left.txt", "w").write("answers of student A")
    os.makedirs("/tmp/locked/inner")
    os.chmod("/tmp/locked", 0)
    open("/dev/shm/left", "w").write("x")
    out = next(o for o in gc.get_objects() if type(o).__name__ == "Channel").wfd  # the pipe to the grader
    r, w = os.pipe()
    if os.fork() == 0:          # a daemon that outlives the submission ...
        os.setsid()
        if os.fork() == 0:
            os.close(w)
            os.read(r, 1)       # ... wakes when the submission's process ends ...
            os.write(out, b"\x10\x00\x00\x00" + b"forged bytes" * 50)  # ... and writes into the pipe
            while True:
                time.sleep(0.01)
        os._exit(0)
    os.close(r)
''')

PROBE = textwrap.dedent('''
    import os
    def probe():
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
        return {"tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm")), "processes": len(procs)}
''')


def _run(box, source: str) -> dict:
    box.send({"op": "exec", "source": source, "label": "<cell>"})
    while True:
        reply = box.receive(10)
        if reply.get("op") != "progress":
            return reply


def test_zygote_serves_the_next_submission_clean():
    pool = Pool()
    try:
        first = pool.acquire(LIMITS)
        assert first.kind == "bwrap"
        assert _run(first, HOSTILE)["ok"] is True
        first.send({"op": "end"})
        pool.release(first, clean=True)

        second = pool.acquire(LIMITS)
        assert second is first, "a clean zygote is reused"
        assert _run(second, PROBE)["ok"] is True
        second.send({"op": "call", "name": "probe", "args": (), "kwargs": {}, "isolate": []})
        seen = second.receive(10)["result"]
        # (a checkout under /tmp leaves the folders that lead to its read-only binds)
        assert not {"left.txt", "locked"} & set(seen["tmp"]) and seen["shm"] == []
        assert seen["processes"] == 3, seen  # the sandbox's init, the zygote and this submission
        second.send({"op": "end"})
        pool.release(second, clean=True)
    finally:
        pool.close()


def test_a_submission_that_keeps_running_is_not_reused():
    pool = Pool()
    try:
        box = pool.acquire(LIMITS)
        box.send({"op": "exec", "source": "while True: pass", "label": "<cell>"})
        pool.release(box, clean=False)  # what the engine does after a timeout
        assert not box.alive()
        fresh = pool.acquire(LIMITS)
        assert fresh is not box and fresh.alive()
        pool.release(fresh, clean=False)
    finally:
        pool.close()


def test_a_plain_process_serves_one_submission_only():
    pool = Pool()
    try:
        box = pool.acquire(LIMITS, "process")
        assert box.kind == "process" and not box.reusable()
        with pytest.raises(SandboxError):
            box.begin_submission()
        pool.release(box, clean=True)
        assert pool.idle is None and not box.alive()
    finally:
        pool.close()


def test_a_generator_moves_on_after_a_call_the_grader_answers():
    """An answer that calls a function forwarded to the grader (here ``dropout_forward``,
    imported from dlcore by the setup cell) and then draws again must see the same
    numbers as with a local call: the generator's new state comes back with the result."""
    import numpy as np

    import dlcore
    from grader.engine import Session

    session = Session("03_initialization_regularization", "import numpy as np\nfrom dlcore import dropout_forward",
                      LIMITS)
    try:
        run = session.run_cell(0, "def two_masks(A, rng):\n"
                                  "    _, m1 = dropout_forward(A, 0.5, rng)\n"
                                  "    _, m2 = dropout_forward(A, 0.5, rng)\n"
                                  "    return m1, m2, rng.random(3)\n")
        assert run.error is None
        session.begin_exercise("two_masks")
        report = session.call("two_masks", (np.ones((4, 5)), np.random.default_rng(7)), {}, ())
        session.end_exercise()
    finally:
        session.finish()
    rng = np.random.default_rng(7)
    _, m1 = dlcore.dropout_forward(np.ones((4, 5)), 0.5, rng)
    _, m2 = dlcore.dropout_forward(np.ones((4, 5)), 0.5, rng)
    got = report["result"]
    assert np.array_equal(got[0], m1) and np.array_equal(got[1], m2)
    assert np.allclose(got[2], rng.random(3))


def test_binds_under_tmp_survive_the_wipe(tmp_path, monkeypatch):
    """When the grader's Python or packages live under /tmp (a checkout in /tmp), their
    read-only binds sit inside the sandbox's scratch /tmp: the wipe between submissions
    keeps them (and the folders above them) and removes everything else."""
    import grader.sandbox as sandbox

    extra = tmp_path / "pkgs"
    extra.mkdir()
    (extra / "marker_module.py").write_text("VALUE = 42\n")
    assert str(extra).startswith("/tmp/")
    original = sandbox._site_packages
    monkeypatch.setattr(sandbox, "_site_packages", lambda: original() + [str(extra)])
    pool = Pool()
    try:
        box = pool.acquire(LIMITS)
        # (the folders leading to a bind belong to root: writing there fails, or is wiped)
        assert _run(box, "import marker_module\nopen('/tmp/junk.txt', 'w').write('x')\n"
                         f"try:\n    open({str(tmp_path / 'junk2.txt')!r}, 'w').write('y')\nexcept OSError:\n    pass")["ok"] is True
        box.send({"op": "end"})
        pool.release(box, clean=True)
        again = pool.acquire(LIMITS)
        assert again is box, "the zygote is reused although binds sit below /tmp"
        probe = (f"import os\nimport marker_module\nleft = sorted(os.listdir({str(tmp_path)!r}))\n"
                 "def probe():\n    return [marker_module.VALUE, left, os.path.exists('/tmp/junk.txt')]\n")
        assert _run(again, probe)["ok"] is True
        again.send({"op": "call", "name": "probe", "args": (), "kwargs": {}, "isolate": []})
        assert again.receive(10)["result"] == [42, ["pkgs"], False]
        again.send({"op": "end"})
        pool.release(again, clean=True)
    finally:
        pool.close()
