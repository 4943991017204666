"""`python -m grader autograde` end to end, plus the pieces it relies on.

The slow part is ONE batched nbgrader run over a class of made-up students (built from
a fresh release of every notebook in solutions/), shared by the tests through a
module-scoped fixture. The fast part unit-tests the preprocessors and the tamper scan.
"""
from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import nbformat.v4
import pytest
from nbformat.v4 import new_code_cell
from notebook_helpers import cell_by_grade_id, hidden_lines, is_test, with_answers

from grader import REPO, SOLUTIONS
from grader.notebooks import assignments, grade_cells, grade_id, is_answer, read
from grader.submissions import CSV_COLUMNS, FLAG_COLUMNS

ASSIGNMENTS = assignments(SOLUTIONS)
FIRST = "01_forward_propagation"
TIMEOUT = 2  # seconds per call of a student's function, for the looping students; correct calls take ms


# --- the class of made-up students --------------------------------------------------------------
def _source(a: str):
    return read(SOLUTIONS / a / f"{a}.ipynb")


def _answers(a: str) -> dict[str, str]:
    return {grade_id(c): c.source for c in _source(a).cells if is_answer(c)}


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
        students["perfect"][a] = with_answers(rel, _answers(a))
        students["blank"][a] = rel
        students["delegate"][a] = with_answers(rel, _delegating(a))
    if FIRST in ASSIGNMENTS:
        rel = read(release / FIRST / f"{FIRST}.ipynb")
        good = _answers(FIRST)
        students["noisy"] = {FIRST: with_answers(rel, {
            **good,
            # An overflow warning while the cell runs (before the def), and the naive sigmoid,
            # which overflows for Z = -1000 yet is right: neither may cost points.
            "sigmoid": "_ = np.exp(np.array([1000.0]))\n\ndef sigmoid(Z):\n    return 1 / (1 + np.exp(-Z))\n",
            # A correct answer that writes to stderr while the test cell runs.
            "relu": "import sys\n\ndef relu(Z):\n    print('debugging relu', file=sys.stderr)\n    return np.maximum(0, Z)\n",
        })}
        students["looping"] = {FIRST: with_answers(rel, {
            **good,
            # A forgotten loop at the end of an answer cell: cut, and relu is defined all the same.
            "relu": good["relu"] + "\nwhile True:\n    pass\n",
            # An answer that never returns: its test cell is cut and scores 0.
            "leaky_relu": "def leaky_relu(Z, alpha=0.01):\n    while True:\n        pass\n",
        })}
        hostile = {
            # patched NumPy, builtins and check helpers in the student's process: only their own answers are judged
            "patcher": {**{k: v for k, v in good.items() if k not in ("sigmoid", "relu")},
                        "sigmoid": "import builtins\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                                   "builtins.isinstance = lambda *a: True\nchecks = None\n\ndef sigmoid(Z):\n    return Z\n",
                        "relu": "def relu(Z):\n    raise NotImplementedError()\n"},
            # results that lie under comparison
            "liar": {**good, "sigmoid": "class Liar(np.ndarray):\n    def __eq__(self, o):\n        return np.ones(self.shape, bool)\n"
                                        "    __ne__ = lambda self, o: np.zeros(self.shape, bool)\n\n"
                                        "def sigmoid(Z):\n    return np.zeros(np.shape(Z)).view(Liar)\n",
                     "compute_cost": "class F(float):\n    def __eq__(self, o):\n        return True\n\n"
                                     "def compute_cost(AL, Y):\n    return F(0.0)\n"},
            # delegation by routes the kernel could not stop: a string import, a thread, the source on disk
            "sneaky": {**good,
                       "sigmoid": "import importlib\n\ndef sigmoid(Z):\n    return importlib.import_module('dl' + 'core').sigmoid(Z)\n",
                       "relu": "import threading\n\ndef relu(Z):\n    out = {}\n    def run():\n        import dlcore\n        out['A'] = dlcore.relu(Z)\n"
                               "    t = threading.Thread(target=run); t.start(); t.join()\n    return out['A']\n",
                       "leaky_relu": f"src = open({str(REPO / 'dlcore' / 'activations.py')!r}).read()\nexec(src)\n"},
            # faults inside one exercise each
            "faults": {**good,
                       "sigmoid": "import os\n\ndef sigmoid(Z):\n    os._exit(3)\n",
                       "relu": "import ctypes\n\ndef relu(Z):\n    return ctypes.string_at(0)\n",
                       "leaky_relu": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n\n"
                                     "def leaky_relu(Z, alpha=0.01):\n    while True:\n        pass\n",
                       "linear_forward": "def linear_forward(A_prev, W, b):\n    x = [np.ones(10**6) for _ in range(10**5)]\n    return x\n",
                       "compute_cost": "import sys\n\ndef compute_cost(AL, Y):\n    sys.exit(0)\n"},
            "flood": {**good, "relu": "def relu(Z):\n    while True:\n        print('<script>alert(1)</script>' * 100)\n"},
            # reaching outside: solutions, the repository, startup files, other processes, the environment
            "intruder": {**good, "sigmoid": good["sigmoid"] + f"""
import os, glob, subprocess
for path in [{str(REPO / 'dlcore' / 'checks' / 'core.py')!r}, {str(REPO / 'INTRUDED')!r},
             os.path.expanduser('~/.ipython/profile_default/startup/00-x.py')] + glob.glob('/tmp/grader-course-*/course/gradebook.db'):
    try:
        open(path, 'a').write('# intruded\\n')
    except Exception as exc:
        print('blocked', type(exc).__name__)
try:
    print(open({str(SOLUTIONS / FIRST / (FIRST + '.ipynb'))!r}).read()[:100])
except Exception as exc:
    print('no solutions', type(exc).__name__)
print('ENV', sorted(os.environ))
subprocess.Popen(['sleep', '4242'])
"""},
        }
        if shutil.which("bwrap") is None:  # unsandboxed, the intruder WOULD write into this checkout
            del hostile["intruder"]
        for name, answers in hostile.items():
            students[name] = {FIRST: with_answers(rel, answers)}
        meddler = with_answers(rel, good)
        meddler.cells = [c for c in meddler.cells if grade_id(c) != "test_relu"]  # a deleted test cell
        cell_by_grade_id(meddler, "test_sigmoid").metadata.nbgrader.update(points=10, locked=False)
        students["meddler"] = {FIRST: meddler}
        pasted = with_answers(rel, good)  # answers pasted into a notebook without nbgrader metadata
        pasted.cells = [nbformat.v4.new_code_cell(c.source) for c in pasted.cells if c.cell_type == "code"]
        students["pasted"] = {FIRST: pasted}
        students["crash"] = {FIRST: with_answers(rel, {**good, "relu": "import os\nos._exit(1)\n"})}  # ends its process at cell level
        for odd in (" spaced out", "comma, name", "glob[*]?", ".dotted", "Zoë Ñandú"):
            students[odd] = {FIRST: with_answers(rel, good)}
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
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning", "INSTRUCTOR_SECRET": "s3cr3t-token"}
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
        assert re.search(rf"`{name}` (is not defined: its cell )?imports dlcore, which holds the reference solutions "
                         r"and is not available while grading", text), name


def _only_zero(graded, student, zeroed):
    """``zeroed`` exercises score 0; every other exercise of notebook 01 keeps full marks."""
    for gid, (score, points) in _score(graded, student, FIRST).items():
        if gid.removeprefix("test_") in zeroed:
            assert score == 0, (student, gid)
        else:
            assert score == points, (student, gid)


def _feedback(graded, student) -> str:
    return _html_text(graded["out"] / "feedback" / student / FIRST / f"{FIRST}.html")


@pytest.mark.slow
def test_warnings_and_stderr_of_a_correct_answer_cost_nothing(graded):
    _needs_first()
    _only_zero(graded, "noisy", set())


@pytest.mark.slow
def test_infinite_loops_cost_only_their_exercise(graded):
    _needs_first()
    _only_zero(graded, "looping", {"leaky_relu"})  # the loop after relu's def is cut, relu is kept
    assert "was cut" in _feedback(graded, "looping")


@pytest.mark.slow
def test_faults_stay_inside_one_exercise(graded):
    """os._exit, a segfault, a loop ignoring SIGINT, running out of memory, sys.exit."""
    _needs_first()
    _only_zero(graded, "faults", {"sigmoid", "relu", "leaky_relu", "linear_forward", "compute_cost"})
    text = _feedback(graded, "faults")
    assert "ended its Python process" in text and "did not return within" in text


@pytest.mark.slow
def test_output_floods_are_capped_and_escaped(graded):
    _needs_first()
    _only_zero(graded, "flood", {"relu"})
    page = graded["out"] / "feedback" / "flood" / FIRST / f"{FIRST}.html"
    assert "<script>alert(1)</script>" not in page.read_text("utf-8")
    assert page.stat().st_size < 3_000_000


@pytest.mark.slow
def test_patching_numpy_builtins_or_checks_earns_nothing(graded):
    _needs_first()
    _only_zero(graded, "patcher", {"sigmoid", "relu"})


@pytest.mark.slow
def test_lying_return_values_earn_nothing(graded):
    _needs_first()
    _only_zero(graded, "liar", {"sigmoid", "compute_cost"})


@pytest.mark.slow
def test_delegation_by_any_route_earns_nothing(graded):
    _needs_first()
    _only_zero(graded, "sneaky", {"sigmoid", "relu", "leaky_relu"})
    assert "not available while grading" in _feedback(graded, "sneaky")


@pytest.mark.slow
@pytest.mark.bwrap
def test_student_code_cannot_reach_outside_its_sandbox(graded):
    _needs_first()
    _only_zero(graded, "intruder", set())
    assert not (REPO / "INTRUDED").exists()
    assert "# intruded" not in (REPO / "dlcore" / "checks" / "core.py").read_text()
    text = _feedback(graded, "intruder")
    assert "s3cr3t-token" not in text and "INSTRUCTOR_SECRET" not in text
    assert "no solutions" in text and "blocked" in text
    left = subprocess.run(["pgrep", "-f", "sleep 4242"], capture_output=True, text=True).stdout.split()
    assert not left, "a student's process outlived grading"


@pytest.mark.slow
def test_any_folder_name_is_graded(graded):
    _needs_first()
    for odd in (" spaced out", "comma, name", "glob[*]?", ".dotted", "Zoë Ñandú"):
        _only_zero(graded, odd, set())
        assert (graded["out"] / "feedback" / odd / FIRST / f"{FIRST}.html").is_file()


@pytest.mark.slow
def test_broken_and_missing_notebooks_score_zero_with_a_message(graded):
    _needs_first()
    for student in ("broken", "absent"):
        for a in ASSIGNMENTS:
            assert all(score == 0 for score, _ in _score(graded, student, a).values())
            assert (graded["out"] / "feedback" / student / a / f"{a}.html").is_file()
    stderr = graded["run"].stderr
    assert re.search(r"broken / 01_forward_propagation: unreadable: .*not a notebook \(invalid JSON", stderr)
    assert re.search(r"absent / 01_forward_propagation: missing", stderr)


@pytest.mark.slow
def test_exiting_at_cell_level_costs_only_that_cell(graded):
    _needs_first()
    _only_zero(graded, "crash", {"relu"})
    _only_zero(graded, "perfect", set())


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
def test_edited_deleted_and_repointed_test_cells_are_ignored_and_flagged(graded):
    _needs_first()
    _only_zero(graded, "meddler", set())  # test_relu put back, test_sigmoid worth its real points
    assert graded["scores"][("meddler", FIRST, "test_sigmoid")][1] == dict(_cells(FIRST))["test_sigmoid"]
    with (graded["out"] / "flags.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == FLAG_COLUMNS
    reasons = {(gid, reason) for s, a, gid, reason in rows[1:] if s == "meddler"}
    assert any(gid == "test_sigmoid" and "points changed" in r for gid, r in reasons)
    assert not [r for r in rows[1:] if r[0] == "perfect"], "an honest student must not be flagged"


@pytest.mark.slow
def test_answers_without_nbgrader_metadata_are_still_graded(graded):
    _needs_first()
    _only_zero(graded, "pasted", set())
    with (graded["out"] / "flags.csv").open(newline="") as f:
        assert any(r[0] == "pasted" and "no nbgrader metadata" in r[3] for r in csv.reader(f))


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


# --- fast: configuration and rebuild ---------------------------------------------------------------
def test_config_puts_the_engine_in_place_of_execute_and_hides_tests_in_feedback():
    from nbgrader.preprocessors import ClearHiddenTests

    from grader.nbgrader_config import build_config

    c = build_config("/tmp/course", timeout=7)
    assert c.GradeInSandbox.call_timeout == 7
    assert ClearHiddenTests in c.GenerateFeedback.preprocessors
    auto = [p.__name__ for p in c.Autograde.autograde_preprocessors]
    assert "Execute" not in auto and auto.index("GradeInSandbox") < auto.index("SaveAutoGrades")
    assert c.Autograde.sanitize_preprocessors[0].__name__ == "RebuildFromRelease"


def test_rebuild_finds_answers_by_the_functions_cells_define():
    from grader.rebuild import rebuild

    answer = {"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "f", "schema_version": 3}}
    release = nbformat.v4.new_notebook(cells=[
        new_code_cell("import numpy as np", metadata={"nbgrader": {"locked": True, "grade_id": "setup", "solution": False, "grade": False}}),
        new_code_cell("def f(x):\n    raise NotImplementedError()", metadata=answer),
    ])
    pasted = nbformat.v4.new_notebook(cells=[
        new_code_cell("def f(x):\n    return 0"),
        new_code_cell("%timeit f(1)\nhelper = 2\n\ndef f(x):\n    return helper * x"),
        new_code_cell("def f(:"),
    ])
    rebuilt, flags = rebuild(pasted, release)
    assert any("no nbgrader metadata" in reason for _, reason in flags)
    graded_cell = cell_by_grade_id(rebuilt, "f")
    assert graded_cell.source == pasted.cells[1].source and graded_cell.metadata == answer
    same, none = rebuild(release, release)
    assert none == [] and [c.source for c in same.cells] == [c.source for c in release.cells]
