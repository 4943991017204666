"""Command line: ``python -m grader release|autograde ...`` (see ``--help`` and docs/grading.md)."""
from __future__ import annotations

import argparse
import os
import sys

# The grader's own NumPy work is many small arrays: BLAS threads only add contention
# (with --jobs, each worker is a process of its own). Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import importlib.abc
import importlib.machinery
from pathlib import Path

from grader import COURSE, SOLUTIONS, GradingError

#: nbgrader's Jupyter server extensions, which ``import nbgrader`` loads (tornado,
#: jupyter_server, their handlers: 0.3 s of every start) and the command line never uses.
_SERVER_EXTENSIONS = {"assignment_list": "handlers", "course_list": "handlers", "validate_assignment": "handlers",
                      "formgrader": "formgrader"}


class _LazyServerExtensions(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads those packages without running their ``__init__``: the package keeps its real
    path (its modules import as usual) and its ``load_jupyter_server_extension`` imports
    the real one when a server calls it."""

    prefix = "nbgrader.server_extensions."

    def find_spec(self, name, path, target=None):
        if not name.startswith(self.prefix) or name[len(self.prefix):] not in _SERVER_EXTENSIONS:
            return None
        real = importlib.machinery.PathFinder.find_spec(name, path)
        if real is None or not real.submodule_search_locations:
            return None
        spec = importlib.machinery.ModuleSpec(name, self, origin=real.origin, is_package=True)
        spec.submodule_search_locations = list(real.submodule_search_locations)
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        target = f"{module.__name__}.{_SERVER_EXTENSIONS[module.__name__[len(self.prefix):]]}"

        def load_jupyter_server_extension(app):
            return importlib.import_module(target).load_jupyter_server_extension(app)

        module.load_jupyter_server_extension = module._load_jupyter_server_extension = load_jupyter_server_extension


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Release the student notebooks and autograde submissions with nbgrader "
                    "(instructor guide: docs/grading.md).")
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="regenerate the student notebooks (course/) from solutions/")
    rel.add_argument("--assignment", action="append", metavar="A",
                     help="only this assignment (repeatable); default: all of solutions/")
    rel.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if course/ differs from a fresh release")
    rel.add_argument("--source", type=Path, default=SOLUTIONS, metavar="DIR", help="the source notebooks (default: solutions/)")
    rel.add_argument("--course", type=Path, default=COURSE, help="where the release goes (default: course/)")
    rel.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's log")

    ag = sub.add_parser("autograde", help="grade SUBMISSIONS/<student>/<assignment>/<assignment>.ipynb")
    ag.add_argument("submissions", type=Path, metavar="SUBMISSIONS", nargs="?",
                    help="folder of <student>/<assignment>/<notebook>.ipynb (nbgrader's submitted/ layout)")
    ag.add_argument("--output", type=Path, metavar="GRADES.csv",
                    help="CSV of grades: student,assignment,grade_id,score,max_score (flags.csv goes next to it); "
                         "not with --course-dir (use `export` there)")
    ag.add_argument("--course-dir", type=Path, metavar="DIR",
                    help="grade DIR/submitted into the course made by `init` (its gradebook), instead of "
                         "SUBMISSIONS into a CSV; only new or changed submissions unless --force")
    ag.add_argument("--force", action="store_true",
                    help="with --course-dir: regrade every submission, changed or not (manual scores still count)")
    ag.add_argument("--assignment", action="append", metavar="A",
                    help="only this assignment (repeatable); default: every assignment found in SUBMISSIONS "
                         "(with --course-dir: every assignment of the course)")
    ag.add_argument("--feedback", type=Path, metavar="DIR",
                    help="feedback HTML folder (default: feedback/ next to the CSV); not with --course-dir "
                         "(use `nbgrader generate_feedback` there)")
    ag.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                    help="time limit of one call of a student's function or one of their cells (default: 5)")
    ag.add_argument("--sandbox", choices=("auto", "bwrap", "process"), default="auto",
                    help="where student code runs: bubblewrap sandbox, or a plain separate process "
                         "(auto: bwrap when installed, with a warning otherwise)")
    ag.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="grade on N local worker processes (default: 1, in this process)")
    ag.add_argument("--scheduler", metavar="ADDRESS",
                    help="grade on the workers of this Dask distributed scheduler (e.g. tcp://host:8786)")
    ag.add_argument("--source", type=Path, default=SOLUTIONS, metavar="DIR",
                    help="the source notebooks (default: solutions/); with --course-dir, the course's source/ is used")
    ag.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's log")

    ini = sub.add_parser("init", help="make a persistent nbgrader course directory that grades with the engine")
    ini.add_argument("course_dir", type=Path, metavar="COURSE_DIR",
                     help="the course directory, outside the repository: made when new; when it exists, only what "
                          "the other options name is updated (the rest of nbgrader_config.py, due dates and sources kept)")
    ini.add_argument("--assignment", action="append", metavar="A",
                     help="add or update this assignment's source and release (repeatable); default: every "
                          "assignment of --source for a new course, none for an existing one")
    ini.add_argument("--db-url", metavar="URL",
                     help="gradebook database (default: sqlite in COURSE_DIR; e.g. postgresql+psycopg://user@host/db)")
    ini.add_argument("--due", action="append", metavar="A=DATE",
                     help="due date of an assignment, ISO such as 2026-12-15T23:59 (UTC unless an offset such as "
                          "+01:00 is given; repeatable); other assignments keep theirs")
    ini.add_argument("--late-penalty", metavar="P", default=None,
                     help="'none', 'zero', or the share of a notebook's score lost per started day late (e.g. 0.1); "
                          "default: none for a new course, unchanged for an existing one")
    ini.add_argument("--exchange", type=Path, metavar="DIR",
                     help="nbgrader's exchange folder, where students fetch and submit (default: COURSE_DIR/exchange)")
    ini.add_argument("--source", type=Path, default=SOLUTIONS, metavar="DIR", help="the source notebooks (default: solutions/)")

    exp = sub.add_parser("export", help="CSV of a course's grades: a row per student, a column per exercise, "
                                        "per assignment and the total")
    exp.add_argument("--course-dir", type=Path, required=True, metavar="DIR", help="the course made by `init`")
    exp.add_argument("--output", type=Path, required=True, metavar="GRADES.csv",
                     help="the CSV to write: a (max) row, then a row per student; blank = not submitted")

    rep = sub.add_parser("report", help="per assignment: grade distribution, exercises, the most common mistakes")
    rep.add_argument("--course-dir", type=Path, required=True, metavar="DIR", help="the course made by `init`")
    rep.add_argument("--output", type=Path, required=True, metavar="DIR", help="folder for <assignment>/index.html")

    sim = sub.add_parser("similarity", help="suspiciously similar answer cells, per exercise")
    sim.add_argument("--course-dir", type=Path, required=True, metavar="DIR", help="the course made by `init`")
    sim.add_argument("--output", type=Path, required=True, metavar="DIR", help="folder for similarity.csv and .html")
    sim.add_argument("--threshold", type=float, default=0.8, help="share of shared code that is reported (default 0.8)")

    from grader import hub
    hub.add_parser(sub)  # `hub`: the course on a trial JupyterHub (docs/jupyterhub.md)
    return parser


def _term(args) -> int:
    from grader import term, term_autograde, term_reports

    if args.command == "init":
        held, changes = term.init_course(args.course_dir, args.source, args.assignment, args.db_url,
                                          term.parse_due(args.due), args.late_penalty, args.exchange)
        for change in changes:
            print(f"  {change}")
        print(f"course {args.course_dir.resolve()} ready with {', '.join(held)}; nbgrader's commands work there "
              f"(cd {args.course_dir} && nbgrader ...), and `python -m grader autograde --course-dir {args.course_dir}`")
        return 0
    if args.command == "export":
        print(f"grades: {term_reports.export_grades(args.course_dir, args.output)}")
        return 0
    if args.command == "report":
        for page in term_reports.class_report(args.course_dir, args.output):
            print(f"report: {page}")
        return 0
    if args.command == "similarity":
        print(f"similar pairs: {term_reports.similarity_report(args.course_dir, args.output, args.threshold)}")
        return 0
    ignored = [flag for flag, value in (("--output", args.output), ("--feedback", args.feedback)) if value]
    if ignored or args.submissions is not None:
        what = ", ".join(ignored + (["SUBMISSIONS"] if args.submissions is not None else []))
        raise GradingError(f"autograde --course-dir grades COURSE_DIR/submitted into the course's gradebook and "
                           f"writes no CSV or feedback folder: drop {what} (export with `python -m grader export`, "
                           f"feedback with `nbgrader generate_feedback`)")
    result = term_autograde.autograde_course(args.course_dir, args.assignment, args.force, args.jobs, args.scheduler,
                                             args.timeout, args.sandbox, args.verbose)
    if result.table:
        print(term_autograde.summary_table(result))
    print(f"graded {len(result.graded)}, unchanged {len(result.skipped)}, not graded {len(result.failed)}, "
          f"unmatched files {len(result.unmatched)}")
    return 1 if result.failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            from grader import release

            if args.check:
                problems = release.check(args.source, args.course, args.assignment, args.verbose)
                for p in problems:
                    print(p)
                print(f"{args.course} is up to date" if not problems
                      else f"{len(problems)} difference(s): run `python -m grader release`")
                return 1 if problems else 0
            released = release.release(args.source, args.course, args.assignment, args.verbose)
            print(f"released {', '.join(released)} into {args.course}")
            return 0
        if args.command == "hub":
            from grader import hub

            return hub.main(args)
        if args.command in ("init", "export", "report", "similarity") or getattr(args, "course_dir", None):
            return _term(args)
        if args.submissions is None or args.output is None:
            print("error: autograde needs SUBMISSIONS and --output (or --course-dir DIR)", file=sys.stderr)
            return 2
        from grader.autograde import autograde

        autograde(args.submissions, args.output, args.assignment, args.feedback, args.source, args.timeout,
                  args.verbose, args.sandbox, args.jobs, args.scheduler)
        return 0
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _exit(code: int) -> None:
    """End the process without the interpreter's teardown: freeing the ~180,000 objects of
    nbgrader, SQLAlchemy and nbconvert one by one took 0.5-0.7 s of every run. Everything
    is written and closed by now; exit handlers still run and the streams are flushed."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    sys.meta_path.insert(0, _LazyServerExtensions())
    _exit(main())
