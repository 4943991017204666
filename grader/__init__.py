"""Grading tools of the course, built on nbgrader.

Two commands (``python -m grader --help``):

``release``
    regenerate the student notebooks in ``course/`` from the sources in ``solutions/``
    (solutions replaced by stubs, hidden tests removed, outputs cleared).
``autograde``
    grade submitted notebooks and write one CSV row per graded test cell, per-student
    feedback HTML without the hidden tests, and a report of suspicious answer cells.

nbgrader always runs in a temporary course directory with the settings of
:mod:`grader.nbgrader_config`, never in the repository and never with the user's
``~/.jupyter`` configuration. See ``docs/grading.md`` for the instructor's workflow.
"""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"


class GradingError(RuntimeError):
    """Grading itself failed (bad arguments, broken sources, nbgrader errors): exit non-zero."""


__all__ = ["COURSE", "REPO", "SOLUTIONS", "GradingError"]
