"""Grading tools of the course, built on nbgrader.

Commands (``python -m grader --help``; every one has ``--help``):

``release``
    regenerate the student notebooks in ``course/`` from the sources in ``solutions/``
    (solutions replaced by stubs, hidden tests removed, outputs cleared).
``autograde``
    grade submitted notebooks and write one CSV row per graded test cell, per-student
    feedback HTML without the hidden tests, and ``flags.csv`` (:mod:`grader.autograde`);
    with ``--course-dir``, grade into a term's course instead (:mod:`grader.term_autograde`).
``init``, ``export``, ``report``, ``similarity``
    a term's persistent nbgrader course: make or update it (:mod:`grader.term`), and read
    its gradebook (:mod:`grader.term_reports`).

nbgrader runs with the settings of :mod:`grader.nbgrader_config`, never in the
repository and never with the user's ``~/.jupyter`` configuration: in a temporary course
directory, or in the term's course directory made by ``init``. See ``docs/grading.md`` for the instructor's workflow.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax, when installed, only for its "iri"
# format checkers, which notebook and nbgrader validation never use; building that
# package's grammar at import costs 1-3 s of every grader start (and every --jobs worker).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"


#: Where Jupyter, IPython and matplotlib write their files (by default under ``$HOME``).
JUPYTER_HOME_DIRS = {
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
}


def use_scratch_home(home: Path, override: bool = True) -> None:
    """Point the folders of :data:`JUPYTER_HOME_DIRS` into ``home`` (keep set ones unless ``override``)."""
    for var, sub in JUPYTER_HOME_DIRS.items():
        if override or var not in os.environ:
            os.environ[var] = str(Path(home) / sub)
        Path(os.environ[var]).mkdir(parents=True, exist_ok=True)


class GradingError(RuntimeError):
    """Grading itself failed (bad arguments, broken sources, nbgrader errors): exit non-zero."""


__all__ = ["COURSE", "JUPYTER_HOME_DIRS", "REPO", "SOLUTIONS", "GradingError", "use_scratch_home"]
