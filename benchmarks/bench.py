"""Run every benchmark and print one table (``make bench``).

Each measurement runs in its own process, one after the other, so that they do not slow
each other down:

* ``training step``: ``benchmarks/train_step.py --json`` (dlcore's training step against
  the BLAS floor measured in the same run);
* ``sliders``: ``benchmarks/sliders.py --json`` (median and worst latency of every slider
  listed there, with its target);
* ``notebooks``: ``benchmarks/notebooks.py --json`` (every notebook under ``solutions/``,
  and the whole course);
* ``grading``: ``benchmarks/grading.py --json``, if that file exists; otherwise the row
  says "not measured";
* ``start-up``: seconds from ``make lab`` on a set-up machine (``.venv`` installed; run
  as ``make -o .venv/.installed-stamp lab`` so that no pip install is timed) to
  JupyterLab answering ``GET /api``, measured here: JupyterLab is started on a free
  loopback port with scratch ``HOME`` and Jupyter folders, polled, then stopped.

The JSON that every script prints with ``--json`` (its only output on stdout) is a list
of rows, each an object::

    {"row": "what is measured",          # required
     "value": "the figure, with units",  # required, a string
     "target": "<= 20 s",                # optional: the target, as text ("" or absent: none)
     "ok": true,                         # optional: true / false (target met or not), null (no target)
     "section": "notebooks",             # optional: defaults to the name of the measurement
     "note": "a remark"}                 # optional: shown after the value

A script may also print an object ``{"rows": [...]}``. Rows from a script that fails, or
prints no such JSON, are replaced by one row saying so; the other measurements still run.

Run: ``.venv/bin/python benchmarks/bench.py [--only NAME ...] [--markdown FILE]``; NAME is
one of ``training-step``, ``sliders``, ``notebooks``, ``grading``, ``startup``. Exits 1 if
a measurement could not be made (a target that is missed only shows in the table).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"

#: measurement name -> (section shown in the table, script, timeout in seconds)
SCRIPTS = {
    "training-step": ("training step", "train_step.py", 600),
    "sliders": ("sliders", "sliders.py", 1800),
    "notebooks": ("notebooks", "notebooks.py", 3600),
    "grading": ("grading", "grading.py", 3600),
}
ORDER = ("training-step", "sliders", "notebooks", "grading", "startup")


# ------------------------------------------------------------------- the scripts


def _parse_rows(stdout: str) -> list[dict] | None:
    """The rows printed by a script: the last line of stdout that parses as the JSON described above."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith(("[", "{")):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            data = data.get("rows")
        if isinstance(data, list) and all(isinstance(r, dict) and "row" in r and "value" in r for r in data):
            return data
    try:  # the whole output as one (possibly indented) JSON document
        data = json.loads(stdout)
        data = data.get("rows") if isinstance(data, dict) else data
        if isinstance(data, list) and all(isinstance(r, dict) and "row" in r and "value" in r for r in data):
            return data
    except ValueError:
        pass
    return None


def run_script(name: str) -> tuple[list[dict], bool]:
    """Rows of one benchmark script and whether it produced them."""
    section, script, timeout = SCRIPTS[name]
    path = BENCHMARKS / script
    if not path.exists():
        return [{"section": section, "row": section, "value": "not measured", "target": "",
                 "ok": None, "note": f"benchmarks/{script} does not exist"}], name == "grading"
    print(f"[bench] {section}: {sys.executable} benchmarks/{script} --json", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(path), "--json"], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=sys.stderr, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"section": section, "row": section, "value": f"not measured (timed out after {timeout} s)",
                 "target": "", "ok": False}], False
    rows = _parse_rows(proc.stdout)
    print(f"[bench] {section}: {time.perf_counter() - start:.0f} s, exit status {proc.returncode}",
          file=sys.stderr, flush=True)
    if rows is None:
        why = f"exit status {proc.returncode}, no JSON rows on stdout"
        return [{"section": section, "row": section, "value": f"not measured ({why})", "target": "",
                 "ok": False if name != "grading" else None}], False
    for row in rows:
        row.setdefault("section", section)
    return rows, True


# --------------------------------------------------------------------- start-up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _stop(proc: subprocess.Popen) -> None:
    """Stop ``make lab`` and the JupyterLab it started (only those: the processes of its own session).

    JupyterLab (the innermost process) is asked to stop first, so that each parent sees
    its child exit and the ``make`` process is reaped here; then whatever is left of the
    process group is terminated, and killed if it does not stop.
    """
    leaves, todo = [], [proc.pid]
    while todo:  # the processes started by make, innermost first
        pid = todo.pop()
        kids = _children(pid)
        todo += kids
        if not kids and pid != proc.pid:
            leaves.append(pid)
    for pid in leaves:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait()


def lab_startup_once(timeout: float = 180.0) -> float:
    """Seconds from running ``make lab`` to ``GET /api`` answering 200, on a free loopback port."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    env = dict(os.environ, HOME=str(scratch), JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    for var, sub in {"JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_DATA_DIR": "jupyter-data",
                     "JUPYTER_RUNTIME_DIR": "jupyter-runtime", "IPYTHONDIR": "ipython",
                     "MPLCONFIGDIR": "matplotlib"}.items():
        env[var] = str(scratch / sub)
        (scratch / sub).mkdir()
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # a clean `make lab`, even when run from `make bench`
        env.pop(var, None)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = scratch / "make-lab.log"
    with open(log, "w") as out:
        start = time.perf_counter()
        # -o: take .venv as set up (no pip run even if requirements.txt is newer than the stamp).
        proc = subprocess.Popen(["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.installed-stamp",
                                 "lab", f"LAB_PORT={port}",
                                 "LAB_ARGS=--ServerApp.port_retries=0"],
                                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            while time.perf_counter() - start < timeout:
                if _answers(url):
                    return time.perf_counter() - start
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                    raise RuntimeError(f"make lab exited with status {proc.returncode}: {' | '.join(tail)}")
                time.sleep(0.05)
            raise RuntimeError(f"JupyterLab did not answer on {url} within {timeout:.0f} s")
        finally:
            _stop(proc)


def lab_startup(repeats: int = 3) -> tuple[list[dict], bool]:
    print(f"[bench] start-up: make lab, {repeats} times", file=sys.stderr, flush=True)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if not (REPO / ".venv" / "bin" / "jupyter").exists():
        return [{"section": "start-up", "row": "make lab -> JupyterLab answers HTTP",
                 "value": "not measured (.venv is not set up: run `make lab` or `make test` once)", "target": "",
                 "ok": None}], False
    stamp = subprocess.run(["make", "-q", "-C", str(REPO), ".venv/.installed-stamp"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=clean_env)
    note = ("requirements.txt or pyproject.toml is newer than .venv's install stamp; measured as if set up, "
            "without reinstalling") if stamp.returncode != 0 else ""
    times = []
    try:
        for _ in range(repeats):
            times.append(lab_startup_once())
    except Exception as exc:
        return [{"section": "start-up", "row": "make lab -> JupyterLab answers HTTP",
                 "value": f"not measured ({exc})", "target": "", "ok": False}], False
    value = (f"median {statistics.median(times):.1f} s over {len(times)} starts "
             f"({', '.join(f'{t:.1f}' for t in times)} s)")
    row = {"section": "start-up", "row": "make lab -> JupyterLab answers HTTP (set-up machine)", "value": value,
           "target": "none set", "ok": None}
    if note:
        row["note"] = note
    return [row], True


# ------------------------------------------------------------------------ table


def machine() -> dict:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    try:
        import numpy

        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    return {"nproc": nproc, "cpu": model, "python": platform.python_version(), "numpy": numpy_version,
            "os": f"{platform.system()} {platform.release()}"}


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def markdown(rows: list[dict]) -> str:
    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| area | measurement | value | target | verdict |", "|---|---|---|---|---|"]
    for r in rows:
        verdict = {True: "ok", False: "**missed**", None: ""}.get(r.get("ok"), "")
        if str(r.get("value", "")).startswith(("not measured", "FAILED")) or "FAILED" in str(r.get("value", "")):
            verdict = "" if r.get("ok") is None else "**failed**"
        target = r.get("target") or "—"
        value = r["value"] + (f" ({r['note']})" if r.get("note") else "")
        lines.append(f"| {cell(r.get('section', ''))} | {cell(r['row'])} | {cell(value)} | {cell(target)} "
                     f"| {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ORDER, metavar="NAME",
                        help=f"run only these measurements ({', '.join(ORDER)})")
    parser.add_argument("--startup-repeats", type=int, default=3, help="starts of JupyterLab (default: 3)")
    parser.add_argument("--markdown", type=Path, help="also write the table and the machine to this file")
    args = parser.parse_args(argv)
    names = [n for n in ORDER if args.only is None or n in args.only]

    info = machine()
    load_before = _load()
    started = time.strftime("%Y-%m-%d %H:%M")
    rows, all_ok = [], True
    for name in names:
        if name == "startup":
            got, ok = lab_startup(args.startup_repeats)
        else:
            got, ok = run_script(name)
        rows += got
        all_ok &= ok
    header = (f"Machine: {info['nproc']} CPUs (nproc), {info['cpu']}, Python {info['python']}, "
              f"NumPy {info['numpy']}, {info['os']}.  \n"
              f"Run {started}; load average before {load_before}, after {_load()} (1, 5, 15 min).  \n"
              f"Command: `make bench` (`.venv/bin/python benchmarks/bench.py"
              f"{' --only ' + ' '.join(args.only) if args.only else ''}`).")
    table = markdown(rows)
    print()
    print(header)
    print()
    print(table)
    if args.markdown:
        args.markdown.write_text(header + "\n\n" + table + "\n")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
