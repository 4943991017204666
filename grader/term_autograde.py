"""``python -m grader autograde --course-dir``: grade a term's course with the engine.

:func:`autograde_course` grades the new or changed submissions of ``COURSE/submitted`` on N
local workers or a Dask cluster (:mod:`grader.jobs`), in three steps:

1. :func:`select` -- which submissions to grade: new or changed since the last run (the
   state file ``.grader/graded.json`` holds a fingerprint per submission), or all with
   ``force``; files that belong to no student or assignment are listed, never fatal;
2. grading, with :func:`grader.autograde.grade_all` (the same jobs as the CSV mode);
3. :func:`record` -- each result written into the course by nbgrader itself (an
   ``autograde`` run whose grading step takes the worker's graded notebook), so the
   gradebook, the late penalty and formgrader are nbgrader's; only this process writes the
   gradebook. A submission that cannot be graded (unreadable, every cell deleted) gets
   a 0 with the reason in the gradebook (a flagged notebook, the reason as comment) and
   a feedback page. The tamper flags go to ``COURSE/flags.csv``, to stderr and onto the
   notebook in the gradebook (nbgrader's ``flagged``, shown by formgrader). A manual
   score (formgrader) is nbgrader's and counts over any new automatic score: each such
   cell is printed. The state file is updated after every submission, so an interrupted
   run resumes where it stopped, without grading anyone twice.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader import GradingError
from grader.feedback import fallback_feedback
from grader.gradebook import cell_scores, late_penalty, manual_overrides
from grader.inputs import InputError, printable, read_regular
from grader.jobs import expected_cells
from grader.notebooks import assignments as find_assignments
from grader.notebooks import notebook_files
from grader.submissions import FLAG_COLUMNS, SID_FORMAT, Flag, Submission, fmt, guarded, prepare, say, write_csv
from grader.term import TermCourse

STATE = Path(".grader") / "graded.json"
#: Files the exchange puts beside a submitted notebook (besides ``timestamp.txt``).
EXCHANGE_FILES = ("submission_secret.txt",)
#: The course's flags, one row per flag of the latest grading of each submission.
FLAGS_FILE = "flags.csv"
_HASHED_BYTES = 64 * 1024 * 1024  # a larger file is fingerprinted by its size and time, not read


def _fingerprint(folder: Path) -> str:
    """What identifies a submission folder's content; symbolic links and special files by
    what they are, never followed or read."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            st = os.lstat(path)
            digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
            if stat.S_ISREG(st.st_mode) and st.st_size <= _HASHED_BYTES:
                with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW | os.O_NONBLOCK)) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
            elif stat.S_ISLNK(st.st_mode):
                digest.update(b"link:" + os.fsencode(os.readlink(path)))
            else:
                digest.update(f"{stat.S_IFMT(st.st_mode)}:{st.st_size}:{st.st_mtime_ns}".encode())
            digest.update(b"\0")
    return digest.hexdigest()


def _load_state(root: Path) -> dict:
    try:
        return json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(root: Path, assignment: str, student: str, fingerprint: str) -> None:
    """Record one graded submission in the state file: under a lock, merged with what is
    there (another run may be grading other assignments at the same time), written atomically."""
    path = root / STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / "graded.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _load_state(root)
        state.setdefault(assignment, {})[student] = fingerprint
        fd, tmp = tempfile.mkstemp(prefix=".graded.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def _renamed(folder: Path, source: Path) -> str:
    """Why nbgrader cannot record a submission whose notebook has another name ("" if it can).

    nbgrader keeps a notebook's grades under the source notebook's name and skips any other
    notebook, so ``01_forward_propagation-1.ipynb`` (Canvas's name for a resubmission) would
    be graded and then lost. It must be renamed in ``submitted/`` (or dropped by the
    ``zip_collect`` pattern, see docs/grading.md)."""
    found = {p.name for p in notebook_files(folder)}
    expected = {p.name for p in notebook_files(source)}
    strays, missing = sorted(found - expected), sorted(expected - found)
    if not (strays and missing):
        return ""
    return (f"{', '.join(strays)} is not named as the assignment's notebook ({', '.join(missing)}), and nbgrader "
            f"records grades only under that name: rename it in {folder} (an LMS that adds -1 to a "
            f"resubmission: drop the suffix in FileNameCollectorPlugin.named_regexp, see docs/grading.md)")


@dataclass
class TermResult:
    graded: list[tuple[str, str]] = field(default_factory=list)      # (assignment, student)
    skipped: list[tuple[str, str]] = field(default_factory=list)     # unchanged since last time
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (assignment, student, why)
    unmatched: list[str] = field(default_factory=list)               # files that belong to no student/assignment
    #: (student, assignment, score, max, late penalty, status) of every submission graded in this run
    table: list[tuple[str, str, float, float, float, str]] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)               # manual scores over new automatic ones
    flags: list[tuple[str, str, str, str]] = field(default_factory=list)  # (student, assignment, grade_id, reason)


@dataclass
class Selection:
    """What :func:`select` chose: the submissions to grade and their fingerprints."""

    subs: list[Submission]
    prints: dict[tuple[str, str], str]


def select(root: Path, assignments: list[str], force: bool, out: TermResult) -> Selection:
    """The new or changed submissions of ``root/submitted`` (all with ``force``), prepared
    for grading; files that belong to no assignment go to ``out.unmatched``, renamed
    notebooks to ``out.failed``, unchanged submissions to ``out.skipped``."""
    source, submitted = root / "source", root / "submitted"
    known = find_assignments(source)
    students = sorted(d.name for d in submitted.iterdir() if d.is_dir() and not d.is_symlink()) \
        if submitted.is_dir() else []
    for item in sorted(submitted.iterdir()) if submitted.is_dir() else []:
        if not (item.is_dir() and not item.is_symlink()):
            out.unmatched.append(str(item.relative_to(root)))
    for s in students:
        for item in sorted((submitted / s).iterdir()):
            if not item.is_dir() or item.is_symlink() or item.name not in known:
                out.unmatched.append(str(item.relative_to(root)))
    state = _load_state(root)
    chosen = Selection([], {})
    for a in assignments:
        expected = {p.name for p in notebook_files(source / a)} | {"timestamp.txt", *EXCHANGE_FILES}
        for i, s in enumerate(students, 1):
            folder = submitted / s / a
            if not folder.is_dir() or folder.is_symlink():
                continue
            key = (a, s)
            chosen.prints[key] = _fingerprint(folder)
            done = (root / "autograded" / s / a).is_dir() or state.get(a, {}).get(s, "").startswith("0:")
            if not force and done and state.get(a, {}).get(s, "").removeprefix("0:") == chosen.prints[key]:
                out.skipped.append(key)
                continue
            renamed = _renamed(folder, source / a)
            if renamed:
                out.failed.append((a, s, renamed))
                continue
            out.unmatched += [str(p.relative_to(root)) for p in sorted(folder.iterdir()) if p.name not in expected]
            sub = Submission(s, a, SID_FORMAT.format(i))
            guarded(sub, prepare, sub, folder, source)
            chosen.subs.append(sub)
    return chosen


def _flag_in_gradebook(course: TermCourse, sub: Submission) -> None:
    """nbgrader's ``flagged`` on the submission's notebooks, so formgrader shows it."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        for nb in gb.find_submission(sub.assignment, sub.student).notebooks:
            nb.flagged = True
        gb.db.commit()


def _record_zero(course: TermCourse, sub: Submission, why: str) -> None:
    """A 0 on every cell of a submission that could not be graded, with the reason (a
    flagged notebook, the reason as the comment of its answer cells) and a feedback page."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student(sub.student)
        submission = gb.update_or_create_submission(sub.assignment, sub.student)
        for nb in submission.notebooks:
            nb.flagged = True
            for grade in nb.grades:
                grade.auto_score = 0.0
            for comment in nb.comments:
                comment.auto_comment = f"Not graded: {why}"
        gb.db.commit()
    # an earlier submission's graded copy would give nbgrader's generate_feedback (and the
    # report's hints) the old work: it is derived data, the submission itself stays in submitted/
    shutil.rmtree(course.path("autograded", sub.assignment, sub.student), ignore_errors=True)
    cells = expected_cells(course.root / "source", sub.assignment)
    sub.scores = {gid: (0.0, float(points)) for _nb, gid, points in cells}
    for nb in notebook_files(course.root / "source" / sub.assignment):
        fallback_feedback(sub, course.path("feedback", sub.assignment, sub.student) / f"{nb.stem}.html")


def _summarize(course: TermCourse, sub: Submission, status: str, out: TermResult) -> None:
    """The submission's row of the summary, from the gradebook (manual scores included);
    every manual score that overrides the new automatic one is listed."""
    from nbgrader.api import Gradebook

    cells = expected_cells(course.root / "source", sub.assignment)
    with Gradebook(course.db_url, course.course_id) as gb:
        scores = cell_scores(gb, sub.assignment, sub.student, cells) or {}
        late = late_penalty(gb, sub.assignment, sub.student)
        for gid, manual, auto in manual_overrides(gb, sub.assignment, sub.student) if status == "graded" else []:
            out.overrides.append(f"{sub.label} {printable(gid)}: the manual score {fmt(manual)} (formgrader) counts, "
                                 f"not the new automatic score {fmt(auto)}")
    got, total = sum(v[0] for v in scores.values()), sum(v[1] for v in scores.values())
    out.table.append((sub.student, sub.assignment, got, total, late, status))


def _write_flags(root: Path, out: TermResult, regraded: set[tuple[str, str]]) -> None:
    """``COURSE/flags.csv``: the flags of this run's submissions replace their earlier ones."""
    import csv

    path = root / FLAGS_FILE
    (root / STATE).parent.mkdir(parents=True, exist_ok=True)
    with open((root / STATE).parent / "graded.lock", "w") as lock:  # another run may write it too
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = []
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as f:
                rows = [tuple(r) for r in list(csv.reader(f))[1:] if len(r) == len(FLAG_COLUMNS)]
        rows = [r for r in rows if (r[1], r[0]) not in regraded] + list(out.flags)
        write_csv(path, FLAG_COLUMNS, rows)


def _exchange_files(folder: Path, sub: Submission) -> dict[str, str]:
    """The exchange's files of a submission that nbgrader needs later (``submission_secret.txt``:
    ``release_feedback``), read as regular, small files; a bad one is flagged, not copied."""
    files = {}
    for name in EXCHANGE_FILES:
        if not os.path.lexists(folder / name):
            continue
        try:
            files[name] = read_regular(folder / name, 4096).decode("ascii")
        except (InputError, UnicodeDecodeError) as exc:
            sub.flags.append(Flag("", f"{name} not used ({exc if isinstance(exc, InputError) else 'not text'}): "
                                      f"the feedback cannot be released through the exchange"))
    return files


def autograde_course(root: Path, wanted: list[str] | None = None, force: bool = False, jobs: int = 1,
                     scheduler: str | None = None, timeout: float | None = None, sandbox: str = "auto",
                     verbose: bool = False) -> TermResult:
    """Grade the new or changed submissions of ``root/submitted`` into the course (module docstring)."""
    from grader.autograde import grade_all

    root = Path(root).resolve()
    out = TermResult()
    source = root / "source"
    known = find_assignments(source)
    assignments = wanted or known
    unknown = [a for a in assignments if not (source / a).is_dir()]
    if unknown:
        raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; {source} holds {', '.join(known)}")
    chosen = select(root, assignments, force, out)

    # Ctrl-C must stop the run. nbgrader's API catches everything, KeyboardInterrupt included, and
    # reports a failed step instead: the grading (and recording) of every submission in flight
    # would "fail" and the run go on. So the interrupt is noted here and honoured in record().
    interrupted = []

    def on_sigint(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    catch = (threading.current_thread() is threading.main_thread()
             and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if catch:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        with TermCourse(root, verbose) as course:
            def on_result(sub: Submission, result: dict | None) -> None:
                if interrupted:
                    raise KeyboardInterrupt
                record(course, sub, result, chosen.prints[sub.assignment, sub.student], out)
                if interrupted:
                    raise KeyboardInterrupt

            for sub in chosen.subs:
                if sub.status != "graded":
                    on_result(sub, None)
            # only the assignments with work: each costs a warm course and a canary
            busy = [a for a in assignments if any(sub.assignment == a and sub.status == "graded" for sub in chosen.subs)]
            grade_all(chosen.subs, busy, source, timeout, sandbox, jobs, scheduler, verbose, with_feedback=False,
                      keep_autograded=True, on_result=on_result)
            if interrupted:
                raise KeyboardInterrupt
    finally:
        if catch:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if out.table or out.flags:
            _write_flags(root, out, {(a, s) for s, a, *_ in out.table})
    _report(out)
    return out


def record(course: TermCourse, sub: Submission, result: dict | None, fingerprint: str, out: TermResult) -> None:
    """Write one submission's outcome into the course (see the module docstring)."""
    key = (sub.assignment, sub.student)
    if sub.status in ("unreadable", "missing") and result is None:
        why = "; ".join(sub.notes) or sub.status
        _record_zero(course, sub, why)
        _save_state(course.root, *key, "0:" + fingerprint)
        out.flags.append((sub.student, sub.assignment, "", f"not graded: {why}"))
        out.graded.append(key)
        _summarize(course, sub, sub.status, out)
        return
    if sub.status != "graded" or result is None:
        out.failed.append((*key, "; ".join(sub.notes) or sub.status))
        return
    why = course.import_graded(sub.assignment, sub.student, result["autograded"], sub.timestamp,
                               _exchange_files(course.root / "submitted" / sub.student / sub.assignment, sub))
    if why:
        out.failed.append((*key, f"nbgrader could not record the grades: {why}"))
        return
    if sub.flags:
        _flag_in_gradebook(course, sub)
    out.flags += [(sub.student, sub.assignment, f.grade_id, f.reason) for f in sub.flags]
    _save_state(course.root, *key, fingerprint)
    out.graded.append(key)
    _summarize(course, sub, "graded", out)


def _report(out: TermResult) -> None:
    """What the instructor must read, on stderr."""
    for s, a, gid, reason in out.flags:
        say(f"FLAG {printable(s)} / {printable(a)} {printable(gid)}: {printable(reason)}")
    for line in out.overrides:
        say(line)
    for a, s, why in out.failed:
        say(f"{printable(s)} / {printable(a)}: not graded: {printable(why)}")
    for path in out.unmatched:
        say(f"warning: {printable(path)} belongs to no assignment of the course: not graded")


def summary_table(out: TermResult) -> str:
    """The submissions graded in a run: student, assignment, score, late penalty, status."""
    header = ("student", "assignment", "score", "late penalty", "final", "status")
    rows = [(printable(s), printable(a), f"{fmt(got)}/{fmt(total)}", fmt(late) if late else "-",
             fmt(max(0.0, got - late)), status) for s, a, got, total, late, status in out.table]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])
