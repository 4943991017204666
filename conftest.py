"""Test-session set-up: keep Jupyter, IPython and matplotlib from writing into $HOME; skip the
tests marked ``bwrap`` where bubblewrap is not installed; the ``closing`` fixture of the explorer tests."""
from __future__ import annotations

import os
import tempfile

from grader import use_scratch_home

use_scratch_home(tempfile.mkdtemp(prefix="dlcourse-test-home-"), override=False)
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402  (only now: importing it reads and writes MPLCONFIGDIR)

matplotlib.use("Agg")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    import shutil

    import pytest

    if shutil.which("bwrap"):
        return
    skip = pytest.mark.skip(reason="bubblewrap is not installed (apt-get install bubblewrap): the sandbox cannot be tested")
    for item in items:
        if item.get_closest_marker("bwrap"):
            item.add_marker(skip)


@pytest.fixture
def closing():
    """Collects explorers and closes them after the test (the widget registry keeps them alive)."""
    made = []
    yield made.append
    for explorer in made:
        explorer.close()
