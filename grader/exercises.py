"""The registry of graded exercises: each notebook's exercises and the module of their checks.

In every notebook the answer cell of an exercise has ``grade_id`` equal to the function
name and its test cell ``grade_id`` ``"test_" + name``. Release and tests use this table
to check that no exercise is missing from a notebook.
"""
from __future__ import annotations

EXERCISES: dict[str, tuple[str, ...]] = {
    "01_forward_propagation": (
        "sigmoid", "relu", "leaky_relu", "initialize_parameters", "linear_forward",
        "linear_activation_forward", "model_forward", "compute_cost",
    ),
    "02_backpropagation": (
        "sigmoid_backward", "relu_backward", "tanh_backward", "linear_backward",
        "linear_activation_backward", "model_backward", "update_parameters",
        "numerical_gradient", "gradient_difference",
        "predict",  # checks: dlcore.checks.application
    ),
    "03_initialization_regularization": (
        "normalize_inputs", "initialize_parameters_deep", "compute_cost_with_l2",
        "model_backward_with_l2", "dropout_forward", "dropout_backward",
        "model_forward_with_dropout", "model_backward_with_dropout", "early_stopping",
    ),
    "04_optimization": (
        "random_mini_batches", "exponentially_weighted_average", "initialize_velocity",
        "update_parameters_with_momentum", "update_parameters_with_rmsprop", "initialize_adam",
        "update_parameters_with_adam", "learning_rate_decay", "schedule_lr_decay", "exponential_decay",
        "clip_by_global_norm", "train_model",  # checks: dlcore.checks.training
    ),
    "05_batch_normalization": (
        "batchnorm_forward", "batchnorm_backward", "update_running_averages", "batchnorm_inference",
    ),
    "06_softmax": (
        "softmax", "one_hot", "softmax_cross_entropy", "softmax_cross_entropy_backward",
        "model_forward_softmax", "predict_classes",
    ),
    "07_ml_strategy": (
        "train_dev_test_split", "precision_recall_f1", "confusion_matrix", "bias_variance_report",
        "error_analysis_ceiling", "sample_log_uniform", "sample_beta", "pick_model",
    ),
}


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


def grade_ids(assignment: str) -> list[str]:
    """Every grade_id the contract requires in ``assignment`` (answer and test cells)."""
    return [gid for name in EXERCISES.get(assignment, ()) for gid in (name, "test_" + name)]
