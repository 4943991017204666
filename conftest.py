"""Test-session set-up: keep Jupyter, IPython and matplotlib from writing into $HOME."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_tmp = Path(tempfile.mkdtemp(prefix="dlcourse-test-home-"))
for var, sub in {
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
}.items():
    os.environ.setdefault(var, str(_tmp / sub))
    Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402  (only now: importing it reads and writes MPLCONFIGDIR)

matplotlib.use("Agg")
