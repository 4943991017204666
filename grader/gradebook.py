"""Reading scores from an nbgrader gradebook: the one place that decides what a missing grade is.

nbgrader records a grade for every graded cell of a notebook it autograded; a cell with
no grade (a notebook nbgrader skipped, a cell added to the source later) scores 0 out of
the source's points, here and nowhere else. A submission that is not in the gradebook at
all (not submitted) has no scores: :func:`cell_scores` returns None, and what to show for
it is the caller's (the export leaves it blank).
"""
from __future__ import annotations

from collections.abc import Iterable


def cell_scores(gb, assignment: str, student: str,
                cells: Iterable[tuple[str, str, float]]) -> dict[str, tuple[float, float]] | None:
    """grade_id -> (score, max_score) of one submission in ``gb`` (an open nbgrader
    ``Gradebook``), for ``cells`` = (notebook, grade_id, points) of the assignment; the
    score is nbgrader's (its manual score where there is one). None if not submitted."""
    from nbgrader.api import MissingEntry

    try:
        gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    scores = {}
    for nb, gid, points in cells:
        try:
            grade = gb.find_grade(gid, nb, assignment, student)
        except MissingEntry:
            scores[gid] = (0.0, float(points))
            continue
        scores[gid] = (float(grade.score or 0.0), float(grade.max_score))
    return scores


def late_penalty(gb, assignment: str, student: str) -> float:
    """nbgrader's late penalty of one submission (0 when none or not submitted)."""
    from nbgrader.api import MissingEntry

    try:
        return float(gb.find_submission(assignment, student).late_submission_penalty or 0.0)
    except MissingEntry:
        return 0.0


def manual_overrides(gb, assignment: str, student: str) -> list[tuple[str, float, float]]:
    """(grade_id, manual score, automatic score) of every cell of one submission whose
    manual score (formgrader's) differs from its automatic one: nbgrader counts the manual
    score (``Grade.score``), whatever a later autograde found."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return []
    out = []
    for nb in sub.notebooks:
        for grade in nb.grades:
            if grade.manual_score is not None and grade.manual_score != grade.auto_score:
                out.append((grade.name, float(grade.manual_score), float(grade.auto_score or 0.0)))
    return out
