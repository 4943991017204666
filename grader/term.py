"""A term's persistent course: nbgrader's own course directory, graded with the engine.

``python -m grader init COURSE_DIR`` makes a stock nbgrader course directory (outside
the repository): ``source/`` from the course's assignments, an ``nbgrader_config.py``
that wires in the engine (:func:`grader.nbgrader_config.build_config`), the gradebook
(SQLite by default, any SQLAlchemy URL such as PostgreSQL with ``--db-url``), due dates
and the late penalty. From then on nbgrader's own commands work in it unchanged
(``generate_assignment``, ``release_assignment``, ``collect``, ``zip_collect``,
``autograde``, ``generate_feedback``, ``export``, formgrader), and ours add what nbgrader
lacks: :mod:`grader.term_autograde` (grading on N workers or a Dask cluster, into the
course) and :mod:`grader.term_reports` (export, class report, similarity).

This module holds the course directory itself: :func:`init_course` and
:class:`TermCourse` (nbgrader's API on it, and the import of a worker's graded notebook).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import shutil
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grader import REPO, SOLUTIONS, GradingError
from grader.course import NbgraderCourse, copy_tree, nbgrader_api_classes
from grader.notebooks import assignments as find_assignments

COURSE_ID = "dlcourse"
#: Where a graded submission is staged for nbgrader's import (see :meth:`TermCourse.import_graded`).
STAGING = Path(".grader") / "staging"
CONFIG_TEMPLATE = '''\
"""nbgrader configuration of this course, made by `python -m grader init`.

nbgrader's own commands (and formgrader) run in this folder with the course's grading
engine: student code runs in a sandbox, the score is decided by the course's checks.
Edit the settings below as you like; `python -m grader` reads this file too. Running
`python -m grader init` again changes only the blocks of the options it is given
(between its ">>> grader init" and "<<< grader init" lines), and keeps everything else.
"""
import sys

sys.path.insert(0, {repo!r})  # the course kit (its `grader` and `dlcore` packages)

from grader.nbgrader_config import build_config  # noqa: E402

c = get_config()  # noqa: F821
c.merge(build_config({root!r}))
c.CourseDirectory.course_id = {course_id!r}
{blocks}'''
#: The settings ``init`` manages, each in its own block of nbgrader_config.py, in this order.
BLOCKS = ("db-url", "exchange", "late-penalty")


# --- init ------------------------------------------------------------------------------------------
def _late_config(penalty: str | None) -> str:
    """The late-penalty block's settings; a clear error for a bad ``--late-penalty``."""
    nbgrader_plugin = "c.AssignLatePenalties.plugin_class = 'nbgrader.plugins.LateSubmissionPlugin'\n"
    if penalty in (None, "", "none"):
        return nbgrader_plugin + "c.LateSubmissionPlugin.penalty_method = 'none'  # no late penalty"
    if penalty == "zero":
        return nbgrader_plugin + "c.LateSubmissionPlugin.penalty_method = 'zero'  # a late notebook scores 0"
    try:
        per_day = float(penalty)
    except ValueError:
        raise GradingError(f"--late-penalty must be 'none', 'zero' or a fraction per day late such as 0.1; got {penalty!r}") from None
    if not 0 < per_day <= 1:
        raise GradingError(f"--late-penalty per day must be in (0, 1], e.g. 0.1 for 10 % per started day; got {per_day}")
    return (f"c.AssignLatePenalties.plugin_class = 'grader.late.PenaltyPerDay'\n"
            f"c.PenaltyPerDay.per_day = {per_day!r}  # share of the notebook's score lost per started day")


def _block(name: str, body: str) -> str:
    return f"# >>> grader init: {name}\n{body}\n# <<< grader init: {name}\n"


def _set_block(text: str, name: str, body: str) -> tuple[str, bool]:
    """``text`` with block ``name`` holding ``body`` (appended when the file has no such
    block); and whether anything changed."""
    pattern = re.compile(rf"^# >>> grader init: {re.escape(name)}\n.*?^# <<< grader init: {re.escape(name)}\n", re.M | re.S)
    new = _block(name, body)
    match = pattern.search(text)
    if match:
        return text[:match.start()] + new + text[match.end():], match.group(0) != new
    return text.rstrip("\n") + "\n\n" + new, True


def parse_due(values: list[str] | None) -> dict[str, dt.datetime]:
    """``A=2026-12-15T23:59`` (ISO date, time optional; UTC unless an offset is given) per assignment."""
    due = {}
    for value in values or []:
        name, sep, when = value.partition("=")
        if not sep or not name or not when:
            raise GradingError(f"--due takes ASSIGNMENT=DATE, e.g. 01_forward_propagation=2026-12-15T23:59; got {value!r}")
        try:
            stamp = dt.datetime.fromisoformat(when)
        except ValueError:
            raise GradingError(f"--due {name}: {when!r} is not an ISO date such as 2026-12-15T23:59") from None
        due[name] = stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    return due


def init_course(root: Path, source: Path = SOLUTIONS, assignments: list[str] | None = None, db_url: str | None = None,
                due: dict[str, dt.datetime] | None = None, late_penalty: str | None = None,
                exchange: Path | None = None) -> tuple[list[str], list[str]]:
    """Make the course directory ``root``, or update an existing one; returns (the
    assignments it holds, what changed).

    On an existing course only what the call names changes: the settings given
    (``db_url``, ``late_penalty``, ``exchange``: their blocks of nbgrader_config.py, the
    instructor's other edits kept), the due dates given, and the assignments named (a new
    course without ``assignments`` gets every assignment of ``source``). Everything
    is checked before anything is written; a new course that fails is removed whole.
    """
    root = Path(root).resolve()
    if root == REPO or REPO in root.parents:
        raise GradingError(f"make the course directory outside the repository; got {root}")
    config = root / "nbgrader_config.py"
    existing = config.is_file()
    if root.exists() and not existing and any(root.iterdir()):
        raise GradingError(f"{root} is not empty and is not a course directory (no nbgrader_config.py): "
                           f"choose a new or empty folder")
    held = find_assignments(root / "source") if existing else []
    available = find_assignments(source)
    chosen = assignments or ([] if existing else available)
    unknown = [a for a in chosen if a not in available]
    if unknown or not (chosen or held):
        raise GradingError(f"unknown assignment(s) {', '.join(unknown) or '(none)'} in {source}; "
                           f"it holds {', '.join(available) or 'none'}")
    for a in (due or {}):
        if a not in chosen and a not in held:
            raise GradingError(f"--due names {a!r}, which is not an assignment of this course "
                               f"({', '.join(dict.fromkeys(held + chosen))})")
    blocks = {}
    if late_penalty is not None or not existing:
        blocks["late-penalty"] = _late_config(late_penalty)  # checked before anything is written
    if db_url is not None or not existing:
        url = db_url or f"sqlite:///{root / 'gradebook.db'}"
        blocks["db-url"] = f"c.CourseDirectory.db_url = {url!r}"
    if exchange is not None or not existing:
        where = str(Path(exchange or root / "exchange").resolve())
        blocks["exchange"] = f"c.Exchange.root = {where!r}  # release/submit/collect"

    created = not root.exists()
    try:
        changes = _write_course(root, source, chosen, held, blocks, due or {}, existing,
                                make_exchange=exchange is None and not existing)
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        raise
    holds = set(held) | set(chosen)
    return [a for a in available if a in holds] + sorted(holds - set(available)), changes


def _write_course(root: Path, source: Path, chosen: list[str], held: list[str], blocks: dict[str, str],
                  due: dict[str, dt.datetime], existing: bool, make_exchange: bool) -> list[str]:
    changes = []
    root.mkdir(parents=True, exist_ok=True)
    config = root / "nbgrader_config.py"
    if existing:
        text = config.read_text(encoding="utf-8")
        for name in BLOCKS:
            if name in blocks:
                text, changed = _set_block(text, name, blocks[name])
                if changed:
                    changes.append(f"nbgrader_config.py: {name} set ({blocks[name].splitlines()[0]})")
        config.write_text(text, encoding="utf-8")
    else:
        config.write_text(CONFIG_TEMPLATE.format(repo=str(REPO), root=str(root), course_id=COURSE_ID,
                                                 blocks="".join(_block(n, blocks[n]) for n in BLOCKS)), encoding="utf-8")
        changes.append("nbgrader_config.py written")
    if make_exchange:
        (root / "exchange").mkdir(exist_ok=True)
        (root / "exchange").chmod(0o777)  # nbgrader's exchange is shared by every user of the machine
    for a in chosen:
        if (root / "source" / a).exists():
            shutil.rmtree(root / "source" / a)
        copy_tree(source / a, root / "source" / a)
        changes.append(f"{a}: source {'replaced' if a in held else 'added'} and generated")
    with TermCourse(root) as course:
        for a in chosen:
            course.require("generate_assignment", a)
        from nbgrader.api import Gradebook

        with Gradebook(course.db_url, course.course_id) as gb:
            for a in chosen:
                if a in due or not any(x.name == a for x in gb.assignments):
                    gb.update_or_create_assignment(a, duedate=due.get(a))
            for a in held:
                if a in due and a not in chosen:
                    gb.update_or_create_assignment(a, duedate=due[a])
    changes += [f"{a}: due {when:%Y-%m-%d %H:%M} UTC" for a, when in due.items()]
    return changes


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


class TermCourse(NbgraderCourse):
    """nbgrader's API on the course directory ``root``, with its own ``nbgrader_config.py``."""

    def __init__(self, root: Path, verbose: bool = False):
        self.root, self.verbose = Path(root).resolve(), verbose
        if not (self.root / "nbgrader_config.py").is_file():
            raise GradingError(f"{self.root} is not a course directory (no nbgrader_config.py): "
                               f"make one with `python -m grader init {self.root}`")

    def _prepare_root(self) -> None:
        pass  # the course directory is there already

    def _config(self):
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        return config

    def _start_api(self) -> None:
        super()._start_api()
        NbGraderAPI, CourseDirectory = nbgrader_api_classes()
        # The import of a graded notebook: nbgrader's autograde with the grading done elsewhere.
        importing = self.config.copy()
        importing.Autograde.sanitize_preprocessors = [UseGradedNotebook]
        importing.CourseDirectory.submitted_directory = str(STAGING)
        kept = {"SaveAutoGrades", "AssignLatePenalties"}
        importing.Autograde.autograde_preprocessors = [
            p for p in self.config.Autograde.get("autograde_preprocessors", []) if getattr(p, "__name__", "") in kept]
        if not importing.Autograde.autograde_preprocessors:
            from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

            importing.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties]
        self.importer = NbGraderAPI(coursedir=CourseDirectory(config=importing), config=importing, log=self.log)

    def import_graded(self, assignment: str, student: str, notebooks: dict[str, str],
                      timestamp: str | None = None, extras: dict[str, str] | None = None) -> str:
        """Write one student's graded notebooks into the course with nbgrader; "" or the error.

        nbgrader reads them from a staging folder (:data:`STAGING`) that holds only these
        notebooks, the checked ``timestamp`` and ``extras`` (file name -> text, such as the
        exchange's ``submission_secret.txt`` that ``release_feedback`` needs), never from
        ``submitted/``: it would follow symbolic links, wait on a FIFO, read any size and fail
        on a bad ``timestamp.txt``.
        """
        keys = [(assignment, student, Path(name).stem) for name in notebooks]
        _GRADED.update({k: text for k, text in zip(keys, notebooks.values())})
        staged = self.root / STAGING / student / assignment
        try:
            shutil.rmtree(staged, ignore_errors=True)
            staged.mkdir(parents=True)
            for name, text in notebooks.items():
                (staged / Path(name).name).write_text(text, encoding="utf-8")
            if timestamp:
                (staged / "timestamp.txt").write_text(timestamp, encoding="utf-8")
            for name, text in (extras or {}).items():
                (staged / Path(name).name).write_text(text, encoding="utf-8")
            ok, records, error = self.run("autograde", assignment, student, force=True, create=True, api=self.importer)
        finally:
            for k in keys:
                _GRADED.pop(k, None)
            shutil.rmtree(staged, ignore_errors=True)  # only this one: another run may stage another assignment
            with contextlib.suppress(OSError):
                staged.parent.rmdir()
        if ok:
            return ""
        problems = [r.getMessage() for r in records if r.levelno >= logging.ERROR] + [error]
        return next((p.strip().splitlines()[-1] for p in reversed(problems) if p.strip()), "nbgrader could not record it")


