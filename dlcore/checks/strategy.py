"""Checks for notebook 07, the strategy of a machine-learning project (the module its test cells import).

Same pattern as :mod:`dlcore.checks.forward`: visible checks on small hand-worked cases
(the worked examples of the course notes among them) by default; ``hidden=True`` runs
the grading version on inputs drawn from fresh entropy.

The random functions (``train_dev_test_split``, ``sample_log_uniform``, ``sample_beta``)
are judged by properties only, so every correct way of drawing passes: a split must be a
partition of the columns with X and Y kept in pairs, sizes by the floor rule, the same
for the same seed and different for different seeds; a sampler must stay in its range
and spread its draws evenly over the log scale (a Kolmogorov-Smirnov test whose bound,
by the Dvoretzky-Kiefer-Wolfowitz inequality, fails a correct sampler less than once in
10^8 calls).

The checks live in one module per topic: :mod:`dlcore.checks.data_split`,
:mod:`dlcore.checks.metrics`, :mod:`dlcore.checks.error_analysis` and
:mod:`dlcore.checks.hyperparameters`; this module gathers them for the notebook.
"""
from __future__ import annotations

from dlcore.checks import data_split, error_analysis, hyperparameters, metrics
from dlcore.checks.data_split import train_dev_test_split
from dlcore.checks.error_analysis import GAPS, bias_variance_report, error_analysis_ceiling
from dlcore.checks.hyperparameters import KS_FAILURE_PROBABILITY, pick_model, sample_beta, sample_log_uniform
from dlcore.checks.metrics import confusion_matrix, precision_recall_f1

#: The exercises of notebook 07, in order: name -> the graded functions it may call.
MANIFEST = {**data_split.MANIFEST, **metrics.MANIFEST, **error_analysis.MANIFEST, **hyperparameters.MANIFEST}

__all__ = [
    "GAPS", "KS_FAILURE_PROBABILITY", "MANIFEST", "train_dev_test_split", "precision_recall_f1", "confusion_matrix",
    "bias_variance_report", "error_analysis_ceiling", "sample_log_uniform", "sample_beta", "pick_model",
]
