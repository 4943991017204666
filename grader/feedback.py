"""nbgrader's feedback HTML, rendered for a whole class at the cost of a few students.

Every student's feedback page holds the same course text: the markdown cells, the
setup and test cells, the styles. nbconvert renders them again for each student, and
then parses each finished page with BeautifulSoup only to add ``alt`` and ``tabindex``
attributes. :class:`FeedbackExporter` is nbconvert's ``HTMLExporter`` with

* markdown and code highlighting memoized (pure functions of the cell's text, its
  attachments and its language), so course text is rendered once per run;
* the same accessibility attributes added by two substitutions on the rendered page
  instead of a parse of the whole page.

The page is otherwise nbgrader's own (its ``feedback`` template, its preprocessors):
:func:`grader.nbgrader_config.build_config` sets ``GenerateFeedback.exporter_class`` to it.

:func:`fallback_feedback` is the plain page of a submission nbgrader could not grade or render.
"""
from __future__ import annotations

import html
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

if TYPE_CHECKING:
    from grader.submissions import Submission

#: Rendered fragments kept per process (a course's text is a few hundred cells).
CACHE_SIZE = 4096
NO_ALT = "No description has been provided for this image"

_FOCUSABLE = re.compile(r'(<div\b[^>]*\bclass="[^"]*\bjp-(?:Cell-inputWrapper|OutputArea-output)\b[^"]*")(?![^>]*\btabindex=)')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


class _Memo:
    """A bounded memo of a pure function of strings."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size, self.data = size, OrderedDict()

    def get(self, key: Any, make: Callable[[], str]) -> str:
        try:
            self.data.move_to_end(key)
            return self.data[key]
        except KeyError:
            value = self.data[key] = make()
            if len(self.data) > self.size:
                self.data.popitem(last=False)
            return value


_markdown = _Memo()
_highlight = _Memo()


class _MemoHighlight(Highlight2HTML):
    def __call__(self, source, language=None, metadata=None):
        key = (source, language, self.pygments_lexer, json.dumps(metadata, sort_keys=True, default=str) if metadata else "")
        return _highlight.get(key, lambda: super(_MemoHighlight, self).__call__(source, language, metadata))


class FeedbackExporter(HTMLExporter):
    """``HTMLExporter`` with memoized markdown and highlighting (see the module docstring)."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        attachments = cell.get("attachments", {})
        # the notebook's folder (different for every student) matters only to embedded images
        path = context.get("resources", {}).get("metadata", {}).get("path", "") if self.embed_images else ""
        key = (source, json.dumps(attachments, sort_keys=True) if attachments else "", path,
               self.embed_images, self.anchor_link_text, self.exclude_anchor_links)
        return _markdown.get(key, lambda: HTMLExporter.markdown2html(self, context, source))

    def from_notebook_node(self, nb, resources: dict | None = None, **kw: Any):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", self.filters.get("highlight_code", _MemoHighlight(pygments_lexer=lexer, parent=self)))
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html = _FOCUSABLE.sub(r'\1 tabindex="0"', html)
        html, missing = _IMG_WITHOUT_ALT.subn(f'<img alt="{NO_ALT}"', html)
        if missing:
            self.log.warning("Alternative text is missing on %s image(s).", missing)
        return html, resources


def fallback_feedback(sub: Submission, path: Path) -> None:
    """A plain feedback page for a submission nbgrader could not render: why, and the scores."""
    from grader.submissions import fmt

    got, total = sub.total
    if sub.status == "graded":
        intro = "Your submission was graded, but its detailed feedback page could not be made."
    else:
        intro = f"Your submission could not be graded ({sub.status}), so every exercise scores 0."
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in sub.notes)
    advice = ("<p>Submit the course notebook, saved from Jupyter, in the assignment's folder.</p>\n"
              if sub.status in ("missing", "unreadable") else "")
    rows = "".join(f"<tr><td>{html.escape(gid)}</td><td>{fmt(sc)} / {fmt(mx)}</td></tr>"
                   for gid, (sc, mx) in sub.scores.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Feedback: {html.escape(sub.assignment)}"
        f"</title></head><body>\n<h1>{html.escape(sub.assignment)}: {fmt(got)} / {fmt(total)}</h1>\n"
        f"<p>{intro}</p>\n<ul>{notes}</ul>\n<table>{rows}</table>\n{advice}</body></html>\n",
        encoding="utf-8",
    )
