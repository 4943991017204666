"""Checks of notebook 07, part 3: bias and variance, and the ceiling of an error analysis."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import Exercise, Mistake, describe, manifest, random_rng

GAPS = ("avoidable_bias", "variance", "data_mismatch")

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "bias_variance_report": (),
    "error_analysis_ceiling": (),
})


def _report_of(gaps: dict, pick: Callable) -> dict:
    present = {k: v for k, v in gaps.items() if v is not None}
    return {**gaps, "focus": pick(present)}


def _bv_mistake(variance_from_dev=False, mismatch_from_train=False, pick="first", zero_for_none=False):
    def compute(human, train, dev, train_dev=None):
        gaps = {"avoidable_bias": train - human}
        if train_dev is None:
            gaps["variance"], gaps["data_mismatch"] = dev - train, (0.0 if zero_for_none else None)
        else:
            gaps["variance"] = dev - train if variance_from_dev else train_dev - train
            gaps["data_mismatch"] = dev - train if mismatch_from_train else dev - train_dev
        if pick == "first":
            chooser = lambda d: max(d, key=d.get)
        elif pick == "last":
            chooser = lambda d: [k for k in d if d[k] == max(d.values())][-1]
        else:
            chooser = lambda d: min(d, key=d.get)
        return _report_of(gaps, chooser)
    return compute


def _check_report(ex: Exercise, got: Any, args: tuple, label: str, show: bool) -> None:
    __tracebackhide__ = True
    want = dlcore.bias_variance_report(*args)
    keys = set(GAPS) | {"focus"}
    if not isinstance(got, dict):
        ex.fail(f"must return a dict with the keys {sorted(keys)}; got {describe(got)}.")
    if set(got) != keys:
        missing, extra = sorted(keys - set(got), key=str), sorted(set(got) - keys, key=str)
        ex.fail("the report must have exactly the keys " + str(sorted(keys))
              + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else "") + ".")
    for k in GAPS:
        g, w = got[k], want[k]
        if w is None:
            if g is not None:
                ex.fail(f"report['{k}'] must be None when there is no train-dev error ({label}); got "
                          f"{describe(g)}: without a train-dev set the data mismatch cannot be measured.", got, args)
            continue
        if g is None or isinstance(g, (str, bool, np.ndarray)) or not isinstance(g, (int, float, np.integer, np.floating)):
            ex.fail(f"report['{k}'] must be a number ({label}); got {describe(g)}.", got, args)
        if not np.isclose(float(g), w, rtol=1e-7, atol=1e-12):
            shown = f" is {float(g):.6g}, expected {w:.6g}" if show else " has the wrong value"
            ex.fail(f"report['{k}']{shown} ({label}).", got, args)
    if got["focus"] != want["focus"] or not isinstance(got["focus"], str):
        ex.fail(f"report['focus'] is {got['focus']!r}, expected {want['focus']!r} ({label}): focus names the "
                  f"largest gap, and a tie goes to the gap listed first (avoidable_bias, then variance, then "
                  f"data_mismatch).", got, args)


def bias_variance_report(student: Callable, hidden: bool = False) -> None:
    """Check the three gaps and the focus, on the worked examples and on random error rates."""
    __tracebackhide__ = True
    ex = Exercise("bias_variance_report", student, dlcore.bias_variance_report, hidden=hidden, mistakes=[
        Mistake(_bv_mistake(variance_from_dev=True),
                "with a train-dev set, variance is train_dev_error - train_error (the same distribution, unseen "
                "examples); dev_error - train_dev_error is the data mismatch."),
        Mistake(_bv_mistake(mismatch_from_train=True), "data_mismatch is dev_error - train_dev_error."),
        Mistake(_bv_mistake(pick="last"), "on a tie, focus goes to the gap listed first: compare with > (not >=) "
                                          "while scanning avoidable_bias, variance, data_mismatch in that order."),
        Mistake(_bv_mistake(pick="min"), "focus names the LARGEST gap: that is where the most error can be removed."),
        Mistake(_bv_mistake(zero_for_none=True), "without a train-dev error, data_mismatch is None (unknown), not 0."),
    ])
    if not hidden:
        cases = [
            ((1.0, 7.0, 10.0), "human 1%, train 7%, dev 10%"),
            ((6.0, 7.0, 10.0), "human 6%, train 7%, dev 10%"),
            ((0.0, 1.0, 10.0, 9.0), "human 0%, train 1%, train-dev 9%, dev 10%"),
            ((0.0, 1.0, 10.0, 1.5), "human 0%, train 1%, train-dev 1.5%, dev 10%"),
            ((0.01, 0.07, 0.10), "the same as fractions: 0.01, 0.07, 0.10"),
            ((2.0, 5.0, 8.0), "a tie: human 2%, train 5%, dev 8%"),
        ]
        for args, label in cases:
            _check_report(ex, ex.call(*args), args, label, True)
        args = (0.0, 1.0, 10.0, 1.5)
        _check_report(ex, ex.call(0.0, 1.0, 10.0, train_dev_error=1.5), args,
                      "train_dev_error passed by name", True)
    else:
        rng = random_rng()
        for k in range(6):
            percent = rng.random() < 0.5
            scale = 1.0 if percent else 0.01
            while True:  # three gaps that differ clearly (no tie up to rounding)
                gaps = rng.uniform(0.2, 8.0, size=3)
                if np.min(np.abs(np.diff(np.sort(gaps)))) > 0.3:
                    break
            human = float(rng.uniform(0.0, 5.0))
            train = human + gaps[0]
            train_dev = train + gaps[1]
            dev = train_dev + gaps[2]
            if k < 2:
                args = (human * scale, train * scale, (train + gaps[1]) * scale)
            else:
                args = (human * scale, train * scale, dev * scale, train_dev * scale)
            _check_report(ex, ex.call(*args), args, "a random case", False)
        a, g = int(rng.integers(0, 5)), int(rng.integers(1, 6))
        for args in ((float(a), float(a + g), float(a + 2 * g)),
                     (float(a), float(a + g), float(a + 3 * g), float(a + 2 * g)),
                     (float(a), float(a + 1), float(a + 1 + 2 * g), float(a + 1 + g))):
            _check_report(ex, ex.call(*args), args, "a case where two gaps are equal", False)
    ex.done()


# ------------------------------------------------------------------------- error analysis
def _ceiling_share_only(tags, rate):
    return {k: v / rate for k, v in dlcore.error_analysis_ceiling(tags, rate).items()}


def _ceiling_counts(tags, rate):
    return {k: float(list(tags).count(k)) * rate for k in dict.fromkeys(tags)}


def _ceiling_remaining(tags, rate):
    return {k: rate - v for k, v in dlcore.error_analysis_ceiling(tags, rate).items()}


def _ceiling_per_category(tags, rate):
    cats = list(dict.fromkeys(tags))
    return {k: rate * list(tags).count(k) / len(cats) for k in cats}


_CATEGORIES = ("dog", "great cat", "blurry", "instagram filter", "mislabelled", "dark", "cartoon", "partly hidden")


def error_analysis_ceiling(student: Callable, hidden: bool = False) -> None:
    """Check ``{category: error_rate * share}`` for each category of the tags."""
    __tracebackhide__ = True
    ex = Exercise("error_analysis_ceiling", student, dlcore.error_analysis_ceiling, hidden=hidden, mistakes=[
        Mistake(_ceiling_share_only, "multiply the category's share by error_rate: fixing every dog image removes "
                                     "at most error_rate * (share of dog images among the mistakes)."),
        Mistake(_ceiling_counts, "use the category's share (its count divided by the number of tags), not its count."),
        Mistake(_ceiling_remaining, "return the most the error can DROP (error_rate * share), not the error "
                                    "that remains afterwards."),
        Mistake(_ceiling_per_category, "the share is count / (number of tags, i.e. of misclassified examples), "
                                       "not count / (number of different categories)."),
    ])
    if not hidden:
        tags = ["dog", "blurry", "dog", "great cat", "dog", "blurry", "dog", "dog", "dog", "blurry"]
        ex.against_reference(tags, 0.08, what="error_analysis_ceiling(tags of 10 mistakes, 0.08)")
        tags = ["dog"] * 5 + ["other"] * 95
        ex.against_reference(tags, 10.0, what="error_analysis_ceiling(5 dogs among 100 mistakes, 10%)")
        ex.against_reference(["blurry"], 0.04, what="error_analysis_ceiling(['blurry'], 0.04)")
    else:
        rng = random_rng()
        for _ in range(4):
            pool = list(rng.choice(_CATEGORIES, size=int(rng.integers(1, len(_CATEGORIES) + 1)), replace=False))
            weights = rng.dirichlet(np.ones(len(pool)))
            tags = [str(c) for c in rng.choice(pool, size=int(rng.integers(5, 200)), p=weights)]
            rate = float(rng.uniform(0.01, 0.3)) * (100.0 if rng.random() < 0.5 else 1.0)
            ex.against_reference(tags, rate, what="the ceilings")
    ex.done()


