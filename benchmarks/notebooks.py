"""Time a full run of every solution notebook, as Jupyter / nbval / the autograder run it.

Each notebook executes top to bottom in a fresh ``python3`` kernel through nbclient, from
its own folder; the time includes the kernel start. Targets: 20 s per notebook, 90 s for
the whole course (the sum: the notebooks run one after the other).

    python benchmarks/notebooks.py [NOTEBOOK_OR_FOLDER ...] [--target SECONDS] [--json]

Without arguments, every notebook under solutions/. Exits 1 if a notebook fails or is
slower than its target (with --json: only if a notebook fails).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 20.0
COURSE_TARGET = 90.0


def _isolate_jupyter() -> None:
    """Keep Jupyter, IPython and matplotlib out of $HOME (as the test suite does)."""
    home = Path(tempfile.mkdtemp(prefix="bench-notebooks-"))
    for var, sub in {"JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_DATA_DIR": "jupyter-data",
                     "JUPYTER_RUNTIME_DIR": "jupyter-runtime", "IPYTHONDIR": "ipython",
                     "MPLCONFIGDIR": "matplotlib"}.items():
        os.environ.setdefault(var, str(home / sub))
        Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"


def _notebooks(args: list[str]) -> list[Path]:
    paths = [Path(a) for a in args] or [REPO / "solutions"]
    found = []
    for p in paths:
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            found.append(p)
    return found


def run(path: Path, timeout: int = 600) -> tuple[float, str]:
    """Execute one notebook; return (seconds, "" or the error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        error = ""
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1]
    except Exception as exc:  # kernel died, timeout, ...
        error = f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - start, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: solutions/)")
    parser.add_argument("--target", type=float, default=TARGET, help="seconds per notebook (default: 20)")
    parser.add_argument("--course-target", type=float, default=COURSE_TARGET,
                        help="seconds for all the notebooks together (default: 90)")
    parser.add_argument("--json", action="store_true", help="print the rows of benchmarks/bench.py's table as JSON")
    args = parser.parse_args(argv)
    _isolate_jupyter()
    notebooks = _notebooks(args.paths)
    if not notebooks:
        print("[]" if args.json else "no notebooks found")
        return 0
    width = max(len(p.name) for p in notebooks)
    if not args.json:
        print(f"{'notebook'.ljust(width)}  seconds  (target {args.target:g} s)")
    rows, total, failed, slow = [], 0.0, 0, 0
    for path in notebooks:
        seconds, error = run(path)
        total += seconds
        failed += bool(error)
        slow += seconds > args.target
        verdict = "FAILED: " + error if error else ("ok" if seconds <= args.target else "SLOWER THAN TARGET")
        rows.append({"section": "notebooks", "row": f"notebook {path.stem}",
                     "value": f"{seconds:.1f} s" + (f" (FAILED: {error})" if error else ""),
                     "target": f"<= {args.target:g} s", "ok": not error and seconds <= args.target})
        if not args.json:
            print(f"{path.name.ljust(width)}  {seconds:7.1f}  {verdict}", flush=True)
    rows.append({"section": "notebooks", "row": f"whole course ({len(notebooks)} notebooks, one after the other)",
                 "value": f"{total:.1f} s", "target": f"<= {args.course_target:g} s",
                 "ok": not failed and total <= args.course_target})
    if args.json:
        print(json.dumps(rows))
        return 1 if failed else 0
    print(f"{'whole course'.ljust(width)}  {total:7.1f}  (target {args.course_target:g} s)")
    return 1 if failed or slow or total > args.course_target else 0


if __name__ == "__main__":
    sys.exit(main())
