"""`python -m grader autograde` end to end, plus the pieces it relies on.

The slow part is ONE batched nbgrader run over a class of made-up students (built from
a fresh release of every notebook in solutions/), shared by the tests through a
module-scoped fixture. The fast part unit-tests the preprocessors and the tamper scan.
"""
from __future__ import annotations

import copy
import csv
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import nbformat.v4
import pytest
from nbformat.v4 import new_code_cell, new_output

from grader import REPO, SOLUTIONS
from grader.autograde import CSV_COLUMNS, FLAG_COLUMNS
from grader.notebooks import assignments, cell_by_grade_id, grade_cells, grade_id, hidden_lines, is_answer, is_test, read
from grader.preprocessors import HideHiddenTestLines, StderrIsNotFailure
from grader.tamper import scan_source

ASSIGNMENTS = assignments(SOLUTIONS)
FIRST = "01_forward_propagation"
TIMEOUT = 5  # seconds per cell, for the looping student; no cell of the notebooks needs 1 s


# --- the class of made-up students --------------------------------------------------------------
def _source(a: str):
    return read(SOLUTIONS / a / f"{a}.ipynb")


def _answers(a: str) -> dict[str, str]:
    return {grade_id(c): c.source for c in _source(a).cells if is_answer(c)}


def _with_answers(release, answers: dict[str, str]):
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if is_answer(cell) and grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def _delegating(a: str) -> dict[str, str]:
    """Perfect answers, except the first two exercises hand the work to dlcore."""
    answers = _answers(a)
    first, second = list(answers)[:2]
    answers[first] = f"from dlcore import {first} as _ref\n\ndef {first}(*args, **kwargs):\n    return _ref(*args, **kwargs)\n"
    answers[second] = f"import dlcore\n\ndef {second}(*args, **kwargs):\n    return dlcore.{second}(*args, **kwargs)\n"
    return answers


def _students(release: Path) -> dict[str, dict[str, object]]:
    """student -> assignment -> notebook (or raw text for a broken file, None for an empty folder)."""
    students: dict[str, dict[str, object]] = {s: {} for s in ("perfect", "blank", "delegate")}
    for a in ASSIGNMENTS:
        rel = read(release / a / f"{a}.ipynb")
        students["perfect"][a] = _with_answers(rel, _answers(a))
        students["blank"][a] = rel
        students["delegate"][a] = _with_answers(rel, _delegating(a))
    if FIRST in ASSIGNMENTS:
        rel = read(release / FIRST / f"{FIRST}.ipynb")
        good = _answers(FIRST)
        students["noisy"] = {FIRST: _with_answers(rel, {
            **good,
            # An overflow warning while the cell runs (before the def), and the naive sigmoid,
            # which overflows for Z = -1000 yet is right: neither may cost points.
            "sigmoid": "_ = np.exp(np.array([1000.0]))\n\ndef sigmoid(Z):\n    return 1 / (1 + np.exp(-Z))\n",
            # A correct answer that writes to stderr while the test cell runs.
            "relu": "import sys\n\ndef relu(Z):\n    print('debugging relu', file=sys.stderr)\n    return np.maximum(0, Z)\n",
        })}
        students["looping"] = {FIRST: _with_answers(rel, {
            **good,
            # A forgotten loop at the end of an answer cell: cut, and relu is defined all the same.
            "relu": good["relu"] + "\nwhile True:\n    pass\n",
            # An answer that never returns: its test cell is cut and scores 0.
            "leaky_relu": "def leaky_relu(Z, alpha=0.01):\n    while True:\n        pass\n",
        })}
        students["tamper"] = {FIRST: _with_answers(rel, {
            **good,
            "sigmoid": good["sigmoid"] + "\nimport sys\nsys.setprofile(None)\n",
            "relu": "np.maximum = np.maximum\n" + good["relu"],
            "leaky_relu": good["leaky_relu"] + "\ntry:\n    checks.leaky_relu(leaky_relu)\nexcept Exception:\n    pass\n",
        })}
        meddler = _with_answers(rel, good)
        meddler.cells = [c for c in meddler.cells if grade_id(c) != "test_relu"]  # a deleted test cell
        cell_by_grade_id(meddler, "test_sigmoid").metadata.nbgrader.update(points=10, locked=False)
        students["meddler"] = {FIRST: meddler}
        pasted = _with_answers(rel, good)  # answers pasted into a notebook without nbgrader metadata
        pasted.cells = [nbformat.v4.new_code_cell(c.source) for c in pasted.cells if c.cell_type == "code"]
        students["pasted"] = {FIRST: pasted}
        students["crash"] = {FIRST: _with_answers(rel, {**good, "relu": "import os\nos._exit(1)\n"})}  # kills the kernel
        students["broken"] = {FIRST: "{this is not a notebook"}
        students["absent"] = {FIRST: None}  # an empty folder, and no folder at all for the others
    return students


def _write(submissions: Path, students: dict) -> None:
    for student, work in students.items():
        for a, nb in work.items():
            folder = submissions / student / a
            folder.mkdir(parents=True)
            if isinstance(nb, str):
                (folder / f"{a}.ipynb").write_text(nb)
            elif nb is not None:
                nbformat.write(nb, str(folder / f"{a}.ipynb"))


def _html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text("utf-8")))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not ASSIGNMENTS:
        pytest.skip("no notebooks in solutions/ yet")
    tmp = tmp_path_factory.mktemp("autograde")
    run = subprocess.run([sys.executable, "-m", "grader", "release", "--course", str(tmp / "release")],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    students = _students(tmp / "release")
    _write(tmp / "submissions", students)
    # An instructor's warning filter must not reach the grading kernel (see grader.course).
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"}
    run = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", str(tmp / "submissions"),
         "--output", str(tmp / "out" / "grades.csv"), "--timeout", str(TIMEOUT)],
        cwd=tmp, capture_output=True, text=True, env=env)
    assert (tmp / "out" / "grades.csv").is_file(), run.stdout + run.stderr
    with (tmp / "out" / "grades.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    scores = {(s, a, gid): (float(sc), float(mx)) for s, a, gid, sc, mx in rows[1:]}
    return {"run": run, "rows": rows, "scores": scores, "out": tmp / "out", "students": students}


def _cells(a: str) -> list[tuple[str, float]]:
    return grade_cells(_source(a))


def _score(graded, student, a):
    return {gid: graded["scores"][(student, a, gid)] for gid, _ in _cells(a)}


def _needs_first():
    if FIRST not in ASSIGNMENTS:
        pytest.skip(f"{FIRST} not in solutions/ yet")


# --- the batched run ------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_succeeds_and_prints_a_summary(graded):
    run = graded["run"]
    assert run.returncode == 0, run.stderr
    for student in graded["students"]:
        assert student in run.stdout
    assert "checksum" not in run.stderr  # nbgrader's harmless checksum warnings are filtered


@pytest.mark.slow
def test_csv_has_the_contract_columns_and_a_row_for_every_cell_of_every_student(graded):
    rows = graded["rows"]
    assert tuple(rows[0]) == CSV_COLUMNS
    want = {(s, a, gid) for s in graded["students"] for a in ASSIGNMENTS for gid, _ in _cells(a)}
    got = [tuple(r[:3]) for r in rows[1:]]
    assert len(got) == len(set(got)), "duplicate rows"
    assert set(got) == want
    for s, a, gid in want:
        assert graded["scores"][(s, a, gid)][1] == dict(_cells(a))[gid]


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_perfect_student_gets_full_marks(graded, a):
    for gid, (score, points) in _score(graded, "perfect", a).items():
        assert score == points > 0, gid


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_blank_release_scores_zero_everywhere(graded, a):
    assert all(score == 0 for score, _ in _score(graded, "blank", a).values())
    text = _html_text(graded["out"] / "feedback" / "blank" / a / f"{a}.html")
    assert "not implemented yet" in text


@pytest.mark.slow
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_delegating_to_dlcore_scores_zero_with_the_reason(graded, a):
    delegated = list(_answers(a))[:2]
    for gid, (score, points) in _score(graded, "delegate", a).items():
        assert score == (0 if gid.removeprefix("test_") in delegated else points), gid
    text = _html_text(graded["out"] / "feedback" / "delegate" / a / f"{a}.html")
    for name in delegated:
        assert f"`{name}` hands the work to dlcore's reference" in text


@pytest.mark.slow
def test_warnings_and_stderr_of_a_correct_answer_cost_nothing(graded):
    _needs_first()
    for gid, (score, points) in _score(graded, "noisy", FIRST).items():
        assert score == points, gid
    text = _html_text(graded["out"] / "feedback" / "noisy" / FIRST / f"{FIRST}.html")
    assert "debugging relu" in text  # the stderr text is still shown to the student


@pytest.mark.slow
def test_infinite_loop_is_cut_and_the_other_cells_are_graded(graded):
    _needs_first()
    scores = _score(graded, "looping", FIRST)
    assert scores.pop("test_leaky_relu")[0] == 0
    for gid, (score, points) in scores.items():
        assert score == points, gid
    text = _html_text(graded["out"] / "feedback" / "looping" / FIRST / f"{FIRST}.html")
    assert text.count("CellTimeoutError") >= 2  # both cuts are shown to the student


@pytest.mark.slow
def test_broken_and_missing_notebooks_score_zero_with_a_message(graded):
    _needs_first()
    for student in ("broken", "absent"):
        for a in ASSIGNMENTS:
            assert all(score == 0 for score, _ in _score(graded, student, a).values())
            assert (graded["out"] / "feedback" / student / a / f"{a}.html").is_file()
    stderr = graded["run"].stderr
    assert re.search(r"broken / 01_forward_propagation: unreadable: .*NotJSONError", stderr)
    assert re.search(r"absent / 01_forward_propagation: missing", stderr)


@pytest.mark.slow
def test_a_dead_kernel_costs_that_submission_only(graded):
    _needs_first()
    assert all(score == 0 for score, _ in _score(graded, "crash", FIRST).values())
    assert re.search(r"crash / 01_forward_propagation: failed: .*DeadKernelError", graded["run"].stderr)
    assert "could not be graded" in _html_text(graded["out"] / "feedback" / "crash" / FIRST / f"{FIRST}.html")
    # the students graded after it (in alphabetical order) are unaffected
    assert all(score == points for score, points in _score(graded, "perfect", FIRST).values())


@pytest.mark.slow
def test_feedback_shows_no_hidden_tests(graded):
    hidden = {line.strip() for a in ASSIGNMENTS for c in _source(a).cells if is_test(c)
              for line in hidden_lines(c.source) if len(line.strip()) >= 3}
    assert hidden
    pages = list((graded["out"] / "feedback").rglob("*.html"))
    assert {p.parent.parent.name for p in pages} == set(graded["students"])
    for page in pages:
        raw, text = page.read_text("utf-8"), _html_text(page)
        assert "BEGIN HIDDEN TESTS" not in raw and "BEGIN HIDDEN TESTS" not in text, page
        assert "hidden=True" not in text, page
        leaked = [line for line in hidden if line in text]
        assert not leaked, (page, leaked)


@pytest.mark.slow
def test_tampering_is_flagged_not_zeroed(graded):
    _needs_first()
    with (graded["out"] / "flags.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == FLAG_COLUMNS
    flags = {(s, gid, reason) for s, a, gid, reason in rows[1:] if a == FIRST}
    assert ("tamper", "sigmoid", "calls sys.setprofile") in flags
    assert ("tamper", "relu", "reassigns a NumPy function (np.maximum)") in flags
    assert ("tamper", "leaky_relu", "answer cell refers to the check helpers (checks)") in flags
    assert {s for s, _, _ in flags} == {"tamper", "meddler"}, "honest students must not be flagged"
    assert "FLAG tamper / 01_forward_propagation" in graded["run"].stderr
    for gid, (score, points) in _score(graded, "tamper", FIRST).items():
        assert score == points, gid


@pytest.mark.slow
def test_deleted_or_altered_test_cells_are_restored_graded_and_flagged(graded):
    _needs_first()
    for gid, (score, points) in _score(graded, "meddler", FIRST).items():
        assert score == points, gid  # test_relu put back, test_sigmoid worth its real points
    assert graded["scores"][("meddler", FIRST, "test_sigmoid")][1] == dict(_cells(FIRST))["test_sigmoid"]
    with (graded["out"] / "flags.csv").open(newline="") as f:
        reasons = {(gid, reason.split(" for cell")[0]) for s, a, gid, reason in list(csv.reader(f))[1:] if s == "meddler"}
    assert ("test_relu", "nbgrader: Missing grade cell test_relu encountered, adding to notebook") in reasons
    assert ("test_sigmoid", "nbgrader: Attribute 'points'") in reasons


@pytest.mark.slow
def test_answers_without_nbgrader_metadata_are_still_graded(graded):
    _needs_first()
    for gid, (score, points) in _score(graded, "pasted", FIRST).items():
        assert score == points, gid
    assert "pasted / 01_forward_propagation: 01_forward_propagation.ipynb has no nbgrader metadata" in graded["run"].stderr


# --- fast: command-line errors --------------------------------------------------------------------
def test_unknown_assignment_is_an_error(tmp_path):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    run = subprocess.run([sys.executable, "-m", "grader", "autograde", str(tmp_path / "subs"), "--output",
                          str(tmp_path / "g.csv"), "--assignment", "99_nope"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1 and "unknown assignment" in run.stderr


def test_missing_submissions_folder_is_an_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader", "autograde", str(tmp_path / "nowhere"), "--output",
                          str(tmp_path / "g.csv")], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1 and "does not exist" in run.stderr


# --- fast: the preprocessors ----------------------------------------------------------------------
def _test_cell(source: str, outputs: list) -> nbformat.NotebookNode:
    cell = new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test_f", "points": 2, "schema_version": 3}})
    cell.outputs = outputs
    return cell


def test_stderr_of_a_test_cell_does_not_zero_it():
    from nbgrader.utils import determine_grade

    warning = new_output("stream", name="stderr", text="x.py:3: RuntimeWarning: overflow encountered in exp\n")
    cell = _test_cell("checks.f(f)", [warning])
    assert determine_grade(copy.deepcopy(cell))[0] == 0  # what nbgrader alone would do
    cell, _ = StderrIsNotFailure().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (2, 2)
    error = new_output("error", ename="CheckFailure", evalue="wrong", traceback=["CheckFailure: wrong"])
    failing, _ = StderrIsNotFailure().preprocess_cell(_test_cell("checks.f(f)", [warning, error]), {}, 0)
    assert determine_grade(failing)[0] == 0


def test_traceback_lines_quoting_hidden_tests_are_removed():
    source = "checks.f(f)\n### BEGIN HIDDEN TESTS\nchecks.f(f, hidden=True)\n### END HIDDEN TESTS"
    tb = ["\x1b[0;31mCheckFailure\x1b[0m   Traceback (most recent call last)",
          "Cell \x1b[0;32mIn[5], line 3\x1b[0m\n      1 checks.f(f)\n      2 ### BEGIN HIDDEN TESTS\n"
          "\x1b[0;32m----> 3\x1b[0m \x1b[43mchecks\x1b[49m\x1b[38;5;241m.\x1b[39mf(f, hidden\x1b[38;5;241m=\x1b[39m\x1b[38;5;28;01mTrue\x1b[39;00m)\n"
          "      4 ### END HIDDEN TESTS",
          "\x1b[0;31mCheckFailure\x1b[0m: `f` returned the wrong shape."]
    cell = _test_cell(source, [new_output("error", ename="CheckFailure", evalue="`f` returned the wrong shape.", traceback=tb)])
    cell, _ = HideHiddenTestLines().preprocess_cell(cell, {}, 0)
    text = "\n".join(cell.outputs[0].traceback)
    assert "HIDDEN" not in text and "hidden" not in text
    assert "checks.f(f)" in text and "returned the wrong shape" in text


def test_config_cuts_looping_cells_and_hides_tests_in_feedback():
    from nbgrader.preprocessors import ClearHiddenTests

    from grader.nbgrader_config import build_config

    c = build_config("/tmp/course", timeout=7)
    assert c.Execute.timeout == 7 and c.Execute.interrupt_on_timeout is True
    assert ClearHiddenTests in c.GenerateFeedback.preprocessors
    steps = c.GenerateFeedback.preprocessors
    assert steps.index(HideHiddenTestLines) < steps.index(ClearHiddenTests)
    auto = [p.__name__ for p in c.Autograde.autograde_preprocessors]
    assert auto.index("StderrIsNotFailure") == auto.index("Execute") + 1 < auto.index("SaveAutoGrades")


# --- fast: the tamper scan ---------------------------------------------------------------------
@pytest.mark.parametrize("source, answer, reason", [
    ("np.exp = lambda z: z", False, "reassigns a NumPy function (np.exp)"),
    ("import numpy as xp\nxp.sum = sum", False, "reassigns a NumPy function (xp.sum)"),
    ("setattr(np, 'exp', abs)", False, "patches np with setattr"),
    ("np = FakeNumpy()", False, "rebinds the name np"),
    ("import sys\nsys.setprofile(None)", False, "calls sys.setprofile"),
    ("sys.settrace(lambda *a: None)", False, "calls sys.settrace"),
    ("from dlcore.checks.core import CheckFailure", False, "imports dlcore.checks"),
    ("try:\n    pass\nexcept CheckFailure:\n    pass", False, "refers to CheckFailure"),
    ("checks.sigmoid(sigmoid)", True, "answer cell refers to the check helpers (checks)"),
    ("import dlcore\ndlcore.sigmoid = lambda Z: Z", False, "patches dlcore.sigmoid"),
    ("get_ipython().events.register('post_run_cell', f)", False, "hooks into the IPython kernel (get_ipython().events)"),
    ("%timeit f()\nnp.exp = f", False, "reassigns a NumPy function (np.exp)"),
    ("def f(:\n    np.exp = 1", False, "reassigns a NumPy function"),  # does not parse: text rules
])
def test_tamper_scan_flags(source, answer, reason):
    assert reason in scan_source(source, answer)


@pytest.mark.parametrize("source", [
    "def relu(Z):\n    return np.maximum(0, Z)",
    "A = np.exp(-Z)\nA[A > 1] = 1\nx = np.random.default_rng(0)",
    "import numpy as np\nfrom dlcore import sigmoid as s",
    "%matplotlib inline\nchecks_done = True",
    "params['W1'] = params['W1'] - lr * grads['dW1']",
])
def test_tamper_scan_leaves_honest_code_alone(source):
    assert scan_source(source, answer=True) == []


def test_visible_check_outside_an_answer_cell_is_not_flagged():
    assert scan_source("checks.sigmoid(sigmoid)", answer=False) == []


# --- fast: salvaging a notebook without metadata -------------------------------------------------
def test_salvage_finds_answers_by_the_functions_cells_define():
    from grader.salvage import lost_metadata, rebuild

    answer = {"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "f", "schema_version": 3}}
    release = nbformat.v4.new_notebook(cells=[
        new_code_cell("import numpy as np", metadata={"nbgrader": {"locked": True, "grade_id": "setup"}}),
        new_code_cell("def f(x):\n    raise NotImplementedError()", metadata=answer),
    ])
    pasted = nbformat.v4.new_notebook(cells=[
        new_code_cell("def f(x):\n    return 0"),
        new_code_cell("%timeit f(1)\nhelper = 2\n\ndef f(x):\n    return helper * x"),
        new_code_cell("def f(:"),
    ])
    assert lost_metadata(pasted, release) and not lost_metadata(release, release)
    rebuilt, found = rebuild(pasted, release)
    assert found == ["f"]
    assert rebuilt.cells[1].source == pasted.cells[1].source and rebuilt.cells[1].metadata == answer
