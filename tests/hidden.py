"""The harness behind the hidden-test tests of every notebook (``tests/test_hidden_NN.py``).

For an exercise, the real test cell of the solutions notebook (visible checks and hidden
tests) runs in a namespace prepared like the notebook's: the setup cell, then the
solution's answer cells, then the student code under test, which replaces one answer.
Each notebook's test file lists typical wrong answers and other correct styles per
exercise (``CASES``) and calls :func:`define_tests`, which makes the standard tests:

- the solution passes every time (hidden inputs are random: repeated runs catch flukes);
- other correct styles pass, repeatedly;
- every typical mistake fails with a message in words;
- delegating to the dlcore reference, by four routes, fails and says why;
- an exercise is graded on its own (``ISOLATION``: broken helpers cost nothing).
"""
from __future__ import annotations

import contextlib
import io
import textwrap

import pytest

import dlcore
from dlcore.checks import CheckFailure
from grader import SOLUTIONS
from grader.exercises import EXERCISES
from grader.notebooks import cell_by_grade_id, grade_id, is_answer, python_source, read

#: Exercises whose cases live in a test file of their own (its define_tests names them), not in
#: tests/test_hidden_NN.py: every exercise of EXERCISES is covered by exactly one file.
OWN_FILE: dict[str, str] = {
    "predict": "test_hidden_02_application.py",
    "clip_by_global_norm": "test_hidden_04_training.py",
    "train_model": "test_hidden_04_training.py",
}

SOLUTION_RUNS = 25  # a hidden test that fails a correct answer 1 time in 10 is caught 93% of the time
RIGHT_RUNS = 5


def fn(signature: str, body: str) -> str:
    """Source of ``def signature:`` with ``body`` (dedented) as its body."""
    return f"def {signature}:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"


def delegations(name: str) -> list[tuple[str, str]]:
    """Four ways of handing exercise ``name`` to its dlcore reference."""
    module = getattr(dlcore, name).__module__
    return [
        ("direct import", f"from dlcore import {name}\n"),
        ("aliased import", f"from dlcore import {name} as _reference\n\n"
                           f"def {name}(*args, **kwargs):\n    return _reference(*args, **kwargs)\n"),
        ("module attribute", f"import dlcore\n\ndef {name}(*args, **kwargs):\n    return dlcore.{name}(*args, **kwargs)\n"),
        ("defining module", f"import {module} as _impl\n\ndef {name}(*args, **kwargs):\n    return _impl.{name}(*args, **kwargs)\n"),
    ]


class _Shell:
    """Enough of get_ipython() for setup cells (``%matplotlib inline`` and the like)."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = run_line_magic


_NOTEBOOK_CACHE: dict[str, object] = {}


def notebook(a: str):
    if a not in _NOTEBOOK_CACHE:
        _NOTEBOOK_CACHE[a] = read(SOLUTIONS / a / f"{a}.ipynb")
    return _NOTEBOOK_CACHE[a]


def exercise_notebook(name: str) -> str:
    return next(a for a, names in EXERCISES.items() if name in names)


def run_test_cell(name: str, student_code: str | None = None, runs: int = 1) -> str:
    """Run the test cell of ``name`` (hidden part included) ``runs`` times; return its output.

    The namespace holds the setup cell, every solution answer, then ``student_code``.
    """
    nb = notebook(exercise_notebook(name))
    ns: dict = {"__name__": "__main__", "get_ipython": _Shell}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(python_source(cell_by_grade_id(nb, "setup").source), "<setup>", "exec"), ns)
        for cell in nb.cells:
            if is_answer(cell):
                exec(compile(cell.source, f"<answer {grade_id(cell)}>", "exec"), ns)
        if student_code is not None:
            exec(compile(student_code, "<student>", "exec"), ns)
        test = compile(python_source(cell_by_grade_id(nb, f"test_{name}").source), f"<test_{name}>", "exec")
        for _ in range(runs):
            exec(test, ns)
    return out.getvalue()


def define_tests(assignment: str, cases: dict, isolation: list[tuple[str, str]],
                 names: tuple[str, ...] | None = None) -> dict:
    """The standard hidden-test tests of ``assignment``; put them in the caller's globals().

    ``names``: the exercises covered by the calling file; by default every exercise of the
    assignment except those of :data:`OWN_FILE`.
    """
    if not (SOLUTIONS / assignment / f"{assignment}.ipynb").is_file():
        return {}
    if names is None:
        names = tuple(n for n in EXERCISES[assignment] if n not in OWN_FILE)
    assert all(n in EXERCISES[assignment] for n in names), names

    def params(kind: str) -> list:
        return [pytest.param(name, code, id=f"{name}-{label}")
                for name in names for label, code in cases.get(name, {}).get(kind, [])]

    def test_every_exercise_has_cases_and_a_test_cell_with_hidden_tests():
        nb = notebook(assignment)
        for name in names:
            assert len(cases[name]["wrong"]) >= 3 and len(cases[name]["right"]) >= 1, name
            source = cell_by_grade_id(nb, f"test_{name}").source
            assert "### BEGIN HIDDEN TESTS" in source and "hidden=True" in source, name

    @pytest.mark.parametrize("name", names)
    def test_the_solution_passes_every_time(name):
        output = run_test_cell(name, runs=SOLUTION_RUNS)
        assert output.count("all hidden tests passed") == SOLUTION_RUNS

    @pytest.mark.parametrize("name, code", params("right"))
    def test_other_correct_styles_pass(name, code):
        output = run_test_cell(name, code, runs=RIGHT_RUNS)
        assert output.count("all hidden tests passed") == RIGHT_RUNS

    @pytest.mark.parametrize("name, code", params("wrong"))
    def test_typical_mistakes_fail(name, code):
        with pytest.raises(CheckFailure) as failure:
            run_test_cell(name, code)
        message = str(failure.value)
        assert message and "Traceback" not in message

    @pytest.mark.parametrize("name, code", [
        pytest.param(name, code, id=f"{name}-{label}") for name in names for label, code in delegations(name)])
    def test_delegating_to_dlcore_fails_with_the_reason(name, code):
        with pytest.raises(CheckFailure, match="dlcore's reference"):
            run_test_cell(name, code)

    tests = {k: v for k, v in locals().items() if k.startswith("test_")}
    if isolation:
        @pytest.mark.parametrize("name, broken", isolation)
        def test_an_exercise_is_graded_on_its_own(name, broken):
            """A mistake in (or the absence of) another exercise that this one calls costs nothing here."""
            output = run_test_cell(name, broken, runs=2)
            assert output.count("all hidden tests passed") == 2

        tests["test_an_exercise_is_graded_on_its_own"] = test_an_exercise_is_graded_on_its_own
    return tests
