"""The mini-batch training loop of notebook 04, for the binary network of notebooks 01-02.

:func:`train_model` is the reference of the graded exercise of the same name: He
initialisation, one fresh shuffle into mini-batches per epoch, forward, backward, and one
update per mini-batch with gradient descent, momentum, RMSprop or Adam. (The richer loop
behind the course's figures and widgets is :func:`dlcore.train.train`.)
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlcore.initialization import initialize_parameters_deep
from dlcore.losses import compute_cost
from dlcore.model import model_backward, model_forward, update_parameters
from dlcore.optim import (
    initialize_adam,
    initialize_velocity,
    random_mini_batches,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from dlcore.validation import as_array, check_int, check_rng

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")


def train_model(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: Sequence[int],
    optimizer: str,
    learning_rate: float,
    num_epochs: int,
    mini_batch_size: int,
    rng: np.random.Generator,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Train ``[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID`` by mini-batch optimisation.

    X : (n_x, m) inputs.  Y : (1, m) 0/1 labels.  layer_dims : [n_x, n1, ..., 1].
    optimizer : "gd", "momentum" (uses ``beta``), "rmsprop" (``beta2``, ``epsilon``) or
    "adam" (``beta1``, ``beta2``, ``epsilon``; its step ``t`` counts updates from 1).
    num_epochs, mini_batch_size : positive ints.  rng : the only source of randomness
    (the initialisation, then one shuffle per epoch).
    Returns ``(parameters, costs)``: the trained parameters and the list of the costs of the
    whole training set after each epoch (``len(costs) == num_epochs``).

    >>> X = np.random.default_rng(0).standard_normal((2, 40)); Y = (X[:1] > 0).astype(int)
    >>> p, costs = train_model(X, Y, [2, 4, 1], "adam", 0.01, 5, 16, np.random.default_rng(1))
    >>> len(costs), costs[-1] < costs[0]
    (5, True)
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {', '.join(map(repr, OPTIMIZERS))}; got {optimizer!r}.")
    X = as_array(X, "X", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    epochs = check_int(num_epochs, "num_epochs")
    size = check_int(mini_batch_size, "mini_batch_size")
    check_rng(rng)
    parameters = initialize_parameters_deep(layer_dims, "he", rng)
    if optimizer == "adam":
        v, s = initialize_adam(parameters)
    elif optimizer in ("momentum", "rmsprop"):
        state = initialize_velocity(parameters)
    t, costs = 0, []
    for _ in range(epochs):
        for X_t, Y_t in random_mini_batches(X, Y, size, rng):
            AL, caches = model_forward(X_t, parameters)
            grads = model_backward(AL, Y_t, caches)
            t += 1
            if optimizer == "gd":
                parameters = update_parameters(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, state = update_parameters_with_momentum(parameters, grads, state, beta, learning_rate)
            elif optimizer == "rmsprop":
                parameters, state = update_parameters_with_rmsprop(parameters, grads, state, beta2, learning_rate, epsilon)
            else:
                parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2,
                                                               epsilon)
        costs.append(compute_cost(model_forward(X, parameters)[0], Y))
    return parameters, costs
