"""Grading jobs: a chunk of submissions graded in a private nbgrader course, wherever it runs.

A job is plain data in and out (JSON-compatible dicts), so that it runs the same way in
this process, in a pool of local processes (``--jobs N``) or on a Dask cluster
(``--scheduler``)::

    job = {"source": str, "assignment": str, "timeout": float | None, "sandbox": str,
           "feedback": bool, "autograded": bool,
           "check": bool,    # a fresh private course grades the canary first (default True)
           "canary": bool,   # a job with no items that only warms the course and checks it
           "items": [{"sid": str, "files": {notebook file name: text}, "timestamp": str | None}]}

    result = {"canary": [problem, ...],        # empty when the solution got full marks
              "results": {sid: {"status": "graded" | "failed", "notes": [str],
                                "flags": [[grade_id, reason]], "scores": {grade_id: [score, max]},
                                "hints": {grade_id: likely mistake},
                                "autograded": {file name: notebook text},   # when asked
                                "feedback": {html file name: html}}}}       # when asked

Each process keeps one warm private course per (source, assignment, settings): the
release is generated and the solution notebook graded as a canary once; after that a
job costs only its submissions, graded in one nbgrader run. Local workers forked from
the coordinator skip the canary (``check: False``): the coordinator grades it once, in its
own process, while they work; a Dask worker, maybe on another machine, grades its own.
Jobs never write anything the coordinator owns (gradebook, CSV, feedback folder): they
return results, and only the coordinator writes.
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from grader.course import Course
from grader.engine import recorded_hints
from grader.gradebook import cell_scores
from grader.metadata import METADATA_KEY
from grader.notebooks import grade_cells, notebook_files, read

CANARY = "_solution_canary_"
_SID = re.compile(r"[\w.-]+")
_WARM: dict[tuple, tuple[Course, list[str]]] = {}
_LOCK = threading.RLock()


def _failure_reason(records: list[logging.LogRecord], error: str) -> str:
    """The last exception nbgrader logged (not its own summary): what to tell the instructor."""
    lines = [ln.strip() for r in records if r.levelno >= logging.ERROR for ln in r.getMessage().splitlines()]
    lines += [ln.strip() for ln in error.splitlines()]
    exception = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b(:.*)?$")
    causes = [ln for ln in lines if exception.match(ln) and "NbGraderException" not in ln]
    return causes[-1] if causes else next((ln for ln in lines if ln), "unknown error")


def _by_student(records: list[logging.LogRecord], sids: list[str]) -> dict[str, list[logging.LogRecord]]:
    """nbgrader's log of a run over many students, cut into each student's part."""
    pattern = re.compile("|".join(re.escape(s) for s in sorted(sids, key=len, reverse=True))) if sids else None
    parts: dict[str, list[logging.LogRecord]] = {}
    current = ""
    for r in records:
        m = pattern.search(r.getMessage()) if pattern else None
        if m:
            current = m.group(0)
        parts.setdefault(current, []).append(r)
    return parts


def expected_cells(source: Path, assignment: str) -> list[tuple[str, str, float]]:
    """(notebook, grade_id, points) of every graded cell of an assignment, in order."""
    cells = []
    for path in notebook_files(source / assignment):
        cells += [(path.stem, gid, pts) for gid, pts in grade_cells(read(path))]
    return cells


def _clear(course: Course, assignment: str) -> None:
    for step in ("submitted", "autograded", "feedback"):
        root = course.root / step
        if root.is_dir():
            for student in root.iterdir():
                shutil.rmtree(student / assignment, ignore_errors=True)


def _write(course: Course, assignment: str, item: dict) -> None:
    dest = course.path("submitted", assignment, item["sid"])
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in item["files"].items():
        (dest / name).write_text(text, encoding="utf-8")
    if item.get("timestamp"):
        (dest / "timestamp.txt").write_text(item["timestamp"], encoding="utf-8")


def _scores(course: Course, assignment: str, sids: list[str], cells) -> dict[str, dict[str, list[float]] | None]:
    """Each graded student's scores from the private gradebook (None: nbgrader recorded no submission)."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, list[float]] | None] = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for sid in sids:
            scores = cell_scores(gb, assignment, sid, cells)
            out[sid] = None if scores is None else {gid: [sc, mx] for gid, (sc, mx) in scores.items()}
    return out


def _run(course: Course, assignment: str, items: list[dict], cells, feedback: bool, autograded: bool) -> dict:
    """Grade ``items`` in ``course`` (one nbgrader run) and read back what became of each."""
    _clear(course, assignment)
    for item in items:
        _write(course, assignment, item)
    sids = [item["sid"] for item in items]
    ok, records, error = course.run("autograde", assignment, "*")
    parts = _by_student(records, sids)
    results: dict[str, dict] = {}
    graded = []
    for sid in sids:
        r = results[sid] = {"status": "graded", "notes": [], "flags": [], "scores": {}, "hints": {},
                            "autograded": {}, "feedback": {}}
        folder = course.path("autograded", assignment, sid)
        paths = notebook_files(folder) if folder.is_dir() else []
        if not paths:
            r["status"] = "failed"
            r["notes"].append(f"nbgrader could not grade it: {_failure_reason(parts.get(sid, []), '' if ok else error)}")
            continue
        graded.append(sid)
        for path in paths:
            nb = read(path)
            meta = nb.metadata.get(METADATA_KEY, {})
            r["flags"] += [[str(gid), str(reason)] for gid, reason in meta.get("flags", [])]
            r["flags"] += [["", f"grading: {event}"] for event in meta.get("events", [])]
            r["hints"].update(recorded_hints(nb))
            if autograded:
                r["autograded"][path.name] = path.read_text(encoding="utf-8")
    for sid, scores in _scores(course, assignment, graded, cells).items():
        if scores is None:
            results[sid]["status"] = "failed"
            results[sid]["notes"].append("nbgrader recorded no submission for it")
            graded.remove(sid)
            continue
        results[sid]["scores"] = scores
    if feedback and graded:
        ok, records, error = course.run("generate_feedback", assignment, "*")
        parts = _by_student(records, sids)
        for sid in graded:
            folder = course.path("feedback", assignment, sid)
            pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
            results[sid]["feedback"] = {p.name: p.read_text(encoding="utf-8") for p in pages}
            if not pages:
                results[sid]["notes"].append(
                    f"no feedback HTML ({_failure_reason(parts.get(sid, []), '' if ok else error)})")
    return results


def close_warm() -> None:
    """End this process's warm courses (their temporary folders and environment)."""
    with _LOCK:
        while _WARM:
            _, (course, _) = _WARM.popitem()
            course.__exit__(None, None, None)


def _source_stamp(source: str, assignment: str) -> tuple:
    """What identifies the assignment's source files: a long-lived worker that sees them
    change (an updated release) makes a new course instead of grading against the old one."""
    folder = Path(source) / assignment
    return tuple(sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns, p.stat().st_size)
                        for p in folder.rglob("*") if p.is_file()))


def _warm_course(source: str, assignment: str, timeout: float | None, sandbox: str, verbose: bool,
                 check: bool = True):
    """This process's private course for these settings, made (and, with ``check``, its
    canary graded) once."""
    key = (source, assignment, timeout, sandbox, _source_stamp(source, assignment))
    for old in [k for k in _WARM if k[:4] == key[:4] and k != key]:
        _WARM.pop(old)[0].__exit__(None, None, None)
    if key not in _WARM:
        course = Course(Path(source), [assignment], timeout=timeout, verbose=verbose, sandbox=sandbox).__enter__()
        if not _WARM:  # a pool's worker process ends without running atexit; multiprocessing's finalizers run
            atexit.register(close_warm)
            multiprocessing.util.Finalize(None, close_warm, exitpriority=10)
        course.generate(assignment)
        _WARM[key] = (course, None)
    course, problems = _WARM[key]
    if problems is None and check:
        problems = _canary(course, source, assignment)
        _WARM[key] = (course, problems)
    return course, problems or []


def _canary(course: Course, source: str, assignment: str) -> list[str]:
    """Grade the solution notebook in ``course``: what kept it from full marks (empty: none)."""
    cells = expected_cells(Path(source), assignment)
    files = {p.name: p.read_text(encoding="utf-8") for p in notebook_files(Path(source) / assignment)}
    canary = _run(course, assignment, [{"sid": CANARY, "files": files}], cells, False, False)[CANARY]
    problems = [f"{assignment}: {'; '.join(canary['notes'])}"] if canary["status"] != "graded" else []
    problems += [f"{assignment}: {gid} scored {sc:g}/{mx:g}" for gid, (sc, mx) in canary["scores"].items() if sc < mx]
    return problems


def grade_chunk(job: dict) -> dict:
    """Grade one job (see the module docstring); plain data in, plain data out.

    One job at a time per process: a warm course changes the process's environment while
    it grades, so jobs of a multi-threaded worker (e.g. ``dask worker --nthreads 4``) wait
    for each other; use one thread per worker process to grade in parallel.
    """
    with _LOCK:
        return _grade_chunk(job)


def _grade_chunk(job: dict) -> dict:
    for item in job["items"]:
        if not _SID.fullmatch(item["sid"]) or item["sid"] == CANARY:
            raise ValueError(f"job item sid must be a plain nbgrader id; got {item['sid']!r}")
    if not job["items"] and not job.get("canary"):
        return {"canary": [], "results": {}}
    course, problems = _warm_course(job["source"], job["assignment"], job.get("timeout"), job.get("sandbox", "auto"),
                                    bool(job.get("verbose")), bool(job.get("check", True)) or bool(job.get("canary")))
    if problems:
        return {"canary": problems, "results": {}}
    if not job["items"]:
        return {"canary": [], "results": {}}
    cells = expected_cells(Path(job["source"]), job["assignment"])
    results = _run(course, job["assignment"], job["items"], cells, bool(job.get("feedback", True)),
                   bool(job.get("autograded", False)))
    return {"canary": [], "results": results}


def run_jobs(jobs: list[dict], workers: int = 1, scheduler: str | None = None,
             here: list[dict] = ()) -> Iterator[tuple[dict, dict]]:
    """Run ``jobs``, and ``here`` in this process; yield ``(job, result)`` as each finishes.

    ``scheduler``: address of a Dask distributed scheduler (each Dask worker runs
    :func:`grade_chunk` with the sandboxed engine; a job whose worker dies is run again by
    Dask; one that fails on every try is run here). Else ``workers`` local processes (forked from this one, so warm imports are
    shared), or this process when ``workers`` is 1. A job that fails in a worker (a worker
    killed, a broken pool) is run again here, so no submission is lost. The ``here`` jobs
    come first; with workers, they run while the workers work.
    """
    if scheduler:
        for job in here:
            yield job, grade_chunk(job)
        yield from _run_dask(jobs, scheduler)
        return
    if workers <= 1 or len(jobs) <= 1:
        for job in [*here, *jobs]:
            yield job, grade_chunk(job)
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(grade_chunk, job): job for job in jobs}
        try:
            for job in here:
                yield job, grade_chunk(job)
            yield from _finished(as_completed(futures), futures.__getitem__)
        finally:  # stopped early (an error, Ctrl-C): queued jobs are dropped, running ones finish
            pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(jobs: list[dict], scheduler: str) -> Iterator[tuple[dict, dict]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler, set_as_default=False) as client:
        futures = {client.submit(grade_chunk, job, pure=False): i for i, job in enumerate(jobs)}
        yield from _finished(dask_completed(list(futures), loop=client.loop), lambda future: jobs[futures[future]])


def _finished(done: Iterable, job_of: Callable) -> Iterator[tuple[dict, dict]]:
    """``(job, result)`` of each future in ``done`` (as they finish); then the jobs whose
    future failed (a local worker killed, a Dask job whose workers kept dying), graded here,
    so that no submission is lost."""
    failed = []
    for future in done:
        try:
            result = future.result()
        except Exception:
            failed.append(job_of(future))
            continue
        yield job_of(future), result
    for job in failed:
        yield job, grade_chunk(job)


def cluster_size(scheduler: str) -> int:
    """Threads of the Dask cluster at ``scheduler`` (for sizing the chunks)."""
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        return max(1, sum(client.nthreads().values()))


def chunks(items: list, workers: int, scheduler: str | None) -> list[list]:
    """Split a list of submissions into jobs: all in one when grading here; one chunk per
    local worker (each chunk costs an nbgrader run; at most 32 submissions); on a Dask
    cluster about two per worker thread, at most 16, so that work balances and a lost
    worker costs little."""
    if not items:
        return []
    if not scheduler and workers <= 1:
        return [items]
    if scheduler:
        workers = max(workers, cluster_size(scheduler))
        size = max(1, min(16, -(-len(items) // (2 * workers))))
    else:  # local workers: one chunk each (every chunk costs an nbgrader run), at most 32 long
        size = max(1, min(32, -(-len(items) // workers)))
    return [items[i:i + size] for i in range(0, len(items), size)]
