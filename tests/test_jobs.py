"""Grading as jobs (grader/jobs.py) gives exactly the grades of grading in one process.

One class of made-up students of 01_forward_propagation (perfect, blank, partly wrong,
hostile, unreadable) is graded once the plain way (``--jobs 1``: the baseline), then
again on two local worker processes (``--jobs 2``), on a Dask ``LocalCluster`` of two
worker processes (``--scheduler``), and on such a cluster one of whose workers is
killed (SIGKILL) while it grades a job. Every time, the CSV rows, the flags and the
feedback pages must be those of the baseline.
"""
from __future__ import annotations

import csv
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import cell_by_grade_id, with_answers

from grader import COURSE, REPO, SOLUTIONS
from grader.notebooks import grade_cells, grade_id, is_answer, read

pytestmark = pytest.mark.slow

A = "01_forward_propagation"
TIMEOUT = 2  # seconds per call of a student's function, for the looping student; correct calls take ms

if not (SOLUTIONS / A).is_dir() or not (COURSE / A / f"{A}.ipynb").is_file():
    pytest.skip(f"{A} not in solutions/ and course/ yet", allow_module_level=True)


# --- the class ----------------------------------------------------------------------------------
def _answers() -> dict[str, str]:
    return {grade_id(c): c.source for c in read(SOLUTIONS / A / f"{A}.ipynb").cells if is_answer(c)}


def _class() -> dict[str, object]:
    """student -> notebook (or raw text for a file that is not a notebook)."""
    release = read(COURSE / A / f"{A}.ipynb")  # what students download (kept fresh by test_release)
    good = _answers()
    meddler = with_answers(release, good)
    cell_by_grade_id(meddler, "test_sigmoid").metadata.nbgrader.update(points=10, locked=False)
    return {
        "perfect": with_answers(release, good),
        "odd name, Zoë": with_answers(release, good),
        "blank": release,
        "partly wrong": with_answers(release, {
            **good,
            "sigmoid": "def sigmoid(Z):\n    return Z\n",
            "compute_cost": "def compute_cost(AL, Y):\n    return float(-np.sum(Y * np.log(AL)))\n",  # no / m
        }),
        "exits": with_answers(release, {**good, "relu": "import os\n\ndef relu(Z):\n    os._exit(1)\n"}),
        "loops": with_answers(release, {**good, "leaky_relu": "def leaky_relu(Z, alpha=0.01):\n    while True:\n        pass\n"}),
        "cell crash": with_answers(release, {**good, "relu": good["relu"] + "\nimport os\nos._exit(1)\n"}),
        "meddler": meddler,
        "broken": "{this is not a notebook",
    }


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    students = _class()
    for student, nb in students.items():
        folder = root / "submissions" / student / A
        folder.mkdir(parents=True)
        if isinstance(nb, str):
            (folder / f"{A}.ipynb").write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, str(folder / f"{A}.ipynb"))
    return {"root": root, "submissions": root / "submissions", "students": sorted(students)}


# --- running and reading ------------------------------------------------------------------------
def _cli(klass, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``python -m grader autograde`` on the class, with a scratch HOME, this repository's grader."""
    (out / "home").mkdir(parents=True)
    env = {**os.environ, "HOME": str(out / "home"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    run = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", str(klass["submissions"]), "--output", str(out / "grades.csv"),
         "--assignment", A, "--timeout", str(TIMEOUT), *extra],
        cwd=out, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def _outputs(out: Path, students: list[str]) -> dict:
    with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
        grades = list(csv.reader(f))
    with (out / "flags.csv").open(newline="", encoding="utf-8") as f:
        flags = list(csv.reader(f))
    no_feedback = [s for s in students if not (out / "feedback" / s / A / f"{A}.html").is_file()]
    assert not no_feedback, f"students without feedback HTML: {no_feedback}"
    return {"header": grades[0], "grades": sorted(grades[1:]), "flags": flags}


def _assert_same(got: dict, want: dict) -> None:
    assert got["header"] == want["header"]
    assert got["grades"] == want["grades"]
    assert got["flags"] == want["flags"]


@pytest.fixture(scope="module")
def baseline(klass):
    """Graded in one process (``--jobs 1``), checked against what each student deserves."""
    out = klass["root"] / "sequential"
    _cli(klass, out, "--jobs", "1")
    result = _outputs(out, klass["students"])
    cells = dict(grade_cells(read(SOLUTIONS / A / f"{A}.ipynb")))
    scores = {(s, gid): (float(sc), float(mx)) for s, a, gid, sc, mx in result["grades"]}
    assert {s for s, _ in scores} == set(klass["students"])
    assert len(scores) == len(result["grades"]) == len(klass["students"]) * len(cells), "missing or duplicate rows"

    def zeroed(student):
        return {gid.removeprefix("test_") for gid, pts in cells.items() if scores[(student, gid)] == (0.0, pts)}

    def full(student):
        return {gid.removeprefix("test_") for gid, pts in cells.items() if scores[(student, gid)] == (pts, pts)}

    everything = {gid.removeprefix("test_") for gid in cells}
    assert full("perfect") == full("odd name, Zoë") == full("meddler") == everything
    assert zeroed("blank") == zeroed("broken") == everything
    assert zeroed("partly wrong") == {"sigmoid", "compute_cost"} == everything - full("partly wrong")
    assert zeroed("exits") == {"relu"} == everything - full("exits")
    assert zeroed("loops") == {"leaky_relu"} == everything - full("loops")
    flagged = {s for s, *_ in result["flags"][1:]}
    assert {"exits", "loops", "meddler"} <= flagged and "perfect" not in flagged
    return result


# --- local worker processes ---------------------------------------------------------------------
def test_two_local_jobs_grade_exactly_like_one(klass, baseline):
    out = klass["root"] / "jobs2"
    _cli(klass, out, "--jobs", "2")
    _assert_same(_outputs(out, klass["students"]), baseline)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_solution_that_fails_its_own_tests_stops_the_run_before_any_grade(klass, tmp_path, jobs):
    """The canary: with workers, the coordinator grades it while they grade the students;
    either way nothing is written and the instructor reads which test the solution failed."""
    source = tmp_path / "source"
    shutil.copytree(SOLUTIONS / A, source / A)
    path = source / A / f"{A}.ipynb"
    nb = read(path)
    next(c for c in nb.cells if is_answer(c) and grade_id(c) == "sigmoid").source = "def sigmoid(Z):\n    return Z\n"
    nbformat.write(nb, str(path))
    out = tmp_path / "out"
    (out / "home").mkdir(parents=True)
    env = {**os.environ, "HOME": str(out / "home"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    run = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", str(klass["submissions"]), "--output", str(out / "grades.csv"),
         "--assignment", A, "--source", str(source), "--timeout", str(TIMEOUT), "--jobs", jobs],
        cwd=out, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the solution notebook itself did not get full marks" in run.stderr
    assert "test_sigmoid scored 0/" in run.stderr, run.stderr
    assert not (out / "grades.csv").exists() and not (out / "feedback").exists()


# --- Dask ---------------------------------------------------------------------------------------
@contextmanager
def _dask_cluster(tmp: Path):
    """A LocalCluster of two single-threaded worker processes that import this repository's
    grader; yields (cluster, a client of the test's own, not the default client)."""
    from distributed import Client, LocalCluster

    saved = dict(os.environ)  # the nannies also put their pre-spawn variables into this process's environment
    # Spawned workers (the first ones, and those the nannies restart) inherit the environment:
    # this repository first on their path, and their temporary files (private courses) in tmp.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), saved.get("PYTHONPATH", "")) if p)
    os.environ["TMPDIR"] = str(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, \
                Client(cluster, set_as_default=False) as client:  # not the default: the grader must find its own
            files = client.run(lambda: __import__("grader").__file__)
            assert len(files) == 2 and {Path(f).resolve() for f in files.values()} == {REPO / "grader" / "__init__.py"}, files
            try:
                yield cluster, client
            finally:
                try:  # end the workers' private courses (their folders) before the workers go
                    client.run(lambda: __import__("grader.jobs", fromlist=["close_warm"]).close_warm(), on_error="ignore")
                except Exception:
                    pass
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _warm_courses(client) -> dict[str, list]:
    """Worker address -> the assignments of its warm private courses (the jobs it ran)."""
    return client.run(lambda: [key[1] for key in __import__("grader.jobs", fromlist=["_WARM"])._WARM])


def test_dask_cluster_grades_exactly_like_one_process(klass, baseline, tmp_path):
    with _dask_cluster(tmp_path / "worker-tmp") as (cluster, client):
        out = klass["root"] / "dask"
        _cli(klass, out, "--scheduler", cluster.scheduler_address)
        _assert_same(_outputs(out, klass["students"]), baseline)
        assert [A] in _warm_courses(client).values(), "no job ran on the Dask workers"


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class _Killer(threading.Thread):
    """SIGKILLs the process of the first Dask worker seen grading a job for ``after`` seconds
    (a cold worker's first job takes several seconds: it is killed in the middle of it)."""

    def __init__(self, client, after: float = 1.0, give_up: float = 150.0):
        super().__init__(daemon=True)
        self.client, self.after, self.give_up = client, after, give_up
        self.done = threading.Event()
        self.killed: dict | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._hunt()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _hunt(self) -> None:
        def executing(dask_worker):
            return [str(ts.key) for ts in dask_worker.state.executing]

        since: dict[tuple[str, str], float] = {}
        deadline = time.monotonic() + self.give_up
        while not self.done.is_set() and time.monotonic() < deadline:
            try:
                running = self.client.run(executing, on_error="ignore")
            except Exception:
                running = {}
            now = time.monotonic()
            for addr, keys in running.items():
                for key in keys:
                    if not key.startswith("grade_chunk"):
                        continue
                    if now - since.setdefault((addr, key), now) < self.after:
                        continue
                    pid = self.client.run(os.getpid, workers=[addr])[addr]
                    if key not in self.client.run(executing, workers=[addr])[addr]:
                        continue  # it just finished: wait for another
                    sandbox = _descendants(pid)
                    os.kill(pid, signal.SIGKILL)
                    self.killed = {"address": addr, "pid": pid, "key": key, "sandbox": sandbox}
                    return
            self.done.wait(0.2)


def test_a_dask_worker_killed_mid_job_loses_nothing(klass, baseline, tmp_path):
    from grader.autograde import autograde

    with _dask_cluster(tmp_path / "worker-tmp") as (cluster, client):
        before = set(client.scheduler_info()["workers"])
        killer = _Killer(client)
        killer.start()
        out = tmp_path / "out"
        try:
            subs = autograde(klass["submissions"], out / "grades.csv", [A], timeout=TIMEOUT,
                             scheduler=cluster.scheduler_address)
        finally:
            killer.done.set()
            killer.join(30)
        assert killer.error is None, repr(killer.error)
        killed = killer.killed
        assert killed, "no worker was seen grading a job, so none was killed"

        # the job really was cut on the killed worker, then graded to the end elsewhere
        story = client.run_on_scheduler(
            lambda dask_scheduler, key=killed["key"]: [(t[1], t[2]) for t in dask_scheduler.story(key)])
        moves = [(start, finish) for start, finish in story if start == "processing"]
        assert moves and moves[0][1] not in ("memory", "erred"), story  # taken back from the dead worker
        assert ("processing", "memory") in moves[1:], story
        assert not _alive(killed["pid"])
        deadline = time.monotonic() + 20  # the sandbox of the killed worker died with it
        while any(_alive(p) for p in killed["sandbox"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in killed["sandbox"] if _alive(p)], "processes of the killed worker outlived it"
        deadline = time.monotonic() + 60  # its nanny started a new worker in its place
        while time.monotonic() < deadline:
            now = set(client.scheduler_info()["workers"])
            if len(now) == 2 and killed["address"] not in now:
                break
            time.sleep(0.2)
        assert killed["address"] in before and killed["address"] not in now and len(now) == 2, (before, now)

    assert all(s.status in ("graded", "unreadable") for s in subs), [(s.student, s.status, s.notes) for s in subs]
    _assert_same(_outputs(out, klass["students"]), baseline)
