"""The notebook and cell metadata keys the grader writes, in one place.

- :data:`METADATA_KEY` (``"dlcourse"``): everything the grading adds to a graded notebook,
  under one key. On the notebook: ``flags`` (what :mod:`grader.rebuild` ignored),
  ``events`` and ``sandbox`` (what :mod:`grader.engine` saw); on a test cell: ``passed``
  and ``hint`` (the check's likely mistake).
- :data:`ADDED`: marks a code cell the student added (set by :mod:`grader.rebuild`, run
  by :mod:`grader.engine` as student code).
"""
from __future__ import annotations

#: Notebook and cell metadata key of everything the grading records (see the module docstring).
METADATA_KEY = "dlcourse"
#: Cell metadata key of the code cells the student added.
ADDED = "dlcourse_added"

__all__ = ["ADDED", "METADATA_KEY"]
