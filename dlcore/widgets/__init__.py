"""Interactive explorations for the notebooks (ipywidgets + matplotlib), each a real computation.

One module per notebook, in course order, on the shared plumbing of :mod:`dlcore.widgets.base`
(the :class:`Explorer` widget, how its figure is shown, and how to call a callback without
a browser):

* :mod:`~dlcore.widgets.learning_rate` (02): :func:`learning_rate_explorer`, gradient
  descent's cost for a learning-rate slider (:func:`gradient_descent_costs`).
* :mod:`~dlcore.widgets.initialization_regularization` (03):
  :func:`initialization_scale_explorer` (:func:`deep_signal_statistics`) and
  :func:`dropout_l2_explorer` (:func:`train_regularized_network`).
* :mod:`~dlcore.widgets.optimization` (04): :func:`ewa_explorer` and
  :func:`optimizer_paths_explorer` (:func:`optimizer_paths` on :func:`elongated_bowl`).
* :mod:`~dlcore.widgets.batchnorm` (05): :func:`batchnorm_learning_rate_explorer`
  (:func:`train_batchnorm_network`) and :func:`batchnorm_noise_explorer`
  (:func:`minibatch_normalization_noise`).
* :mod:`~dlcore.widgets.softmax` (06): :func:`softmax_temperature_explorer` and
  :func:`training_regions_explorer` (:func:`softmax_training_snapshots`).
* :mod:`~dlcore.widgets.strategy` (07): :func:`threshold_explorer` and
  :func:`random_search_explorer` (:func:`learning_rate_sweep`).

The explorers that retrain a network train it with :mod:`dlcore.train`'s public loop
(:func:`dlcore.train.run_epochs`). Everything is importable from ``dlcore.widgets``::

    from dlcore.widgets import ewa_explorer
    explorer = ewa_explorer()
    explorer.callback(beta=0.98)        # what moving the slider does, minus the display
"""
from dlcore.widgets.base import BlitExplorer, Explorer
from dlcore.widgets.batchnorm import (
    batchnorm_learning_rate_explorer,
    batchnorm_noise_explorer,
    minibatch_normalization_noise,
    train_batchnorm_network,
)
from dlcore.widgets.initialization_regularization import (
    L2_STEPS,
    deep_signal_statistics,
    dropout_l2_explorer,
    initialization_scale_explorer,
    train_regularized_network,
)
from dlcore.widgets.learning_rate import gradient_descent_costs, learning_rate_explorer
from dlcore.widgets.optimization import (
    EWA_BETAS,
    elongated_bowl,
    ewa_explorer,
    optimizer_paths,
    optimizer_paths_explorer,
)
from dlcore.widgets.real_data import (
    TAG_CATEGORIES,
    auto_error_tags,
    breast_cancer_scores,
    digit_errors,
    digit_tagger,
    learning_curve,
    phone_digits,
    recall_threshold_explorer,
)
from dlcore.widgets.softmax import softmax_temperature_explorer, softmax_training_snapshots, training_regions_explorer
from dlcore.widgets.strategy import learning_rate_sweep, random_search_explorer, threshold_explorer

__all__ = [
    "Explorer",
    "BlitExplorer",
    "learning_rate_explorer",
    "gradient_descent_costs",
    "ewa_explorer",
    "optimizer_paths_explorer",
    "optimizer_paths",
    "elongated_bowl",
    "train_regularized_network",
    "dropout_l2_explorer",
    "deep_signal_statistics",
    "initialization_scale_explorer",
    "threshold_explorer",
    "learning_rate_sweep",
    "random_search_explorer",
    "softmax_temperature_explorer",
    "softmax_training_snapshots",
    "training_regions_explorer",
    "train_batchnorm_network",
    "batchnorm_learning_rate_explorer",
    "minibatch_normalization_noise",
    "batchnorm_noise_explorer",
    "learning_curve",
    "phone_digits",
    "auto_error_tags",
    "digit_errors",
    "breast_cancer_scores",
    "digit_tagger",
    "recall_threshold_explorer",
    "TAG_CATEGORIES",
]
