"""A whole term in a persistent course (``python -m grader init``), driven as an instructor drives it.

Three assignments, twelve students, and every number of the gradebook checked:

1. ``python -m grader init`` with due dates and a late penalty of 10 % per started day;
2. ``nbgrader release_assignment``; students fetch and submit through nbgrader's exchange, one
   with the ``nbgrader`` command line, the others with the Assignments tab of their JupyterLab
   (nbgrader's server extension, run here in-process); ``nbgrader collect``; two students
   arrive as a Canvas download through ``nbgrader zip_collect``, with a stray file that
   belongs to nobody (it must be reported); one student is put into ``submitted/`` by hand;
3. the answers: perfect, blank, one wrong exercise, a hostile ``os._exit``, 25 hours late,
   partly done, and two students with the same (unusual) code;
4. ``python -m grader autograde --course-dir --jobs 2`` and ``export``, checked cell by cell;
5. a manual adjustment (as formgrader makes it), a resubmission: only that student is
   regraded and the adjustment survives;
6. a run interrupted with SIGINT, then resumed: nothing lost, nothing counted twice;
7. ``nbgrader generate_feedback`` (no hidden tests in the pages), ``nbgrader export``,
   ``python -m grader report`` (the wrong exercise's hint) and ``similarity`` (the copy).
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import hidden_lines, is_test

from grader import REPO, SOLUTIONS
from grader.notebooks import grade_cells, grade_id, is_answer, read

pytestmark = pytest.mark.slow

A1, A2, A7 = "01_forward_propagation", "02_backpropagation", "07_ml_strategy"
ASSIGNMENTS = (A1, A2, A7)
COURSE_ID = "dlcourse"
BIN = Path(sys.executable).parent
PENALTY = 0.1  # per started day late

# --- the students' answers -------------------------------------------------------------------
RELU_ABS = "def relu(Z):\n    return np.abs(Z)\n"  # the check's hint: "ReLU is max(0, Z), not |Z|."
RELU_HINT = "ReLU is max(0, Z), not |Z|."
EXIT_SIGMOID = "import os\n\ndef sigmoid(Z):\n    os._exit(3)\n"
UPDATE_PLUS = ("def update_parameters(parameters, grads, learning_rate):\n"
               "    return {k: v + learning_rate * grads['d' + k] for k, v in parameters.items()}\n")
UPDATE_HINT = "gradient descent steps against the gradient"
CM_GUS = '''def confusion_matrix(y_true, y_pred, num_classes):
    actual = np.asarray(y_true).reshape(-1).astype(int)
    predicted = np.asarray(y_pred).reshape(-1).astype(int)
    table = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(table, (actual, predicted), 1)
    return table
'''
CM_FAY = '''def confusion_matrix(y_true, y_pred, num_classes):
    # count every (true, predicted) pair
    t = np.asarray(y_true).reshape(-1).astype(int)
    p = np.asarray(y_pred).reshape(-1).astype(int)
    M = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(M, (t, p), 1)
    return M
'''
KEEP = object()  # an answer cell left as released (not attempted)
BLANK = None     # the whole notebook submitted as fetched

#: student -> assignment -> answers: {} the solution's, {grade_id: code} the solution's but these,
#: BLANK the notebook as fetched. An assignment that is absent is not submitted.
WORK: dict[str, dict[str, object]] = {
    "ada": {A1: {}, A2: {}, A7: {}},
    "bob": {A1: BLANK, A2: BLANK, A7: BLANK},
    "cyd": {A1: {"relu": RELU_ABS}, A2: {}, A7: {}},
    "dee": {A1: {"sigmoid": EXIT_SIGMOID}, A2: {}, A7: {}},
    "eve": {A1: {}, A2: {}, A7: {}},                 # 02 submitted 25 hours late
    "fay": {A1: {}, A7: {"confusion_matrix": CM_FAY}},
    "gus": {A2: {}, A7: {"confusion_matrix": CM_GUS}},
    "hal": {A7: {}},                                 # Canvas
    "ivy": {A7: "partly"},                           # Canvas: only train_dev_test_split attempted
    "jay": {A1: {}, A2: {}, A7: {}},
    "kim": {A1: {}, A2: {"update_parameters": UPDATE_PLUS}},  # resubmits 02 corrected
    "lee": {A1: {}, A2: {}},                         # put into submitted/ by hand
}
CLI = "ada"                 # the nbgrader command line
CANVAS = ("hal", "ivy")     # nbgrader zip_collect
BY_HAND = "lee"             # submitted/ as collect lays it out
LAB = [s for s in WORK if s not in (CLI, BY_HAND, *CANVAS)]  # the Assignments tab of JupyterLab
LATE = ("eve", A2)
ADJUSTED = ("cyd", A1, "test_relu", 0.5)  # a grader's manual score (formgrader)
#: a manual score on the exercise kim then corrects: nbgrader's rule, the manual score still counts (and is printed)
ADJUSTED_THEN_FIXED = ("kim", A2, "test_update_parameters", 0.25)
TAMPERS = ("jay", A1, "test_relu")  # edits a test cell and raises its points: graded with the course's, flagged
RESUBMITS = ("kim", A2)


def _solution(a: str):
    return read(SOLUTIONS / a / f"{a}.ipynb")


POINTS = {a: dict(grade_cells(_solution(a))) for a in ASSIGNMENTS}
ANSWERS = {a: {grade_id(c): c.source for c in _solution(a).cells if is_answer(c)} for a in ASSIGNMENTS}
WORK["ivy"][A7] = {gid: KEEP for gid in ANSWERS[A7] if gid != "train_dev_test_split"}

#: (student, assignment) -> the test cells that score 0 (every other one scores full marks)
ZEROED = {
    ("cyd", A1): {"test_relu"},
    ("dee", A1): {"test_sigmoid"},
    ("kim", A2): {"test_update_parameters"},
    ("ivy", A7): {gid for gid in POINTS[A7] if gid != "test_train_dev_test_split"},
}


def _answered(nb, a: str, spec) -> nbformat.NotebookNode:
    """The fetched notebook ``nb`` with a student's answers written into its answer cells."""
    nb = copy.deepcopy(nb)
    if spec is BLANK:
        return nb
    for cell in nb.cells:
        if is_answer(cell):
            code = spec.get(grade_id(cell), ANSWERS[a][grade_id(cell)])
            if code is not KEEP:
                cell.source = code
    return nb


def _expected(kim_fixed: bool, adjusted: bool) -> dict[str, dict[str, float]]:
    """The export's row of every student: {column: number}."""
    rows = {}
    for s, work in WORK.items():
        row, total = {}, 0.0
        for a in ASSIGNMENTS:
            zeroed = set(ZEROED.get((s, a), ()))
            if (s, a) == RESUBMITS and kim_fixed:
                zeroed = set()
            for gid, points in POINTS[a].items():
                blank = a not in work or work[a] is BLANK
                row[f"{a}/{gid}"] = 0.0 if blank or gid in zeroed else points
            for adj in (ADJUSTED, ADJUSTED_THEN_FIXED):
                if adjusted and (s, a) == adj[:2]:
                    row[f"{a}/{adj[2]}"] = adj[3]
            score = sum(row[f"{a}/{gid}"] for gid in POINTS[a])
            if (s, a) == LATE:
                score -= round(score * PENALTY * 2, 6)  # 25 hours late: 2 started days
            row[a] = score
            total += score
        row["total"] = total
        rows[s] = row
    return rows


# --- running things ----------------------------------------------------------------------------
def _env(home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PATH": os.pathsep.join((str(BIN), os.environ.get("PATH", "")))}
    if home is not None:  # a student's own machine: their home, their Jupyter folders
        env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
                   JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"))
    return env


def _grader(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=REPO, capture_output=True,
                         text=True, env=_env(), timeout=600)
    if ok:
        assert run.returncode == 0, f"grader {args}: exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    return run


def _nbgrader(cwd: Path, *commands: list[str], env: dict | None = None) -> list[subprocess.CompletedProcess]:
    """Run nbgrader commands side by side (each start-up costs seconds); all must succeed.

    Only commands that create different folders: nbgrader makes its folders after checking
    that they are missing, so two commands making the same one (``collect A`` and
    ``collect B`` both make ``submitted/<student>``) may fail on each other's.
    """
    procs = [subprocess.Popen([str(BIN / "nbgrader"), *cmd], cwd=cwd, env=env or _env(), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in commands]
    runs = []
    for cmd, proc in zip(commands, procs):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"nbgrader {' '.join(cmd)}: exit {proc.returncode}\n{out}\n{err}"
        runs.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return runs


def _summary(run: subprocess.CompletedProcess) -> tuple[int, int, int, int]:
    m = re.search(r"graded (\d+), unchanged (\d+), not graded (\d+), unmatched files (\d+)", run.stdout)
    assert m, run.stdout + run.stderr
    return tuple(int(x) for x in m.groups())


def _export(course: Path, out: Path) -> tuple[list[str], dict[str, dict[str, float | None]]]:
    """The export's header and rows ({student: {column: number, or None where blank}}); the
    first row is the maximum points of every column."""
    _grader("export", "--course-dir", course, "--output", out)
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert rows[1][0] == "(max)", rows[1]
    return header, {r[0]: {col: float(v) if v else None for col, v in zip(header[1:], r[1:])} for r in rows[1:]}


def _check_export(course: Path, out: Path, kim_fixed: bool, adjusted: bool) -> None:
    header, got = _export(course, out)
    want = _expected(kim_fixed, adjusted)
    cells = [f"{a}/{gid}" for a in ASSIGNMENTS for gid in POINTS[a]]
    assert header[0] == "student" and header[-1] == "total"
    assert header[1:-1] == cells + list(ASSIGNMENTS), "the course's order: exercises, then the assignments"
    maxima = got.pop("(max)")
    assert maxima == {**{f"{a}/{gid}": pts for a in ASSIGNMENTS for gid, pts in POINTS[a].items()},
                      **{a: sum(POINTS[a].values()) for a in ASSIGNMENTS},
                      "total": sum(sum(POINTS[a].values()) for a in ASSIGNMENTS)}
    assert sorted(got) == sorted(want)
    for s in want:
        for col, value in want[s].items():
            a = col.split("/")[0]
            if a in ASSIGNMENTS and a not in WORK[s]:  # not submitted: blank, not 0
                assert got[s][col] is None, (s, col, got[s][col])
                continue
            assert got[s][col] == pytest.approx(value, abs=1e-9), (s, col, got[s][col], value)


def _state(course: Path) -> dict:
    return json.loads((course / ".grader" / "graded.json").read_text(encoding="utf-8"))


# --- the students' side --------------------------------------------------------------------------
def _student_home(tmp: Path, student: str, exchange: Path) -> Path:
    """A student's home with the course's nbgrader settings: the exchange, and who they are
    (everyone is the same OS user here, so the identity is nbgrader's ``student_id``)."""
    home = tmp / "homes" / student
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.student_id = {student!r}\n",
        encoding="utf-8")
    return home


def _do_homework(home: Path, work: dict[str, object]) -> None:
    """Answer the fetched notebooks in ``home``: {assignment: answers, as in WORK}."""
    for a, spec in work.items():
        path = home / a / f"{a}.ipynb"
        nbformat.write(_answered(read(path), a, spec), str(path))


class _Lab:
    """A student's JupyterLab Assignments tab: nbgrader's server extension, in this process."""

    def __init__(self, monkeypatch, home: Path):
        from nbgrader.server_extensions.assignment_list.handlers import AssignmentList

        self.monkeypatch, self.home = monkeypatch, home
        self.tab = AssignmentList()
        self.tab.root_dir = str(home)

    def __call__(self, action: str, a: str) -> None:
        with self.monkeypatch.context() as m:
            for var, value in _env(self.home).items():
                if var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
                    m.setenv(var, value)
            m.chdir(self.home)  # the server's root folder: where assignments are fetched
            result = getattr(self.tab, f"{action}_assignment")(COURSE_ID, a)
        assert result["success"], result.get("value")


def _canvas_zip(course: Path, path: Path) -> None:
    """Canvas's "Download Submissions": <login>_[LATE_]<user id>_<submission id>_<file name>."""
    release = read(course / "release" / A7 / f"{A7}.ipynb")
    with zipfile.ZipFile(path, "w") as z:
        for n, s in enumerate(CANVAS):
            late = "LATE_" if s == "ivy" else ""
            answered = nbformat.writes(_answered(release, A7, WORK[s][A7]))
            again = "-1" if s == "ivy" else ""  # Canvas's name for a resubmission
            z.writestr(f"{s}_{late}{1000 + n}_{5000 + n}_{A7}{again}.ipynb", answered)
        z.writestr(f"{A7}.ipynb", nbformat.writes(release))  # renamed by someone: belongs to no student


# --- the term ----------------------------------------------------------------------------------
def test_a_whole_term(tmp_path, monkeypatch):
    laps = [("start", time.monotonic())]
    lap = lambda what: laps.append((what, time.monotonic()))
    course, exchange = tmp_path / "course", tmp_path / "course" / "exchange"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    due = {a: now + dt.timedelta(days=7 * (i + 1)) for i, a in enumerate(ASSIGNMENTS)}

    # 1. the course
    run = _grader("init", course, *[x for a in ASSIGNMENTS for x in ("--assignment", a)],
                  *[f"--due={a}={due[a].isoformat()}" for a in ASSIGNMENTS], "--late-penalty", PENALTY)
    assert "ready with" in run.stdout
    assert sorted(p.name for p in (course / "release").iterdir()) == sorted(ASSIGNMENTS)
    lap("init")

    # 2. release, students fetch and submit, collect
    _nbgrader(course, ["release_assignment", A1])  # makes the exchange's course folders
    _nbgrader(course, *[["release_assignment", a] for a in (A2, A7)])
    assert sorted(p.name for p in (exchange / COURSE_ID / "outbound").iterdir()) == sorted(ASSIGNMENTS)
    lap("release")
    home = _student_home(tmp_path, CLI, exchange)
    _nbgrader(home, ["fetch_assignment", *ASSIGNMENTS, "--course", COURSE_ID], env=_env(home))
    _do_homework(home, WORK[CLI])
    _nbgrader(home, ["submit", A1, "--course", COURSE_ID], env=_env(home))  # makes the student's cache
    _nbgrader(home, *[["submit", a, "--course", COURSE_ID] for a in (A2, A7)], env=_env(home))
    lap("command-line student")
    labs = {}
    for s in LAB:
        labs[s] = _Lab(monkeypatch, _student_home(tmp_path, s, exchange))
        for a in WORK[s]:
            labs[s]("fetch", a)
        _do_homework(labs[s].home, WORK[s])
        for a in WORK[s]:
            labs[s]("submit", a)
    lap("JupyterLab students")
    inbound = sorted(p.name.split("+")[:2] for p in (exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted([s, a] for s in (CLI, *LAB) for a in WORK[s])

    # collect from the exchange, one assignment after the other (see _nbgrader); alongside, two
    # students from the LMS (Canvas), with a stray file that matches no student
    (course / "downloaded" / A7 / "archive").mkdir(parents=True)
    _canvas_zip(course, course / "downloaded" / A7 / "archive" / "submissions.zip")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\n# Canvas downloads: <login>_[LATE_]<user id>_<submission id>_<file name>\n"
                "c.FileNameCollectorPlugin.named_regexp = "
                r"r'.*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$'" "\n")  # docs/grading.md's
    _, zipped = _nbgrader(course, ["collect", A1], ["zip_collect", A7])
    for a in (A2, A7):
        _nbgrader(course, ["collect", a])
    stray = course / "downloaded" / A7 / "extracted" / "submissions" / f"{A7}.ipynb"
    assert f"Skipped submission with no match information provided: {stray}" in zipped.stderr
    assert "2 files collected, 1 files skipped" in zipped.stderr
    lap("collect, zip_collect")

    # one student by hand, as collect lays it out
    for a in WORK[BY_HAND]:
        folder = course / "submitted" / BY_HAND / a
        folder.mkdir(parents=True)
        release = read(course / "release" / a / f"{a}.ipynb")
        nbformat.write(_answered(release, a, WORK[BY_HAND][a]), str(folder / f"{a}.ipynb"))
        (folder / "timestamp.txt").write_text(f"{now:%Y-%m-%d %H:%M:%S}.000000 UTC")
    # the exchange stamps submissions with the real clock: eve's 02 arrives 25 hours after its due date
    late_at = due[LATE[1]] + dt.timedelta(hours=25)
    (course / "submitted" / LATE[0] / LATE[1] / "timestamp.txt").write_text(f"{late_at:%Y-%m-%d %H:%M:%S}.000000 UTC")

    # jay edits a test cell and gives it 100 points
    s, a, gid = TAMPERS
    path = course / "submitted" / s / a / f"{a}.ipynb"
    nb = read(path)
    test = next(c for c in nb.cells if grade_id(c) == gid)
    test.source = "assert True  # I pass\n"
    test.metadata.nbgrader["points"] = 100
    nbformat.write(nb, str(path))

    submitted = sorted((s.name, a.name) for s in (course / "submitted").iterdir() for a in s.iterdir())
    assert submitted == sorted((s, a) for s in WORK for a in WORK[s])
    n_subs = len(submitted)

    # 3-4. grade on two workers, export every number
    run = _grader("autograde", "--course-dir", course, "--jobs", "2")
    assert _summary(run) == (n_subs, 0, 0, 0), run.stderr
    lap("autograde --jobs 2")
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in run.stdout.splitlines()[1:] if len(line.split()) == 6}
    assert len(rows) == n_subs, run.stdout  # a row per submission: student, assignment, score, late, final, status
    late_points = round(sum(POINTS[LATE[1]].values()) * PENALTY * 2, 6)
    assert rows[LATE] == [f"{sum(POINTS[LATE[1]].values()):g}/{sum(POINTS[LATE[1]].values()):g}", f"{late_points:g}",
                          f"{sum(POINTS[LATE[1]].values()) - late_points:g}", "graded"], rows[LATE]
    s, a, gid = TAMPERS
    assert f"FLAG {s} / {a} {gid}: points changed to 100" in run.stderr, run.stderr
    with (course / "flags.csv").open(newline="", encoding="utf-8") as f:
        flags = list(csv.DictReader(f))
    flagged_rows = {(r["student"], r["assignment"], r["grade_id"]) for r in flags}
    assert TAMPERS in flagged_rows and not {r for r in flagged_rows if r[0] == "ada"}, flags
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        flagged = {(nb.student.id, nb.assignment.name) for a in ASSIGNMENTS for sub in gb.assignment_submissions(a)
                   for nb in sub.notebooks if nb.flagged}
    assert TAMPERS[:2] in flagged and ("ada", A1) not in flagged, flagged  # what formgrader shows as flagged
    _check_export(course, tmp_path / "grades-1.csv", kim_fixed=False, adjusted=False)
    lap("export")
    graded = {(s, a): (course / "autograded" / s / a / f"{a}.ipynb").read_text(encoding="utf-8") for s, a in submitted}
    for a in WORK[CLI]:  # the exchange's secret, which nbgrader's release_feedback needs, is carried over
        secret = (course / "submitted" / CLI / a / "submission_secret.txt").read_text(encoding="utf-8")
        assert (course / "autograded" / CLI / a / "submission_secret.txt").read_text(encoding="utf-8") == secret
    assert RELU_HINT in graded["cyd", A1] and UPDATE_HINT in graded["kim", A2]  # for the report

    # 5. manual adjustments, then a resubmission: only that student is regraded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for s, a, gid, score in (ADJUSTED, ADJUSTED_THEN_FIXED):
            grade = gb.find_grade(gid, a, a, s)
            assert grade.score == 0 and grade.auto_score == 0
            grade.manual_score = score
        gb.db.commit()
    s, a = RESUBMITS
    _do_homework(labs[s].home, {a: {}})  # corrected
    labs[s]("submit", a)
    _nbgrader(course, ["collect", "--update", a])
    stray_copy = course / "submitted" / stray.name  # the instructor parks the stray file among the submissions
    stray_copy.write_bytes(stray.read_bytes())
    run = _grader("autograde", "--course-dir", course)  # a stray file is listed, never a failure
    assert _summary(run) == (1, n_subs - 1, 0, 1), run.stdout + run.stderr
    assert f"submitted/{stray.name} belongs to no assignment" in run.stderr
    s, a, gid, manual = ADJUSTED_THEN_FIXED
    assert (f"{s} / {a} {gid}: the manual score {manual:g} (formgrader) counts, not the new automatic score "
            f"{POINTS[a][gid]:g}") in run.stderr, run.stderr
    assert re.search(rf"^{s}\s+{a}\s+\S+\s+-\s+\S+\s+graded$", run.stdout, re.M), run.stdout  # the summary's row
    lap("resubmission, autograde")
    stray_copy.unlink()
    _check_export(course, tmp_path / "grades-2.csv", kim_fixed=True, adjusted=True)
    lap("export")

    # 6. an interrupted run resumes: nothing lost, nothing counted twice
    state = _state(course)
    redo = {A1: ["ada", "bob"], A7: ["ada", "bob", "cyd", "dee"]}
    for a, students in redo.items():
        for s in students:
            del state[a][s]
    (course / ".grader" / "graded.json").write_text(json.dumps(state), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "grader", "autograde", "--course-dir", str(course)], cwd=REPO,
                            env=_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not all(s in _state(course).get(A1, {}) for s in redo[A1]) and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never recorded the first assignment"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # Ctrl-C while 07 is being graded
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    lap("interrupted run")
    assert proc.returncode == 130 and "interrupted" in err, f"exit {proc.returncode}\n{out}\n{err}"
    left = [s for s in redo[A7] if s not in _state(course)[A7]]
    assert left, "the interrupted run went on to the end"
    run = _grader("autograde", "--course-dir", course)
    assert _summary(run) == (len(left), n_subs - len(left), 0, 0), run.stdout + run.stderr
    lap("resumed run")
    _check_export(course, tmp_path / "grades-3.csv", kim_fixed=True, adjusted=True)
    lap("export")
    submitters = {a: sorted(s for s in WORK if a in WORK[s]) for a in ASSIGNMENTS}
    assert {a: sorted(v) for a, v in _state(course).items()} == submitters
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        assert {a: sorted(sub.student_id for sub in gb.assignment_submissions(a)) for a in ASSIGNMENTS} == submitters

    # 7. nbgrader's feedback and export, our report and similarity
    _nbgrader(course, *[["generate_feedback", a] for a in ASSIGNMENTS])
    lap("generate_feedback")
    hidden = {line.strip() for a in ASSIGNMENTS for c in _solution(a).cells if is_test(c)
              for line in hidden_lines(c.source) if len(line.strip()) >= 3}
    assert hidden
    pages = sorted((p.parent.parent.name, p.parent.name) for p in (course / "feedback").rglob("*.html"))
    assert pages == sorted(submitted)
    for page in (course / "feedback").rglob("*.html"):
        raw = page.read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", raw))
        assert "BEGIN HIDDEN TESTS" not in raw and "BEGIN HIDDEN TESTS" not in text, page
        assert not [line for line in hidden if line in text], page
    feedback = {s: html.unescape((course / "feedback" / s / A1 / f"{A1}.html").read_text(encoding="utf-8"))
                for s in ("cyd", "dee")}
    assert RELU_HINT in feedback["cyd"] and "ended its Python process" in feedback["dee"]

    _nbgrader(course, ["export"])
    lap("nbgrader export")
    with (course / "grades.csv").open(newline="", encoding="utf-8") as f:
        theirs = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    want = _expected(kim_fixed=True, adjusted=True)
    for s in WORK:
        for a in ASSIGNMENTS:
            r = theirs[s, a]
            assert float(r["score"]) == pytest.approx(want[s][a]), (s, a, r)
            assert float(r["max_score"]) == sum(POINTS[a].values())
            late = float(r["late_submission_penalty"] or 0)
            late_points = sum(POINTS[a].values()) * float(PENALTY) * 2  # a perfect score, two started days late
            assert late == (pytest.approx(late_points) if (s, a) == LATE else 0), (s, a, r)

    _grader("report", "--course-dir", course, "--output", tmp_path / "report")
    lap("report")
    for a in ASSIGNMENTS:
        page = html.unescape((tmp_path / "report" / a / "index.html").read_text(encoding="utf-8"))
        assert (tmp_path / "report" / a / "histogram.png").stat().st_size > 0
        n = sum(a in WORK[s] for s in WORK)
        assert f"<p>{n} students;" in page, a
        mistakes = page.split("Most common mistakes", 1)[1]
        if a == A1:
            assert re.search(r'<h3>test_relu</h3>\s*<ol><li><span class="count">1\S*</span>' + re.escape(RELU_HINT),
                             mistakes)
        assert UPDATE_HINT not in page, "kim's corrected resubmission still counted"

    _grader("similarity", "--course-dir", course, "--output", tmp_path / "similarity")
    lap("similarity")
    with (tmp_path / "similarity" / "similarity.csv").open(newline="", encoding="utf-8") as f:
        pairs = [r for r in csv.DictReader(f) if r["grade_id"] == f"{A7}/confusion_matrix"]
    # the copy, and neither of them with anyone else (the solution's own code, submitted by
    # several students as it is, pairs those students too: a lead, not a verdict)
    copied = [p for p in pairs if {p["student_a"], p["student_b"]} & {"fay", "gus"}]
    assert [(p["student_a"], p["student_b"]) for p in copied] == [("fay", "gus")]
    assert float(copied[0]["similarity"]) >= 0.8
    assert "np.add.at(M, (t, p), 1)" in html.unescape((tmp_path / "similarity" / "similarity.html").read_text("utf-8"))
    print("".join(f"\n{what:>30}: {t - laps[i][1]:5.1f} s" for i, (what, t) in enumerate(laps[1:])),
          f"\n{'the term':>30}: {laps[-1][1] - laps[0][1]:5.1f} s")


def test_a_notebook_under_another_name_is_listed_to_rename_not_lost(tmp_path):
    """nbgrader records grades only under the source notebook's name: a renamed notebook
    (Canvas's ``-1`` for a resubmission) is listed with what to do, then graded once renamed."""
    course = tmp_path / "course"
    _grader("init", course, "--assignment", A1)
    folder = course / "submitted" / "kai" / A1
    folder.mkdir(parents=True)
    nbformat.write(_answered(read(course / "release" / A1 / f"{A1}.ipynb"), A1, {}), str(folder / f"{A1}-1.ipynb"))
    run = _grader("autograde", "--course-dir", course, ok=False)
    assert run.returncode == 1 and _summary(run) == (0, 0, 1, 0), run.stdout + run.stderr
    assert f"{A1}-1.ipynb is not named as the assignment's notebook ({A1}.ipynb)" in run.stderr
    assert f"rename it in {folder.resolve()}" in run.stderr
    assert not (course / "autograded" / "kai").exists()
    (folder / f"{A1}-1.ipynb").rename(folder / f"{A1}.ipynb")
    assert _summary(_grader("autograde", "--course-dir", course)) == (1, 0, 0, 0)
    _, grades = _export(course, tmp_path / "grades.csv")
    assert grades["kai"][A1] == sum(POINTS[A1].values())


def test_init_again_keeps_what_is_there(tmp_path):
    """Re-running ``init`` changes only what it is given, prints what changed, and a failed
    ``init`` leaves no partial course."""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    _grader("init", course, "--assignment", A1, "--assignment", A2, f"--due={A1}=2030-01-01T10:00",
            f"--due={A2}=2030-02-01T10:00", "--late-penalty", "0.1")
    config = course / "nbgrader_config.py"
    pattern = "c.FileNameCollectorPlugin.named_regexp = r'.*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+)$'\n"
    config.write_text(config.read_text(encoding="utf-8") + pattern, encoding="utf-8")  # the instructor's edit

    run = _grader("init", course, f"--due={A2}=2030-03-01T10:00+02:00")
    text = config.read_text(encoding="utf-8")
    assert pattern in text and "c.PenaltyPerDay.per_day = 0.1" in text, text
    assert f"{A2}: due 2030-03-01 08:00 UTC" in run.stdout and "nbgrader_config.py" not in run.stdout, run.stdout
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_assignment(A1).duedate == dt.datetime(2030, 1, 1, 10, 0)
        assert gb.find_assignment(A2).duedate == dt.datetime(2030, 3, 1, 8, 0)

    run = _grader("init", course, "--late-penalty", "zero")
    text = config.read_text(encoding="utf-8")
    assert pattern in text and "penalty_method = 'zero'" in text and "PenaltyPerDay" not in text, text
    assert "nbgrader_config.py: late-penalty set" in run.stdout, run.stdout

    before = text
    bad = _grader("init", course, "--late-penalty", "2", ok=False)
    assert bad.returncode == 1 and "--late-penalty per day must be in (0, 1]" in bad.stderr, bad.stderr
    assert config.read_text(encoding="utf-8") == before
    fresh = tmp_path / "fresh"
    bad = _grader("init", fresh, "--assignment", A1, "--late-penalty", "soon", ok=False)
    assert bad.returncode == 1 and "--late-penalty must be 'none', 'zero' or a fraction" in bad.stderr, bad.stderr
    assert not fresh.exists(), "a failed init left a partial course"


def test_unreadable_submissions_get_a_zero_with_the_reason_once(tmp_path):
    """An invalid-JSON, an empty and an all-cells-deleted notebook each get a gradebook row of
    0 with the reason (flagged, with a feedback page), once; stray files are listed, never fatal."""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    _grader("init", course, "--assignment", A1)
    release = read(course / "release" / A1 / f"{A1}.ipynb")
    secret = "TOP-SECRET-CONTENT"
    broken = {"zed": '{"cells": [' + secret, "yan": "", "xia": None}
    for s, text in broken.items():
        folder = course / "submitted" / s / A1
        folder.mkdir(parents=True)
        if text is None:
            empty = copy.deepcopy(release)
            empty.cells = []
            nbformat.write(empty, str(folder / f"{A1}.ipynb"))
        else:
            (folder / f"{A1}.ipynb").write_text(text, encoding="utf-8")
    folder = course / "submitted" / "kai" / A1
    folder.mkdir(parents=True)
    nbformat.write(_answered(release, A1, {}), str(folder / f"{A1}.ipynb"))
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    nbformat.write(_answered(release, A1, {}), str(folder / f"{A1}-Copy1.ipynb"))

    refused = _grader("autograde", "--course-dir", course, "--output", tmp_path / "grades.csv", ok=False)
    assert refused.returncode == 1 and "drop --output" in refused.stderr, refused.stderr

    run = _grader("autograde", "--course-dir", course)
    assert _summary(run) == (4, 0, 0, 2), run.stdout + run.stderr
    assert secret not in run.stdout + run.stderr
    assert f"zed / {A1}" in run.stderr and "invalid JSON" in run.stderr
    assert "every cell of the notebook was deleted" in run.stderr
    assert ".DS_Store belongs to no assignment" in run.stderr and f"{A1}-Copy1.ipynb belongs to no" in run.stderr
    _, grades = _export(course, tmp_path / "grades.csv")
    assert {s: grades[s][A1] for s in ("zed", "yan", "xia", "kai")} == {
        "zed": 0, "yan": 0, "xia": 0, "kai": sum(POINTS[A1].values())}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        flagged = {s for s in ("zed", "yan", "xia", "kai")
                   if any(nb.flagged for nb in gb.find_submission(A1, s).notebooks)}
    assert flagged == {"zed", "yan", "xia"}
    for s in broken:
        page = html.unescape((course / "feedback" / s / A1 / f"{A1}.html").read_text(encoding="utf-8"))
        assert "could not be graded" in page and secret not in page and "not implemented yet" not in page, page
    with (course / "flags.csv").open(newline="", encoding="utf-8") as f:
        assert {r["student"] for r in csv.DictReader(f)} == set(broken)

    again = _grader("autograde", "--course-dir", course)
    assert _summary(again) == (0, 4, 0, 0), again.stdout + again.stderr
    assert "not graded" not in again.stderr
