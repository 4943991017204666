"""Submissions and the CSV contract of ``python -m grader autograde``.

- :class:`Submission`: one student's work on one assignment, and what became of it;
- :func:`prepare`: read a submission folder into a :class:`Submission` (the notebooks as
  text, the ``timestamp.txt``), with the limits of :mod:`grader.inputs`;
- :data:`CSV_COLUMNS` (the grades CSV) and :data:`FLAG_COLUMNS` (``flags.csv``), and
  :func:`write_csv`, which writes any of them atomically with every student-made
  string made printable (:func:`grader.inputs.printable`);
- :func:`say`: a message for the instructor on stderr, student-made text escaped by the caller.
"""
from __future__ import annotations

import csv
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.inputs import InputError, listed, printable, read_regular, read_timestamp

# nbformat and nbgrader are imported where they are used: grader.report reads the CSV
# contract from here and must not need the grading stack.

#: Columns of the grades CSV: one row per graded test cell of every (student, assignment).
CSV_COLUMNS = ("student", "assignment", "grade_id", "score", "max_score")
#: Columns of ``flags.csv``: what the grading ignored or saw, per (student, assignment, cell).
FLAG_COLUMNS = ("student", "assignment", "grade_id", "reason")
#: nbgrader ids of the students: the folder names can be anything, these are plain
SID_FORMAT = "student-{:05d}"
#: Why a notebook whose cells were all deleted is not graded (it is flagged, and scores 0).
DELETED = "every cell of the notebook was deleted: nothing to grade"
#: The largest notebook that is graded (a course notebook with outputs is well under 5 MB).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Flag:
    grade_id: str
    reason: str


@dataclass
class Submission:
    """One student's work on one assignment, and what became of it."""

    student: str
    assignment: str
    sid: str = ""  # the id nbgrader knows the student by
    status: str = "graded"  # graded | missing | unreadable | failed
    notes: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)
    hints: dict[str, str] = field(default_factory=dict)  # grade_id -> the likely mistake, where a check named one
    files: dict[str, str] = field(default_factory=dict)  # notebook file name -> its text, to grade
    timestamp: str | None = None
    feedback: dict[str, str] = field(default_factory=dict)  # feedback file name -> html

    @property
    def label(self) -> str:
        return printable(f"{self.student} / {self.assignment}")

    @property
    def total(self) -> tuple[float, float]:
        """(score, maximum) over the submission's graded cells."""
        return sum(v[0] for v in self.scores.values()), sum(v[1] for v in self.scores.values())


def say(message: str) -> None:
    """A line for the instructor on stderr (control characters shown as escapes)."""
    print(printable(message, keep="\n"), file=sys.stderr, flush=True)


def fmt(x: float) -> str:
    return f"{x:g}"


def students_of(submissions: Path) -> list[str]:
    """Every student folder, whatever its name (only editor and cache folders are skipped;
    a symbolic link is not a student folder)."""
    from grader.notebooks import IGNORED_DIRS

    return sorted(d.name for d in submissions.iterdir()
                  if d.is_dir() and not d.is_symlink() and d.name not in IGNORED_DIRS)


def _parse_notebook(text: str) -> None:
    """Raise ValueError (never quoting the file) unless ``text`` is a notebook with cells."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's warnings about old or sloppy files
            nb = nbformat.reads(text, as_version=4)
    except ValueError as exc:  # json.JSONDecodeError included: its position, not its text
        where = f" at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise ValueError(f"not a notebook (invalid JSON{where})") from None
    except Exception as exc:
        raise ValueError(f"not a notebook ({type(exc).__name__})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook (no cells)")
    if not nb.cells:
        raise ValueError(DELETED)


def prepare(sub: Submission, folder: Path, source: Path) -> None:
    """Check the student's notebooks and keep the readable ones (as text) for grading.

    Files are read with :func:`grader.inputs.read_regular` (no symbolic links, no special
    files, size-capped); what is wrong is a note that names the file, never its content.
    """
    from grader.notebooks import notebook_files

    expected = notebook_files(source / sub.assignment)
    if not folder.is_dir() or folder.is_symlink():
        sub.status, sub.notes = "missing", ["no submission folder" if not folder.is_symlink()
                                            else "the submission folder is a symbolic link: not graded"]
        return
    found = {p.stem: p for p in listed(folder, "*.ipynb")}
    if len(expected) == 1 and expected[0].stem not in found and len(found) == 1:
        (other,) = found.values()
        sub.notes.append(f"notebook {printable(other.name)} graded as {expected[0].name}")
        found = {expected[0].stem: other}
    for src_nb in expected:
        path = found.get(src_nb.stem)
        if path is None:
            sub.notes.append(f"{src_nb.name} missing")
            continue
        try:
            text = read_regular(path, MAX_NOTEBOOK_BYTES).decode("utf-8")
            _parse_notebook(text)
        except UnicodeDecodeError:
            sub.notes.append(f"{printable(path.name)} unreadable (not UTF-8 text)")
            continue
        except (InputError, ValueError) as exc:
            sub.notes.append(f"{printable(path.name)} unreadable ({exc})")
            if str(exc) == DELETED:
                sub.flags.append(Flag("", f"{printable(path.name)}: {DELETED}"))
            continue
        sub.files[src_nb.name] = text
    if not sub.files:
        sub.status = "unreadable" if found else "missing"
        return
    stamp, problem = read_timestamp(folder / "timestamp.txt")
    sub.timestamp = stamp
    if problem:
        sub.notes.append(problem)
        sub.flags.append(Flag("", problem))


def guarded(sub: Submission, step: Callable[..., None], *args) -> None:
    """Run one per-submission step; an unexpected error fails that submission, not the run."""
    try:
        step(*args)
    except Exception as exc:
        sub.status = "failed"
        sub.notes.append(f"the grader failed on it ({type(exc).__name__})")


def write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write a CSV atomically (readers see the old file or the whole new one, never a part);
    control characters of every field are shown as escapes (:func:`grader.inputs.printable`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows([tuple(printable(v) if isinstance(v, str) else v for v in row) for row in rows])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_grades(subs: list[Submission], output: Path) -> None:
    """The grades CSV (:data:`CSV_COLUMNS`) and ``flags.csv`` next to it (:data:`FLAG_COLUMNS`)."""
    write_csv(output, CSV_COLUMNS, [
        (s.student, s.assignment, gid, fmt(score), fmt(points))
        for s in subs for gid, (score, points) in s.scores.items()
    ])
    write_csv(output.parent / "flags.csv", FLAG_COLUMNS, [
        (s.student, s.assignment, f.grade_id, f.reason) for s in subs for f in s.flags
    ])
