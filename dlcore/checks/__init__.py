"""Checks of students' answers, shared by the notebooks' visible checks and the hidden tests.

One module per notebook: ``forward`` (01), ``backward`` (02), ``regularization`` (03),
``optimization`` (04), ``batchnorm`` (05), ``softmax`` (06), ``strategy`` (07); the modules of
03 and 07 gather smaller ones, one per topic (``initialization``, ``l2``, ``dropout``,
``early_stopping``; ``data_split``, ``metrics``, ``error_analysis``, ``hyperparameters``).
Each declares its exercises in ``MANIFEST`` (see :func:`dlcore.checks.core.manifest`). Each
check function takes the student's function; ``hidden=True`` runs the grading version. The
judge and the toolkit the checks share is :mod:`dlcore.checks.core`, the random problems
:mod:`dlcore.checks.problems`; the student's side of the trust boundary (calling a function
on plain data, the sandbox worker and its zygote) is :mod:`dlcore.checks.worker`, and
:mod:`dlcore.checks.wire` carries plain data between them without pickle.
"""
from dlcore.checks.core import CheckFailure

__all__ = ["CheckFailure"]
