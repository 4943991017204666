"""dlcore: the NumPy reference library of the deep-learning course.

Every graded exercise of the course exists here under the same name and signature,
so instructors' hidden tests can compare a student's answer with it. Examples are
columns: ``X`` is (n_x, m) and binary labels ``Y`` are (1, m).
"""
from dlcore.activations import (
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, update_running_averages
from dlcore.clipping import clip_by_global_norm
from dlcore.gradcheck import check_gradients, gradient_difference, numerical_gradient
from dlcore.initialization import initialize_parameters, initialize_parameters_deep
from dlcore.layers import linear_activation_backward, linear_activation_forward, linear_backward, linear_forward
from dlcore.loop import train_model
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, predict, update_parameters
from dlcore.optim import (
    exponentially_weighted_average,
    initialize_adam,
    initialize_velocity,
    random_mini_batches,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from dlcore.preprocessing import normalize_inputs
from dlcore.regularization import (
    compute_cost_with_l2,
    dropout_backward,
    dropout_forward,
    early_stopping,
    model_backward_with_dropout,
    model_backward_with_l2,
    model_forward_with_dropout,
)
from dlcore.schedules import exponential_decay, learning_rate_decay, schedule_lr_decay

# --- notebooks 03-07 (regularization, optim, schedules, batchnorm, softmax, strategy) ---
from dlcore.softmax import (
    model_backward_softmax,
    model_forward_softmax,
    one_hot,
    predict_classes,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from dlcore.strategy import (
    bias_variance_report,
    confusion_matrix,
    error_analysis_ceiling,
    pick_model,
    precision_recall_f1,
    sample_beta,
    sample_log_uniform,
    train_dev_test_split,
)

__version__ = "0.1.0"
