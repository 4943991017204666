"""grader.feedback: the feedback page is nbgrader's own, whatever the memo of course text does.

The reference is stock nbconvert ``HTMLExporter`` with nbgrader's ``feedback`` template
(what ``nbgrader generate_feedback`` uses); it adds its accessibility attributes by
re-serialising the page with BeautifulSoup, so pages are compared as parsed HTML.
"""
from __future__ import annotations

import base64
import copy
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from grader import SOLUTIONS
from grader.feedback import FeedbackExporter
from grader.notebooks import read

FIRST = "01_forward_propagation"
# two different 1x1 PNG images
RED = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
BLUE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def _config(embed_images: bool = False) -> Config:
    import nbgrader

    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    c = Config()
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.extra_template_basedirs = [str(formgrader / "templates")]
    c.HTMLExporter.extra_template_paths = [str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    c.HTMLExporter.embed_images = embed_images
    return c


def _graded(comment: str) -> nbformat.NotebookNode:
    """The solution notebook as GetGrades leaves it: scores and a comment on every graded cell."""
    nb = copy.deepcopy(read(SOLUTIONS / FIRST / f"{FIRST}.ipynb"))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            meta["score"], meta["comment"] = meta.get("points", 0), comment
    return nb


def _resources(folder: Path) -> dict:
    return {"metadata": {"path": str(folder), "name": FIRST},
            "nbgrader": {"notebook": FIRST, "score": 3.0, "max_score": 4.0, "late_penalty": 0}}


def _parsed(page: str) -> str:
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.find_all(True):
        tag.attrs = dict(sorted(tag.attrs.items()))
    return str(soup)


def test_pages_equal_stock_for_students_in_different_folders(tmp_path):
    stock, ours = HTMLExporter(config=_config()), FeedbackExporter(config=_config())
    for i, comment in enumerate(["Well done: *all* of it.", "Check the sign: `sigmoid`.", "Well done: *all* of it."]):
        nb, folder = _graded(comment), tmp_path / f"student{i}"
        folder.mkdir()
        want, _ = stock.from_notebook_node(copy.deepcopy(nb), resources=_resources(folder))
        got, _ = ours.from_notebook_node(copy.deepcopy(nb), resources=_resources(folder))
        assert _parsed(got) == _parsed(want), f"student {i}: the page differs from nbgrader's"
        assert comment.split(":")[0] in got


@pytest.mark.parametrize("embed_images", [False, True])
def test_an_image_is_each_students_own(tmp_path, embed_images):
    """The memo of rendered markdown must not hand one student's embedded image to another."""
    stock, ours = HTMLExporter(config=_config(embed_images)), FeedbackExporter(config=_config(embed_images))
    pages = []
    for name, image in (("a", RED), ("b", BLUE)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "plot.png").write_bytes(image)
        nb = _graded("ok")
        nb.cells.insert(0, nbformat.v4.new_markdown_cell("My plot: ![the plot](plot.png)"))
        want, _ = stock.from_notebook_node(copy.deepcopy(nb), resources=_resources(folder))
        got, _ = ours.from_notebook_node(copy.deepcopy(nb), resources=_resources(folder))
        assert _parsed(got) == _parsed(want)
        pages.append(got)
    if embed_images:
        assert base64.b64encode(RED).decode() in pages[0] and base64.b64encode(BLUE).decode() in pages[1]
    else:
        assert 'src="plot.png"' in pages[0] and 'src="plot.png"' in pages[1]
