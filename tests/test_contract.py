"""The exercise contract, checked for every exercise of every check module's manifest.

An exercise ``name`` of notebook ``A`` (a key of the ``MANIFEST`` of ``A``'s check module) has:
the reference ``dlcore.<name>``; the check ``checks.<name>`` in that module; the answer cell
(grade_id ``name``) and the test cell (grade_id ``"test_" + name``, calling the check, with
hidden tests in the source) in ``solutions/A/A.ipynb`` and in the release ``course/A/A.ipynb``;
and cases in ``tests/test_hidden_NN.py``: typical wrong answers, at least one other correct
style and, when it may call other graded functions, a broken helper it must survive.
"""
from __future__ import annotations

import importlib

import pytest
from hidden import MIN_RIGHT, MIN_WRONG, isolation_cases
from notebook_helpers import cell_by_grade_id

import dlcore
from grader import COURSE, SOLUTIONS
from grader.exercises import CHECK_MODULES, EXERCISES, grade_ids, manifest
from grader.notebooks import grade_id, is_answer, python_source, read

CONTRACT = [(a, name) for a in CHECK_MODULES for name in manifest(a)]
IDS = [name for _, name in CONTRACT]

_NOTEBOOKS: dict = {}


def _notebook(root, a: str):
    path = root / a / f"{a}.ipynb"
    if path not in _NOTEBOOKS:
        if not path.is_file():
            pytest.fail(f"{path} is missing")
        _NOTEBOOKS[path] = read(path)
    return _NOTEBOOKS[path]


def _hidden_tests(a: str):
    """The module ``tests/test_hidden_NN.py`` of notebook ``a`` (NN: its number)."""
    return importlib.import_module(f"test_hidden_{a[:2]}")


def _cell(nb, gid: str, where: str):
    try:
        return cell_by_grade_id(nb, gid)
    except KeyError:
        pytest.fail(f"{where} has no cell with grade_id {gid!r}")


def test_the_manifests_are_the_registry():
    assert list(EXERCISES) == list(CHECK_MODULES)
    for a in CHECK_MODULES:
        assert EXERCISES[a] == tuple(manifest(a)) and EXERCISES[a], a
        assert grade_ids(a) == [gid for name in EXERCISES[a] for gid in (name, "test_" + name)]
    names = [name for _, name in CONTRACT]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"exercises in more than one notebook: {duplicates}"


def test_a_manifest_refuses_what_dlcore_does_not_export():
    from dlcore.checks.core import manifest as declare

    with pytest.raises(ValueError, match="no_such_function"):
        declare({"sigmoid": ("no_such_function",)})
    with pytest.raises(ValueError, match="among the functions it may call"):
        declare({"sigmoid": ("sigmoid",)})
    with pytest.raises(ValueError, match="tuple of function names"):
        declare({"model_forward": "relu"})


@pytest.mark.parametrize("a, name", CONTRACT, ids=IDS)
def test_the_reference_and_the_check_exist(a, name):
    assert callable(getattr(dlcore, name, None)), f"dlcore does not export the reference `{name}`"
    if hasattr(dlcore, "__all__"):
        assert name in dlcore.__all__, f"`{name}` is missing from dlcore.__all__"
    checks = importlib.import_module(CHECK_MODULES[a])
    assert callable(getattr(checks, name, None)), f"{CHECK_MODULES[a]} has no check `{name}`"
    for helper in manifest(a)[name]:
        assert callable(getattr(dlcore, helper, None)), f"`{name}` may call `{helper}`, which dlcore lacks"


@pytest.mark.parametrize("a, name", CONTRACT, ids=IDS)
def test_the_solutions_notebook_has_the_cells(a, name):
    nb = _notebook(SOLUTIONS, a)
    where = f"solutions/{a}"
    assert is_answer(_cell(nb, name, where)), f"{where}: the cell {name!r} is not an answer cell"
    test = python_source(_cell(nb, f"test_{name}", where).source)
    assert f"checks.{name}({name}" in test, f"{where}: test_{name} does not call checks.{name}({name})"
    assert "### BEGIN HIDDEN TESTS" in test and "hidden=True" in test, f"{where}: test_{name} has no hidden tests"
    setup = python_source(_cell(nb, "setup", where).source)
    module = CHECK_MODULES[a].rsplit(".", 1)
    assert f"from {module[0]} import {module[1]} as checks" in setup, f"{where}: the setup cell imports another check module"


@pytest.mark.parametrize("a, name", CONTRACT, ids=IDS)
def test_the_release_has_the_cells(a, name):
    nb = _notebook(COURSE, a)
    where = f"course/{a}"
    assert is_answer(_cell(nb, name, where)), f"{where}: the cell {name!r} is not an answer cell"
    test = python_source(_cell(nb, f"test_{name}", where).source)
    assert f"checks.{name}({name})" in test, f"{where}: test_{name} does not call checks.{name}({name})"
    assert "hidden=True" not in test, f"{where}: test_{name} shows its hidden tests"


@pytest.mark.parametrize("a, name", CONTRACT, ids=IDS)
def test_the_hidden_tests_cover_it(a, name):
    cases = getattr(_hidden_tests(a), "CASES", {})
    assert name in cases, f"tests/test_hidden_{a[:2]}.py has no CASES for {name!r}"
    assert len(cases[name].get("wrong", [])) >= MIN_WRONG, f"{name}: fewer than {MIN_WRONG} wrong answers"
    assert len(cases[name].get("right", [])) >= MIN_RIGHT, f"{name}: no other correct style"
    if manifest(a)[name]:
        broken = getattr(_hidden_tests(a), "BROKEN_HELPERS", {})
        covered = [helper for n, helper, _ in isolation_cases(a, broken) if n == name]
        assert covered, (f"{name} may call {list(manifest(a)[name])}, but tests/test_hidden_{a[:2]}.py breaks none "
                         f"of them (BROKEN_HELPERS)")


def test_every_graded_cell_is_in_a_manifest():
    """No answer cell of a solutions notebook escapes the contract."""
    for a in CHECK_MODULES:
        nb = _notebook(SOLUTIONS, a)
        answers = [grade_id(c) for c in nb.cells if is_answer(c)]
        assert [g for g in answers if g not in manifest(a)] == [], a


def _check_sources() -> list:
    import ast
    from pathlib import Path

    import dlcore.checks

    return [(p, ast.parse(p.read_text("utf-8"))) for p in sorted(Path(dlcore.checks.__file__).parent.glob("*.py"))]


def test_checks_take_what_an_exercise_may_call_from_the_manifest():
    """``isolate=`` is always ``MANIFEST[...]``: the manifest is the only list of who calls whom."""
    import ast

    for path, tree in _check_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "isolate":
                value = node.value
                assert isinstance(value, ast.Subscript) and getattr(value.value, "id", "") == "MANIFEST", (
                    f"{path.name}:{value.lineno}: isolate= spells its own list; use MANIFEST[name]")


def test_no_check_module_imports_private_names():
    import ast

    for path, tree in _check_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__future__"]
                assert not private, f"{path.name}:{node.lineno} imports {private} from {node.module}"
