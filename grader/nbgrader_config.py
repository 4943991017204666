"""The nbgrader settings of the course, as a traitlets ``Config``.

:func:`build_config` is what ``python -m grader`` passes to nbgrader; nothing is read
from ``~/.jupyter`` or from an ``nbgrader_config.py`` in the working directory. To run the
nbgrader command line (or formgrader) by hand with the same settings, put this
``nbgrader_config.py`` in the course directory::

    from grader.nbgrader_config import build_config
    get_config().merge(build_config())
"""
from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbgrader.converters import Autograde, GenerateAssignment
from traitlets.config import Config

from grader.preprocessors import ClearWidgetState, HideHiddenTestLines, StderrIsNotFailure

#: Seconds one cell may run before the kernel is interrupted (a looping answer).
CELL_TIMEOUT = 60
#: Lines of stream output kept per cell, and lines of a traceback, in graded notebooks.
MAX_OUTPUT_LINES = 200
MAX_TRACEBACK_LINES = 60


def build_config(root: str | None = None, timeout: int = CELL_TIMEOUT) -> Config:
    """nbgrader configuration for a course directory at ``root``."""
    c = Config()
    if root is not None:
        c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "dlcourse"

    # Release: the default pipeline, plus dropping saved widget state.
    c.GenerateAssignment.preprocessors = list(GenerateAssignment.class_traits()["preprocessors"].default()) + [ClearWidgetState]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

    # Autograde: a per-cell time limit that interrupts the cell and goes on with the next one.
    c.Execute.timeout = int(timeout)
    c.Execute.interrupt_on_timeout = True
    c.Execute.startup_timeout = 120
    c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]  # no kernel chatter on our stderr
    c.LimitOutput.max_lines = MAX_OUTPUT_LINES
    c.LimitOutput.max_traceback = MAX_TRACEBACK_LINES
    c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and graded
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    steps.insert(steps.index(next(p for p in steps if p.__name__ == "Execute")) + 1, StderrIsNotFailure)
    c.Autograde.autograde_preprocessors = steps

    # Feedback: never show hidden tests, neither their source nor traceback lines quoting them.
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestLines, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    return c
