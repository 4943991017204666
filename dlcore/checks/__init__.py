"""Checks of students' answers, shared by the notebooks' visible checks and the hidden tests.

One module per notebook: ``forward`` (01), ``backward`` (02). Each check function takes
the student's function; ``hidden=True`` runs the grading version. The machinery is in
:mod:`dlcore.checks.core`.
"""
from dlcore.checks.core import CheckFailure

__all__ = ["CheckFailure"]
