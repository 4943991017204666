"""The one training loop of the course notebooks: :func:`train`.

It assembles the pieces written in the notebooks (all from :mod:`dlcore`) into a fully
connected network ``[LINEAR -> (BATCHNORM) -> RELU -> (DROPOUT)] x (L-1) -> LINEAR -> OUTPUT``
and trains it with mini-batches, an optimizer (gradient descent, momentum, RMSprop,
Adam), an optional learning-rate schedule, L2 regularisation, dropout, batch
normalisation and early stopping on a dev set.

Shapes, with examples as columns: ``X`` (n0, m) and ``layer_dims = [n0, n1, ..., nL]``.
The size ``nL`` of the output layer decides the task:

* ``nL == 1``: **binary** classification, sigmoid output and binary cross-entropy;
  ``Y`` holds 0/1 labels, shape (1, m) (or (m,)).
* ``nL == C >= 2``: **multi-class**, softmax output and softmax cross-entropy; ``Y`` is
  one-hot (C, m), or integer labels (1, m) / (m,) in ``[0, C)`` (converted with
  :func:`dlcore.softmax.one_hot`).

Batch normalisation (``batchnorm=True``) normalises ``Z`` of every hidden layer before
its ReLU, with learned ``gamma{l}``, ``beta{l}`` (n[l], 1) updated by the same optimizer as
the weights, and running averages of the batch statistics for predictions. (The bias
``b{l}`` of a normalised layer is kept so that ``parameters`` keeps its usual layout, but
left out of ``Z``: batch norm would subtract it again with the batch mean, and ``beta{l}``
takes over its role. Its gradient is zero and it keeps its initial value, 0.)

Speed: the sliders of the notebooks retrain networks with this loop, so a training
step does only what training needs. It computes the same quantities as the graded
functions (``linear_forward``, ``relu``, ``model_backward``, the ``update_parameters*``
functions), with differences that change no result beyond rounding: it skips the
gradient with respect to the inputs (``dA0``), applies the cost's 1/m once to ``dZL``,
and works in place in its own arrays (the ReLU, the backward signals, the optimizer
updates, and the ``Z``/``dA`` arrays reused from one step to the next). All the trainable
arrays are views of one flat vector and their gradients views of another
(:class:`FlatParameters`), which the optimizer updates with a few NumPy operations on
whole vectors per step, keeping its moments in a form that saves passes over them
(:class:`FlatOptimizer`). The graded functions keep their contract: new arrays, inputs left
unchanged.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlcore.data import make_rng
from dlcore.flat_optimizer import FlatOptimizer, FlatParameters
from dlcore.initialization import METHODS, check_layer_dims, initialize_parameters_deep
from dlcore.network import (
    Network,
    Workspace,
    backward_pass,
    cross_entropy,
    forward_pass,
    l2_penalty,
    output_accuracy,
    output_labels,
)
from dlcore.optim import random_mini_batches
from dlcore.regularization import early_stopping
from dlcore.schedules import exponential_decay, learning_rate_decay, schedule_lr_decay
from dlcore.softmax import one_hot
from dlcore.validation import as_array, check_int, check_positive, check_probability

__all__ = ["train", "TrainResult", "Trainer", "train_step", "run_epochs", "OPTIMIZERS", "SCHEDULES"]

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")

#: Learning-rate schedules by name: ``f(learning_rate0, epoch, decay_rate, decay_interval)``.
SCHEDULES: dict[str, Callable[[float, int, float, int], float]] = {
    "learning_rate_decay": lambda lr0, epoch, rate, interval: learning_rate_decay(lr0, epoch, rate),
    "schedule_lr_decay": lambda lr0, epoch, rate, interval: schedule_lr_decay(lr0, epoch, rate, interval),
    "exponential_decay": lambda lr0, epoch, rate, interval: exponential_decay(lr0, epoch, rate),
}


# ---------------------------------------------------------------------- the loop


def _update_running_statistics(net: Network, caches: list, momentum: float) -> None:
    """Fold the batch statistics of a training pass's ``caches`` into ``net.bn_running`` ((n[l], 1) each)."""
    for l, (_, _, bn_cache, _) in enumerate(caches[:-1], start=1):
        net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"] = net.bn_update_running(
            net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"], bn_cache["mu"], bn_cache["var"], momentum
        )


class Trainer:
    """A network being trained: the network, its optimizer and the arrays reused between steps.

    The network's trainable arrays (``parameters`` and, with batch norm, ``bn_parameters``)
    become views of one :class:`FlatParameters` vector, which the optimizer (``"gd"``,
    ``"momentum"``, ``"rmsprop"`` or ``"adam"``, with the settings ``beta``, ``beta1``,
    ``beta2``, ``epsilon``) updates as a whole; the backward pass writes the gradients
    straight into the matching flat gradient vector. ``net`` is updated in place by
    :func:`train_step`.

    net : a :class:`dlcore.network.Network` (e.g. from :meth:`Network.create`); it is taken
    over (its arrays replaced by the views), so keep ``trainer.net``, not a copy made before.
    Bad optimizer settings raise ``ValueError`` naming the argument.
    """

    def __init__(self, net: Network, optimizer: str, *, beta: float = 0.9, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8) -> None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"`optimizer` must be one of {', '.join(map(repr, OPTIMIZERS))}; got {optimizer!r}.")
        self.flat = FlatParameters({**net.parameters, **(net.bn_parameters or {})})
        views = self.flat.views
        net.parameters = {key: views[key] for key in net.parameters}
        if net.bn_parameters is not None:
            net.bn_parameters = {key: views[key] for key in net.bn_parameters}
        self.net = net
        self.optimizer = FlatOptimizer(optimizer, self.flat.theta, self.flat.grad, beta, beta1, beta2, epsilon)
        self.workspace = Workspace()

    def moments(self) -> tuple[dict | None, dict | None]:
        """The optimizer's moments ``(v, s)`` as :mod:`dlcore.optim` keeps them, keyed ``dW1``, ``db1``, ..."""
        return tuple(None if m is None else self.flat.unflatten(m, "d") for m in self.optimizer.moments())


def train_step(Xb: np.ndarray, Yb: np.ndarray, trainer: Trainer, lr: float, lambd: float, keep_prob: float,
               bn_momentum: float | None, rng: np.random.Generator | None, *, observe: Callable | None = None,
               finite_only: bool = False, with_cost: bool = True) -> float:
    """Forward, backward and update on one mini-batch; updates ``trainer.net`` in place and returns the batch cost.

    Xb : (n0, mb) float64.  Yb : (nL, mb) float64 labels (0/1 row or one-hot), not checked.
    lr : the learning rate.  lambd : L2 strength.  keep_prob : dropout keep probability,
    the masks drawn from ``rng`` (which may be None without dropout).
    bn_momentum : momentum of the running batch statistics (None: leave them alone).
    observe : passed to :func:`forward_pass`.  finite_only : if the cost or the output is not
    finite (training has diverged), return the cost without updating anything.
    with_cost : False to skip computing the cost (NaN is returned), which a caller that
    does not use it saves on a small network.
    """
    net, workspace = trainer.net, trainer.workspace
    AL, caches = forward_pass(Xb, net, training=True, keep_prob=keep_prob, rng=rng, workspace=workspace, observe=observe)
    cost = cross_entropy(AL, Yb, net.task) + l2_penalty(net.parameters, lambd, Yb.shape[1]) if with_cost else math.nan
    if finite_only and not ((math.isfinite(cost) or not with_cost) and np.isfinite(AL).all()):
        return cost
    scale = trainer.optimizer.begin_step()
    backward_pass(AL, Yb, caches, net, keep_prob, lambd, workspace, out=trainer.flat.grad_views, scale=scale)
    if net.bn_parameters is not None and bn_momentum is not None:
        _update_running_statistics(net, caches, bn_momentum)
    trainer.optimizer.step(lr)
    return cost


def run_epochs(
    trainer: Trainer,
    X: np.ndarray,
    Y: np.ndarray,
    num_epochs: int,
    *,
    learning_rate: float | Callable[[int], float],
    mini_batch_size: int | None = None,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    bn_momentum: float | None = 0.9,
    rng: np.random.Generator | None = None,
    observe: Callable[[int, int, np.ndarray], None] | None = None,
    on_epoch: Callable[[int, float, float], bool | None] | None = None,
    stop_on_divergence: bool = False,
    with_cost: bool = True,
) -> tuple[np.ndarray, bool]:
    """The training loop: ``num_epochs`` epochs of :func:`train_step` on ``trainer``'s network (updated in place).

    X : (n0, m) float64.  Y : (nL, m) float64 labels as the output layer takes them (0/1
    row, or one-hot columns). The arguments are not checked: :func:`train` checks its own,
    and a caller of this function is trusted with arrays of these shapes.
    learning_rate : a constant, or a function ``epoch -> learning rate``.
    mini_batch_size : None for full-batch steps (one per epoch, no shuffling), else
        :func:`dlcore.optim.random_mini_batches` of that size, reshuffled every epoch (with ``rng``).
    lambd, keep_prob, bn_momentum : L2 strength, dropout keep probability (the masks drawn
        from ``rng``), momentum of the running batch statistics (None: leave them alone).
    observe : ``observe(epoch, l, Z)`` with the input of hidden layer l's ReLU at every step
        (not to be modified or kept).
    on_epoch : ``on_epoch(epoch, cost, lr)`` after each epoch (0-based) with its training cost
        (the mini-batch costs weighted by their size; NaN if ``with_cost`` is False) and
        learning rate; a true return value stops training after that epoch.
    stop_on_divergence : stop at the first step whose cost or output is not finite, before
        its update (otherwise training goes on with whatever values it has).
    with_cost : False to skip computing the costs (a saving on a small network).
    Returns ``(costs, diverged)``: the cost of each epoch, shape (num_epochs,), NaN for the
    epochs that did not run (after a stop) or did not finish (divergence), and whether
    training stopped because it diverged.
    """
    schedule = learning_rate if callable(learning_rate) else (lambda epoch: learning_rate)
    costs = np.full(num_epochs, np.nan)
    m = X.shape[1]
    for epoch in range(num_epochs):
        lr = schedule(epoch)
        batches = [(X, Y)] if mini_batch_size is None else random_mini_batches(X, Y, mini_batch_size, rng)
        seen = None if observe is None else (lambda l, Z, epoch=epoch: observe(epoch, l, Z))
        epoch_cost = 0.0
        for Xb, Yb in batches:
            updates = trainer.optimizer.t
            batch_cost = train_step(Xb, Yb, trainer, lr, lambd, keep_prob, bn_momentum, rng, observe=seen,
                                    finite_only=stop_on_divergence, with_cost=with_cost)
            if trainer.optimizer.t == updates:  # no update: the cost or the output was not finite
                return costs, True
            epoch_cost = batch_cost if len(batches) == 1 else epoch_cost + batch_cost * Yb.shape[1] / m
        costs[epoch] = epoch_cost
        if on_epoch is not None and on_epoch(epoch, epoch_cost, lr):
            break
    return costs, False


def train(
    X: np.ndarray,
    Y: np.ndarray,
    layer_dims: Sequence[int],
    *,
    optimizer: str = "adam",
    learning_rate: float = 0.01,
    num_epochs: int = 1000,
    mini_batch_size: int | None = None,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    lr_schedule: str | Callable[[int], float] | None = None,
    decay_rate: float = 1.0,
    decay_interval: int = 1000,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    batchnorm: bool = False,
    bn_momentum: float = 0.9,
    init: str = "he",
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    patience: int | None = None,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    print_every: int | None = None,
) -> TrainResult:
    """Train a fully connected ReLU network; return a :class:`TrainResult`.

    X : (n0, m) inputs.  Y : labels, see the module docstring (the output size
        ``layer_dims[-1]`` decides binary vs multi-class).
    layer_dims : ``[n0, n1, ..., nL]`` with ``n0 == X.shape[0]``.
    optimizer : ``"gd"``, ``"momentum"`` (uses ``beta``), ``"rmsprop"`` (uses ``beta2``,
        ``epsilon``) or ``"adam"`` (uses ``beta1``, ``beta2``, ``epsilon``).
    learning_rate : the (initial) learning rate.
    num_epochs : passes over the training set.
    mini_batch_size : None for full-batch training (no shuffling), else the batch size
        of :func:`dlcore.optim.random_mini_batches` (reshuffled every epoch).
    lr_schedule : None (constant), a function ``epoch -> learning rate``, or the name of a
        :mod:`dlcore.schedules` function: ``"learning_rate_decay"``, ``"schedule_lr_decay"``
        (every ``decay_interval`` epochs) or ``"exponential_decay"`` (``k = decay_rate``).
    lambd : L2 strength (0 = off).  keep_prob : dropout keep probability on the hidden
        layers (1 = off).  batchnorm : normalise the hidden layers (see module docstring);
        ``bn_momentum`` is the momentum of its running averages.
    init : method of :func:`dlcore.initialization.initialize_parameters_deep`.
    X_dev, Y_dev : optional dev set, evaluated after every epoch.
    patience : early stopping (needs dev data): stop when the dev cost has not improved
        for ``patience`` epochs (rule of :func:`dlcore.regularization.early_stopping`) and
        return the parameters of the best epoch. (They are also restored when training
        runs to ``num_epochs``.)
    rng, seed : the source of randomness (initialisation, shuffling, dropout masks):
        a ``numpy.random.Generator``, or a seed (``seed=0`` if neither is given).
    progress : show a tqdm progress bar; None (default) shows one only in a notebook.
    print_every : print the costs every that many epochs (None = never).

    >>> from dlcore.data import moons
    >>> X, Y = moons(m=200, noise=0.1, seed=0)
    >>> result = train(X, Y, [2, 16, 8, 1], optimizer="adam", learning_rate=0.01, num_epochs=300)
    >>> result.history["train_acc"][-1] > 0.95
    True
    """
    # --- check the arguments
    dims = check_layer_dims(layer_dims)
    X, Y = _check_examples(X, Y, dims, "X", "Y")
    has_dev = X_dev is not None or Y_dev is not None
    if has_dev:
        if X_dev is None or Y_dev is None:
            raise ValueError("give both `X_dev` and `Y_dev` (or neither).")
        X_dev, Y_dev = _check_examples(X_dev, Y_dev, dims, "X_dev", "Y_dev")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {', '.join(map(repr, OPTIMIZERS))}; got {optimizer!r}.")
    if init not in METHODS:
        raise ValueError(f"`init` must be one of {', '.join(map(repr, METHODS))}; got {init!r}.")
    learning_rate = check_positive(learning_rate, "learning_rate", allow_zero=True)
    schedule = _learning_rate_schedule(learning_rate, lr_schedule, check_positive(decay_rate, "decay_rate", True),
                                       check_int(decay_interval, "decay_interval"))
    num_epochs = check_int(num_epochs, "num_epochs")
    if mini_batch_size is not None:
        mini_batch_size = check_int(mini_batch_size, "mini_batch_size")
    lambd = check_positive(lambd, "lambd", allow_zero=True)
    keep_prob = check_probability(keep_prob, "keep_prob")
    if patience is not None:
        patience = check_int(patience, "patience")
        if not has_dev:
            raise ValueError("`patience` (early stopping) needs a dev set: give `X_dev` and `Y_dev`.")
    if print_every is not None:
        print_every = check_int(print_every, "print_every")
    rng = make_rng(rng, seed)

    # --- set up the network, the optimizer and the history
    task = "binary" if dims[-1] == 1 else "multiclass"
    net = Network.create(initialize_parameters_deep(dims, init, rng), task, batchnorm=batchnorm)
    trainer = Trainer(net, optimizer, beta=beta, beta1=beta1, beta2=beta2, epsilon=epsilon)
    history = {"cost": [], "train_acc": [], "lr": []}
    if has_dev:
        history.update(dev_cost=[], dev_acc=[])
    best = {"epoch": 0, "net": None, "stopped_early": False}
    bar = _progress_bar(progress, num_epochs)
    X_eval = np.concatenate([X, X_dev], axis=1) if has_dev else X

    def after_epoch(epoch: int, cost: float, lr: float) -> bool:
        _record_epoch(history, trainer.net, cost, lr, X_eval, Y, Y_dev)
        _report(epoch, num_epochs, history, bar, print_every)
        if patience is None:
            return False
        best["epoch"] = _best_epoch_so_far(history["dev_cost"], best["epoch"], patience)
        if best["epoch"] == epoch:
            best["net"] = trainer.net.copy()  # restored at the end
            return False
        best["stopped_early"] = epoch - best["epoch"] >= patience
        return best["stopped_early"]

    # --- train
    try:
        run_epochs(trainer, X, Y, num_epochs, learning_rate=schedule, mini_batch_size=mini_batch_size, lambd=lambd,
                   keep_prob=keep_prob, bn_momentum=bn_momentum, rng=rng, on_epoch=after_epoch)
    finally:
        if bar is not None:
            bar.close()
    best_epoch, best_net, stopped_early = best["epoch"], best["net"], best["stopped_early"]

    if has_dev and patience is None:
        _, best_epoch = early_stopping(history["dev_cost"], len(history["dev_cost"]) + 1)
    # The best epoch's copy, or a copy of the network (its arrays, views of the trainer's
    # flat vector, become arrays of their own).
    net = best_net if best_net is not None else net.copy()
    return TrainResult(
        parameters=net.parameters,
        history=history,
        best_epoch=best_epoch if has_dev else None,
        stopped_epoch=len(history["cost"]) - 1,
        stopped_early=stopped_early,
        task=task,
        bn_parameters=net.bn_parameters,
        bn_running=net.bn_running,
        config=dict(layer_dims=dims, optimizer=optimizer, learning_rate=learning_rate, lambd=lambd,
                    keep_prob=keep_prob, batchnorm=batchnorm, mini_batch_size=mini_batch_size),
    )


def _record_epoch(history: dict, net: Network, cost: float, lr: float, X_eval, Y, Y_dev) -> None:
    """Append the epoch's training cost, learning rate, and accuracy (and dev metrics) to ``history``.

    X_eval : the training examples, followed by the dev examples if there are any: one
    forward pass (in prediction mode, where each column is computed on its own) serves both.
    """
    AL_all, _ = forward_pass(X_eval, net, training=False)
    m = Y.shape[1]
    history["cost"].append(cost)
    history["train_acc"].append(output_accuracy(AL_all[:, :m], Y, net.task))
    history["lr"].append(lr)
    if Y_dev is not None:
        AL_dev = AL_all[:, m:]
        history["dev_cost"].append(cross_entropy(AL_dev, Y_dev, net.task))
        history["dev_acc"].append(output_accuracy(AL_dev, Y_dev, net.task))


def _best_epoch_so_far(dev_costs: list[float], best_epoch: int, patience: int) -> int:
    """Epoch of the lowest dev cost so far (the first on ties), by :func:`dlcore.regularization.early_stopping`.

    The best epoch only moves forward, so the costs before the previous best can be left
    out: each call then looks at no more than ``patience + 1`` values.
    """
    _, best_in_window = early_stopping(dev_costs[best_epoch:], patience)
    return best_epoch + best_in_window


def _report(epoch: int, num_epochs: int, history: dict, bar, print_every: int | None) -> None:
    """Progress bar and printed costs after an epoch."""
    costs = {"cost": history["cost"][-1]}
    if "dev_cost" in history:
        costs["dev_cost"] = history["dev_cost"][-1]
    if bar is not None:
        bar.update(1)
        if epoch % max(1, num_epochs // 100) == 0 or epoch == num_epochs - 1:
            bar.set_postfix({k: f"{v:.4f}" for k, v in costs.items()}, refresh=False)
    if print_every is not None and (epoch % print_every == 0 or epoch == num_epochs - 1):
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.6f}" for k, v in costs.items()))


# ------------------------------------------------------------------------ the result


@dataclass
class TrainResult:
    """What :func:`train` returns.

    parameters : the trained (or, with early stopping, the best) weights ``{"W1", "b1", ...}``.
    history : per epoch, ``"cost"`` (the training cost, averaged over the epoch's
        mini-batches, L2 term included), ``"train_acc"`` (accuracy on the whole training
        set after the epoch, in prediction mode), ``"lr"`` (learning rate used), and with
        dev data ``"dev_cost"`` (cross-entropy, no L2 term) and ``"dev_acc"``.
    best_epoch : epoch (0-based) of the lowest dev cost, None without dev data.
    stopped_epoch : the last epoch that ran (``len(history["cost"]) - 1``).
    stopped_early : True if early stopping ended the training before ``num_epochs``.
    task : ``"binary"`` or ``"multiclass"``.
    bn_parameters, bn_running : ``{"gamma{l}", "beta{l}"}`` and ``{"mean{l}", "var{l}"}``
        with batch norm, else None.
    """

    parameters: dict[str, np.ndarray]
    history: dict[str, list[float]]
    best_epoch: int | None
    stopped_epoch: int
    stopped_early: bool = False
    task: str = "binary"
    bn_parameters: dict[str, np.ndarray] | None = None
    bn_running: dict[str, np.ndarray] | None = None
    config: dict = field(default_factory=dict, repr=False)

    def _network(self) -> Network:
        return Network(self.parameters, self.task, self.bn_parameters, self.bn_running)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Output probabilities: (1, m) for binary, (C, m) for multi-class (prediction mode)."""
        X = as_array(X, "X", ndim=2)
        n0 = self.parameters["W1"].shape[1]
        if X.shape[0] != n0:
            raise ValueError(f"`X` must have {n0} rows (one per input feature, as the network was trained); "
                             f"got shape {X.shape}.")
        AL, _ = forward_pass(X, self._network(), training=False)
        return AL

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels (1, m) of ints: 0/1 (binary) or the class index (multi-class).

        >>> from dlcore.data import moons
        >>> X, Y = moons(m=100, seed=0)
        >>> result = train(X, Y, [2, 8, 1], optimizer="adam", learning_rate=0.01, num_epochs=5)
        >>> result.predict(X).shape
        (1, 100)
        """
        return output_labels(self.predict_proba(X), self.task)

    def accuracy(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Fraction of the examples of ``X`` classified as in ``Y`` (labels or one-hot)."""
        AL = self.predict_proba(X)
        return output_accuracy(AL, _prepare_labels(Y, AL.shape[0], "Y", AL.shape[1]), self.task)

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Cross-entropy (no L2 term) on ``(X, Y)`` in prediction mode."""
        AL = self.predict_proba(X)
        return cross_entropy(AL, _prepare_labels(Y, AL.shape[0], "Y", AL.shape[1]), self.task)


# ------------------------------------------------------------------ argument checks


def _prepare_labels(Y, n_out: int, name: str, m: int) -> np.ndarray:
    """Labels as a float64 array (n_out, m): 0/1 row for binary, one-hot for multi-class."""
    arr = np.asarray(Y)
    if n_out == 1:
        Y = as_array(arr, name)
        Y = Y.reshape(1, -1) if Y.ndim == 1 else Y
        if Y.shape != (1, m):
            raise ValueError(f"`{name}` must have shape (1, {m}) (one 0/1 label per example, as the output "
                             f"layer has 1 unit); got {arr.shape}.")
        if not np.all((Y == 0) | (Y == 1)):
            raise ValueError(f"`{name}` must hold binary labels 0 or 1 (the output layer has 1 unit).")
        return Y
    if arr.ndim == 2 and arr.shape[0] == n_out and n_out > 1:
        Y = as_array(arr, name)
        if not (np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1)):
            raise ValueError(f"`{name}` of shape {arr.shape} must be one-hot: one 1 per column, zeros elsewhere.")
    elif arr.ndim == 1 or (arr.ndim == 2 and arr.shape[0] == 1):
        Y = one_hot(arr, n_out)
    else:
        raise ValueError(f"`{name}` must be one-hot ({n_out}, m) or integer labels (1, m) in [0, {n_out}), "
                         f"as the output layer has {n_out} units; got shape {arr.shape}.")
    if Y.shape[1] != m:
        raise ValueError(f"`{name}` must have one column per example ({m}); got {Y.shape[1]}.")
    return Y


def _check_examples(X, Y, dims: list[int], x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as a float64 (n0, m) array and ``Y`` as labels ready for the output layer."""
    X = as_array(X, x_name, ndim=2)
    if X.shape[0] != dims[0]:
        raise ValueError(f"`{x_name}` must have layer_dims[0] = {dims[0]} rows (one per input feature); "
                         f"got shape {X.shape}.")
    return X, _prepare_labels(Y, dims[-1], y_name, X.shape[1])


def _learning_rate_schedule(
    learning_rate: float, lr_schedule, decay_rate: float, decay_interval: int
) -> Callable[[int], float]:
    """The function ``epoch -> learning rate`` described by ``lr_schedule``."""
    if lr_schedule is None:
        return lambda epoch: learning_rate
    if callable(lr_schedule):
        return lambda epoch: check_positive(lr_schedule(epoch), "lr_schedule(epoch)", allow_zero=True)
    if lr_schedule not in SCHEDULES:
        raise ValueError(f"`lr_schedule` must be None, a function epoch -> learning rate, or one of "
                         f"{', '.join(map(repr, SCHEDULES))}; got {lr_schedule!r}.")
    schedule = SCHEDULES[lr_schedule]
    return lambda epoch: schedule(learning_rate, epoch, decay_rate, decay_interval)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where a progress bar is wanted by default)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _progress_bar(progress: bool | None, num_epochs: int):
    if progress is None:
        progress = _in_notebook()
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=num_epochs, desc="training", unit="epoch")
