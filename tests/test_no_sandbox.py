"""Grading where bubblewrap is missing: a warning (never an error, whatever the warning
filters), student code in a plain process, and the same scores."""
from __future__ import annotations

import pytest

import grader.sandbox as sandbox
from grader import REPO, SOLUTIONS
from grader.engine import grade_notebook
from grader.notebooks import read

A = "01_forward_propagation"


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    monkeypatch.setattr(sandbox, "_warned_no_bwrap", False)
    sandbox.POOL.close()  # no zygote of an earlier test
    yield
    sandbox.POOL.close()


@pytest.mark.filterwarnings("error")
def test_grading_without_bubblewrap_warns_and_scores_as_usual(no_bwrap):
    if not (SOLUTIONS / A).is_dir():
        pytest.skip(f"{A} not in solutions/")
    with pytest.warns(sandbox.SandboxUnavailableWarning, match="bubblewrap"):
        perfect = grade_notebook(read(SOLUTIONS / A / f"{A}.ipynb"), A, sandbox.Limits(call_timeout=5))
    blank = grade_notebook(read(REPO / "course" / A / f"{A}.ipynb"), A, sandbox.Limits(call_timeout=5))
    assert perfect.sandbox == "process"
    assert perfect.verdicts and all(v.passed for v in perfect.verdicts.values()), \
        {k: v.message for k, v in perfect.verdicts.items() if not v.passed}
    assert blank.verdicts.keys() == perfect.verdicts.keys()
    assert not any(v.passed for v in blank.verdicts.values())


def test_bwrap_requested_without_bubblewrap_is_a_clear_error(no_bwrap):
    with pytest.raises(RuntimeError, match="bubblewrap is not installed"):
        sandbox.mode("bwrap")
