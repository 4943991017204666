"""A term's persistent course: nbgrader's own course directory, graded with the engine.

``python -m grader init COURSE_DIR`` makes a stock nbgrader course directory (outside
the repository): ``source/`` from the course's assignments, an ``nbgrader_config.py``
that wires in the engine (:func:`grader.nbgrader_config.build_config`), the gradebook
(SQLite by default, any SQLAlchemy URL such as PostgreSQL with ``--db-url``), due dates
and the late penalty. From then on nbgrader's own commands work in it unchanged
(``generate_assignment``, ``release_assignment``, ``collect``, ``zip_collect``,
``autograde``, ``generate_feedback``, ``export``, formgrader), and ours add what nbgrader
lacks:

* :func:`autograde_course`: grades ``submitted/`` with the engine on N local workers or a
  Dask cluster (:mod:`grader.jobs`), only new or changed submissions unless ``force``;
  each result is written into the course by nbgrader itself (an ``autograde`` run whose
  grading step takes the worker's graded notebook), so the gradebook, the late penalty
  and formgrader are nbgrader's; only this process writes the gradebook. The state file
  ``.grader/graded.json`` is updated after every student, so an interrupted run resumes
  where it stopped, without grading anyone twice;
* :func:`export_grades`: one CSV row per student (a column per exercise, per assignment
  and the total, late penalties included, manual adjustments included);
* :func:`class_report`: :mod:`grader.report` from the gradebook and the "likely mistake"
  hints recorded in the autograded notebooks;
* :func:`similarity_report`: :mod:`grader.similarity` over the students' answer cells.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grader import REPO, SOLUTIONS, GradingError
from grader.course import copy_tree, isolated_environment, nbgrader_api_classes
from grader.engine import recorded_hints
from grader.jobs import expected_cells
from grader.notebooks import grade_id, is_answer, notebook_files, read
from grader.notebooks import assignments as find_assignments

COURSE_ID = "dlcourse"
STATE = Path(".grader") / "graded.json"
CONFIG_TEMPLATE = '''\
"""nbgrader configuration of this course, made by `python -m grader init`.

nbgrader's own commands (and formgrader) run in this folder with the course's grading
engine: student code runs in a sandbox, the score is decided by the course's checks.
Edit the settings below as you like; `python -m grader` reads this file too.
"""
import sys

sys.path.insert(0, {repo!r})  # the course kit (its `grader` and `dlcore` packages)

from grader.nbgrader_config import build_config  # noqa: E402

c = get_config()  # noqa: F821
c.merge(build_config({root!r}))
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
{exchange}
# Late submissions (due dates are in the gradebook: `python -m grader init --due A=DATE`).
{late}
'''


# --- init ------------------------------------------------------------------------------------------
def _late_config(penalty: str | None) -> str:
    if penalty in (None, "", "none"):
        return "# no late penalty: c.AssignLatePenalties.plugin_class = 'grader.late.PenaltyPerDay'"
    if penalty == "zero":
        return "c.LateSubmissionPlugin.penalty_method = 'zero'"
    try:
        per_day = float(penalty)
    except ValueError:
        raise GradingError(f"--late-penalty must be 'none', 'zero' or a fraction per day late such as 0.1; got {penalty!r}") from None
    if not 0 < per_day <= 1:
        raise GradingError(f"--late-penalty per day must be in (0, 1]; got {per_day}")
    return (f"c.AssignLatePenalties.plugin_class = 'grader.late.PenaltyPerDay'\n"
            f"c.PenaltyPerDay.per_day = {per_day!r}  # share of the notebook's score lost per started day")


def parse_due(values: list[str] | None) -> dict[str, dt.datetime]:
    """``A=2026-12-15T23:59`` (ISO date, time optional, UTC unless an offset is given) per assignment."""
    due = {}
    for value in values or []:
        name, sep, when = value.partition("=")
        if not sep or not name or not when:
            raise GradingError(f"--due takes ASSIGNMENT=DATE, e.g. 01_forward_propagation=2026-12-15T23:59; got {value!r}")
        try:
            stamp = dt.datetime.fromisoformat(when)
        except ValueError:
            raise GradingError(f"--due {name}: {when!r} is not an ISO date such as 2026-12-15T23:59") from None
        due[name] = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp
    return due


def init_course(root: Path, source: Path = SOLUTIONS, assignments: list[str] | None = None, db_url: str | None = None,
                due: dict[str, dt.datetime] | None = None, late_penalty: str | None = None,
                exchange: Path | None = None) -> list[str]:
    """Make (or update) the course directory ``root``; returns the assignments it holds."""
    root = Path(root).resolve()
    if root == REPO or REPO in root.parents:
        raise GradingError(f"make the course directory outside the repository; got {root}")
    names = assignments or find_assignments(source)
    unknown = [a for a in names if not (source / a).is_dir()]
    if unknown or not names:
        raise GradingError(f"unknown assignment(s) {', '.join(unknown) or '(none)'} in {source}")
    for a in (due or {}):
        if a not in names:
            raise GradingError(f"--due names {a!r}, which is not an assignment of this course ({', '.join(names)})")
    root.mkdir(parents=True, exist_ok=True)
    if exchange is None:
        (root / "exchange").mkdir(exist_ok=True)
        (root / "exchange").chmod(0o777)  # nbgrader's exchange is shared by every user of the machine
    for a in names:
        if (root / "source" / a).exists():
            shutil.rmtree(root / "source" / a)
        copy_tree(source / a, root / "source" / a)
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(
        repo=str(REPO), root=str(root), course_id=COURSE_ID, db_url=db_url,
        exchange=f"c.Exchange.root = {str(Path(exchange or root / 'exchange').resolve())!r}  # release/submit/collect",
        late=_late_config(late_penalty)), encoding="utf-8")
    with TermCourse(root) as course:
        for a in names:
            course.run("generate_assignment", a)
        from nbgrader.api import Gradebook

        with Gradebook(course.db_url, COURSE_ID) as gb:
            for a in names:
                gb.update_or_create_assignment(a, duedate=(due or {}).get(a))
    return names


# --- the course, through nbgrader's API -------------------------------------------------------------
#: Graded notebooks waiting to be written into the course: (assignment, student, notebook) -> text.
_GRADED: dict[tuple[str, str, str], str] = {}


class UseGradedNotebook(NbGraderPreprocessor):
    """Import step of ``autograde``: the notebook as the engine graded it (in a worker)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        key = (info["assignment"], info["student"], info["notebook"])
        if key not in _GRADED:
            raise RuntimeError(f"no graded notebook for {key}")
        return nbformat.reads(_GRADED[key], as_version=4), resources


class TermCourse:
    """nbgrader's API on the course directory ``root``, with its own ``nbgrader_config.py``."""

    def __init__(self, root: Path, verbose: bool = False):
        self.root, self.verbose = Path(root).resolve(), verbose
        if not (self.root / "nbgrader_config.py").is_file():
            raise GradingError(f"{self.root} is not a course directory (no nbgrader_config.py): "
                               f"make one with `python -m grader init {self.root}`")

    def __enter__(self) -> "TermCourse":
        self._tmp = Path(tempfile.mkdtemp(prefix="grader-term-"))
        self._env = isolated_environment(self._tmp / "home")
        self._env.__enter__()
        try:
            self._start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._env.__exit__(*exc)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _start(self) -> None:
        import logging

        from traitlets.config.loader import PyFileConfigLoader

        NbGraderAPI, CourseDirectory = nbgrader_api_classes()
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        self.config.CourseDirectory.root = str(self.root)
        self.log = logging.getLogger(f"grader.term.{id(self)}")
        self.log.propagate = self.verbose
        self.log.setLevel(logging.INFO if self.verbose else logging.ERROR)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=self.config), config=self.config, log=self.log)
        self.db_url = self.api.coursedir.db_url
        self.course_id = self.api.coursedir.course_id
        # The import of a graded notebook: nbgrader's autograde with the grading done elsewhere.
        importing = self.config.copy()
        importing.Autograde.sanitize_preprocessors = [UseGradedNotebook]
        kept = {"SaveAutoGrades", "AssignLatePenalties"}
        importing.Autograde.autograde_preprocessors = [
            p for p in self.config.Autograde.get("autograde_preprocessors", []) if getattr(p, "__name__", "") in kept]
        if not importing.Autograde.autograde_preprocessors:
            from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

            importing.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties]
        self.importer = NbGraderAPI(coursedir=CourseDirectory(config=importing), config=importing, log=self.log)

    def run(self, step: str, *args) -> None:
        result = getattr(self.api, step)(*args)
        if not result.get("success"):
            raise GradingError(f"nbgrader {step} {' '.join(map(str, args))} failed:\n{result.get('error') or result.get('log')}")

    def path(self, step: str, assignment: str, student: str | None = None) -> Path:
        return self.root / step / student / assignment if student else self.root / step / assignment

    def import_graded(self, assignment: str, student: str, notebooks: dict[str, str]) -> str:
        """Write one student's graded notebooks into the course with nbgrader; "" or the error."""
        keys = [(assignment, student, Path(name).stem) for name in notebooks]
        _GRADED.update({k: text for k, text in zip(keys, notebooks.values())})
        try:
            result = self.importer.autograde(assignment, student, force=True, create=True)
        finally:
            for k in keys:
                _GRADED.pop(k, None)
        return "" if result.get("success") else (result.get("error") or "nbgrader could not record it").strip().splitlines()[-1]


# --- autograde ---------------------------------------------------------------------------------------
def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _load_state(root: Path) -> dict:
    try:
        return json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(root: Path, assignment: str, student: str, fingerprint: str) -> None:
    """Record one graded submission in the state file: under a lock, merged with what is
    there (another run may be grading other assignments at the same time), written atomically."""
    import fcntl

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


def autograde_course(root: Path, wanted: list[str] | None = None, force: bool = False, jobs: int = 1,
                     scheduler: str | None = None, timeout: float | None = None, sandbox: str = "auto",
                     verbose: bool = False) -> TermResult:
    """Grade the new or changed submissions of ``root/submitted`` into the course (module docstring)."""
    from grader.autograde import Submission, SID_FORMAT, _prepare, _say, grade_all

    root = Path(root).resolve()
    out = TermResult()
    source = root / "source"
    known = find_assignments(source)
    names = wanted or known
    unknown = [a for a in names if not (source / a).is_dir()]
    if unknown:
        raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; {source} holds {', '.join(known)}")
    submitted = root / "submitted"
    students = sorted(d.name for d in submitted.iterdir() if d.is_dir()) if submitted.is_dir() else []
    for s in students:
        for item in sorted((submitted / s).iterdir()):
            if item.is_dir() and item.name not in known:
                out.unmatched.append(str(item.relative_to(root)))
            elif item.is_file():
                out.unmatched.append(str(item.relative_to(root)))
    for item in sorted(submitted.iterdir()) if submitted.is_dir() else []:
        if item.is_file():
            out.unmatched.append(str(item.relative_to(root)))
    state = _load_state(root)
    subs: list[Submission] = []
    prints: dict[tuple[str, str], str] = {}
    for a in names:
        for i, s in enumerate(students, 1):
            folder = submitted / s / a
            if not folder.is_dir():
                continue
            prints[a, s] = _fingerprint(folder)
            done = (root / "autograded" / s / a).is_dir()
            if not force and done and state.get(a, {}).get(s) == prints[a, s]:
                out.skipped.append((a, s))
                continue
            renamed = _renamed(folder, source / a)
            if renamed:
                out.failed.append((a, s, renamed))
                continue
            sub = Submission(s, a, SID_FORMAT.format(i))
            _prepare(sub, folder, source)
            subs.append(sub)

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
            def record(sub: Submission, result: dict | None) -> None:
                if interrupted:
                    raise KeyboardInterrupt
                key = (sub.assignment, sub.student)
                if sub.status != "graded" or result is None:
                    out.failed.append((*key, "; ".join(sub.notes) or sub.status))
                    return
                why = course.import_graded(sub.assignment, sub.student, result["autograded"])
                if interrupted:
                    raise KeyboardInterrupt
                if why:
                    out.failed.append((*key, f"nbgrader could not record the grades: {why}"))
                    return
                _save_state(root, sub.assignment, sub.student, prints[key])
                out.graded.append(key)

            for sub in subs:
                if sub.status != "graded":
                    record(sub, None)
            # only the assignments with work: each costs a warm course and a canary
            busy = [a for a in names if any(sub.assignment == a for sub in subs)]
            grade_all(subs, busy, source, timeout, sandbox, jobs, scheduler, verbose, with_feedback=False,
                      keep_autograded=True, on_result=record)
            if interrupted:
                raise KeyboardInterrupt
    finally:
        if catch:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    for a, s, why in out.failed:
        _say(f"{s} / {a}: not graded: {why}")
    for path in out.unmatched:
        _say(f"warning: {path} belongs to no assignment of the course: not graded")
    return out


# --- what the instructor reads -------------------------------------------------------------------------
def _cells(root: Path, assignment: str) -> list[tuple[str, str, float]]:
    return expected_cells(root / "source", assignment)


def gradebook_rows(root: Path) -> tuple[list[str], list[tuple[str, str]], dict]:
    """(students, [(assignment, grade_id)], {student: {"cells": {(a, gid): score}, "assignments": {a: total}}})
    from the gradebook: final scores (manual adjustments included), late penalties applied per assignment."""
    from nbgrader.api import Gradebook, MissingEntry

    with TermCourse(root) as course:
        with Gradebook(course.db_url, course.course_id) as gb:
            assignments = [a.name for a in gb.assignments]
            cells = {a: _cells(course.root, a) for a in assignments}  # read each source once
            columns = [(a, gid) for a in assignments for _nb, gid, _pts in cells[a]]
            students = sorted(s.id for s in gb.students)
            table: dict = {}
            for s in students:
                row = table[s] = {"cells": {}, "assignments": {}}
                for a in assignments:
                    try:
                        sub = gb.find_submission(a, s)
                    except MissingEntry:
                        row["assignments"][a] = 0.0
                        for _nb, gid, _pts in cells[a]:
                            row["cells"][a, gid] = 0.0
                        continue
                    for nb, gid, _pts in cells[a]:
                        try:
                            row["cells"][a, gid] = float(gb.find_grade(gid, nb, a, s).score or 0.0)
                        except MissingEntry:
                            row["cells"][a, gid] = 0.0
                    row["assignments"][a] = max(0.0, float(sub.score or 0.0) - float(sub.late_submission_penalty or 0.0))
    return students, columns, table


def export_grades(root: Path, output: Path) -> Path:
    """CSV: one row per student; a column per exercise (``assignment/grade_id``), per assignment, and the total."""
    from grader.autograde import _write_csv

    students, columns, table = gradebook_rows(root)
    assignments = list(dict.fromkeys(a for a, _ in columns))
    header = ("student", *[f"{a}/{gid}" for a, gid in columns], *assignments, "total")
    rows = []
    for s in students:
        cells = [f"{table[s]['cells'][c]:g}" for c in columns]
        totals = [table[s]["assignments"][a] for a in assignments]
        rows.append((s, *cells, *[f"{t:g}" for t in totals], f"{sum(totals):g}"))
    _write_csv(Path(output), header, rows)
    return Path(output)


def _hints(root: Path, assignment: str, student: str) -> dict[str, str]:
    hints = {}
    for path in notebook_files(root / "autograded" / student / assignment):
        hints.update(recorded_hints(read(path)))
    return hints


def class_report(root: Path, output: Path) -> list[Path]:
    """grader.report's pages (grade distribution, exercises, common mistakes) per assignment."""
    from grader.report import Result, write_report

    root = Path(root).resolve()
    students, columns, table = gradebook_rows(root)
    maxima = {(a, gid): pts for a in dict.fromkeys(a for a, _ in columns) for _nb, gid, pts in _cells(root, a)}
    results = []
    for s in students:
        for a in dict.fromkeys(a for a, _ in columns):
            if not (root / "autograded" / s / a).is_dir():
                continue  # not submitted: not part of the class's picture of this assignment
            hints = _hints(root, a, s)
            results += [Result(s, a, gid, table[s]["cells"][a, gid], maxima[a, gid], hints.get(gid))
                        for (aa, gid) in columns if aa == a]
    return write_report(results, Path(output))


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
            for nb in notebook_files(submitted / student / a) if (submitted / student / a).is_dir() else []:
                try:
                    cells = read(nb).cells
                except Exception:  # noqa: BLE001  (an unreadable notebook has no answers to compare)
                    continue
                answers.setdefault(student, {}).update(
                    {f"{a}/{grade_id(c)}": c.source for c in cells if is_answer(c) and f"{a}/{grade_id(c)}" in boilerplate})
    pairs = similar_pairs(answers, boilerplate, threshold=threshold)
    write_similarity(pairs, output / "similarity.csv")
    write_similarity_html(pairs, answers, output / "similarity.html")
    return output / "similarity.csv"
