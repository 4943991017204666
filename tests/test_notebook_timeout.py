"""Every solutions notebook runs under nbclient with a per-cell timeout, and no cell waits for it.

Issue 18, item 10: run headless with a cell timeout, a cell that showed an explorer could
wait out the whole timeout although the kernel had finished it in a second: the explorer
displayed its figure inside ``with output:``, so the Output widget captured the cell's
messages and nbclient mirrored them back to the kernel on the shell channel while waiting
there for the cell's reply, which it then noticed only when its timeout expired (no
error: the reply was there). So this test does not only ask that execution succeeds: it
asks that every cell's reply comes well within the timeout. (Jupyter's and IPython's
folders are temporary: see conftest.py.)
"""
from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "solutions").glob("*/*.ipynb"))
TIMEOUT = 60  #: seconds per cell
#: A cell of these notebooks takes a few seconds; one that stalls takes the whole timeout.
SLOWEST_CELL = TIMEOUT / 2

pytestmark = pytest.mark.slow


class _TimedClient(NotebookClient):
    """A NotebookClient that records how long it waited for each cell, by cell index (seconds).

    Measured in the client: the kernel's own timestamps do not show a stall, as the kernel
    sends its reply on time and the client is the one that does not see it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.waited: dict[int, float] = {}

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        start = time.monotonic()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            self.waited[cell_index] = time.monotonic() - start


def test_every_solutions_notebook_is_found():
    assert len(NOTEBOOKS) == 7, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_notebook_runs_under_a_cell_timeout_without_waiting_for_it(path: Path):
    nb = nbformat.read(path, as_version=4)
    client = _TimedClient(nb, timeout=TIMEOUT, kernel_name="python3",
                          resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellTimeoutError if a cell passes the timeout, CellExecutionError on an error

    code_cells = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
    assert code_cells
    assert {i for i, _ in code_cells} <= set(client.waited)
    slow = {i: round(t, 1) for i, t in client.waited.items() if t > SLOWEST_CELL}
    assert not slow, (f"{path.name}: cells waited {slow} s (cell index: seconds) under a {TIMEOUT} s timeout; "
                      f"a stall lasts the whole timeout")
