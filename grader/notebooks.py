"""Reading the course notebooks: assignments, nbgrader cells and their marked regions."""
from __future__ import annotations

from pathlib import Path

import nbformat

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
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def cell_by_grade_id(nb, gid: str):
    for cell in nb.cells:
        if grade_id(cell) == gid:
            return cell
    raise KeyError(f"no cell with grade_id {gid!r}")


def is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader(cell).get("solution"))


def is_test(cell) -> bool:
    """A graded, locked code cell (an autograded test cell)."""
    meta = nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_locked(cell) -> bool:
    return bool(nbgrader(cell).get("locked"))


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

