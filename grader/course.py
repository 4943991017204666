"""A throw-away nbgrader course directory, and the environment nbgrader and its kernels run in.

Every command works in a fresh temporary directory laid out as nbgrader expects
(``source/``, ``release/``, ``submitted/``, ``autograded/``, ``feedback/``,
``gradebook.db``), so nothing is ever written into the repository. nbgrader runs
in-process through its Python API (one start-up for the whole run, instead of one per
command), with :func:`grader.nbgrader_config.build_config` as its only configuration.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader import REPO, GradingError, use_scratch_home
from grader.notebooks import IGNORED_DIRS

#: nbgrader log lines that say nothing useful (upstream #1961: every autograde warns that
#: the checksum of each test cell "has changed", because the release has no hidden tests).
NOISE = ("Attribute 'checksum' for cell", "Removing existing", "Updating existing", "Skipping existing")


class _Records(logging.Handler):
    """Collects the log records of one nbgrader call."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def drain(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


@contextmanager
def isolated_environment(home: Path) -> Iterator[None]:
    """Point Jupyter, IPython and matplotlib at ``home`` and pin what grading kernels inherit.

    - no user configuration (``~/.jupyter``, ``~/.ipython`` startup files, JUPYTER_PATH);
    - ``PYTHONWARNINGS`` removed, so an instructor's ``-W error`` cannot turn a student's
      harmless warning into a failure;
    - this repository first on ``PYTHONPATH``, so kernels import its ``dlcore``;
    - the interpreter's ``bin/`` first on ``PATH`` (nbgrader runs the ``alembic`` script).
    """
    saved = dict(os.environ)
    try:
        use_scratch_home(home)
        for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "PYTHONWARNINGS", "PYTHONSTARTUP", "MPLBACKEND"):
            os.environ.pop(var, None)
        os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), saved.get("PYTHONPATH", "")) if p)
        os.environ["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), saved.get("PATH", "")))
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy an assignment folder, without checkpoints and caches."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORED_DIRS))


_REVISION = re.compile(r"^(down_)?revision\s*=\s*(?:'([0-9a-f]+)'|\"([0-9a-f]+)\"|None)\s*$", re.M)


def alembic_head(versions: Path) -> str | None:
    """The head of an alembic migration folder, read from its files' ``revision`` and
    ``down_revision`` lines; None unless there is exactly one head (a plain chain)."""
    revisions, parents = set(), set()
    for path in versions.glob("*.py"):
        found = {bool(m.group(1)): m.group(2) or m.group(3) for m in _REVISION.finditer(path.read_text("utf-8"))}
        if False not in found or True not in found:
            return None
        revisions.add(found[False])
        parents.add(found[True])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _fast_alembic_version() -> None:
    """Let nbgrader read its database schema version in-process.

    A new gradebook asks ``alembic heads`` in a subprocess for its schema version, which
    re-imports nbgrader and costs about 4 s (importing alembic in-process still costs
    0.9 s, in every private course of every worker). The head is read from nbgrader's
    migration files instead; on anything unexpected, alembic answers as before.
    """
    import nbgrader.api

    original = getattr(nbgrader.api.get_alembic_version, "__wrapped__", nbgrader.api.get_alembic_version)
    scripts = Path(nbgrader.api.__file__).parent / "alembic"

    def get_alembic_version() -> str:
        try:
            head = alembic_head(scripts / "versions")
            if head:
                return head
            from alembic.config import Config as AlembicConfig
            from alembic.script import ScriptDirectory

            cfg = AlembicConfig()
            cfg.set_main_option("script_location", str(scripts))
            head = ScriptDirectory.from_config(cfg).get_current_head()
            if head:
                return head
        except Exception:
            pass
        return original()

    get_alembic_version.__wrapped__ = original
    nbgrader.api.get_alembic_version = get_alembic_version


#: Gradebooks of throw-away courses: SQLite may skip waiting for the disk there.
_SCRATCH_DBS: set[str] = set()


def _scratch_gradebook_pragmas(dbapi_connection, _record) -> None:
    """A throw-away course's gradebook is written without fsync (it dies with the run; the
    grades live in the CSV, written atomically). Every other database is left alone."""
    if not _SCRATCH_DBS or type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    try:
        files = {row[2] for row in cursor.execute("PRAGMA database_list")}
        if files & _SCRATCH_DBS:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA journal_mode=MEMORY")
    finally:
        cursor.close()


def _scratch_engine(create_engine):
    """nbgrader's ``create_engine``, reusing one engine per throw-away gradebook of this process.

    nbgrader opens a new ``Gradebook`` (a new engine) several times per notebook, and an
    engine's compiled-SQL cache dies with it, so every query was compiled again: about a
    fifth of the grading time. ``Gradebook.close`` disposes the engine, which closes its
    connections but keeps the engine and its cache usable. Every other database gets a
    new engine, as before.
    """
    engines: dict[tuple[int, str], object] = {}

    def reuse(url, *args, **kwargs):
        path = str(url).removeprefix("sqlite:///")
        if path not in _SCRATCH_DBS or args or kwargs != {"echo": False, "future": True}:
            return create_engine(url, *args, **kwargs)
        key = (os.getpid(), path)  # a forked worker makes its own
        if key not in engines:
            engines[key] = create_engine(url, *args, **kwargs)
        return engines[key]

    reuse.reuses_scratch_engines = True
    return reuse


def _fast_scratch_gradebook(path: Path) -> None:
    import nbgrader.api
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not _SCRATCH_DBS:
        event.listen(Engine, "connect", _scratch_gradebook_pragmas)
    if not getattr(nbgrader.api.create_engine, "reuses_scratch_engines", False):
        nbgrader.api.create_engine = _scratch_engine(nbgrader.api.create_engine)
    _SCRATCH_DBS.add(str(path))


def nbgrader_api_classes():
    """nbgrader's ``NbGraderAPI`` and ``CourseDirectory``, imported quietly, with the fast
    schema-version lookup, and with nbgrader's own warnings silenced: its database session
    use (SQLAlchemy, every autograde) and the cells it puts back without an id (nbformat)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
    from nbformat.warnings import MissingIDFieldWarning
    from sqlalchemy.exc import SAWarning

    _fast_alembic_version()
    warnings.filterwarnings("ignore", category=SAWarning)
    warnings.filterwarnings("ignore", category=MissingIDFieldWarning)
    return NbGraderAPI, CourseDirectory


class NbgraderCourse:
    """nbgrader's API on a course directory, in an isolated environment; the one ``run``
    contract of every course the grader drives (:class:`Course`, :class:`grader.term.TermCourse`).

    Use as a context manager; ``verbose`` echoes nbgrader's own log on stderr. A subclass
    says where the course is (:meth:`_prepare_root`) and what its configuration is
    (:meth:`_config`).
    """

    verbose: bool = False

    def __enter__(self) -> NbgraderCourse:
        self._tmp = Path(tempfile.mkdtemp(prefix="grader-course-"))
        self._env = isolated_environment(self._tmp / "home")
        self._env.__enter__()
        try:
            self._prepare_root()
            self._start_api()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self._env.__exit__(*exc)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _prepare_root(self) -> None:
        """Set ``self.root`` (and fill it, for a throw-away course)."""
        raise NotImplementedError

    def _config(self):
        """nbgrader's configuration of the course (a traitlets ``Config``)."""
        raise NotImplementedError

    def _start_api(self) -> None:
        NbGraderAPI, CourseDirectory = nbgrader_api_classes()
        self.config = self._config()
        self.log = logging.getLogger(f"grader.nbgrader.{id(self)}")
        self.log.propagate = False
        self.log.setLevel(logging.INFO)
        self._records = _Records()
        self.log.addHandler(self._records)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=self.config), config=self.config, log=self.log)
        self.db_url = self.api.coursedir.db_url
        self.course_id = self.api.coursedir.course_id

    # -- running nbgrader --------------------------------------------------------------
    def run(self, step: str, *args, api=None, **kwargs) -> tuple[bool, list[logging.LogRecord], str]:
        """Run one API step (``generate_assignment``, ``autograde``, ``generate_feedback``)
        of ``api`` (default: the course's).

        Returns (success, the log records worth reading, the error traceback or "").
        """
        self._records.drain()
        result = getattr(api or self.api, step)(*args, **kwargs)
        records = [r for r in self._records.drain() if not any(n in r.getMessage() for n in NOISE)]
        if self.verbose:
            for r in records:
                print(f"[nbgrader {step} {' '.join(map(str, args))}] {r.levelname}: {r.getMessage()}", file=sys.stderr)
        return bool(result.get("success")), records, result.get("error", "") or ""

    def require(self, step: str, *args, what: str = "") -> None:
        """:meth:`run`; a failure is a failure of grading itself (:class:`GradingError`)."""
        ok, records, error = self.run(step, *args)
        if not ok:
            problems = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
            raise GradingError(f"nbgrader {step} {' '.join(map(str, args))} failed{what}:\n"
                               + "\n".join(problems or [error]))

    def path(self, step: str, assignment: str, student: str | None = None) -> Path:
        """Folder of ``assignment`` in an nbgrader step (``release``, ``submitted``, ...)."""
        return self.root / step / student / assignment if student else self.root / step / assignment


class Course(NbgraderCourse):
    """A temporary nbgrader course with the course's assignments as its ``source/``."""

    def __init__(self, source: Path, assignments: list[str], timeout: float | None = None, verbose: bool = False,
                 sandbox: str = "auto"):
        self.source, self.assignments = Path(source), list(assignments)
        self.timeout, self.verbose, self.sandbox = timeout, verbose, sandbox

    def _prepare_root(self) -> None:
        self.root = self._tmp / "course"
        for a in self.assignments:
            copy_tree(self.source / a, self.root / "source" / a)

    def _config(self):
        from grader.nbgrader_config import build_config

        _fast_scratch_gradebook(self.root / "gradebook.db")
        return build_config(self.root, self.timeout, self.sandbox)

    def generate(self, assignment: str) -> None:
        """``generate_assignment``; a failure here is a failure of grading itself."""
        self.require("generate_assignment", assignment, what=f" (the assignment in {self.source / assignment})")
