"""Command line: ``python -m grader release|autograde ...`` (see ``--help`` and docs/grading.md)."""
from __future__ import annotations

import argparse
import os
import sys

# The grader's own NumPy work is many small arrays: BLAS threads only add contention
# (with --jobs, each worker is a process of its own). Set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from pathlib import Path

from grader import COURSE, SOLUTIONS, GradingError


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
    ag.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                    help="folder of <student>/<assignment>/<notebook>.ipynb (nbgrader's submitted/ layout)")
    ag.add_argument("--output", type=Path, required=True, metavar="GRADES.csv",
                    help="CSV of grades: student,assignment,grade_id,score,max_score (flags.csv goes next to it)")
    ag.add_argument("--assignment", action="append", metavar="A",
                    help="only this assignment (repeatable); default: every assignment found in SUBMISSIONS")
    ag.add_argument("--feedback", type=Path, metavar="DIR",
                    help="feedback HTML folder (default: feedback/ next to the CSV)")
    ag.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                    help="time limit of one call of a student's function or one of their cells (default: 5)")
    ag.add_argument("--sandbox", choices=("auto", "bwrap", "process"), default="auto",
                    help="where student code runs: bubblewrap sandbox, or a plain separate process "
                         "(auto: bwrap when installed, with a warning otherwise)")
    ag.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="grade on N local worker processes (default: 1, in this process)")
    ag.add_argument("--scheduler", metavar="ADDRESS",
                    help="grade on the workers of this Dask distributed scheduler (e.g. tcp://host:8786)")
    ag.add_argument("--source", type=Path, default=SOLUTIONS, metavar="DIR", help="the source notebooks (default: solutions/)")
    ag.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's log")
    return parser


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
            names = release.release(args.source, args.course, args.assignment, args.verbose)
            print(f"released {', '.join(names)} into {args.course}")
            return 0
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


if __name__ == "__main__":
    sys.exit(main())
