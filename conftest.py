"""Test-session set-up: keep Jupyter, IPython and matplotlib from writing into $HOME."""
from __future__ import annotations

import os
import tempfile

from grader import use_scratch_home

use_scratch_home(tempfile.mkdtemp(prefix="dlcourse-test-home-"), override=False)
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402  (only now: importing it reads and writes MPLCONFIGDIR)

matplotlib.use("Agg")
