"""The class report of each assignment: where the class stands and what to re-teach next lecture.

Input: :class:`Result` records, one per (student, assignment, graded cell), built by the
grader or read back from its grades CSV with :func:`results_from_csv`.
Output of :func:`write_report`, per assignment ``A``:

- ``<out_dir>/A/index.html``: one self-contained page (inline CSS, no JavaScript) with the
  number of students, mean/median/min/max of the totals, their histogram, a table of
  every exercise (points, mean score, share at full marks, number at zero) and, per
  exercise, the most common "likely mistake" hints of the checks with their counts;
- ``<out_dir>/A/histogram.png``: the histogram of the totals, drawn with matplotlib's
  object API on the Agg canvas (no pyplot, whatever ``MPLBACKEND`` says); one bar per
  point when the maximum is a whole number up to 30, else 20 bins over 0..maximum.

Students are identified by name; a student's total is the sum of their scores over the
assignment's grade ids (a grade id they have no row for counts 0), out of the sum of the
grade ids' ``max_score``. Every string that comes from the results is HTML-escaped.
"""
from __future__ import annotations

import csv
import html
import math
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader.submissions import CSV_COLUMNS  # the grades CSV's columns, read back here

#: Exercises where fewer than this share of the class got full marks are highlighted.
WEAK_SHARE = 0.5


@dataclass(frozen=True)
class Result:
    """One student's score on one graded cell of one assignment.

    ``hint``: the "likely mistake" text the checks gave when the exercise failed; ``None``
    when it passed or the checks had no hint.
    """

    student: str
    assignment: str
    grade_id: str
    score: float
    max_score: float
    hint: str | None = None


def common_mistakes(results: list[Result], top: int = 5) -> dict[str, list[tuple[str, int]]]:
    """The ``top`` most common hints of each exercise: grade_id -> [(hint, count), ...].

    Hints are compared with their whitespace normalised (runs of spaces and newlines become
    one space, ends stripped), so hints equal up to whitespace merge; empty hints are
    ignored. Most common first, ties in the order the hints first appear. Only grade ids
    with at least one hint are keys, in the order they first appear. Pass the results of one
    assignment: grade ids are not qualified by assignment.
    """
    counts: dict[str, Counter[str]] = {}
    for r in results:
        if r.hint is None:
            continue
        hint = " ".join(r.hint.split())
        if hint:
            counts.setdefault(r.grade_id, Counter())[hint] += 1
    # Counter keeps first-seen order and most_common's sort is stable: ties stay first-seen.
    return {gid: c.most_common(max(top, 0)) for gid, c in counts.items()}


def exercise_table(results: list[Result]) -> list[dict]:
    """One row per grade id, in the order grade ids first appear.

    Each row: ``grade_id``; ``max_score`` (the largest ``max_score`` seen for it);
    ``mean_score`` (over the students with a row for it); ``full_share`` (share of those
    students at full marks, 0..1); ``zero`` (how many scored 0); ``students`` (how many have
    a row). Pass the results of one assignment: grade ids are not qualified by assignment.
    """
    by_gid: dict[str, list[Result]] = {}
    for r in results:
        by_gid.setdefault(r.grade_id, []).append(r)
    rows = []
    for gid, rs in by_gid.items():
        top = max(r.max_score for r in rs)
        rows.append({
            "grade_id": gid,
            "max_score": top,
            "mean_score": statistics.fmean(r.score for r in rs),
            "full_share": sum(_full(r.score, top) for r in rs) / len(rs),
            "zero": sum(r.score == 0 for r in rs),
            "students": len({r.student for r in rs}),
        })
    return rows


def totals(results: list[Result]) -> tuple[dict[str, float], float]:
    """Each student's total over the grade ids of ``results`` (one assignment), and the maximum total.

    Returns ``({student: total}, max_total)`` with students in first-seen order; the maximum
    is the sum over grade ids of their largest ``max_score``.
    """
    student_totals: dict[str, float] = {}
    max_by_gid: dict[str, float] = {}
    for r in results:
        student_totals[r.student] = student_totals.get(r.student, 0.0) + r.score
        max_by_gid[r.grade_id] = max(max_by_gid.get(r.grade_id, r.max_score), r.max_score)
    return student_totals, sum(max_by_gid.values())


def write_report(results: list[Result], out_dir: Path,
                 late: dict[tuple[str, str], float] | None = None) -> list[Path]:
    """Write ``out_dir/<assignment>/index.html`` and ``histogram.png`` for each assignment in ``results``.

    ``late``: the late penalty of each (student, assignment) that has one; the totals (and
    the histogram) are then after the penalty, never below 0, as the gradebook's export
    counts them, and the page says so. The exercise table is always before penalties.

    Returns the HTML paths, assignments in the order they first appear. Raises
    :class:`ValueError` when a (student, assignment, grade_id) has more than one result
    (e.g. two grade files concatenated) or an assignment name is not a plain folder name.
    """
    by_assignment: dict[str, list[Result]] = {}
    seen: set[tuple[str, str, str]] = set()
    for r in results:
        key = (r.student, r.assignment, r.grade_id)
        if key in seen:
            raise ValueError(f"more than one result for student {r.student!r}, "
                             f"assignment {r.assignment!r}, grade_id {r.grade_id!r}")
        seen.add(key)
        by_assignment.setdefault(r.assignment, []).append(r)

    pages = []
    for assignment, rs in by_assignment.items():
        folder = Path(out_dir) / _folder_name(assignment)
        folder.mkdir(parents=True, exist_ok=True)
        student_totals, max_total = totals(rs)
        penalties = {s: p for (s, a), p in (late or {}).items() if a == assignment and s in student_totals and p}
        for s, p in penalties.items():
            student_totals[s] = max(0.0, student_totals[s] - p)
        _histogram(list(student_totals.values()), max_total, assignment, folder / "histogram.png")
        page = folder / "index.html"
        page.write_text(_page(assignment, rs, student_totals, max_total, penalties), encoding="utf-8")
        pages.append(page)
    return pages


def results_from_csv(path: Path) -> list[Result]:
    """Read the grades CSV of ``python -m grader autograde`` (header exactly :data:`CSV_COLUMNS`).

    Hints are not in that file: every result has ``hint=None``. Raises :class:`ValueError`
    on another header, a row of the wrong length or a score that is not a finite number.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(header) != CSV_COLUMNS:
            raise ValueError(f"{path}: expected the header {','.join(CSV_COLUMNS)}, got {header}")
        results = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(CSV_COLUMNS):
                raise ValueError(f"{path}, line {reader.line_num}: expected {len(CSV_COLUMNS)} fields, got {len(row)}")
            student, assignment, gid, score, max_score = row
            results.append(Result(student, assignment, gid,
                                  _number(score, path, reader.line_num), _number(max_score, path, reader.line_num)))
    return results


# --- internals ---------------------------------------------------------------------------

def _full(score: float, max_score: float) -> bool:
    return score >= max_score - 1e-9


def _number(text: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{path}, line {line}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}, line {line}: {text!r} is not a finite number")
    return value


def _folder_name(assignment: str) -> str:
    """``assignment`` if it is safe as one folder name under ``out_dir`` (no path tricks)."""
    if assignment in ("", ".", "..") or any(c in assignment for c in "/\\\0"):
        raise ValueError(f"assignment name {assignment!r} cannot be used as a folder name")
    return assignment


def _fmt(x: float) -> str:
    """A score for people: at most 2 decimals, no trailing zeros (3, 2.5, 3.33)."""
    return f"{round(x, 2):g}"


def _bin_edges(max_total: float) -> list[float]:
    """Histogram edges covering 0..max_total.

    An integer maximum up to 30 gets one bar per point, centred on it (edges at -0.5, 0.5,
    ..., max + 0.5): full marks get their own bar. Otherwise 20 equal bins from 0 to max.
    """
    if max_total <= 0:
        return [-0.5, 0.5]
    if float(max_total).is_integer() and max_total <= 30:
        return [i - 0.5 for i in range(int(max_total) + 2)]
    return [max_total * i / 20 for i in range(21)]


def _histogram(values: list[float], max_total: float, assignment: str, path: Path) -> None:
    """Save the histogram of the totals ``values`` (clipped into the bins' range) as a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    edges = _bin_edges(max_total)
    clipped = [min(max(v, edges[0]), edges[-1]) for v in values]
    fig = Figure(figsize=(6.4, 3.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(clipped, bins=edges, color="#4c72b0", edgecolor="white")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {_fmt(max_total)})")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: totals of {len(values)} students")
    fig.savefig(path, format="png", metadata={"Software": None})


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .7em}
th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.weak td{background:#fdecea}img{max-width:100%;height:auto}
ol li{margin:.2em 0}.count{font-weight:bold;margin-right:.5em}.muted{color:#666}
"""


def _page(assignment: str, results: list[Result], student_totals: dict[str, float], max_total: float,
          penalties: dict[str, float] | None = None) -> str:
    esc = html.escape
    values = list(student_totals.values())
    n = len(values)
    stats = "".join(f'<td class="n">{_fmt(v)}</td>' for v in (
        statistics.fmean(values), statistics.median(values), min(values), max(values)))
    rows = []
    for row in exercise_table(results):
        weak = ' class="weak"' if row["full_share"] < WEAK_SHARE else ""
        cells = "".join(f'<td class="n">{v}</td>' for v in (
            _fmt(row["max_score"]), _fmt(row["mean_score"]), f'{row["full_share"]:.0%}', row["zero"], row["students"]))
        rows.append(f'<tr{weak}><td>{esc(row["grade_id"])}</td>{cells}</tr>')
    mistakes = []
    for gid, hints in common_mistakes(results).items():
        items = "".join(f'<li><span class="count">{count}&times;</span>{esc(hint)}</li>' for hint, count in hints)
        mistakes.append(f"<h3>{esc(gid)}</h3>\n<ol>{items}</ol>")
    mistakes_html = "\n".join(mistakes) if mistakes else '<p class="muted">No likely-mistake hints were recorded.</p>'
    title = f"Class report: {esc(assignment)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{title}</h1>\n"
        f"<p>{n} student{'s' if n != 1 else ''}; totals out of {_fmt(max_total)} points"
        + (f", after the late penalties of {len(penalties)} student{'s' if len(penalties) != 1 else ''} "
           f"({_fmt(sum(penalties.values()))} points in all; the exercise table is before penalties)"
           if penalties else "") + ".</p>\n"
        '<table class="stats"><tr><th>mean</th><th>median</th><th>min</th><th>max</th></tr>'
        f"<tr>{stats}</tr></table>\n"
        f'<img src="histogram.png" alt="Histogram of the totals of {n} students, 0 to {_fmt(max_total)} points">\n'
        "<h2>Exercises</h2>\n"
        f'<p class="muted">Rows in red: fewer than {WEAK_SHARE:.0%} of the class at full marks.</p>\n'
        '<table class="exercises"><tr><th>exercise</th><th>points</th><th>mean</th>'
        "<th>full marks</th><th>zero</th><th>students</th></tr>\n"
        + "\n".join(rows) + "\n</table>\n"
        "<h2>Most common mistakes</h2>\n"
        '<p class="muted">The checks&rsquo; &ldquo;likely mistake&rdquo; hints, counted over the class; '
        "exercises without hints are not listed.</p>\n"
        f"{mistakes_html}\n</body></html>\n"
    )
