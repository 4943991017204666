"""Checks of students' answers, shared by the notebooks' visible checks and the hidden tests.

One module per notebook: ``forward`` (01), ``backward`` (02), ``regularization`` (03),
``optimization`` (04), ``batchnorm`` (05), ``softmax`` (06), ``strategy`` (07); the modules of
03 and 07 gather smaller ones, one per topic (``initialization``, ``l2``, ``dropout``,
``early_stopping``; ``data_split``, ``metrics``, ``error_analysis``, ``hyperparameters``).
Each declares its exercises in ``MANIFEST`` (see :func:`dlcore.checks.core.manifest`). Each
check function takes the student's function; ``hidden=True`` runs the grading version. The
judge and the toolkit the checks share is :mod:`dlcore.checks.core`, the random problems
:mod:`dlcore.checks.problems`. Everything that runs on the student's side of the trust
boundary is the package :mod:`dlcore.checks.runner`: its codec carries plain data between
the two sides without pickle, it calls a student's function on plain data, serves the
sandbox protocol and holds the sandbox's zygote; it needs only the standard library and
NumPy, so the sandbox mounts that folder alone.
"""
from dlcore.checks.core import CheckFailure

__all__ = ["CheckFailure"]
