"""Suspicious pairs of answer cells: students whose code for one exercise is nearly the same.

Input: ``answers`` maps each student to ``{grade_id: source of their answer cell}``, and
``boilerplate`` maps each grade_id to the release's own code of that cell (the signature,
the docstring, ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` and any given lines).
Output: :class:`Pair` records, written by :func:`write_similarity` (CSV) and
:func:`write_similarity_html` (the code of both students side by side).

How it measures (``copydetect``):

- each answer is fingerprinted once with :class:`copydetect.CodeFingerprint`: the code is
  tokenised as Python, names become ``V``/``F``/``O``, strings ``S``, whitespace and
  comments vanish, and every :data:`K_GRAM`-character run (k-gram) of that filtered code
  is hashed (window 1: every k-gram is kept, so the result does not depend on Python's
  per-process string hash seed). The k-grams that also occur in the release's cell are
  dropped (see :func:`_fingerprints` for why not through copydetect's own boilerplate
  argument);
- two answers of the *same* grade_id get copydetect's similarity, as
  :func:`copydetect.compare_files` defines it: for each answer, the share of its filtered
  code (positions inside a non-release k-gram) that lies inside k-grams the other answer
  also has. It is computed with bitmasks, which gives compare_files' numbers exactly but
  several times faster (the tests check the two agree). The pair's similarity is the
  **smaller** of the two shares: at least that share of *each* answer is shared with the
  other. Padding a copied answer with extra code lowers it, but a long answer that happens
  to contain every common idiom does not make every short answer look copied (as the
  larger share or the mean would);
- answers that are unchanged from the release (same tokens, comments and whitespace
  aside) or in which the student wrote fewer than ``min_tokens`` Python tokens of their own
  (tokens of the release's cell are matched and discarded first) are not compared: a
  one-line answer such as ``A = np.maximum(0, Z)`` is written the same way by everyone and
  proves nothing.

Renaming variables, reformatting and rewording comments do not change the filtered code,
so such copies score 1.0. The converse also holds: two students who independently write
the canonical formula token for token score high too; a pair is a lead to look at, not a
verdict. copydetect reads the code from memory (its ``fp`` argument), so no temporary files
are written, and its log warnings and Python warnings are kept off stderr.

Cost: about 2 s for 300 students on one exercise (fingerprinting dominates; the 44,850
comparisons take a fraction of a second), plus about 1 s once to import copydetect
(copydetect's own compare_files would take about 9 s for those comparisons).
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import html
import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copydetect import CodeFingerprint

#: Length, in characters of copydetect's filtered code, of the runs that are fingerprinted.
#: copydetect's own default (25) suits whole files; answer cells are a few lines, and 12 is
#: about one filtered statement (``V=V.V(V,V)+V``): shorter runs make unrelated answers
#: match on common fragments, longer ones miss copies with a statement changed here and there.
K_GRAM = 12

SIMILARITY_COLUMNS = ("grade_id", "student_a", "student_b", "similarity")


@dataclass(frozen=True)
class Pair:
    """Two students (``student_a < student_b``) whose answers to ``grade_id`` are alike.

    ``similarity`` is in [0, 1]: the smaller of the two answers' shares of code found in the other.
    """

    grade_id: str
    student_a: str
    student_b: str
    similarity: float


@dataclass(frozen=True)
class _Answer:
    """One fingerprinted answer, in the form :func:`_similarity` compares quickly."""

    student: str
    spans: dict[int, int]  # k-gram hash -> bitmask of the filtered-code positions its occurrences cover
    coverage: int          # copydetect's token_coverage: positions inside any non-release k-gram


def similar_pairs(answers: dict[str, dict[str, str]],
                  boilerplate: dict[str, str] | None = None,
                  threshold: float = 0.8,
                  min_tokens: int = 10) -> list[Pair]:
    """The pairs of students whose answers to the same exercise have similarity >= ``threshold``.

    ``answers``: student -> {grade_id: source code of the answer cell}; a student may lack
    some grade_ids. ``boilerplate``: grade_id -> the release's code of that cell, ignored in
    the comparison (none for a grade_id that is absent). Only answers of the same grade_id
    are compared; answers unchanged from the release or with fewer than ``min_tokens``
    tokens of the student's own (:func:`own_tokens`) are left out. Returns the pairs with
    similarity >= ``threshold`` (and > 0), sorted by similarity (highest first), then
    grade_id, then names; each pair once, names in sorted order.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    boilerplate = boilerplate or {}
    by_exercise: dict[str, list[tuple[str, str]]] = {}
    for student in sorted(answers):
        for gid, code in answers[student].items():
            if isinstance(code, str) and code.strip():
                by_exercise.setdefault(gid, []).append((student, code))

    pairs: list[Pair] = []
    with _quiet():
        for gid, entries in by_exercise.items():
            stub = boilerplate.get(gid, "")
            fingerprints = _fingerprints(entries, stub, min_tokens)
            pairs.extend(_compare_all(gid, fingerprints, threshold))
    pairs.sort(key=lambda p: (-p.similarity, p.grade_id, p.student_a, p.student_b))
    return pairs


def own_tokens(code: str, stub: str = "") -> int:
    """How many Python tokens of ``code`` are not the release's ``stub`` (comments and whitespace excluded).

    The two token sequences are aligned (:class:`difflib.SequenceMatcher`) and the matched
    tokens of ``code`` are discarded, so the signature, docstring and given lines do not
    count, wherever the student's lines sit between them.
    """
    return _own(_tokens(code), _tokens(stub))


def _own(mine: list[str], given: list[str]) -> int:
    if not given:
        return len(mine)
    matcher = difflib.SequenceMatcher(None, mine, given, autojunk=False)
    return len(mine) - sum(block.size for block in matcher.get_matching_blocks())


def write_similarity(pairs: list[Pair], path: Path) -> None:
    """Write ``pairs`` as CSV (columns :data:`SIMILARITY_COLUMNS`, similarity with 3 decimals),
    atomically, control characters shown as escapes (:func:`grader.submissions.write_csv`)."""
    from grader.submissions import write_csv

    write_csv(Path(path), SIMILARITY_COLUMNS,
              [(p.grade_id, p.student_a, p.student_b, f"{p.similarity:.3f}") for p in pairs])


def write_similarity_html(pairs: list[Pair], answers: dict[str, dict[str, str]], path: Path) -> None:
    """Write one self-contained HTML page (no JavaScript) with both answers of each pair side by side.

    ``answers`` is the mapping given to :func:`similar_pairs`; every name and all code is
    HTML-escaped.
    """
    esc = html.escape
    sections = []
    for p in pairs:
        left = answers.get(p.student_a, {}).get(p.grade_id, "")
        right = answers.get(p.student_b, {}).get(p.grade_id, "")
        sections.append(
            f"<section><h2>{esc(p.grade_id)}: {esc(p.student_a)} and {esc(p.student_b)}"
            f" <span class='sim'>{p.similarity:.3f}</span></h2>\n<div class='side'>"
            f"<figure><figcaption>{esc(p.student_a)}</figcaption><pre>{esc(left)}</pre></figure>"
            f"<figure><figcaption>{esc(p.student_b)}</figcaption><pre>{esc(right)}</pre></figure>"
            "</div></section>"
        )
    body = "\n".join(sections) if sections else "<p>No pair of answers reached the threshold.</p>"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>Similar answers</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "h2{font-size:1.05em;margin-top:2em}.sim{background:#fde2e1;padding:0 .4em;border-radius:3px}"
        ".side{display:flex;gap:1em}figure{flex:1;margin:0;min-width:0}"
        "figcaption{font-weight:bold;margin-bottom:.3em}"
        "pre{background:#f6f8fa;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:.85em}"
        "</style></head><body>\n"
        f"<h1>Similar answers</h1>\n<p>{len(pairs)} pair(s), most similar first. "
        "Similarity is the smaller of the two answers' shares of code found in the other, "
        "after the release's code is removed; identical canonical answers also score high, so "
        "each pair is a lead to look at, not a verdict.</p>\n"
        f"{body}\n</body></html>\n",
        encoding="utf-8",
    )


# --- internals ---------------------------------------------------------------------------

def _fingerprints(entries: list[tuple[str, str]], stub: str, min_tokens: int) -> list[_Answer]:
    """Fingerprint each answer worth comparing (changed from the stub, ``min_tokens`` own tokens).

    The release's k-grams are dropped here rather than through CodeFingerprint's
    ``boilerplate`` argument: copydetect 0.5.0 removes them with ``np.intersect1d(...,
    assume_unique=True)`` on hashes that are not unique, which also deletes one occurrence of
    every k-gram the answer repeats, boilerplate or not.
    """
    stub_tokens = _tokens(stub)
    stub_hashes = {int(h) for h in fingerprint(stub).hashes} if stub.strip() else set()
    kept = []
    for student, code in entries:
        tokens = _tokens(code)
        if stub_tokens and tokens == stub_tokens:
            continue  # unchanged from the release
        if _own(tokens, stub_tokens) < min_tokens:
            continue
        fp = fingerprint(code, name=f"{student}.py")
        span = (1 << fp.k) - 1
        spans: dict[int, int] = {}
        for h, positions in fp.hash_idx.items():
            if int(h) in stub_hashes:
                continue
            mask = 0
            for i in positions:
                mask |= span << int(i)
            spans[int(h)] = mask
        covered = 0
        for mask in spans.values():
            covered |= mask
        kept.append(_Answer(student, spans, covered.bit_count()))
    return kept


def fingerprint(code: str, name: str = "cell.py") -> CodeFingerprint:
    """copydetect's :class:`~copydetect.CodeFingerprint` of ``code`` as Python, k = :data:`K_GRAM`, window 1.

    The code is read from memory (``fp``); ``name`` is only a label.
    """
    from copydetect import CodeFingerprint  # imported here: it pulls in matplotlib.pyplot and jinja2

    return CodeFingerprint(name, K_GRAM, 1, fp=io.StringIO(code), language="python")


def _similarity(a: _Answer, b: _Answer) -> float:
    """min of copydetect's two similarities (:func:`copydetect.compare_files`), computed exactly but faster.

    compare_files' similarity of a file is the number of its filtered-code positions inside
    some k-gram that the other file also has, over its ``token_coverage``. With the spans
    of the shared k-grams as bitmasks, that count is the popcount of their union.
    """
    shared = a.spans.keys() & b.spans.keys()
    if not shared or not a.coverage or not b.coverage:
        return 0.0
    covered_a = covered_b = 0
    for h in shared:
        covered_a |= a.spans[h]
        covered_b |= b.spans[h]
    return min(1.0, covered_a.bit_count() / a.coverage, covered_b.bit_count() / b.coverage)


def _compare_all(gid: str, answers: list[_Answer], threshold: float) -> Iterator[Pair]:
    """Compare every two answers of one exercise; yield those at or above ``threshold``."""
    for a, b in combinations(answers, 2):
        sim = _similarity(a, b)
        if sim > 0.0 and sim >= threshold:
            yield Pair(gid, *sorted((a.student, b.student)), sim)


def _tokens(code: str) -> list[str]:
    """The significant Python tokens of ``code`` (pygments; whitespace and comments dropped)."""
    if not code.strip():
        return []
    from pygments.token import Comment, Text

    return [value for kind, value in _lexer().get_tokens(code)
            if value.strip() and kind not in Text and kind not in Comment]


@functools.cache
def _lexer():
    from pygments.lexers import PythonLexer

    return PythonLexer()


class _DropCopydetectRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "copydetect" not in record.pathname.replace("\\", "/").split("/")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence copydetect while inside: its Python warnings and the log records it emits.

    copydetect logs through the root logger (``logging.warning``); the filter drops only
    records raised from copydetect's own files, and is removed on exit.
    """
    root = logging.getLogger()
    drop = _DropCopydetectRecords()
    root.addFilter(drop)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(drop)
