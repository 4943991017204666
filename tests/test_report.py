"""The class report (grader.report): exact numbers on a hand-made class, escaping, the PNG, the CSV."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest

from grader import REPO
from grader.report import CSV_COLUMNS, Result, common_mistakes, exercise_table, results_from_csv, totals, write_report

A = "01_forward_propagation"
OVERFLOW = "np.exp(-Z) overflows for large negative Z; use a stable form"
BOOLEANS = "returned Z > 0 (booleans) instead of the values"
SCALAR = "returned np.max(Z), a single number, instead of an array"
WRONG_M = "divided by the wrong m: use Y.shape[1], the number of examples"
MINUS = "forgot the minus sign: the cost must be positive"


def make_class() -> list[Result]:
    """Four students, three exercises worth 2 + 1 + 3 = 6 points.

    totals: ana 6, ben 3, cleo 2, dan 0 -> mean 2.75, median 2.5, min 0, max 6.
    """
    return [
        Result("ana", A, "sigmoid", 2, 2),
        Result("ana", A, "relu", 1, 1),
        Result("ana", A, "compute_cost", 3, 3),
        Result("ben", A, "sigmoid", 0, 2, OVERFLOW),
        Result("ben", A, "relu", 1, 1),
        Result("ben", A, "compute_cost", 2, 3, WRONG_M),
        Result("cleo", A, "sigmoid", 2, 2),
        Result("cleo", A, "relu", 0, 1, BOOLEANS),
        # the same hint as ben's, but wrapped and indented differently: must merge
        Result("cleo", A, "compute_cost", 0, 3, "divided by the wrong m:\n    use Y.shape[1],  the number of examples "),
        Result("dan", A, "sigmoid", 0, 2, f"  {OVERFLOW}\n"),
        Result("dan", A, "relu", 0, 1, SCALAR),
        Result("dan", A, "compute_cost", 0, 3, MINUS),
    ]


def test_totals_are_sums_over_the_grade_ids():
    student_totals, max_total = totals(make_class())
    assert student_totals == {"ana": 6, "ben": 3, "cleo": 2, "dan": 0}
    assert max_total == 6


def test_exercise_table_rows_in_notebook_order():
    assert exercise_table(make_class()) == [
        {"grade_id": "sigmoid", "max_score": 2, "mean_score": 1.0, "full_share": 0.5, "zero": 2, "students": 4},
        {"grade_id": "relu", "max_score": 1, "mean_score": 0.5, "full_share": 0.5, "zero": 2, "students": 4},
        {"grade_id": "compute_cost", "max_score": 3, "mean_score": 1.25, "full_share": 0.25, "zero": 2, "students": 4},
    ]


def test_common_mistakes_counts_merges_whitespace_and_orders():
    assert common_mistakes(make_class()) == {
        "sigmoid": [(OVERFLOW, 2)],
        "relu": [(BOOLEANS, 1), (SCALAR, 1)],         # tie: first seen first
        "compute_cost": [(WRONG_M, 2), (MINUS, 1)],   # most common first, though seen first later
    }
    assert common_mistakes(make_class(), top=1)["compute_cost"] == [(WRONG_M, 2)]
    assert common_mistakes([Result("x", A, "relu", 1, 1), Result("y", A, "relu", 0, 1, " \n ")]) == {}


def test_html_page_has_the_exact_numbers(tmp_path):
    [page] = write_report(make_class(), tmp_path)
    assert page == tmp_path / A / "index.html"
    text = page.read_text(encoding="utf-8")
    assert f"<title>Class report: {A}</title>" in text
    assert "4 students; totals out of 6 points." in text
    assert ('<tr><td class="n">2.75</td><td class="n">2.5</td>'
            '<td class="n">0</td><td class="n">6</td></tr>') in text
    assert ('<tr><td>sigmoid</td><td class="n">2</td><td class="n">1</td><td class="n">50%</td>'
            '<td class="n">2</td><td class="n">4</td></tr>') in text
    # fewer than half at full marks: highlighted as one to re-teach
    assert ('<tr class="weak"><td>compute_cost</td><td class="n">3</td><td class="n">1.25</td>'
            '<td class="n">25%</td><td class="n">2</td><td class="n">4</td></tr>') in text
    assert f'<span class="count">2&times;</span>{OVERFLOW}' in text
    assert text.index(WRONG_M) < text.index(MINUS)
    assert '<img src="histogram.png" alt="Histogram of the totals of 4 students, 0 to 6 points">' in text
    assert "<script" not in text.lower()


def test_every_string_from_the_results_is_escaped(tmp_path):
    evil = "<script>alert('x')</script>"
    results = [
        Result(evil, "a<b>&c", "<img src=x onerror=alert(1)>", 0, 1, evil),
        Result("bob", "a<b>&c", "<img src=x onerror=alert(1)>", 1, 1),
    ]
    [page] = write_report(results, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "Class report: a&lt;b&gt;&amp;c" in text


def test_histogram_is_a_real_png(tmp_path):
    write_report(make_class(), tmp_path)
    png = tmp_path / A / "histogram.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0  # something is drawn


def test_histogram_needs_no_pyplot_backend(tmp_path):
    """A broken MPLBACKEND breaks pyplot; the report does not use it."""
    code = ("import sys; from pathlib import Path; from grader.report import Result, write_report; "
            "write_report([Result('a', 'A1', 'g', 1, 2)], Path(sys.argv[1])); "
            "assert 'matplotlib.pyplot' not in sys.modules")
    env = {**os.environ, "MPLBACKEND": "module://no_such_backend", "MPLCONFIGDIR": str(tmp_path / "mpl")}
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "A1" / "histogram.png").read_bytes()[:4] == b"\x89PNG"


def test_one_page_per_assignment_with_only_its_exercises(tmp_path):
    results = make_class() + [Result("ana", "02_backpropagation", "relu_backward", 1, 2, "dZ[Z <= 0] = 0 missing")]
    pages = write_report(results, tmp_path)
    assert pages == [tmp_path / A / "index.html", tmp_path / "02_backpropagation" / "index.html"]
    second = pages[1].read_text(encoding="utf-8")
    assert "1 student; totals out of 2 points." in second
    assert "relu_backward" in second and "compute_cost" not in second
    assert (tmp_path / "02_backpropagation" / "histogram.png").is_file()


def test_duplicate_results_and_unsafe_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="more than one result"):
        write_report(make_class() + [Result("ana", A, "relu", 1, 1)], tmp_path)
    with pytest.raises(ValueError, match="folder name"):
        write_report([Result("ana", "../outside", "g", 1, 1)], tmp_path / "out")
    assert not (tmp_path / "outside").exists()


def test_results_from_csv_round_trip(tmp_path):
    results = [Result(r.student, r.assignment, r.grade_id, r.score, r.max_score) for r in make_class()]
    results.append(Result('Zoë "Z, the 2nd"', A, "relu", 0.5, 1))
    path = tmp_path / "grades.csv"
    with path.open("w", newline="", encoding="utf-8") as f:  # as grader.autograde writes it
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows((r.student, r.assignment, r.grade_id, f"{r.score:g}", f"{r.max_score:g}") for r in results)
    assert results_from_csv(path) == results
    assert write_report(results_from_csv(path), tmp_path / "report")


def test_the_report_reads_the_csv_the_grader_writes(tmp_path):
    from grader.submissions import Submission, write_grades

    sub = Submission("ana", "A", scores={"g1": (1.0, 2.0), "g2": (0.5, 0.5)})
    write_grades([sub], tmp_path / "grades.csv")
    assert results_from_csv(tmp_path / "grades.csv") == [Result("ana", "A", "g1", 1.0, 2.0),
                                                         Result("ana", "A", "g2", 0.5, 0.5)]


@pytest.mark.parametrize("content, message", [
    ("student,assignment,grade_id,score\nana,A,g,1\n", "expected the header"),
    ("student,assignment,grade_id,score,max_score\nana,A,g,1\n", "expected 5 fields"),
    ("student,assignment,grade_id,score,max_score\nana,A,g,one,2\n", "not a number"),
    ("student,assignment,grade_id,score,max_score\nana,A,g,nan,2\n", "not a finite number"),
])
def test_results_from_csv_refuses_malformed_files(tmp_path, content, message):
    path = tmp_path / "grades.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        results_from_csv(path)


def test_report_module_is_importable_without_the_grader_stack():
    """The report reads a CSV; it must not need nbgrader (run it in a clean interpreter)."""
    code = "import sys, grader.report; assert 'nbgrader' not in sys.modules and 'nbformat' not in sys.modules"
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(REPO), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_totals_after_late_penalties_are_labelled(tmp_path):
    results = [Result("ana", "A", "g1", 2.0, 2.0), Result("bo", "A", "g1", 2.0, 2.0)]
    (page,) = write_report(results, tmp_path / "plain")
    assert "late penalt" not in page.read_text(encoding="utf-8")
    (page,) = write_report(results, tmp_path / "late", late={("bo", "A"): 0.5, ("bo", "B"): 9.0})
    text = page.read_text(encoding="utf-8")
    assert "after the late penalties of 1 student (0.5 points in all; the exercise table is before penalties)" in text
    assert '<td class="n">1.75</td>' in text  # the mean of 2 and 1.5
