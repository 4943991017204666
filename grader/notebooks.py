"""Reading the course notebooks: assignments, nbgrader cells and their marked regions."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__"}


def assignments(source: Path) -> list[str]:
    """Names of the assignment folders of ``source`` (folders holding at least one notebook)."""
    if not source.is_dir():
        return []
    return sorted(
        d.name for d in source.iterdir()
        if d.is_dir() and d.name not in IGNORED_DIRS and not d.name.startswith(".") and notebook_files(d)
    )


def notebook_files(assignment_dir: Path) -> list[Path]:
    """The notebooks of one assignment folder (top level only), sorted by name."""
    return sorted(p for p in assignment_dir.glob("*.ipynb") if p.is_file())


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader(cell) -> dict:
    """The nbgrader metadata of a cell ({} for ordinary cells)."""
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    gid = nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def cell_by_grade_id(nb, gid: str):
    for cell in nb.cells:
        if grade_id(cell) == gid:
            return cell
    raise KeyError(f"no cell with grade_id {gid!r}")


def is_answer(cell) -> bool:
    """An answer cell: the student writes code in it (nbgrader's solution cell)."""
    return cell.get("cell_type") == "code" and bool(nbgrader(cell)) and nbutils.is_solution(cell)


def is_test(cell) -> bool:
    """A graded code cell that is not an answer (an autograded test cell)."""
    return (cell.get("cell_type") == "code" and bool(nbgrader(cell))
            and nbutils.is_grade(cell) and not nbutils.is_solution(cell))


def is_locked(cell) -> bool:
    """A cell nbgrader overwrites with the course's version (locked or test cell)."""
    return bool(nbgrader(cell)) and nbutils.is_locked(cell)


def with_answers(nb, answers: dict[str, str]):
    """A copy of notebook ``nb`` whose answer cells hold ``answers`` (grade_id -> source);
    answer cells not in ``answers`` keep their text (for made-up submissions)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_answer(cell) and grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def grade_cells(nb) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every graded cell, in notebook order."""
    return [(grade_id(c), float(nbgrader(c).get("points", 0))) for c in nb.cells if nbgrader(c).get("grade")]


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


def python_source(source: str) -> str:
    """Cell source as plain Python: IPython magics (``%matplotlib inline``) become calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)

