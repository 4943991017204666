"""`python -m grader release`: course/ is exactly a fresh release of solutions/, and gives nothing away."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_helpers import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    cell_by_grade_id,
    hidden_lines,
    is_test,
    solution_lines,
)

from grader import COURSE, REPO, SOLUTIONS
from grader.exercises import EXERCISES, grade_ids
from grader.notebooks import assignments, grade_id, is_answer, is_locked, read
from grader.release import differences

ASSIGNMENTS = assignments(SOLUTIONS)


def _release_nb(course: Path, a: str):
    return read(course / a / f"{a}.ipynb")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A release of every assignment into a temporary course/ (with a stale file and a foreign folder)."""
    if not ASSIGNMENTS:
        pytest.skip("no notebooks in solutions/ yet")
    target = tmp_path_factory.mktemp("release") / "course"
    (target / ASSIGNMENTS[0]).mkdir(parents=True)
    (target / ASSIGNMENTS[0] / "stale.txt").write_text("from an old release")
    (target / "99_not_ours").mkdir()
    (target / "99_not_ours" / "keep.txt").write_text("not an assignment of solutions/")
    run = subprocess.run([sys.executable, "-m", "grader", "release", "--course", str(target)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return target


@pytest.mark.slow
def test_release_mirrors_each_assignment_and_leaves_other_folders(fresh):
    assert not (fresh / ASSIGNMENTS[0] / "stale.txt").exists()
    assert (fresh / "99_not_ours" / "keep.txt").is_file()
    assert sorted(p.name for p in fresh.iterdir()) == sorted(ASSIGNMENTS + ["99_not_ours"])


@pytest.mark.slow
def test_release_writes_nothing_into_the_repository(fresh):
    for folder in (REPO, SOLUTIONS, COURSE, *(SOLUTIONS / a for a in ASSIGNMENTS)):
        for name in ("gradebook.db", ".nbgrader.log", "release", "source"):
            assert not (folder / name).exists(), folder / name


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_course_is_exactly_a_fresh_release(fresh, a):
    """The committed course/ is what students get; the tests below check the fresh release."""
    problems = differences(fresh / a, COURSE / a)
    assert not problems, "course/ is stale; run `python -m grader release`:\n" + "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_every_exercise_of_the_contract_is_present(fresh, a):
    for nb in (read(SOLUTIONS / a / f"{a}.ipynb"), _release_nb(fresh, a)):
        present = {grade_id(c) for c in nb.cells}
        missing = [gid for gid in grade_ids(a) if gid not in present]
        assert not missing, missing
    if a in EXERCISES:
        nb = _release_nb(fresh, a)
        for name in EXERCISES[a]:
            assert is_answer(cell_by_grade_id(nb, name)), name
            test = cell_by_grade_id(nb, f"test_{name}")
            assert is_test(test) and is_locked(test) and test.metadata.nbgrader.get("points", 0) > 0, name


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_release_has_no_solutions(fresh, a):
    source, release = read(SOLUTIONS / a / f"{a}.ipynb"), _release_nb(fresh, a)
    text = json.dumps(release)
    assert BEGIN_SOLUTION not in text and END_SOLUTION not in text
    for cell in source.cells:
        if not is_answer(cell):
            continue
        answer = cell_by_grade_id(release, grade_id(cell))
        assert "raise NotImplementedError()" in answer.source
        given = {line.strip() for line in answer.source.splitlines()}
        leaked = [line for line in solution_lines(cell.source) if line.strip() and line.strip() in given]
        assert not leaked, (grade_id(cell), leaked)


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_release_has_no_hidden_tests(fresh, a):
    source, release = read(SOLUTIONS / a / f"{a}.ipynb"), _release_nb(fresh, a)
    everything = "\n".join(c.source for c in release.cells)
    assert BEGIN_HIDDEN not in everything and END_HIDDEN not in everything
    assert "hidden=True" not in everything
    for cell in source.cells:
        if is_test(cell):
            for line in hidden_lines(cell.source):
                assert line.strip() not in everything, line
            lines = cell.source.splitlines()
            visible = "\n".join(lines[:next(i for i, ln in enumerate(lines) if BEGIN_HIDDEN in ln)]).strip()
            assert cell_by_grade_id(release, grade_id(cell)).source.strip() == visible


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_release_has_no_outputs(fresh, a):
    release = _release_nb(fresh, a)
    for cell in release.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in release.metadata


def test_differences_compares_notebooks_as_json(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
    (a / "n.ipynb").write_text('{"cells": [], "metadata": {}}')
    (b / "n.ipynb").write_text('{\n "metadata": {},\n "cells": []\n}\n')
    (a / "only_a.txt").write_text("x")
    (b / "only_b.txt").write_text("y")
    problems = differences(a, b)
    assert problems == [f"missing: {b / 'only_a.txt'}", f"unexpected: {b / 'only_b.txt'}"]
    (b / "n.ipynb").write_text('{"cells": [{}], "metadata": {}}')
    assert f"differs: {b / 'n.ipynb'}" in differences(a, b)
