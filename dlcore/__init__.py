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
from dlcore.gradcheck import check_gradients, gradient_difference, numerical_gradient
from dlcore.initialization import initialize_parameters, initialize_parameters_deep
from dlcore.layers import linear_activation_backward, linear_activation_forward, linear_backward, linear_forward
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, predict, update_parameters

# --- notebooks 03-07 (regularization, optim, schedules, batchnorm, softmax, strategy) ---

__version__ = "0.1.0"
