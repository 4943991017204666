"""Reading the course notebooks: assignments, nbgrader cells and their marked regions."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils as nbutils

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


def is_answer(cell) -> bool:
    """An answer cell: the student writes code in it (nbgrader's solution cell)."""
    return cell.get("cell_type") == "code" and bool(nbgrader(cell)) and nbutils.is_solution(cell)


def is_locked(cell) -> bool:
    """A cell nbgrader overwrites with the course's version (locked or test cell)."""
    return bool(nbgrader(cell)) and nbutils.is_locked(cell)


def grade_cells(nb) -> list[tuple[str, float]]:
    """``(grade_id, points)`` of every graded cell, in notebook order."""
    return [(grade_id(c), float(nbgrader(c).get("points", 0))) for c in nb.cells if nbgrader(c).get("grade")]


def python_source(source: str) -> str:
    """Cell source as plain Python: IPython magics (``%matplotlib inline``) become calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)

