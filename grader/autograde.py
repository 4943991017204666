"""``python -m grader autograde``: grade submitted notebooks with nbgrader.

Layout of the submissions: ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb``
(nbgrader's ``submitted/`` layout; a ``timestamp.txt`` next to the notebook is honoured).

Outputs:

- the grades CSV, one row per graded test cell of every (student, assignment), columns
  exactly :data:`CSV_COLUMNS`. Every student folder gets rows for every graded
  assignment: a missing, unreadable or ungradable notebook scores 0 on each cell, with
  a message on stderr, so that no student and no grade ever goes missing;
- ``flags.csv`` next to it (:data:`FLAG_COLUMNS`): what the rebuild ignored (edited test
  cells, changed points, duplicated or extra cells, lost metadata) and what the engine
  saw (timeouts, crashes, processes that ended);
- feedback HTML per student, ``<feedback>/<student>/<assignment>/<notebook>.html``,
  without hidden tests.

Grading runs through nbgrader with the engine of :mod:`grader.engine` (student code in a
sandboxed process, the score decided in this one). Student folders may have any name:
nbgrader sees each student under an internal id, and the outputs use the folder's name.
Before the students, the solution notebook itself is graded as a canary submission: if it
does not get full marks, grading is broken (environment, checks) and the run stops
before any grade is written, instead of handing out wrong zeros. The CSV files are
written atomically.
"""
from __future__ import annotations

import csv
import html
import logging
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader import SOLUTIONS, GradingError
from grader.course import Course
from grader.notebooks import IGNORED_DIRS, grade_cells, notebook_files, read
from grader.notebooks import assignments as find_assignments
from grader.rebuild import FLAGS_KEY
from grader.release import select

CSV_COLUMNS = ("student", "assignment", "grade_id", "score", "max_score")
FLAG_COLUMNS = ("student", "assignment", "grade_id", "reason")
CANARY = "_solution_canary_"
#: nbgrader ids of the students (never the canary), and that glob for nbgrader's --student
SID_FORMAT, STUDENT_GLOB = "student-{:05d}", "student-*"
_SID = re.compile(r"student-\d{5}")



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

    @property
    def label(self) -> str:
        return f"{self.student} / {self.assignment}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fmt(x: float) -> str:
    return f"{x:g}"


def students_of(submissions: Path) -> list[str]:
    """Every student folder, whatever its name (only editor and cache folders are skipped)."""
    return sorted(d.name for d in submissions.iterdir() if d.is_dir() and d.name not in IGNORED_DIRS)


def choose_assignments(submissions: Path, students: list[str], source: Path, wanted: list[str] | None) -> list[str]:
    """``wanted``, or every assignment of ``source`` that at least one student submitted."""
    if wanted:
        return select(source, wanted)
    available = find_assignments(source)
    if not available:
        raise GradingError(f"no assignment notebooks found in {source}")
    submitted = {d.name for s in students for d in (submissions / s).iterdir() if d.is_dir()}
    for name in sorted(submitted - set(available)):
        _say(f"warning: folder {name!r} in some submissions is not an assignment of {source}; ignored")
    return [a for a in available if a in submitted]


def _expected_cells(source: Path, assignment: str) -> list[tuple[str, str, float]]:
    """(notebook, grade_id, points) of every graded cell of an assignment, in order."""
    cells = []
    for path in notebook_files(source / assignment):
        try:
            nb = read(path)
        except Exception as exc:
            raise GradingError(f"cannot read the source notebook {path}: {exc}") from exc
        cells += [(path.stem, gid, pts) for gid, pts in grade_cells(nb)]
    if not cells:
        raise GradingError(f"{source / assignment} has no graded cells")
    return cells


def _prepare(sub: Submission, folder: Path, source: Path, course: Course) -> None:
    """Check the student's notebooks and put the readable ones in nbgrader's ``submitted/``."""
    expected = notebook_files(source / sub.assignment)
    if not folder.is_dir():
        sub.status, sub.notes = "missing", ["no submission folder"]
        return
    found = {p.stem: p for p in notebook_files(folder)}
    if len(expected) == 1 and expected[0].stem not in found and len(found) == 1:
        (other,) = found.values()
        sub.notes.append(f"notebook {other.name} graded as {expected[0].name}")
        found = {expected[0].stem: other}
    dest = course.path("submitted", sub.assignment, sub.sid)
    readable = 0
    for src_nb in expected:
        path = found.get(src_nb.stem)
        if path is None:
            sub.notes.append(f"{src_nb.name} missing")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbformat's warnings about old or sloppy files
                nb = read(path)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("no cells")
        except Exception as exc:
            why = str(exc).splitlines()[0][:120] if str(exc) else ""
            sub.notes.append(f"{path.name} unreadable ({type(exc).__name__}: {why})")
            continue
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / src_nb.name)
        readable += 1
    if readable == 0:
        sub.status = "unreadable" if found else "missing"
    elif (folder / "timestamp.txt").is_file():
        shutil.copyfile(folder / "timestamp.txt", dest / "timestamp.txt")


def _failure_reason(records: list[logging.LogRecord], error: str) -> str:
    """The last exception nbgrader logged (not its own summary): what to tell the instructor."""
    lines = [ln.strip() for r in records if r.levelno >= logging.ERROR for ln in r.getMessage().splitlines()]
    lines += [ln.strip() for ln in error.splitlines()]
    exception = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b(:.*)?$")
    causes = [ln for ln in lines if exception.match(ln) and "NbGraderException" not in ln]
    return causes[-1] if causes else next((ln for ln in lines if ln), "unknown error")


def _by_student(records: list[logging.LogRecord]) -> dict[str, list[logging.LogRecord]]:
    """nbgrader's log of a run over many students, cut into each student's part."""
    parts: dict[str, list[logging.LogRecord]] = {}
    current = ""
    for r in records:
        m = _SID.search(r.getMessage())
        if m:
            current = m.group(0)
        parts.setdefault(current, []).append(r)
    return parts


def _collect(course: Course, sub: Submission, records: list[logging.LogRecord], error: str) -> None:
    """After an autograde run: the flags of ``sub``, or why it was not graded."""
    folder = course.path("autograded", sub.assignment, sub.sid)
    graded = notebook_files(folder) if folder.is_dir() else []
    if not graded:
        sub.status = "failed"
        sub.notes.append(f"nbgrader could not grade it: {_failure_reason(records, error)}")
        return
    for path in graded:
        meta = read(path).metadata.get(FLAGS_KEY, {})
        sub.flags += [Flag(str(gid), str(reason)) for gid, reason in meta.get("flags", [])]
        sub.flags += [Flag("", f"grading: {event}") for event in meta.get("events", [])]


def _grade(course: Course, sub: Submission) -> None:
    """Grade one submission (the canary) in an nbgrader run of its own."""
    ok, records, error = course.run("autograde", sub.assignment, sub.sid)
    _collect(course, sub, records, error if not ok else "")


def _grade_batch(course: Course, subs: list[Submission]) -> None:
    """Grade every prepared submission of one assignment in a single nbgrader run.

    nbgrader goes on after a submission it cannot grade (and removes its partial output),
    so one bad notebook costs only its student; the log tells which and why.
    """
    if not subs:
        return
    ok, records, error = course.run("autograde", subs[0].assignment, STUDENT_GLOB)
    parts = _by_student(records)
    for sub in subs:
        _guarded(sub, _collect, course, sub, parts.get(sub.sid, []), "" if ok else "see nbgrader's log (-v)")


def _read_scores(course: Course, subs: list[Submission], cells: dict[str, list[tuple[str, str, float]]]) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    coursedir = course.api.coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for sub in subs:
            for nb, gid, points in cells[sub.assignment]:
                score = 0.0
                if sub.status == "graded":
                    try:
                        grade = gb.find_grade(gid, nb, sub.assignment, sub.sid)
                        score, points = float(grade.score or 0.0), float(grade.max_score)
                    except MissingEntry:
                        sub.notes.append(f"no grade recorded for {gid}")
                sub.scores[gid] = (score, points)


def _fallback_feedback(sub: Submission, path: Path) -> None:
    """A plain feedback page for a submission nbgrader could not render: why, and the scores."""
    got, total = sum(v[0] for v in sub.scores.values()), sum(v[1] for v in sub.scores.values())
    if sub.status == "graded":
        intro = "Your submission was graded, but its detailed feedback page could not be made."
    else:
        intro = f"Your submission could not be graded ({sub.status}), so every exercise scores 0."
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in sub.notes)
    advice = ("<p>Submit the course notebook, saved from Jupyter, in the assignment's folder.</p>\n"
              if sub.status in ("missing", "unreadable") else "")
    rows = "".join(f"<tr><td>{html.escape(gid)}</td><td>{_fmt(sc)} / {_fmt(mx)}</td></tr>"
                   for gid, (sc, mx) in sub.scores.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Feedback: {html.escape(sub.assignment)}"
        f"</title></head><body>\n<h1>{html.escape(sub.assignment)}: {_fmt(got)} / {_fmt(total)}</h1>\n"
        f"<p>{intro}</p>\n<ul>{notes}</ul>\n<table>{rows}</table>\n{advice}</body></html>\n",
        encoding="utf-8",
    )


def _feedback(course: Course, subs: list[Submission], source: Path, feedback: Path) -> None:
    """Feedback HTML of one assignment's submissions: nbgrader's, in one run; a plain page
    (why, and the scores) for whoever nbgrader could not render."""
    if not subs:
        return
    made_ok, records, error = False, [], ""
    if any(s.status == "graded" for s in subs):
        made_ok, records, error = course.run("generate_feedback", subs[0].assignment, STUDENT_GLOB)
    parts = _by_student(records)
    for sub in subs:
        target = feedback / sub.student / sub.assignment
        try:
            if target.exists():
                shutil.rmtree(target)
            made = course.path("feedback", sub.assignment, sub.sid)
            if sub.status == "graded" and made.is_dir() and any(made.glob("*.html")):
                shutil.copytree(made, target)
                continue
            if sub.status == "graded":
                _say(f"warning: {sub.label}: no feedback HTML ({_failure_reason(parts.get(sub.sid, []), error)})")
            for nb in notebook_files(source / sub.assignment):
                _fallback_feedback(sub, target / f"{nb.stem}.html")
        except Exception as exc:  # the grades are safe in the CSV already
            _say(f"warning: {sub.label}: no feedback HTML ({type(exc).__name__}: {exc})")


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write a CSV atomically: readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _guarded(sub: Submission, step, *args) -> None:
    """Run one per-submission step; an unexpected error fails that submission, not the run."""
    try:
        step(*args)
    except Exception as exc:
        sub.status = "failed"
        sub.notes.append(f"the grader failed on it ({type(exc).__name__}: {exc})")


def _write_outputs(subs: list[Submission], output: Path) -> None:
    _write_csv(output, CSV_COLUMNS, [
        (s.student, s.assignment, gid, _fmt(score), _fmt(points))
        for s in subs for gid, (score, points) in s.scores.items()
    ])
    _write_csv(output.parent / "flags.csv", FLAG_COLUMNS, [
        (s.student, s.assignment, f.grade_id, f.reason) for s in subs for f in s.flags
    ])


def _summary(subs: list[Submission]) -> str:
    header = ("student", "assignment", "score", "status")
    rows = []
    for s in subs:
        got, total = sum(v[0] for v in s.scores.values()), sum(v[1] for v in s.scores.values())
        status = s.status + (f", {len(s.flags)} flag(s)" if s.flags else "")
        rows.append((s.student, s.assignment, f"{_fmt(got)}/{_fmt(total)}", status))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def autograde(
    submissions: Path,
    output: Path,
    wanted: list[str] | None = None,
    feedback: Path | None = None,
    source: Path = SOLUTIONS,
    timeout: float | None = None,
    verbose: bool = False,
    sandbox: str = "auto",
) -> list[Submission]:
    """Grade every student folder of ``submissions``; see the module docstring.

    ``timeout``: seconds one call of a student's function may run; ``sandbox``: auto,
    bwrap or process (see :mod:`grader.sandbox`).
    """
    submissions, output, source = Path(submissions), Path(output), Path(source)
    feedback = Path(feedback) if feedback else output.parent / "feedback"
    if not submissions.is_dir():
        raise GradingError(f"submissions folder {submissions} does not exist")
    students = students_of(submissions)
    names = choose_assignments(submissions, students, source, wanted)
    cells = {a: _expected_cells(source, a) for a in names}
    ids = {s: SID_FORMAT.format(i) for i, s in enumerate(students, 1)}
    subs = [Submission(s, a, ids[s]) for a in names for s in students]
    if not subs:
        _say(f"warning: nothing to grade in {submissions}")

    if subs:
        with Course(source, names, timeout=timeout, verbose=verbose, sandbox=sandbox) as course:
            canaries = []
            for a in names:
                course.generate(a)
                canary = Submission(CANARY, a, CANARY)
                dest = course.path("submitted", a, CANARY)
                dest.mkdir(parents=True)
                for nb in notebook_files(source / a):
                    shutil.copyfile(nb, dest / nb.name)
                _guarded(canary, _grade, course, canary)
                canaries.append(canary)
            _read_scores(course, canaries, cells)
            broken = [f"{c.assignment}: {gid} scored {_fmt(sc)}/{_fmt(mx)}"
                      for c in canaries for gid, (sc, mx) in c.scores.items() if sc < mx]
            broken += [f"{c.assignment}: {'; '.join(c.notes)}" for c in canaries if c.status != "graded"]
            if broken:
                raise GradingError("the solution notebook itself did not get full marks, so grading is broken "
                                   "and no grade was written:\n  " + "\n  ".join(broken))
            for sub in subs:
                _guarded(sub, _prepare, sub, submissions / sub.student / sub.assignment, source, course)
            for a in names:
                todo = [sub for sub in subs if sub.assignment == a and sub.status == "graded"]
                if verbose or sys.stderr.isatty():
                    _say(f"grading {len(todo)} submission(s) of {a}")
                _grade_batch(course, todo)
            _read_scores(course, subs, cells)
            _write_outputs(subs, output)
            for a in names:
                _feedback(course, [sub for sub in subs if sub.assignment == a], source, feedback)
    else:
        _write_outputs(subs, output)

    for sub in subs:
        if sub.status != "graded":
            _say(f"{sub.label}: {sub.status}: {'; '.join(sub.notes)}. Every cell scores 0.")
        elif sub.notes:
            _say(f"{sub.label}: {'; '.join(sub.notes)}")
        for flag in sub.flags:
            _say(f"FLAG {sub.label} {flag.grade_id}: {flag.reason}")
    print(_summary(subs) if subs else "nothing graded")
    print(f"\ngrades: {output}\nflags: {output.parent / 'flags.csv'} "
          f"({sum(len(s.flags) for s in subs)})\nfeedback: {feedback}")
    return subs
