"""Test helpers for reading and making course notebooks (used by tests and the grading benchmark only)."""
from __future__ import annotations

from nbgrader import utils as nbutils

from grader.notebooks import grade_id, is_answer, nbgrader

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def cell_by_grade_id(nb, gid: str):
    for cell in nb.cells:
        if grade_id(cell) == gid:
            return cell
    raise KeyError(f"no cell with grade_id {gid!r}")


def is_test(cell) -> bool:
    """A graded code cell that is not an answer (an autograded test cell)."""
    return (cell.get("cell_type") == "code" and bool(nbgrader(cell))
            and nbutils.is_grade(cell) and not nbutils.is_solution(cell))


def with_answers(nb, answers: dict[str, str]):
    """A copy of notebook ``nb`` whose answer cells hold ``answers`` (grade_id -> source);
    answer cells not in ``answers`` keep their text (for made-up submissions)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_answer(cell) and grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def region(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between the ``begin`` and ``end`` marker lines (all such regions)."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def solution_lines(source: str) -> list[str]:
    return region(source, BEGIN_SOLUTION, END_SOLUTION)


def hidden_lines(source: str) -> list[str]:
    return region(source, BEGIN_HIDDEN, END_HIDDEN)
