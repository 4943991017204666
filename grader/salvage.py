"""Rebuilding a submission that lost its nbgrader metadata.

A student who pastes the answers into a new notebook (or an editor that drops cell
metadata) leaves nbgrader nothing to recognise: it cannot tell answer cells from test
cells and fails on the whole submission. Each answer cell of this course defines the
function its ``grade_id`` names, so the answers can be found by the functions a cell
defines and put into a clean copy of the release notebook, which nbgrader grades as usual.
"""
from __future__ import annotations

import ast
import copy

from grader.notebooks import grade_id, is_answer, python_source


def lost_metadata(submitted, source) -> bool:
    """True when none of the source's answer cells can be found by grade_id in ``submitted``."""
    answers = {grade_id(c) for c in source.cells if is_answer(c)}
    present = {grade_id(c) for c in submitted.cells}
    return bool(answers) and not (answers & present)


def defined_functions(source: str) -> list[str]:
    """Names of the functions a cell defines at top level ([] if it does not parse)."""
    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def rebuild(submitted, release) -> tuple[object, list[str]]:
    """The release notebook with each answer cell replaced by the student's cell defining that function.

    Returns the new notebook and the grade_ids of the answers found (the last defining
    cell wins, as it would when the student runs the notebook top to bottom).
    """
    cells_by_function = {}
    for cell in submitted.cells:
        if cell.get("cell_type") == "code":
            for name in defined_functions(cell.get("source", "")):
                cells_by_function[name] = cell.get("source", "")
    rebuilt, found = copy.deepcopy(release), []
    for cell in rebuilt.cells:
        gid = grade_id(cell)
        if is_answer(cell) and gid in cells_by_function:
            cell.source = cells_by_function[gid]
            found.append(gid)
    return rebuilt, found
