"""Checks of students' answers, shared by the notebooks' visible checks and the hidden tests.

One module per notebook: ``forward`` (01), ``backward`` (02), ``regularization`` (03),
``optimization`` (04), ``batchnorm`` (05), ``softmax`` (06), ``strategy`` (07). Each check
function takes the student's function; ``hidden=True`` runs the grading version. The judge
is :mod:`dlcore.checks.core`; the student's side of the trust boundary (calling a function
on plain data, the sandbox worker and its zygote) is :mod:`dlcore.checks.worker`, and
:mod:`dlcore.checks.wire` carries plain data between them without pickle.
"""
from dlcore.checks.core import CheckFailure

__all__ = ["CheckFailure"]
