"""Hostile submission folders: the grader finishes, every row is there, nothing leaks.

One ``python -m grader autograde`` run (CSV mode) over a class of attacks on the inputs
(grader.inputs): symbolic links to a FIFO, to a classmate's notebook and to an instructor
file; a FIFO itself; a sparse 768 MiB ``timestamp.txt``; an unparseable one; control
characters in a folder name and in a grade id; 1 MB of added code cells. And the unit
rules of grader.inputs, without nbgrader.
"""
from __future__ import annotations

import csv
import html
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader import REPO, SOLUTIONS
from grader.inputs import InputError, printable, read_regular, read_timestamp
from grader.notebooks import grade_cells, grade_id, is_answer, read

A = "01_forward_propagation"
SECRET = "INSTRUCTOR-ONLY-7f3a"
ESCAPED = "evil\x1b[31mname"


# --- grader.inputs on its own ---------------------------------------------------------------------
def test_read_regular_refuses_links_special_files_and_large_files(tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "link").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "ok").write_bytes(b"x" * 100)
    assert read_regular(tmp_path / "ok", 100) == b"x" * 100
    for name, message in (("link", "symbolic link"), ("fifo", "a FIFO"), ("big", "101 bytes, over the limit of 100")):
        with pytest.raises(InputError, match=message) as err:
            read_regular(tmp_path / name, 100)  # never blocks on the FIFO
        assert SECRET not in str(err.value)


def test_read_timestamp_reports_without_quoting(tmp_path):
    assert read_timestamp(tmp_path / "timestamp.txt") == (None, "")
    (tmp_path / "timestamp.txt").write_text(f"tomorrow {SECRET}")
    stamp, problem = read_timestamp(tmp_path / "timestamp.txt")
    assert stamp is None and "without a late-penalty decision" in problem and SECRET not in problem
    (tmp_path / "timestamp.txt").write_text("2026-12-15 10:00:00.000000 UTC\n")
    assert read_timestamp(tmp_path / "timestamp.txt") == ("2026-12-15 10:00:00.000000 UTC", "")


def test_printable_shows_control_characters_as_escapes():
    assert printable("a\x1b[31mb\nc\u202ed\te") == "a\\x1b[31mb\\nc\\u202ed\\te"
    assert printable("line\nnext", keep="\n") == "line\nnext"
    assert printable("Zoë Ñandú, glob[*]?") == "Zoë Ñandú, glob[*]?"


# --- a whole run ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inputs")
    release = read(SOLUTIONS / A / f"{A}.ipynb")
    answers = {grade_id(c): c.source for c in release.cells if is_answer(c)}
    subs = tmp / "submissions"

    def folder(student: str) -> Path:
        path = subs / student / A
        path.mkdir(parents=True)
        return path

    nbformat.write(release, str(folder("good") / f"{A}.ipynb"))  # the solution: full marks
    os.mkfifo(tmp / "pipe")
    (folder("fifo-link") / f"{A}.ipynb").symlink_to(tmp / "pipe")
    os.mkfifo(folder("fifo") / f"{A}.ipynb")
    (folder("copycat") / f"{A}.ipynb").symlink_to(subs / "good" / A / f"{A}.ipynb")
    (tmp / "instructor.txt").write_text(SECRET * 10)
    (folder("leak") / f"{A}.ipynb").symlink_to(tmp / "instructor.txt")
    stamp = folder("bigstamp")
    nbformat.write(release, str(stamp / f"{A}.ipynb"))
    with open(stamp / "timestamp.txt", "wb") as f:
        f.truncate(768 * 1024 * 1024)  # sparse: costs no disk
    bad = folder("badstamp")
    nbformat.write(release, str(bad / f"{A}.ipynb"))
    (bad / "timestamp.txt").write_text(f"when I felt like it {SECRET}")
    nbformat.write(release, str(folder(ESCAPED) / f"{A}.ipynb"))
    evil = nbformat.v4.new_code_cell("x = 1")
    evil.metadata["nbgrader"] = {"grade": True, "grade_id": "gid\x1b]0;pwned\x07", "points": 5, "solution": False,
                                 "locked": False, "schema_version": 3}
    extra = read(SOLUTIONS / A / f"{A}.ipynb")
    extra.cells.append(evil)
    nbformat.write(extra, str(folder("evilgid") / f"{A}.ipynb"))
    big = read(SOLUTIONS / A / f"{A}.ipynb")
    big.cells += [nbformat.v4.new_code_cell(f"# padding {i}\n" + "x = 1  # " + "y" * 1000 + "\n") for i in range(1000)]
    nbformat.write(big, str(folder("bigcells") / f"{A}.ipynb"))
    del answers

    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "autograde", str(subs), "--output", str(tmp / "out" / "grades.csv")],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    with (tmp / "out" / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (tmp / "out" / "flags.csv").open(newline="", encoding="utf-8") as f:
        flags = list(csv.DictReader(f))
    return {"run": run, "rows": rows, "flags": flags, "out": tmp / "out", "took": took}


def _total(attacked, student: str) -> float:
    return sum(float(r["score"]) for r in attacked["rows"] if r["student"] == student)


FULL = sum(p for _, p in grade_cells(read(SOLUTIONS / A / f"{A}.ipynb")))
STUDENTS = ("good", "fifo-link", "fifo", "copycat", "leak", "bigstamp", "badstamp", printable(ESCAPED), "evilgid",
            "bigcells")


@pytest.mark.slow
def test_every_student_has_every_row_and_nothing_leaks(attacked):
    cells = len(grade_cells(read(SOLUTIONS / A / f"{A}.ipynb")))
    for s in STUDENTS:
        assert sum(r["student"] == s for r in attacked["rows"]) == cells, s
    everything = attacked["run"].stdout + attacked["run"].stderr
    for path in attacked["out"].rglob("*"):
        if path.is_file():
            everything += path.read_text(encoding="utf-8", errors="replace")
    assert SECRET not in everything
    assert "\x1b" not in everything and "\x07" not in everything


@pytest.mark.slow
def test_links_and_special_files_are_reported_and_not_graded(attacked):
    stderr = attacked["run"].stderr
    for s in ("fifo-link", "copycat", "leak"):
        assert _total(attacked, s) == 0, s
        assert f"{s} / {A}: unreadable: {A}.ipynb unreadable (a symbolic link, not a file" in stderr, stderr
    assert f"fifo / {A}: unreadable: {A}.ipynb unreadable (a FIFO, not a file" in stderr, stderr
    assert _total(attacked, "good") == FULL


@pytest.mark.slow
def test_a_bad_or_huge_timestamp_is_reported_and_the_work_graded(attacked):
    for s in ("bigstamp", "badstamp"):
        assert _total(attacked, s) == FULL, s
        assert any(r["student"] == s and "without a late-penalty decision" in r["reason"] for r in attacked["flags"]), s
    assert "over the limit of 1024" in attacked["run"].stderr


@pytest.mark.slow
def test_student_made_names_are_escaped(attacked):
    assert _total(attacked, printable(ESCAPED)) == FULL
    assert printable(ESCAPED) in attacked["run"].stdout
    assert "gid\\x1b]0;pwned\\x07" in [r["grade_id"] for r in attacked["flags"] if r["student"] == "evilgid"]
    assert "FLAG evilgid / 01_forward_propagation gid\\x1b]0;pwned\\x07: extra graded cell" in attacked["run"].stderr
    assert (attacked["out"] / "feedback" / ESCAPED / A / f"{A}.html").is_file()  # the folder keeps its real name


@pytest.mark.slow
def test_added_cells_are_capped_and_the_feedback_says_so(attacked):
    assert _total(attacked, "bigcells") == FULL
    assert any(r["student"] == "bigcells" and "over the limit" in r["reason"] for r in attacked["flags"])
    page = html.unescape((attacked["out"] / "feedback" / "bigcells" / A / f"{A}.html").read_text(encoding="utf-8"))
    assert "were neither run nor shown here" in page
    assert page.count("# padding") <= 60
    assert attacked["took"] < 300


@pytest.mark.slow
def test_a_term_course_survives_the_same_attacks(tmp_path):
    """``autograde --course-dir``: nbgrader's own import never opens the student's files (a
    FIFO beside the notebook, a bad timestamp.txt), a linked notebook gets its 0 with the
    reason, and nothing of a file's content is printed."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": os.pathsep.join((str(bin_dir), os.environ.get("PATH", "")))}

    def grader(*args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=REPO, capture_output=True,
                              text=True, env=env, timeout=900)

    course = tmp_path / "course"
    assert grader("init", course, "--assignment", A).returncode == 0
    solution = read(SOLUTIONS / A / f"{A}.ipynb")
    answers = {grade_id(c): c.source for c in solution.cells if is_answer(c)}
    answered = read(course / "release" / A / f"{A}.ipynb")
    for cell in answered.cells:
        if is_answer(cell):
            cell.source = answers[grade_id(cell)]

    def folder(student: str) -> Path:
        path = course / "submitted" / student / A
        path.mkdir(parents=True)
        return path

    os.mkfifo(tmp_path / "pipe")
    (folder("linked") / f"{A}.ipynb").symlink_to(tmp_path / "pipe")
    stamp = folder("stamp")
    nbformat.write(answered, str(stamp / f"{A}.ipynb"))
    (stamp / "timestamp.txt").write_text(f"yesterday-ish {SECRET}")
    piped = folder("piped")
    nbformat.write(answered, str(piped / f"{A}.ipynb"))
    os.mkfifo(piped / "data.bin")  # nbgrader's import would wait on it forever

    run = grader("autograde", "--course-dir", course)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "graded 3, unchanged 0, not graded 0, unmatched files 1" in run.stdout, run.stdout + run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert "linked / 01_forward_propagation" in run.stderr and "a symbolic link, not a file" in run.stderr
    assert "submitted/piped/01_forward_propagation/data.bin belongs to no assignment" in run.stderr
    assert grader("export", "--course-dir", course, "--output", tmp_path / "grades.csv").returncode == 0
    with (tmp_path / "grades.csv").open(newline="", encoding="utf-8") as f:
        totals = {r["student"]: r[A] for r in csv.DictReader(f)}
    assert totals == {"(max)": f"{FULL:g}", "linked": "0", "stamp": f"{FULL:g}", "piped": f"{FULL:g}"}
    with (course / "flags.csv").open(newline="", encoding="utf-8") as f:
        flags = list(csv.DictReader(f))
    assert any(r["student"] == "stamp" and "without a late-penalty decision" in r["reason"] for r in flags), flags
