"""nbgrader's gradebook (``nbgrader.api.Gradebook``) on a real PostgreSQL server.

The server is private to the test session (``tests/postgres.py``, fixture ``postgres_url``;
skipped with instructions when PostgreSQL is not installed). Each test gets its own new database.

What nbgrader does on a brand-new PostgreSQL database, and why the concurrent test first
creates the schema in one process:

- ``Gradebook(url, course_id)`` checks whether the database has any table, runs
  ``Base.metadata.create_all`` (on PostgreSQL this first makes native ENUM types such as
  ``grade_cell_type``), then, for a new database, asks the ``alembic heads`` *command* in a
  subprocess for the schema version (found on ``PATH``: about 4 s; without the venv's ``bin/``
  on ``PATH`` it fails with FileNotFoundError, so the tests put it there), writes the
  ``alembic_version`` table, and adds the course row if it is missing;
- none of this is guarded against a second process doing the same: two processes opening the
  same brand-new database at once race, and usually (11 runs of 14 here) one of them dies with
  ``IntegrityError: duplicate key value violates unique constraint "pg_type_typname_nsp_index"``
  on ``CREATE TYPE grade_cell_type``; two processes adding a missing course at once would
  likewise collide on the course's primary key;
- so, as a real course does (``nbgrader generate_assignment`` or ``db assignment add`` before any
  grading), one process creates the schema, the course and the assignment first; afterwards any
  number of processes can open the gradebook and write submissions and grades concurrently.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from postgres import connect, create_database, postgres_url  # noqa: F401  (postgres_url is a fixture)

pytestmark = [
    pytest.mark.slow,
    # nbgrader's add_submission builds objects SQLAlchemy 2 no longer cascades into the session
    # before it adds them; harmless (the same with SQLite), but noisy.
    pytest.mark.filterwarnings("ignore:Object of type .* not in session:sqlalchemy.exc.SAWarning"),
]

COURSE = "dl101"
ASSIGNMENT, NOTEBOOK = "ps1", "layers"
CELLS = {"q1": 3.0, "q2": 2.0}  # grade cell -> max score
STUDENTS_PER_WRITER = 20


@pytest.fixture(scope="module", autouse=True)
def alembic_on_path():
    """A new gradebook runs the ``alembic`` script: put this interpreter's ``bin/`` first on PATH."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))))
        yield


@pytest.fixture
def db_url(postgres_url):  # noqa: F811  (the imported fixture)
    """URL of a new, empty database on the session's server."""
    return create_database(postgres_url, f"gradebook_{uuid.uuid4().hex[:12]}")


def make_assignment(url: str) -> None:
    """Create nbgrader's schema, the course and an assignment with one notebook of graded cells."""
    with Gradebook(url, COURSE) as gb:
        gb.add_assignment(ASSIGNMENT, duedate="2030-03-01 17:00:00")
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        for cell, points in CELLS.items():
            gb.add_grade_cell(cell, NOTEBOOK, ASSIGNMENT, max_score=points, cell_type="code")


def score(student: str, cell: str) -> float:
    """The auto score a writer gives ``student`` for ``cell`` (distinct per student, at most the maximum)."""
    return (int(student.rsplit("_", 1)[1]) % 4) * CELLS[cell] / 4


def grade_submission(gb: Gradebook, student: str) -> None:
    """Add ``student``, their submission of the assignment, and an auto score for every grade cell."""
    gb.add_student(student, first_name=student.title(), last_name="Test")
    gb.add_submission(ASSIGNMENT, student, timestamp="2030-03-01 16:00:00")
    for cell in CELLS:
        grade = gb.find_grade(cell, NOTEBOOK, ASSIGNMENT, student)
        grade.auto_score = score(student, cell)
        grade.needs_manual_grade = False
    gb.db.commit()


def test_nbgrader_creates_its_schema_and_round_trips_a_graded_submission(db_url):
    make_assignment(db_url)
    with Gradebook(db_url, COURSE) as gb:
        grade_submission(gb, "alice_3")

    with Gradebook(db_url, COURSE) as gb:  # new engine and connections: read back from the server
        assignment = gb.find_assignment(ASSIGNMENT)
        assert assignment.course_id == COURSE
        assert assignment.duedate == datetime(2030, 3, 1, 17)
        assert [nb.name for nb in assignment.notebooks] == [NOTEBOOK]
        assert gb.find_grade_cell("q1", NOTEBOOK, ASSIGNMENT).max_score == 3
        assert gb.find_student("alice_3").first_name == "Alice_3"
        submission = gb.find_submission(ASSIGNMENT, "alice_3")
        assert submission.timestamp == datetime(2030, 3, 1, 16)
        grade = gb.find_grade("q1", NOTEBOOK, ASSIGNMENT, "alice_3")
        assert (grade.auto_score, grade.score, grade.max_score, grade.needs_manual_grade) == (2.25, 2.25, 3, False)
        assert submission.score == pytest.approx(2.25 + 1.5)
        assert submission.max_score == 5
        assert gb.average_assignment_score(ASSIGNMENT) == pytest.approx(3.75)

    with connect(db_url) as conn:  # it really is PostgreSQL, with nbgrader's bookkeeping
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        enums = {row[0] for row in conn.execute("SELECT typname FROM pg_type WHERE typtype = 'e'")}
        assert "grade_cell_type" in enums  # create_all makes native ENUM types here (what new processes race on)


def write_students(url: str, prefix: str, barrier, results) -> None:
    """One grading process: open the gradebook together with the other one, then grade its students."""
    try:
        barrier.wait(timeout=60)
        with Gradebook(url, COURSE) as gb:
            barrier.wait(timeout=60)
            started = time.monotonic()
            for number in range(STUDENTS_PER_WRITER):
                grade_submission(gb, f"{prefix}_{number}")
            results.put((prefix, started, time.monotonic(), None))
    except BaseException:
        results.put((prefix, None, None, traceback.format_exc()))


def test_two_processes_write_submissions_and_grades_at_once(db_url):
    make_assignment(db_url)  # schema, course and assignment exist before the writers (see the docstring)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    writers = [ctx.Process(target=write_students, args=(db_url, prefix, barrier, results)) for prefix in ("ann", "bob")]
    for writer in writers:
        writer.start()
    try:
        reports = [results.get(timeout=180) for _ in writers]
    finally:
        for writer in writers:
            writer.join(timeout=30)
            if writer.is_alive():
                writer.kill()
    assert [error for *_, error in reports if error] == []
    assert [writer.exitcode for writer in writers] == [0, 0]
    (_, start_a, end_a, _), (_, start_b, end_b, _) = reports
    assert max(start_a, start_b) < min(end_a, end_b), "the writers did not overlap: nothing was tested"

    students = [f"{prefix}_{number}" for prefix in ("ann", "bob") for number in range(STUDENTS_PER_WRITER)]
    with Gradebook(db_url, COURSE) as gb:
        assert sorted(student.id for student in gb.students) == sorted(students)
        assert sorted(sub.student.id for sub in gb.assignment_submissions(ASSIGNMENT)) == sorted(students)
        for student in students:
            for cell in CELLS:
                grade = gb.find_grade(cell, NOTEBOOK, ASSIGNMENT, student)
                assert (grade.auto_score, grade.needs_manual_grade) == (score(student, cell), False), (student, cell)
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM grade").fetchone()[0] == len(students) * len(CELLS)


def test_a_course_on_postgresql_graded_by_two_runs_at_once(db_url, tmp_path):
    """``init --db-url`` puts the course's gradebook on PostgreSQL; two ``autograde
    --course-dir`` runs (one per assignment) write into it at the same time; the export
    then holds every student's exact scores, and both runs' state entries are kept."""
    import copy
    import csv
    import json
    import subprocess

    import nbformat

    from grader import REPO, SOLUTIONS
    from grader.notebooks import grade_cells, grade_id, is_answer, read

    course = tmp_path / "course"
    env = {**os.environ, "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))}

    def grader(*args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "grader", *map(str, args)], cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish(proc: subprocess.Popen) -> str:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
        return out

    assignments = ("01_forward_propagation", "07_ml_strategy")
    finish(grader("init", course, "--db-url", db_url, *[f"--assignment={a}" for a in assignments]))
    assert db_url in (course / "nbgrader_config.py").read_text()
    expected = {}
    for a in assignments:
        solution = read(SOLUTIONS / a / f"{a}.ipynb")
        answers = {grade_id(c): c.source for c in solution.cells if is_answer(c)}
        release = read(course / "release" / a / f"{a}.ipynb")
        for student, perfect in (("amy", True), ("bob", False), ("cat", True)):
            nb = copy.deepcopy(release)
            if perfect:
                for cell in nb.cells:
                    if is_answer(cell):
                        cell.source = answers[grade_id(cell)]
            folder = course / "submitted" / student / a
            folder.mkdir(parents=True)
            nbformat.write(nb, str(folder / f"{a}.ipynb"))
            total = sum(points for _gid, points in grade_cells(solution))
            expected[student, a] = total if perfect else 0.0

    runs = [grader("autograde", "--course-dir", course, "--assignment", a) for a in assignments]
    for out in map(finish, runs):
        assert "graded 3, unchanged 0, not graded 0" in out

    finish(grader("export", "--course-dir", course, "--output", tmp_path / "grades.csv"))
    with (tmp_path / "grades.csv").open(newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows.pop("(max)")  # the export's first row: the maximum points
    assert sorted(rows) == ["amy", "bob", "cat"]
    for (student, a), total in expected.items():
        assert float(rows[student][a]) == total, (student, a)
    state = json.loads((course / ".grader" / "graded.json").read_text())
    assert {a: sorted(v) for a, v in state.items()} == {a: ["amy", "bob", "cat"] for a in assignments}
    with Gradebook(db_url, "dlcourse") as gb:
        assert len(gb.students) == 3
        assert sum(len(gb.assignment_submissions(a)) for a in assignments) == 6
