"""``python -m grader autograde``: grade submitted notebooks with nbgrader.

Layout of the submissions: ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb``
(nbgrader's ``submitted/`` layout; a ``timestamp.txt`` next to the notebook is honoured).

Outputs:

- the grades CSV, one row per graded test cell of every (student, assignment), columns
  exactly :data:`grader.submissions.CSV_COLUMNS`. Every student folder gets rows for every graded
  assignment: a missing, unreadable or ungradable notebook scores 0 on each cell, with
  a message on stderr, so that no student and no grade ever goes missing;
- ``flags.csv`` next to it (:data:`grader.submissions.FLAG_COLUMNS`): what the rebuild ignored (edited test
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

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from grader import SOLUTIONS, GradingError
from grader.feedback import fallback_feedback
from grader.inputs import printable
from grader.jobs import chunks, close_warm, expected_cells, run_jobs
from grader.notebooks import assignments as find_assignments
from grader.notebooks import notebook_files
from grader.release import select
from grader.submissions import SID_FORMAT, Flag, Submission, fmt, guarded, prepare, say, students_of, write_grades


def choose_assignments(submissions: Path, students: list[str], source: Path, wanted: list[str] | None) -> list[str]:
    """``wanted``, or every assignment of ``source`` that at least one student submitted."""
    if wanted:
        return select(source, wanted)
    available = find_assignments(source)
    if not available:
        raise GradingError(f"no assignment notebooks found in {source}")
    submitted = {d.name for s in students for d in (submissions / s).iterdir() if d.is_dir()}
    for name in sorted(submitted - set(available)):
        say(f"warning: folder {printable(repr(name))} in some submissions is not an assignment of {source}; ignored")
    return [a for a in available if a in submitted]


def _expected_cells(source: Path, assignment: str) -> list[tuple[str, str, float]]:
    """:func:`grader.jobs.expected_cells`, with a clear error for a broken or empty source."""
    try:
        cells = expected_cells(source, assignment)
    except Exception as exc:
        raise GradingError(f"cannot read the source notebooks of {source / assignment}: {exc}") from exc
    if not cells:
        raise GradingError(f"{source / assignment} has no graded cells")
    return cells


def _write_feedback(sub: Submission, source: Path, feedback: Path) -> None:
    """The student's feedback pages: nbgrader's, or a plain page (why, and the scores)."""
    target = feedback / sub.student / sub.assignment
    try:
        if target.exists():
            shutil.rmtree(target)
        if sub.status == "graded" and sub.feedback:
            target.mkdir(parents=True)
            for name, page in sub.feedback.items():
                (target / Path(name).name).write_text(page, encoding="utf-8")
            return
        for nb in notebook_files(source / sub.assignment):
            fallback_feedback(sub, target / f"{nb.stem}.html")
    except Exception as exc:  # the grades are safe in the CSV already
        say(f"warning: {sub.label}: no feedback HTML ({type(exc).__name__}: {exc})")


def grade_all(subs: list[Submission], assignments: list[str], source: Path, timeout: float | None, sandbox: str,
              jobs: int, scheduler: str | None, verbose: bool, with_feedback: bool,
              keep_autograded: bool = False, on_result: Callable[[Submission, dict | None], None] | None = None) -> None:
    """Grade the prepared submissions as jobs (:mod:`grader.jobs`) and fill in their results.

    The solution notebook of every assignment is graded first, as a canary: if it does not
    get full marks, grading is broken and :class:`GradingError` is raised before anything
    is written. Local workers leave the canary to this process, which grades it while they
    start on the students; every Dask worker grades its own. ``on_result(sub, result)`` is
    called as each submission's result arrives, after the canaries passed.
    """
    todo = {a: [s for s in subs if s.assignment == a and s.status == "graded"] for a in assignments}
    base = {"source": str(source), "timeout": timeout, "sandbox": sandbox, "verbose": verbose,
            "feedback": with_feedback, "autograded": keep_autograded, "check": bool(scheduler)}
    canaries = [dict(base, assignment=a, items=[], canary=True) for a in assignments] if subs and not scheduler else []
    work = []
    for a in assignments:
        for part in chunks(todo[a], jobs, scheduler):
            work.append((dict(base, assignment=a, items=[{"sid": s.sid, "files": s.files, "timestamp": s.timestamp}
                                                          for s in part]), part))
    by_job = {id(job): part for job, part in work}
    total = sum(len(part) for _job, part in work)
    bar = _progress(total, verbose)
    try:
        for job, result in run_jobs([job for job, _part in work], jobs, scheduler, here=canaries):
            if result["canary"]:
                raise GradingError("the solution notebook itself did not get full marks, so grading is broken "
                                   "and no grade was written:\n  " + "\n  ".join(result["canary"]))
            for sub in by_job.get(id(job), []):  # none for a canary
                r = result["results"].get(sub.sid)
                if r is None:
                    sub.status = "failed"
                    sub.notes.append("the grading job returned no result for it")
                else:
                    sub.status = r["status"]
                    sub.notes += r["notes"]
                    sub.flags += [Flag(gid, reason) for gid, reason in r["flags"]]
                    sub.scores = {gid: (sc, mx) for gid, (sc, mx) in r["scores"].items()}
                    sub.hints = dict(r["hints"])
                    sub.feedback = dict(r["feedback"])
                if on_result is not None:
                    on_result(sub, r)
                bar.update(1)
    finally:
        bar.close()
        close_warm()


def _progress(total: int, verbose: bool):
    """A progress bar on stderr (students done, rate, time left) when it is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", disable=not (verbose or sys.stderr.isatty()) or total == 0,
                file=sys.stderr, dynamic_ncols=True)


def _summary(subs: list[Submission]) -> str:
    header = ("student", "assignment", "score", "status")
    rows = []
    for s in subs:
        got, total = s.total
        status = s.status + (f", {len(s.flags)} flag(s)" if s.flags else "")
        rows.append((printable(s.student), printable(s.assignment), f"{fmt(got)}/{fmt(total)}", status))
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
    jobs: int = 1,
    scheduler: str | None = None,
) -> list[Submission]:
    """Grade every student folder of ``submissions``; see the module docstring.

    ``timeout``: seconds one call of a student's function may run; ``sandbox``: auto,
    bwrap or process (see :mod:`grader.sandbox`); ``jobs``: local worker processes;
    ``scheduler``: a Dask scheduler's address to grade on its workers instead.
    """
    submissions, output, source = Path(submissions), Path(output), Path(source)
    feedback = Path(feedback) if feedback else output.parent / "feedback"
    if not submissions.is_dir():
        raise GradingError(f"submissions folder {submissions} does not exist")
    if jobs < 1:
        raise GradingError(f"--jobs must be at least 1; got {jobs}")
    students = students_of(submissions)
    assignments = choose_assignments(submissions, students, source, wanted)
    cells = {a: _expected_cells(source, a) for a in assignments}
    ids = {s: SID_FORMAT.format(i) for i, s in enumerate(students, 1)}
    subs = [Submission(s, a, ids[s]) for a in assignments for s in students]
    if not subs:
        say(f"warning: nothing to grade in {submissions}")
    for sub in subs:
        guarded(sub, prepare, sub, submissions / sub.student / sub.assignment, source)

    grade_all(subs, assignments, source, timeout, sandbox, jobs, scheduler, verbose, with_feedback=True)
    for sub in subs:  # every (student, assignment, graded cell) gets a row
        for _nb, gid, points in cells[sub.assignment]:
            if gid not in sub.scores or sub.status != "graded":
                if sub.status == "graded":
                    sub.notes.append(f"no grade recorded for {gid}")
                sub.scores[gid] = (0.0, float(points))
        sub.scores = {gid: sub.scores[gid] for _nb, gid, _p in cells[sub.assignment]}
    write_grades(subs, output)
    for sub in subs:
        _write_feedback(sub, source, feedback)

    for sub in subs:
        if sub.status != "graded":
            say(f"{sub.label}: {sub.status}: {printable('; '.join(sub.notes))}. Every cell scores 0.")
        elif sub.notes:
            say(f"{sub.label}: {printable('; '.join(sub.notes))}")
        for flag in sub.flags:
            say(f"FLAG {sub.label} {printable(flag.grade_id)}: {printable(flag.reason)}")
    print(_summary(subs) if subs else "nothing graded")
    print(f"\ngrades: {output}\nflags: {output.parent / 'flags.csv'} "
          f"({sum(len(s.flags) for s in subs)})\nfeedback: {feedback}")
    return subs
