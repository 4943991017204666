"""nbgrader preprocessors of the course (wired in by :mod:`grader.nbgrader_config`).

- :class:`StderrIsNotFailure` (autograde, right after ``Execute``): nbgrader gives 0 to
  a test cell that wrote anything to stderr, so a correct answer that emits a NumPy
  ``RuntimeWarning`` or a debug ``print(..., file=sys.stderr)`` would lose its points.
  Our test cells fail by raising, so stderr of a test cell is kept as ordinary output.
- :class:`HideHiddenTestLines` (feedback, before ``ClearHiddenTests``): IPython
  tracebacks quote the lines around the failing one, which can be hidden-test lines;
  they are removed from every output of a cell that has a hidden-test region.
- :class:`ClearWidgetState` (release): drops saved ipywidgets state from the notebook.
"""
from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

from grader.notebooks import BEGIN_HIDDEN, END_HIDDEN, hidden_lines, is_test

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class StderrIsNotFailure(NbGraderPreprocessor):
    """Turn the stderr stream of autograded test cells into stdout, so only errors score 0."""

    def preprocess_cell(self, cell, resources, index):
        if is_test(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources


class HideHiddenTestLines(NbGraderPreprocessor):
    """Remove output lines (traceback context, mostly) that quote a hidden-test line."""

    min_length = 3  # shorter hidden lines (")", "]") reveal nothing and match everywhere

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or BEGIN_HIDDEN not in cell.source:
            return cell, resources
        markers = {BEGIN_HIDDEN, END_HIDDEN}
        markers.update(s for s in (line.strip() for line in hidden_lines(cell.source)) if len(s) >= self.min_length)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [self._scrub(entry, markers) for entry in output.get("traceback", [])]
                output["traceback"] = [entry for entry in output["traceback"] if entry.strip()]
                output["evalue"] = self._scrub(output.get("evalue", ""), markers)
            elif output.get("output_type") == "stream":
                output["text"] = self._scrub(output.get("text", ""), markers)
        return cell, resources

    @staticmethod
    def _scrub(text: str, markers: set[str]) -> str:
        kept = [line for line in text.split("\n") if not any(m in strip_ansi(line) for m in markers)]
        return "\n".join(kept)


class ClearWidgetState(NbGraderPreprocessor):
    """Drop the ipywidgets state saved in the notebook metadata (it is output, too)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return nb, resources
