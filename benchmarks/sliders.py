"""Median time of every widget callback of :mod:`dlcore.widgets` (target: 200 ms each).

Each explorer is built once, then its callback is called for a sweep of distinct slider
values (what dragging a slider does, without a browser). Two figures per widget:

* ``callback``: the computation plus the update of the figure's artists;
* ``+ render``: the same plus drawing the figure to PNG, as shown in the notebook.

Run: ``.venv/bin/python benchmarks/sliders.py [--repeats N]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-"))
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from dlcore import widgets  # noqa: E402

TARGET_MS = 200.0


def sweeps(n: int) -> dict:
    """Explorer factory -> list of keyword-argument dicts for its callback."""
    lrs = np.logspace(-4, 2, n)
    return {
        "learning rate": (widgets.learning_rate_explorer, [dict(learning_rate=float(v)) for v in lrs]),
        "EWA beta": (widgets.ewa_explorer, [dict(beta=float(v)) for v in np.linspace(0.5, 0.99, n)]),
        "optimizer paths": (
            widgets.optimizer_paths_explorer,
            [dict(learning_rate=float(v), beta=float(b), beta2=0.99, num_steps=50)
             for v, b in zip(np.logspace(-2, 0, n), np.linspace(0.5, 0.95, n))],
        ),
        "regularization": (
            widgets.regularization_explorer,
            [dict(keep_prob=float(k), lambd=float(l)) for k, l in zip(np.linspace(1.0, 0.5, n), np.linspace(0, 2, n))],
        ),
        "threshold": (widgets.threshold_explorer, [dict(threshold=float(v)) for v in np.linspace(0.05, 0.95, n)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="distinct slider values per widget")
    args = parser.parse_args()
    print(f"median over {args.repeats} slider values (target {TARGET_MS:.0f} ms)")
    print(f"  {'widget':18s} {'callback':>10s} {'+ render':>10s}")
    worst = 0.0
    for name, (make, calls) in sweeps(args.repeats).items():
        explorer = make()
        callback_times, total_times = [], []
        for kwargs in calls:
            start = time.perf_counter()
            explorer.callback(**kwargs)
            middle = time.perf_counter()
            explorer.render_png()
            end = time.perf_counter()
            callback_times.append(middle - start)
            total_times.append(end - start)
        explorer.close()
        cb, total = np.median(callback_times) * 1e3, np.median(total_times) * 1e3
        worst = max(worst, total)
        flag = "" if total <= TARGET_MS else "  (over target)"
        print(f"  {name:18s} {cb:8.1f} ms {total:8.1f} ms{flag}")
    print(f"slowest callback + render: {worst:.1f} ms")


if __name__ == "__main__":
    main()
