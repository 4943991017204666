"""Latency of every slider of :mod:`dlcore.widgets` and :mod:`dlcore.widgets.real_data`: median and worst, against its target.

Each explorer is built once, then its callback is called for a sweep of distinct slider
values (what dragging a slider does, without a browser). The latency of one change is
the callback (the computation plus the update of the figure's artists) plus drawing the
figure to PNG, as shown in the notebook; the callback alone is printed too.

Targets: 150 ms for a slider that retrains a network, 100 ms otherwise. Whether a
slider retrains is found out, not declared: one untimed call on a fresh explorer is
watched for training inside dlcore (see :func:`_trains_a_network`). Every entry of
:func:`sweeps` is measured, so a new slider only needs its entry there.

Run: ``.venv/bin/python benchmarks/sliders.py [--repeats N] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-"))
import matplotlib

matplotlib.use("Agg")
import numpy as np

from dlcore import widgets

TARGET_MS = {"retrains": 150.0, "other": 100.0}


def sweeps(n: int) -> dict:
    """Explorer factory -> list of keyword-argument dicts for its callback."""
    lrs = np.logspace(-4, 2, n)
    return {
        "learning rate": (widgets.learning_rate_explorer, [dict(learning_rate=float(v)) for v in lrs]),
        "EWA beta": (widgets.ewa_explorer, [dict(beta=float(v)) for v in np.resize(widgets.EWA_BETAS, n)]),
        "optimizer paths": (
            widgets.optimizer_paths_explorer,
            [dict(learning_rate=float(v), beta=float(b), beta2=0.99, num_steps=50)
             for v, b in zip(np.logspace(-2, 0, n), np.linspace(0.5, 0.95, n))],
        ),
        "optimizer steps": (widgets.optimizer_paths_explorer,
                            [dict(learning_rate=0.3, beta=0.9, beta2=0.99, num_steps=int(k))
                             for k in np.linspace(5, 200, n).round(-1).clip(5)]),
        "dropout keep_prob": (widgets.dropout_l2_explorer,
                              [dict(keep_prob=float(k), lambd=0.0) for k in np.linspace(1.0, 0.3, n).round(2)]),
        "L2 lambd": (widgets.dropout_l2_explorer,
                     [dict(keep_prob=1.0, lambd=float(v)) for v in np.resize(widgets.L2_STEPS[1:], n)]),
        "init scale (tanh)": (widgets.initialization_scale_explorer,
                              [dict(gain=float(g), activation="tanh") for g in np.logspace(-2, 2, n, base=2)]),
        "init scale (relu)": (lambda: widgets.initialization_scale_explorer(activation="relu"),
                              [dict(gain=float(g), activation="relu") for g in np.logspace(-2, 2, n, base=2)]),
        "threshold": (widgets.threshold_explorer, [dict(threshold=float(v)) for v in np.linspace(0.05, 0.95, n)]),
        "random search": (widgets.random_search_explorer,
                          [dict(trials=int(t), scale=("log", "linear")[i % 2], draw=i % 20)
                           for i, t in enumerate(np.linspace(2, 40, n).round())]),
        "softmax temperature": (widgets.softmax_temperature_explorer,
                                [dict(temperature=float(v)) for v in np.logspace(-1.3, 1.7, n)]),
        "training regions": (widgets.training_regions_explorer,
                             [dict(epoch=int(e)) for e in np.linspace(0, 500, n).round(-1)]),
        "batch norm lr": (widgets.batchnorm_learning_rate_explorer,
                          [dict(learning_rate=float(v)) for v in np.logspace(-2, np.log10(30), n)]),
        "batch norm noise": (widgets.batchnorm_noise_explorer,
                             [dict(batch_size=2 ** (1 + i % 9)) for i in range(n)]),
        "digit tagger": (widgets.digit_tagger,
                         [dict(example=i % 10, tag=widgets.TAG_CATEGORIES[i % 4]) for i in range(n)]),
        "tumour threshold": (widgets.recall_threshold_explorer,
                             [dict(threshold=float(v)) for v in np.linspace(0.05, 0.95, n)]),
    }


def _trains_a_network(make, kwargs: dict) -> bool:
    """True if the callback, called with ``kwargs`` on a fresh explorer, trains a network.

    It does if, inside :mod:`dlcore`, it calls a training function (a name starting with
    ``train`` or ``_train``, such as :func:`dlcore.train.train` or a widget's own
    ``train_*_network``; data splits excepted), or runs both a backward pass (a name
    holding ``backward``) and a parameter update (``update_parameters*``). Found with a
    profiling hook on this one call, which is not timed.
    """
    explorer = make()
    seen = set()

    def hook(frame, event, arg):
        if event == "call" and frame.f_globals.get("__name__", "").startswith("dlcore"):
            name = frame.f_code.co_name
            if name.startswith(("train", "_train")) and "split" not in name:
                seen.update(("backward", "update"))
            elif "backward" in name:
                seen.add("backward")
            elif name.startswith("update_parameters") or name == "train_step":
                seen.add("update")

    sys.setprofile(hook)
    try:
        explorer.callback(**kwargs)
    finally:
        sys.setprofile(None)
        explorer.close()
    return seen == {"backward", "update"}


def measure(make, calls: list[dict]) -> dict:
    """Latency of each call on one explorer: callback, and callback + PNG render (what the student waits for)."""
    retrains = _trains_a_network(make, calls[len(calls) // 2])
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
    target = TARGET_MS["retrains"] if retrains else TARGET_MS["other"]
    return {"retrains": retrains, "target_ms": target,
            "callback_median_ms": float(np.median(callback_times) * 1e3),
            "median_ms": float(np.median(total_times) * 1e3), "worst_ms": float(np.max(total_times) * 1e3)}


def verdict(r: dict) -> tuple[str, bool]:
    if r["worst_ms"] <= r["target_ms"]:
        return "ok", True
    if r["median_ms"] <= r["target_ms"]:
        return "median ok, worst over target", False
    return "over target", False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="distinct slider values per widget")
    parser.add_argument("--json", action="store_true", help="print the rows of benchmarks/bench.py's table as JSON")
    args = parser.parse_args(argv)
    if not args.json:
        print(f"callback + render to PNG over {args.repeats} slider values; targets {TARGET_MS['retrains']:.0f} ms "
              f"for a slider that retrains a network, {TARGET_MS['other']:.0f} ms otherwise")
        print(f"  {'slider':22s} {'callback':>9s} {'median':>9s} {'worst':>9s} {'target':>9s}")
    rows, failed = [], False
    for name, (make, calls) in sweeps(args.repeats).items():
        try:
            r = measure(make, calls)
        except Exception as exc:  # one broken slider must not hide the figures of the others
            failed = True
            rows.append({"section": "sliders", "row": f"slider: {name}", "value": f"FAILED: {type(exc).__name__}: {exc}",
                         "target": "", "ok": False})
            if not args.json:
                print(f"  {name:22s} FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        text, ok = verdict(r)
        kind = "retrains a network" if r["retrains"] else "no retraining"
        rows.append({"section": "sliders", "row": f"slider: {name} ({kind})",
                     "value": f"median {r['median_ms']:.0f} ms, worst {r['worst_ms']:.0f} ms",
                     "target": f"<= {r['target_ms']:.0f} ms", "ok": ok})
        if not args.json:
            print(f"  {name:22s} {r['callback_median_ms']:6.1f} ms {r['median_ms']:6.1f} ms {r['worst_ms']:6.1f} ms "
                  f"{r['target_ms']:6.0f} ms  {text}{' (retrains)' if r['retrains'] else ''}", flush=True)
    if args.json:
        print(json.dumps(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
