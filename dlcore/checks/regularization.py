"""Checks for notebook 03, initialization and regularization (the module its test cells import).

Same pattern as :mod:`dlcore.checks.forward` and :mod:`dlcore.checks.backward`: visible
checks on small worked examples by default; ``hidden=True`` runs the grading tests on
random shapes and values from fresh entropy.

Random exercises (``initialize_parameters_deep``, ``dropout_forward``,
``model_forward_with_dropout``) are judged by properties, never by one sequence of
draws: shapes, the formula recomputed from the masks the student returned, statistics
with tolerances of six standard errors (a correct answer fails less than once in
10^8 runs), the same seed giving the same result, different seeds different ones, and
the global ``np.random`` state left alone. Backward exercises are compared with the
``dlcore`` reference and, in the hidden tests, with finite differences.

The checks live in one module per topic: :mod:`dlcore.checks.initialization` (normalising
inputs, initialising weights), :mod:`dlcore.checks.l2`, :mod:`dlcore.checks.dropout` and
:mod:`dlcore.checks.early_stopping`; this module gathers them for the notebook.
"""
from __future__ import annotations

from dlcore.checks import dropout, initialization, l2
from dlcore.checks.dropout import (
    dropout_backward,
    dropout_forward,
    model_backward_with_dropout,
    model_forward_with_dropout,
)
from dlcore.checks.early_stopping import MANIFEST as EARLY_STOPPING_MANIFEST
from dlcore.checks.early_stopping import early_stopping
from dlcore.checks.initialization import initialize_parameters_deep, normalize_inputs
from dlcore.checks.l2 import compute_cost_with_l2, model_backward_with_l2

#: The exercises of notebook 03, in order: name -> the graded functions it may call.
MANIFEST = {**initialization.MANIFEST, **l2.MANIFEST, **dropout.MANIFEST, **EARLY_STOPPING_MANIFEST}

__all__ = [
    "MANIFEST", "normalize_inputs", "initialize_parameters_deep", "compute_cost_with_l2", "model_backward_with_l2",
    "dropout_forward", "dropout_backward", "model_forward_with_dropout", "model_backward_with_dropout",
    "early_stopping",
]
