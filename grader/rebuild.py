"""What is graded is rebuilt from trusted parts.

A submitted notebook is a file the student controls. Only their *answers* are taken from
it: each answer cell by its ``grade_id`` (or, where an editor lost the metadata, by the
function it defines), plus any code cells they added. Everything else -- setup, text,
test cells, points, kernelspec, cell order -- comes from the release (and nbgrader then
restores the test cells' hidden part from its gradebook). Whatever the student changed
outside their answers is ignored and reported as a flag, never a reason to zero the
exercises they did not touch.

:class:`RebuildFromRelease` is the nbgrader preprocessor (first of autograde's sanitize
steps) that does this with the release notebook of nbgrader's course directory.
"""
from __future__ import annotations

import ast
import copy
import functools
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.metadata import ADDED, METADATA_KEY
from grader.notebooks import grade_id, is_answer, is_locked, nbgrader, python_source

#: Added code cells kept, run and shown in the feedback: at most this many, and this many
#: characters in all (rendering costs about 20 s per MB); the rest is dropped and flagged.
MAX_ADDED_CELLS = 40
MAX_ADDED_CHARS = 60_000


def defined_functions(source: str) -> list[str]:
    """Names of the functions a cell defines at top level ([] if it does not parse)."""
    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def rebuild(submitted, release) -> tuple[nbformat.NotebookNode, list[tuple[str, str]]]:
    """The release notebook with the student's answers and added cells; and the flags.

    Flags are ``(grade_id or cell label, reason)`` pairs.
    """
    flags: list[tuple[str, str]] = []
    answers = [grade_id(c) for c in release.cells if is_answer(c)]
    release_ids = {grade_id(c): c for c in release.cells if grade_id(c)}
    release_sources = {c.source.strip() for c in release.cells}
    cells = [c for c in submitted.get("cells", []) if isinstance(c, dict)]

    by_id: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        gid = grade_id(cell) if isinstance(cell.get("metadata"), dict) else None
        if gid:
            by_id.setdefault(gid, []).append(i)

    chosen: dict[str, int] = {}   # answer grade_id -> index of the student's cell
    for gid in answers:
        idx = [i for i in by_id.get(gid, []) if cells[i].get("cell_type") == "code"]
        if idx:
            chosen[gid] = idx[-1]  # run top to bottom, the last definition wins
            if len(idx) > 1:
                flags.append((gid, f"answer cell duplicated {len(idx)} times: the last copy was graded"))
    lost = [gid for gid in answers if gid not in chosen]
    if lost:
        defining: dict[str, int] = {}
        for i, cell in enumerate(cells):
            if cell.get("cell_type") == "code" and not (grade_id(cell) in release_ids and is_locked(release_ids[grade_id(cell)])):
                for name in defined_functions(str(cell.get("source", ""))):
                    defining[name] = i
        found = [gid for gid in lost if gid in defining]
        for gid in found:
            chosen[gid] = defining[gid]
        if found:
            flags.append(("", f"{len(found)} answer cell(s) had no nbgrader metadata and were found by the function "
                              f"they define ({', '.join(found)})"))

    for gid, idx in by_id.items():
        src = release_ids.get(gid)
        if src is None:
            if any(nbgrader(cells[i]).get("grade") for i in idx):
                flags.append((gid, "extra graded cell (not in the release): ignored"))
            continue
        for i in idx:
            if is_locked(src) and str(cells[i].get("source", "")).strip() != src.source.strip():
                flags.append((gid, "locked or test cell edited: graded with the course's version"))
                break
        for i in idx:
            points = nbgrader(cells[i]).get("points")
            if nbgrader(src).get("grade") and points is not None and points != nbgrader(src).get("points"):
                flags.append((gid, f"points changed to {points}: the course's points were used"))
                break

    # Cells the student added: code that is neither an answer nor a copy of a course cell.
    used = set(chosen.values())
    added: dict[str | None, list] = {}
    anchor = None
    position = {i: gid for gid, i in chosen.items()}
    for i, cell in enumerate(cells):
        if i in position:
            anchor = position[i]
            continue
        if cell.get("cell_type") != "code" or i in used:
            continue
        gid = grade_id(cell)
        source = str(cell.get("source", ""))
        if (gid in release_ids) or not source.strip() or source.strip() in release_sources:
            continue
        added.setdefault(anchor, []).append(source)

    added, dropped = _within_limits(added)
    if dropped:
        flags.append(("", f"{dropped[0]} added cell(s) of {dropped[1]} characters over the limit "
                          f"({MAX_ADDED_CELLS} cells, {MAX_ADDED_CHARS} characters in all): not run, not shown"))

    out = copy.deepcopy(release)
    out.cells, placed_early = [], False
    for cell in copy.deepcopy(release.cells):
        gid = grade_id(cell)
        if is_answer(cell) and not placed_early:  # cells added before the first answer go right before it
            out.cells += [_added(s) for s in added.get(None, [])]
            placed_early = True
        if is_answer(cell) and gid in chosen:
            cell.source = str(cells[chosen[gid]].get("source", ""))
        out.cells.append(cell)
        if is_answer(cell):
            out.cells += [_added(s) for s in added.get(gid, [])]
    if dropped:
        out.cells.append(nbformat.v4.new_markdown_cell(
            f"**Note from the grader:** {dropped[0]} of the code cells you added ({dropped[1]} characters) were "
            f"over the limit of {MAX_ADDED_CELLS} added cells and {MAX_ADDED_CHARS} characters in all, so they "
            f"were neither run nor shown here. Keep your own helper cells short."))
    return out, flags


def _within_limits(added: dict[str | None, list[str]]) -> tuple[dict[str | None, list[str]], tuple[int, int] | None]:
    """The added cells kept (in notebook order, while within :data:`MAX_ADDED_CELLS` and
    :data:`MAX_ADDED_CHARS`), and (how many were dropped, their characters)."""
    kept: dict[str | None, list[str]] = {}
    count = chars = n_dropped = dropped_chars = 0
    for anchor, sources in added.items():
        for source in sources:
            if count < MAX_ADDED_CELLS and chars + len(source) <= MAX_ADDED_CHARS:
                kept.setdefault(anchor, []).append(source)
                count, chars = count + 1, chars + len(source)
            else:
                n_dropped, dropped_chars = n_dropped + 1, dropped_chars + len(source)
    return kept, (n_dropped, dropped_chars) if n_dropped else None


def _added(source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata[ADDED] = True
    return cell


@functools.lru_cache(maxsize=64)
def _read_release(path: str, mtime_ns: int, size: int) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _release(path: Path) -> nbformat.NotebookNode:
    """The release notebook, read once per run (``rebuild`` copies it, never changes it)."""
    st = path.stat()
    return _read_release(str(path), st.st_mtime_ns, st.st_size)


class RebuildFromRelease(NbGraderPreprocessor):
    """nbgrader sanitize step: grade the release notebook with the student's answers (see module)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"])) / f"{info['notebook']}.ipynb"
        rebuilt, flags = rebuild(nb, _release(path))
        rebuilt.metadata[METADATA_KEY] = {"flags": [list(f) for f in flags]}
        for flag in flags:
            self.log.warning("flag %s: %s", *flag)
        return rebuilt, resources
