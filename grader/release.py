"""``python -m grader release``: the student notebooks of ``course/`` from ``solutions/``.

nbgrader's ``generate_assignment`` runs in a temporary course; its ``release/<A>/``
folder then replaces ``course/<A>/``. Only the folders of the released assignments are
touched, and nothing else is written into the repository.
"""
from __future__ import annotations

import filecmp
import json
import shutil
import sys
from pathlib import Path

from grader import GradingError
from grader.course import Course, copy_tree
from grader.exercises import grade_ids
from grader.notebooks import assignments as find_assignments
from grader.notebooks import grade_id, notebook_files, read


def select(source: Path, wanted: list[str] | None) -> list[str]:
    """The assignments to work on: ``wanted`` (checked to exist) or all of ``source``."""
    available = find_assignments(source)
    if not available:
        raise GradingError(f"no assignment notebooks found in {source}")
    if not wanted:
        return available
    unknown = [a for a in wanted if a not in available]
    if unknown:
        raise GradingError(f"unknown assignment(s) {', '.join(unknown)}; {source} holds: {', '.join(available)}")
    return list(dict.fromkeys(wanted))


def missing_exercises(source: Path, assignment: str) -> list[str]:
    """grade_ids the course contract requires but the source notebooks of ``assignment`` lack."""
    present = {grade_id(c) for nb in notebook_files(source / assignment) for c in read(nb).cells}
    return [gid for gid in grade_ids(assignment) if gid not in present]


def release(source: Path, target: Path, wanted: list[str] | None = None, verbose: bool = False) -> list[str]:
    """Generate the student version of the assignments into ``target/<assignment>/``."""
    chosen = select(source, wanted)
    for a in chosen:
        missing = missing_exercises(source, a)
        if missing:
            print(f"warning: {a} lacks the cells {', '.join(missing)} of the course contract", file=sys.stderr)
    with Course(source, chosen, verbose=verbose) as course:
        for a in chosen:
            course.generate(a)
        target.mkdir(parents=True, exist_ok=True)
        for a in chosen:
            dst = target / a
            if dst.exists():
                shutil.rmtree(dst)
            copy_tree(course.path("release", a), dst)
    return chosen


def differences(expected: Path, actual: Path) -> list[str]:
    """How folder ``actual`` differs from ``expected`` (notebooks compared as JSON)."""
    problems = []
    exp = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()} if expected.is_dir() else set()
    act = {p.relative_to(actual) for p in actual.rglob("*") if p.is_file()} if actual.is_dir() else set()
    problems += [f"missing: {actual / p}" for p in sorted(exp - act)]
    problems += [f"unexpected: {actual / p}" for p in sorted(act - exp)]
    for p in sorted(exp & act):
        if p.suffix == ".ipynb":
            same = json.loads((expected / p).read_text("utf-8")) == json.loads((actual / p).read_text("utf-8"))
        else:
            same = filecmp.cmp(expected / p, actual / p, shallow=False)
        if not same:
            problems.append(f"differs: {actual / p}")
    return problems


def check(source: Path, target: Path, wanted: list[str] | None = None, verbose: bool = False) -> list[str]:
    """Regenerate into a temporary folder and list how ``target`` differs (empty: up to date)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        released = release(source, Path(tmp), wanted, verbose)
        return [d for a in released for d in differences(Path(tmp) / a, target / a)]
