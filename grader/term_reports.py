"""What the instructor reads from a term's course: export, class report, similarity.

* :func:`export_grades`: one CSV row per student (a column per exercise, per assignment
  and the total, manual adjustments included), and a first row ``(max)`` with the
  maximum points of every column. An assignment the student did not submit (or that was
  not released yet) is blank, not 0; it counts 0 in the total. The late penalty is
  applied per assignment, as in nbgrader's own export; the exercise columns are the
  scores before it. Columns follow the course's order (its ``source/`` folders), on every run;
* :func:`class_report`: :mod:`grader.report` from the gradebook and the "likely mistake"
  hints recorded in the autograded notebooks; totals after the late penalty, as in the export;
* :func:`similarity_report`: :mod:`grader.similarity` over the students' answer cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.engine import recorded_hints
from grader.gradebook import cell_scores, late_penalty
from grader.inputs import listed, read_regular
from grader.jobs import expected_cells
from grader.notebooks import assignments as find_assignments
from grader.notebooks import grade_id, is_answer, notebook_files, read
from grader.submissions import MAX_NOTEBOOK_BYTES, fmt, write_csv
from grader.term import TermCourse

#: The label of the export's row of maximum points.
MAX_ROW = "(max)"


@dataclass
class Gradebook:
    """The course's grades, as the export and the report read them.

    ``cells[student][(assignment, grade_id)]``: the score (None: not submitted);
    ``late[student][assignment]``: the late penalty; ``maxima[(assignment, grade_id)]``.
    """

    students: list[str]
    assignments: list[str]
    columns: list[tuple[str, str]]
    maxima: dict[tuple[str, str], float]
    cells: dict[str, dict[tuple[str, str], float | None]] = field(default_factory=dict)
    late: dict[str, dict[str, float]] = field(default_factory=dict)

    def submitted(self, student: str, assignment: str) -> bool:
        return any(self.cells[student][a, gid] is not None for a, gid in self.columns if a == assignment)

    def raw_total(self, student: str, assignment: str) -> float | None:
        """The assignment's score before the late penalty (None: not submitted)."""
        if not self.submitted(student, assignment):
            return None
        return sum(self.cells[student][a, gid] or 0.0 for a, gid in self.columns if a == assignment)

    def total(self, student: str, assignment: str) -> float | None:
        """The assignment's score after the late penalty, never below 0 (None: not submitted)."""
        raw = self.raw_total(student, assignment)
        return None if raw is None else max(0.0, raw - self.late[student].get(assignment, 0.0))

    def max_total(self, assignment: str) -> float:
        return sum(self.maxima[a, gid] for a, gid in self.columns if a == assignment)


def read_gradebook(root: Path) -> Gradebook:
    """Every student's scores from the course's gradebook (see :class:`Gradebook`)."""
    from nbgrader.api import Gradebook as NbgraderGradebook

    root = Path(root).resolve()
    with TermCourse(root) as course:
        with NbgraderGradebook(course.db_url, course.course_id) as gb:
            in_gradebook = {a.name for a in gb.assignments}
            order = find_assignments(course.root / "source")
            assignments = [a for a in order if a in in_gradebook] + sorted(in_gradebook - set(order))
            cells = {a: expected_cells(course.root / "source", a) for a in assignments}  # read each source once
            columns = [(a, gid) for a in assignments for _nb, gid, _pts in cells[a]]
            maxima = {(a, gid): float(pts) for a in assignments for _nb, gid, pts in cells[a]}
            book = Gradebook(sorted(s.id for s in gb.students), assignments, columns, maxima)
            for s in book.students:
                book.cells[s], book.late[s] = {}, {}
                for a in assignments:
                    scores = cell_scores(gb, a, s, cells[a])
                    for _nb, gid, _pts in cells[a]:
                        book.cells[s][a, gid] = None if scores is None else scores[gid][0]
                    book.late[s][a] = late_penalty(gb, a, s)
    return book


def _number(x: float | None) -> str:
    return "" if x is None else fmt(x)


def export_grades(root: Path, output: Path) -> Path:
    """CSV: one row per student; a column per exercise (``assignment/grade_id``), per
    assignment and the total (see the module docstring)."""
    book = read_gradebook(root)
    header = ("student", *[f"{a}/{gid}" for a, gid in book.columns], *book.assignments, "total")
    rows = [(MAX_ROW, *[fmt(book.maxima[c]) for c in book.columns], *[fmt(book.max_total(a)) for a in book.assignments],
             fmt(sum(book.max_total(a) for a in book.assignments)))]
    for s in book.students:
        totals = [book.total(s, a) for a in book.assignments]
        rows.append((s, *[_number(book.cells[s][c]) for c in book.columns], *[_number(t) for t in totals],
                     fmt(sum(t or 0.0 for t in totals))))
    write_csv(Path(output), header, rows)
    return Path(output)


def _hints(root: Path, assignment: str, student: str) -> dict[str, str]:
    hints = {}
    for path in notebook_files(root / "autograded" / student / assignment):
        hints.update(recorded_hints(read(path)))
    return hints


def class_report(root: Path, output: Path) -> list[Path]:
    """grader.report's pages (grade distribution, exercises, common mistakes) per assignment;
    the totals are after the late penalty, as in the export (the pages say so)."""
    from grader.report import Result, write_report

    root = Path(root).resolve()
    book = read_gradebook(root)
    results = []
    for s in book.students:
        for a in book.assignments:
            if not book.submitted(s, a):
                continue  # not submitted: not part of the class's picture of this assignment
            hints = _hints(root, a, s)
            results += [Result(s, a, gid, book.cells[s][a, gid] or 0.0, book.maxima[a, gid], hints.get(gid))
                        for (aa, gid) in book.columns if aa == a]
    penalties = {(s, a): book.late[s][a] for s in book.students for a in book.assignments if book.late[s][a]}
    return write_report(results, Path(output), late=penalties)


def similarity_report(root: Path, output: Path, threshold: float = 0.8) -> Path:
    """grader.similarity's suspicious pairs per exercise (CSV and HTML in ``output``)."""
    from grader.similarity import similar_pairs, write_similarity, write_similarity_html

    root = Path(root).resolve()
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    answers: dict[str, dict[str, str]] = {}
    boilerplate: dict[str, str] = {}
    released = find_assignments(root / "release")
    for a in released:
        for nb in notebook_files(root / "release" / a):
            boilerplate.update({f"{a}/{grade_id(c)}": c.source for c in read(nb).cells if is_answer(c)})
    submitted = root / "submitted"
    for student in sorted(d.name for d in submitted.iterdir() if d.is_dir()) if submitted.is_dir() else []:
        for a in released:
            folder = submitted / student / a
            for nb in listed(folder, "*.ipynb") if folder.is_dir() and not folder.is_symlink() else []:
                try:  # a regular file only, size-capped (grader.inputs)
                    cells = nbformat.reads(read_regular(nb, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4).cells
                except Exception:
                    continue
                answers.setdefault(student, {}).update(
                    {f"{a}/{grade_id(c)}": c.source for c in cells if is_answer(c) and f"{a}/{grade_id(c)}" in boilerplate})
    pairs = similar_pairs(answers, boilerplate, threshold=threshold)
    write_similarity(pairs, output / "similarity.csv")
    write_similarity_html(pairs, answers, output / "similarity.html")
    return output / "similarity.csv"
