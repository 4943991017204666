"""Time a full run of every solution notebook, as Jupyter / nbval / the autograder run it.

Each notebook executes top to bottom in a fresh ``python3`` kernel through nbclient, from
its own folder; the time includes the kernel start. Target: 20 s per notebook.

    python benchmarks/notebooks.py [NOTEBOOK_OR_FOLDER ...] [--target SECONDS]

Exits 1 if a notebook fails or is slower than the target.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 20.0


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
    args = parser.parse_args(argv)
    _isolate_jupyter()
    notebooks = _notebooks(args.paths)
    if not notebooks:
        print("no notebooks found")
        return 0
    width = max(len(p.name) for p in notebooks)
    print(f"{'notebook'.ljust(width)}  seconds  (target {args.target:g} s)")
    bad = 0
    for path in notebooks:
        seconds, error = run(path)
        verdict = "FAILED: " + error if error else ("ok" if seconds <= args.target else "SLOWER THAN TARGET")
        bad += bool(error) or seconds > args.target
        print(f"{path.name.ljust(width)}  {seconds:7.1f}  {verdict}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
