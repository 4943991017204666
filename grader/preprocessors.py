"""nbgrader preprocessors of the course, besides the grading engine's own.

- :class:`ClearWidgetState` (release): drops saved ipywidgets state from the notebook.

The autograde steps live with what they do: :class:`grader.rebuild.RebuildFromRelease`
(sanitize) and :class:`grader.engine.GradeInSandbox` (in place of ``Execute``).
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class ClearWidgetState(NbGraderPreprocessor):
    """Drop the ipywidgets state saved in the notebook metadata (it is output, too)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return nb, resources
