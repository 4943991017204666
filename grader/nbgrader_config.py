"""The nbgrader settings of the course, as a traitlets ``Config``: the engine is wired in here.

:func:`build_config` is what ``python -m grader`` passes to nbgrader; nothing is read
from ``~/.jupyter`` or from an ``nbgrader_config.py`` in the working directory. To run the
nbgrader command line (or formgrader) by hand with the same settings, put this
``nbgrader_config.py`` in the course directory::

    from grader.nbgrader_config import build_config
    get_config().merge(build_config())
"""
from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets.config import Config

from grader.engine import GradeInSandbox
from grader.feedback import FeedbackExporter
from grader.preprocessors import ClearWidgetState
from grader.rebuild import RebuildFromRelease
from grader.sandbox import Limits

#: Seconds one call of a student's function (or one of their cells) may run.
CALL_TIMEOUT = Limits.call_timeout
#: Lines of stream output kept per cell, and lines of a traceback, in graded notebooks.
MAX_OUTPUT_LINES = 200
MAX_TRACEBACK_LINES = 60


def build_config(root: str | None = None, timeout: float | None = None, sandbox: str = "auto") -> Config:
    """nbgrader configuration for a course directory at ``root``.

    ``timeout``: seconds per call of a student's function; ``sandbox``: auto, bwrap or process.
    """
    c = Config()
    if root is not None:
        c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "dlcourse"

    # Release: the default pipeline, plus dropping saved widget state.
    c.GenerateAssignment.preprocessors = list(GenerateAssignment.class_traits()["preprocessors"].default()) + [ClearWidgetState]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

    # Autograde: rebuild the submission from the release, then grade it with the engine
    # (student code in a sandbox, the score decided here) instead of executing it in a kernel.
    # nbgrader's CheckCellMetadata steps are left out: after the rebuild every cell's metadata
    # is the release's (checked when the release was generated), and validating it twice per
    # submission was a tenth of the grading time.
    sanitize = [p for p in Autograde.class_traits()["sanitize_preprocessors"].default() if p.__name__ != "CheckCellMetadata"]
    c.Autograde.sanitize_preprocessors = [RebuildFromRelease] + sanitize
    steps = [p for p in Autograde.class_traits()["autograde_preprocessors"].default() if p.__name__ != "CheckCellMetadata"]
    steps[steps.index(next(p for p in steps if p.__name__ == "Execute"))] = GradeInSandbox
    c.Autograde.autograde_preprocessors = steps
    c.GradeInSandbox.call_timeout = float(timeout or CALL_TIMEOUT)
    c.GradeInSandbox.sandbox = sandbox
    c.LimitOutput.max_lines = MAX_OUTPUT_LINES
    c.LimitOutput.max_traceback = MAX_TRACEBACK_LINES
    c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and graded

    # Feedback: never show hidden tests (the engine's messages quote no test source).
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = FeedbackExporter  # nbgrader's page, course text rendered once
    return c
