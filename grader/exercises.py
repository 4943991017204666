"""The registry of graded exercises: each notebook's check module and, from its manifest, its exercises.

Each check module declares its exercises in ``MANIFEST`` (exercise name -> the other graded
functions it may call; see :func:`dlcore.checks.core.manifest`); this module only says which
check module belongs to which notebook. In every notebook the answer cell of an exercise
has ``grade_id`` equal to the function name and its test cell ``grade_id`` ``"test_" + name``.
Release and tests use this registry to check that no exercise is missing from a notebook.
"""
from __future__ import annotations

import importlib

#: The check module of each notebook: its test cells call ``checks.<exercise>(...)``.
CHECK_MODULES: dict[str, str] = {
    "01_forward_propagation": "dlcore.checks.forward",
    "02_backpropagation": "dlcore.checks.backward",
    "03_initialization_regularization": "dlcore.checks.regularization",
    "04_optimization": "dlcore.checks.optimization",
    "05_batch_normalization": "dlcore.checks.batchnorm",
    "06_softmax": "dlcore.checks.softmax",
    "07_ml_strategy": "dlcore.checks.strategy",
}


def manifest(assignment: str) -> dict[str, tuple[str, ...]]:
    """The exercise manifest of ``assignment``: exercise name -> the graded functions it may call."""
    if assignment not in CHECK_MODULES:
        raise ValueError(f"`assignment` must be one of {', '.join(CHECK_MODULES)}; got {assignment!r}.")
    return dict(importlib.import_module(CHECK_MODULES[assignment]).MANIFEST)


#: Each notebook's exercises, in notebook order (the keys of its check module's manifest).
EXERCISES: dict[str, tuple[str, ...]] = {a: tuple(manifest(a)) for a in CHECK_MODULES}


def grade_ids(assignment: str) -> list[str]:
    """Every grade_id the contract requires in ``assignment`` (answer and test cells)."""
    return [gid for exercise in EXERCISES.get(assignment, ()) for gid in (exercise, "test_" + exercise)]
