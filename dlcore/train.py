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
(:class:`_FlatParameters`), which the optimizer updates with a few NumPy operations on
whole vectors per step, keeping its moments in a form that saves passes over them
(:class:`_Optimizer`). The graded functions keep their contract: new arrays, inputs left
unchanged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from dlcore.activations import sigmoid
from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, update_running_averages
from dlcore.data import make_rng
from dlcore.initialization import METHODS, check_layer_dims, initialize_parameters_deep
from dlcore.optim import _check_beta, random_mini_batches
from dlcore.regularization import early_stopping
from dlcore.schedules import exponential_decay, learning_rate_decay, schedule_lr_decay
from dlcore.softmax import one_hot, softmax
from dlcore.validation import as_array, check_int, check_positive, check_probability

__all__ = ["train", "TrainResult", "OPTIMIZERS", "SCHEDULES"]

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")

#: Learning-rate schedules by name: ``f(learning_rate0, epoch, decay_rate, decay_interval)``.
SCHEDULES: dict[str, Callable[[float, int, float, int], float]] = {
    "learning_rate_decay": lambda lr0, epoch, rate, interval: learning_rate_decay(lr0, epoch, rate),
    "schedule_lr_decay": lambda lr0, epoch, rate, interval: schedule_lr_decay(lr0, epoch, rate, interval),
    "exponential_decay": lambda lr0, epoch, rate, interval: exponential_decay(lr0, epoch, rate),
}


# ---------------------------------------------------------------------- the network


@dataclass
class _Network:
    """What a forward pass needs: weights, and the batch-norm state if there is any.

    parameters : ``{"W1", "b1", ..., "WL", "bL"}``.
    bn_parameters : ``{"gamma{l}", "beta{l}"}`` for the hidden layers l = 1..L-1, or None.
    bn_running : ``{"mean{l}", "var{l}"}`` running batch statistics, or None.
    bn_forward, bn_backward, bn_update_running : the batch-norm functions used in training
    (with the signatures of :mod:`dlcore.batchnorm`'s; an explorer may pass a student's).
    """

    parameters: dict[str, np.ndarray]
    task: str  # "binary" or "multiclass"
    bn_parameters: dict[str, np.ndarray] | None = None
    bn_running: dict[str, np.ndarray] | None = None
    bn_forward: Callable = batchnorm_forward
    bn_backward: Callable = batchnorm_backward
    bn_update_running: Callable = update_running_averages

    @property
    def L(self) -> int:
        return len(self.parameters) // 2

    def copy(self) -> "_Network":
        def dup(d):
            return None if d is None else {k: v.copy() for k, v in d.items()}

        return _Network(dup(self.parameters), self.task, dup(self.bn_parameters), dup(self.bn_running),
                        self.bn_forward, self.bn_backward, self.bn_update_running)


class _Workspace:
    """Arrays that the training loop reuses from one step to the next, by name and shape.

    Without it, a training step of a large network allocates several megabytes for ``Z``,
    ``dA`` and ``dW``, which the allocator may hand back to the system and page in again
    at the next step. An array handed out is only valid until the next step asks for it.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        key = (name, shape)
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.empty(shape)
        return array

    def ones(self, m: int) -> np.ndarray:
        """A column of m ones (never written to by its users)."""
        key = ("ones", (m, 1))
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.ones((m, 1))
        return array


def _matmul(a: np.ndarray, b: np.ndarray, workspace: _Workspace | None, name: str) -> np.ndarray:
    """``a @ b``, written into a reused array of ``workspace`` if there is one."""
    if workspace is None:
        return a @ b
    return np.matmul(a, b, out=workspace.get(name, (a.shape[0], b.shape[1])))


def _forward(
    X: np.ndarray,
    net: _Network,
    *,
    training: bool,
    keep_prob: float = 1.0,
    rng: np.random.Generator | None = None,
    workspace: _Workspace | None = None,
    observe: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, list]:
    """Forward pass. Returns ``AL`` ((1, m) or (C, m)) and one cache per layer.

    ``X`` must be a float64 (n0, m) array (the callers check it). A hidden layer's cache
    is ``(linear_cache, H, bn_cache, D)``: ``linear_cache = (A_prev, W, b)``; ``H`` the
    ReLU output before dropout, which is positive exactly where the ReLU input is (all
    the backward pass needs to know, so the ReLU is applied in place); ``bn_cache`` the
    batch-norm cache (None without batch norm or outside training); ``D`` the dropout
    mask (None without dropout). The output layer's cache is ``(linear_cache, ZL, None,
    None)``. In training mode batch norm uses the batch statistics and dropout is on;
    otherwise batch norm uses the running statistics and dropout is off.

    workspace : write ``Z`` into its reused arrays (training steps); the caches then
    hold arrays that the next step overwrites.
    observe : called as ``observe(l, Z)`` with the input of each hidden layer's ReLU
    (after batch norm), which it must not modify or keep.
    """
    p, L = net.parameters, net.L
    A, caches = X, []
    normalised = net.bn_parameters is not None
    for l in range(1, L + 1):
        W, b = p[f"W{l}"], p[f"b{l}"]
        Z = _matmul(W, A, workspace, f"Z{l}")
        if l == L or not normalised:  # batch norm would subtract b again: it is left out
            Z += b  # in place: Z is this pass's own array (new, or the workspace's)
        linear_cache = (A, W, b)
        if l == L:
            caches.append((linear_cache, Z, None, None))
            return (sigmoid(Z) if net.task == "binary" else softmax(Z)), caches
        bn_cache, own = None, True  # own: Z is this pass's array, which nothing else refers to
        if net.bn_parameters is not None:
            gamma, beta = net.bn_parameters[f"gamma{l}"], net.bn_parameters[f"beta{l}"]
            if training:
                Z, bn_cache = net.bn_forward(Z, gamma, beta)
                own = net.bn_forward is batchnorm_forward  # a new array, not in bn_cache; another function's may be
            else:
                Z = batchnorm_inference(Z, gamma, beta, net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"])
        if observe is not None:
            observe(l, Z)
        A = H = np.maximum(Z, 0.0, out=Z if own else None)
        D = None
        if training and keep_prob < 1.0:  # = dropout_forward(H, keep_prob, rng), without its argument checks
            D = (rng.random(H.shape) < keep_prob).astype(np.float64)
            A = H * D
            A /= keep_prob
        caches.append((linear_cache, H, bn_cache, D))
    raise AssertionError("unreachable: the loop returns at the output layer")


def _backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list,
    net: _Network,
    keep_prob: float,
    lambd: float,
    workspace: _Workspace | None = None,
    out: dict[str, np.ndarray] | None = None,
    scale: float = 1.0,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Gradients of the training cost. Returns ``(grads, bn_grads)``.

    grads : ``{"dW{l}", "db{l}"}``.  bn_grads : ``{"dgamma{l}", "dbeta{l}"}`` (empty
    without batch norm). The gradient with respect to the input X (``dA0``), which
    training does not use, is not computed.

    workspace : write ``dA`` (and ``dW``, unless ``out`` is given) into its reused arrays
    (training steps); the returned gradients are then overwritten by the next step.
    out : arrays to write the gradients into, by name (``"dW1"``, ``"db1"``, ...,
    ``"dgamma1"``, ...): the views of one flat gradient vector (see :class:`_FlatParameters`);
    the returned dicts then hold these arrays.
    scale : multiply every gradient by this factor (what the optimizer asks for, see
    :meth:`_Optimizer.begin_step`), at no cost: it is applied to ``dZ[L]`` with the 1/m.
    """
    m = Y.shape[1]
    L = len(caches)
    grads, bn_grads = {}, {}
    ones = np.ones((m, 1)) if workspace is None else workspace.ones(m)
    # Sigmoid + binary cross-entropy and softmax + cross-entropy both give dZL = AL - Y
    # (computing it in one step avoids dividing by AL and 1 - AL when they reach 0 or 1).
    # The cost's 1/m is applied here, once, to this small (nL, m) array: every gradient
    # below is linear in dZL and carries it on (dW, db, dgamma, dbeta need no 1/m).
    dZ = AL - Y
    if scale == 1.0:
        dZ /= m
    else:
        dZ *= scale / m
    for l in range(L, 0, -1):
        (A_prev, W, _), H, bn_cache, D = caches[l - 1]
        if l < L:  # dA is the gradient with respect to the output of hidden layer l
            if D is not None:
                dA *= D
                dA /= keep_prob  # = dropout_backward(dA, D, keep_prob), in place
            dA *= H > 0  # = relu_backward, in place
            dZ = dA
            if bn_cache is not None:
                dZ, dgamma, dbeta = net.bn_backward(dZ, bn_cache)
                if out is not None:
                    dgamma = _copy_into(out[f"dgamma{l}"], dgamma)
                    dbeta = _copy_into(out[f"dbeta{l}"], dbeta)
                bn_grads[f"dgamma{l}"], bn_grads[f"dbeta{l}"] = dgamma, dbeta
        if out is None:
            grads[f"dW{l}"] = _matmul(dZ, A_prev.T, workspace, f"dW{l}")
            db = np.zeros((dZ.shape[0], 1)) if bn_cache is not None else None
        else:
            grads[f"dW{l}"] = np.matmul(dZ, A_prev.T, out=out[f"dW{l}"])
            db = out[f"db{l}"]
            if bn_cache is not None:
                db[...] = 0.0
        if bn_cache is None:  # the row sums; BLAS takes half the time of dZ.sum(axis=1)
            db = np.matmul(dZ, ones, out=db)
        # else: b{l} is left out of a normalised layer (batch norm would subtract it again), so its
        # gradient is exactly 0. (Computed from dZ, it would be rounding noise, which Adam,
        # dividing by the noise's own size, would turn into steps of about the learning rate.)
        grads[f"db{l}"] = db
        if l > 1:
            dA = _matmul(W.T, dZ, workspace, f"dA{l - 1}")
    if lambd > 0:  # L2: the penalty (lambd / 2m) sum ||W||^2 adds (lambd / m) W to each dW
        for l in range(1, L + 1):
            grads[f"dW{l}"] += (lambd * scale / m) * net.parameters[f"W{l}"]
    return grads, bn_grads


def _copy_into(target: np.ndarray, values: np.ndarray) -> np.ndarray:
    target[...] = values
    return target


def _cross_entropy(AL: np.ndarray, Y: np.ndarray, task: str) -> float:
    """Cross-entropy of the output, binary or softmax.

    The probabilities are kept within [1e-15, 1 - 1e-15]: a sigmoid or softmax output
    that rounds to exactly 0 or 1 then costs at most about 34.5 per example instead of
    inf, so that one confidently wrong example does not make a whole cost curve infinite.
    """
    # compute_cost / softmax_cross_entropy without their argument checks, which cost more
    # than the computation on a small network: Y holds 0/1 labels or one-hot columns
    # (checked by _prepare_labels) and the logs of the clipped AL are finite, so the
    # formulas below give the same values.
    AL = np.clip(AL, 1e-15, 1.0 - 1e-15)
    if task == "binary":
        return float(-np.sum(Y * np.log(AL) + (1.0 - Y) * np.log1p(-AL)) / Y.shape[1]) + 0.0
    return float(-np.sum(Y * np.log(AL)) / Y.shape[1]) + 0.0


def _l2_penalty(parameters: dict[str, np.ndarray], lambd: float, m: int) -> float:
    """``(lambd / 2m) * sum_l ||W{l}||_F^2``, as in :func:`dlcore.regularization.compute_cost_with_l2`."""
    if lambd == 0:
        return 0.0
    L = len(parameters) // 2
    return lambd / (2 * m) * sum(float(np.sum(np.square(parameters[f"W{l}"]))) for l in range(1, L + 1))


def _accuracy(AL: np.ndarray, Y: np.ndarray, task: str) -> float:
    if task == "binary":
        return float(np.mean((AL > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y, axis=0)))


def _labels(AL: np.ndarray, task: str) -> np.ndarray:
    """Predicted labels (1, m) of ints: 0/1 for binary, the class index for multi-class."""
    if task == "binary":
        return (AL > 0.5).astype(np.int64)
    return np.argmax(AL, axis=0).astype(np.int64)[None, :]


# -------------------------------------------------------------------- optimizer state


class _FlatParameters:
    """The trainable arrays of a network in one contiguous vector, with a view per array.

    arrays : name -> initial values (copied), e.g. ``W1, b1, ..., WL, bL`` and, with batch
    norm, ``gamma1, beta1, ...``. ``theta`` holds the values and ``grad`` the gradients, in
    the same layout; ``views`` (by name) and ``grad_views`` (by ``"d" + name``) are views of
    them shaped like the arrays. The training loop computes, reads and updates the arrays
    through the views, and the optimizer updates all of them at once on the vectors: a
    handful of NumPy operations per step, instead of a handful per array.
    """

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.shapes = {name: np.shape(array) for name, array in arrays.items()}
        self.size = sum(math.prod(shape) for shape in self.shapes.values())
        self.theta = np.empty(self.size)
        self.grad = np.zeros(self.size)
        self.views = self.unflatten(self.theta)
        self.grad_views = self.unflatten(self.grad, "d")
        for name, array in arrays.items():
            self.views[name][...] = array

    def unflatten(self, vector: np.ndarray, prefix: str = "") -> dict[str, np.ndarray]:
        """Views of ``vector`` (laid out like ``theta``), keyed ``prefix + name``."""
        views, start = {}, 0
        for name, shape in self.shapes.items():
            stop = start + math.prod(shape)
            views[prefix + name] = vector[start:stop].reshape(shape)
            start = stop
        return views


#: Largest factor that :class:`_Optimizer` lets the gradients carry before it rescales its
#: first moment (a power of two, so that the gradients stay far from overflow).
_MAX_GRAD_SCALE = 2.0**20


class _Optimizer:
    """Gradient descent, momentum, RMSprop or Adam on one flat parameter vector, with its state.

    The same updates as :func:`dlcore.model.update_parameters`,
    :func:`dlcore.optim.update_parameters_with_momentum`, ``..._with_rmsprop`` and
    ``..._with_adam``, element by element, but done in place on the vectors ``theta``
    and ``grad`` of a :class:`_FlatParameters`: ``step`` overwrites ``theta`` and uses
    ``grad`` as scratch space, so that a step allocates nothing, and its scalars (bias
    corrections, step size) are computed once per step. Each NumPy operation is a pass
    over every parameter, so the state is kept in a form that needs as few as possible
    (exact algebra; the results differ from the graded functions only by rounding):

    * The moments are kept without their ``(1 - beta)`` factor, which the step size and
      epsilon absorb: ``u = beta1 u + g`` is ``v / (1 - beta1)`` and
      ``q = beta2 q + g**2`` is ``s / (1 - beta2)``.
    * The first moment is kept as ``U = a u`` with a factor ``a`` that grows by
      ``1 / beta1`` at every step, and the gradient arrives already multiplied by the new
      ``a`` (:meth:`begin_step` says by how much; the backward pass applies it to
      ``dZ[L]``, a small array, and every gradient inherits it). Then
      ``U_new = a_new (beta1 u + g) = U + a_new g``: one addition, no pass to decay ``U``.
      The second moment is kept as ``R = a**2 q`` (decayed by ``beta2 (a_new / a)**2``)
      and, as ``u / sqrt(q) = U / sqrt(R)``, Adam's
      ``W -= lr * v^ / (sqrt(s^) + eps)`` with ``v^ = v / c1``, ``s^ = s / c2``
      (``c1 = 1 - beta1**t``, ``c2 = 1 - beta2**t``) becomes
      ``W -= k * U / (sqrt(R) + a * eps * r)`` with ``r = sqrt(c2 / (1 - beta2))`` and
      ``k = lr * (1 - beta1) / c1 * r``. Before ``a`` would pass
      :data:`_MAX_GRAD_SCALE` (or when beta1 is 0), ``U`` is multiplied by
      ``beta1 / a`` instead and ``a`` starts again from 1. Momentum keeps its velocity
      the same way. (``self.u`` and ``self.q`` hold ``U`` and ``R``.)

    :meth:`moments` returns ``v`` and ``s`` as :mod:`dlcore.optim` keeps them.
    """

    def __init__(self, name: str, theta: np.ndarray, grad: np.ndarray, beta: float, beta1: float, beta2: float,
                 epsilon: float):
        self.name, self.t = name, 0  # t: number of updates so far (Adam's bias correction counts from 1)
        self.beta = _check_beta(beta, "beta") if name == "momentum" else beta
        self.beta1 = _check_beta(beta1, "beta1") if name == "adam" else beta1
        self.beta2 = _check_beta(beta2, "beta2") if name in ("rmsprop", "adam") else beta2
        self.epsilon = check_positive(epsilon, "epsilon") if name in ("rmsprop", "adam") else epsilon
        self.theta, self.grad = theta, grad
        size = theta.size
        self.u = np.zeros(size) if name in ("momentum", "adam") else None  # a * first moment / (1 - beta or beta1)
        self.q = np.zeros(size) if name in ("rmsprop", "adam") else None  # a**2 * second moment / (1 - beta2)
        self.scratch = np.empty(size) if name == "rmsprop" else None
        self._decay = self.beta1 if name == "adam" else self.beta  # of the first moment
        self.a = 1.0  # the factor carried by u (and a**2 by q, with Adam)
        self.a_next = 1.0  # the factor of the next gradient, set by begin_step
        self._begun = self._rescale = False

    def begin_step(self) -> float:
        """Start a step: the factor by which its gradient must be multiplied before :meth:`step` (1 for GD, RMSprop)."""
        self._rescale = False
        if self.u is None or self.t == 0:  # no first moment, or one that is still zero
            self.a_next = 1.0
        elif self._decay > 0.0 and self.a <= _MAX_GRAD_SCALE * self._decay:
            self.a_next = self.a / self._decay
        else:  # start again from 1: the step multiplies u by decay / a first
            self.a_next, self._rescale = 1.0, True
        self._begun = True
        return self.a_next

    def moments(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The moments ``(v, s)`` as :mod:`dlcore.optim` keeps them, as flat vectors (None if unused)."""
        v = None if self.u is None else ((1.0 - self._decay) / self.a) * self.u
        q_factor = self.a**2 if self.name == "adam" else 1.0  # RMSprop's q carries no factor
        s = None if self.q is None else ((1.0 - self.beta2) / q_factor) * self.q
        return v, s

    def step(self, lr: float) -> None:
        """Update ``theta`` with the gradient in ``grad`` (multiplied by the factor of :meth:`begin_step`).

        ``grad`` is overwritten.
        """
        if not self._begun:
            raise RuntimeError("call begin_step() before each step (and multiply the gradient by its result)")
        self._begun = False
        self.t += 1
        name, W, g = self.name, self.theta, self.grad
        a, a_prev = self.a_next, self.a
        if self.u is not None:
            if self._rescale:
                self.u *= self._decay / a_prev  # now a * decay * (the moment), with a = 1
            self.u += g  # a (decay * the moment + the gradient)
            self.a = a
        if name == "gd":  # W -= lr g
            g *= lr
            W -= g
        elif name == "momentum":  # W -= lr (1 - beta) u / a
            np.multiply(self.u, lr * (1.0 - self.beta) / a, out=g)
            W -= g
        elif name == "rmsprop":  # q = beta2 q + g^2; W -= k g / (sqrt(q) + eps)
            r = 1.0 / math.sqrt(1.0 - self.beta2)  # sqrt(s) = sqrt(q) / r
            k, eps = lr * r, self.epsilon * r
            q, work = self.q, self.scratch
            np.multiply(g, g, out=work)
            q *= self.beta2
            q += work
            np.sqrt(q, out=work)
            work += eps
            g *= k
            g /= work
            W -= g
        else:  # Adam: q = beta2 (a / a_prev)^2 q + g^2; W -= k u / (sqrt(q) + a eps r)
            c1 = 1.0 - self.beta1**self.t
            r = math.sqrt((1.0 - self.beta2**self.t) / (1.0 - self.beta2))
            k = lr * (1.0 - self.beta1) / c1 * r
            q = self.q
            np.multiply(g, g, out=g)
            q *= self.beta2 * (a / a_prev) ** 2
            q += g
            np.sqrt(q, out=g)
            g += a * self.epsilon * r
            np.divide(self.u, g, out=g)
            g *= k
            W -= g


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

    def _network(self) -> _Network:
        return _Network(self.parameters, self.task, self.bn_parameters, self.bn_running)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Output probabilities: (1, m) for binary, (C, m) for multi-class (prediction mode)."""
        X = as_array(X, "X", ndim=2)
        n0 = self.parameters["W1"].shape[1]
        if X.shape[0] != n0:
            raise ValueError(f"`X` must have {n0} rows (one per input feature, as the network was trained); "
                             f"got shape {X.shape}.")
        AL, _ = _forward(X, self._network(), training=False)
        return AL

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels (1, m) of ints: 0/1 (binary) or the class index (multi-class).

        >>> from dlcore.data import moons
        >>> X, Y = moons(m=100, seed=0)
        >>> result = train(X, Y, [2, 8, 1], optimizer="adam", learning_rate=0.01, num_epochs=5)
        >>> result.predict(X).shape
        (1, 100)
        """
        return _labels(self.predict_proba(X), self.task)

    def accuracy(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Fraction of the examples of ``X`` classified as in ``Y`` (labels or one-hot)."""
        AL = self.predict_proba(X)
        return _accuracy(AL, _prepare_labels(Y, AL.shape[0], "Y", AL.shape[1]), self.task)

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Cross-entropy (no L2 term) on ``(X, Y)`` in prediction mode."""
        AL = self.predict_proba(X)
        return _cross_entropy(AL, _prepare_labels(Y, AL.shape[0], "Y", AL.shape[1]), self.task)


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


# ---------------------------------------------------------------------- the loop


def _initial_network(layer_dims: list[int], task: str, init: str, batchnorm: bool,
                     rng: np.random.Generator) -> _Network:
    net = _Network(initialize_parameters_deep(layer_dims, init, rng), task)
    if batchnorm:
        hidden = range(1, len(layer_dims) - 1)
        net.bn_parameters = {}
        net.bn_running = {}
        for l in hidden:
            n = layer_dims[l]
            net.bn_parameters[f"gamma{l}"], net.bn_parameters[f"beta{l}"] = np.ones((n, 1)), np.zeros((n, 1))
            net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"] = np.zeros((n, 1)), np.ones((n, 1))
    return net


def _update_running_statistics(net: _Network, caches: list, momentum: float) -> None:
    for l, (_, _, bn_cache, _) in enumerate(caches[:-1], start=1):
        net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"] = net.bn_update_running(
            net.bn_running[f"mean{l}"], net.bn_running[f"var{l}"], bn_cache["mu"], bn_cache["var"], momentum
        )


class _Trainer:
    """A network being trained: the network, its optimizer and the arrays reused between steps.

    The network's trainable arrays (``parameters`` and, with batch norm, ``bn_parameters``)
    become views of one :class:`_FlatParameters` vector, which the optimizer (``"gd"``,
    ``"momentum"``, ``"rmsprop"`` or ``"adam"``, with the settings ``beta``, ``beta1``,
    ``beta2``, ``epsilon``) updates as a whole; the backward pass writes the gradients
    straight into the matching flat gradient vector. ``net`` is updated in place by
    :func:`_train_step`.
    """

    def __init__(self, net: _Network, optimizer: str, *, beta: float = 0.9, beta1: float = 0.9,
                 beta2: float = 0.999, epsilon: float = 1e-8) -> None:
        self.flat = _FlatParameters({**net.parameters, **(net.bn_parameters or {})})
        views = self.flat.views
        net.parameters = {key: views[key] for key in net.parameters}
        if net.bn_parameters is not None:
            net.bn_parameters = {key: views[key] for key in net.bn_parameters}
        self.net = net
        self.optimizer = _Optimizer(optimizer, self.flat.theta, self.flat.grad, beta, beta1, beta2, epsilon)
        self.workspace = _Workspace()

    def moments(self) -> tuple[dict | None, dict | None]:
        """The optimizer's moments ``(v, s)`` as :mod:`dlcore.optim` keeps them, keyed ``dW1``, ``db1``, ..."""
        return tuple(None if m is None else self.flat.unflatten(m, "d") for m in self.optimizer.moments())


def _train_step(Xb, Yb, trainer: _Trainer, lr: float, lambd: float, keep_prob: float, bn_momentum: float | None,
                rng: np.random.Generator, *, observe: Callable | None = None, finite_only: bool = False,
                with_cost: bool = True) -> float:
    """Forward, backward and update on one mini-batch; updates ``trainer.net`` in place and returns the batch cost.

    bn_momentum : momentum of the running batch statistics (None: leave them alone).
    observe : passed to :func:`_forward`.  finite_only : if the cost or the output is not
    finite (training has diverged), return the cost without updating anything.
    with_cost : False to skip computing the cost (NaN is returned), which a caller that
    does not use it saves on a small network.
    """
    net, workspace = trainer.net, trainer.workspace
    AL, caches = _forward(Xb, net, training=True, keep_prob=keep_prob, rng=rng, workspace=workspace, observe=observe)
    cost = _cross_entropy(AL, Yb, net.task) + _l2_penalty(net.parameters, lambd, Yb.shape[1]) if with_cost else math.nan
    if finite_only and not ((math.isfinite(cost) or not with_cost) and np.isfinite(AL).all()):
        return cost
    scale = trainer.optimizer.begin_step()
    _backward(AL, Yb, caches, net, keep_prob, lambd, workspace, out=trainer.flat.grad_views, scale=scale)
    if net.bn_parameters is not None and bn_momentum is not None:
        _update_running_statistics(net, caches, bn_momentum)
    trainer.optimizer.step(lr)
    return cost


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
    net = _initial_network(dims, task, init, batchnorm, rng)
    trainer = _Trainer(net, optimizer, beta=beta, beta1=beta1, beta2=beta2, epsilon=epsilon)
    history = {"cost": [], "train_acc": [], "lr": []}
    if has_dev:
        history.update(dev_cost=[], dev_acc=[])
    best_epoch, best_net, stopped_early = 0, None, False
    bar = _progress_bar(progress, num_epochs)
    X_eval = np.concatenate([X, X_dev], axis=1) if has_dev else X

    # --- train
    try:
        for epoch in range(num_epochs):
            lr = schedule(epoch)
            batches = [(X, Y)] if mini_batch_size is None else random_mini_batches(X, Y, mini_batch_size, rng)
            epoch_cost = 0.0
            for Xb, Yb in batches:
                batch_cost = _train_step(Xb, Yb, trainer, lr, lambd, keep_prob, bn_momentum, rng)
                epoch_cost += batch_cost * Yb.shape[1] / X.shape[1]
            _record_epoch(history, net, epoch_cost, lr, X_eval, Y, Y_dev)
            _report(epoch, num_epochs, history, bar, print_every)
            if patience is not None:
                best_epoch = _best_epoch_so_far(history["dev_cost"], best_epoch, patience)
                if best_epoch == epoch:
                    best_net = net.copy()  # restored at the end
                elif epoch - best_epoch >= patience:
                    stopped_early = True
                    break
    finally:
        if bar is not None:
            bar.close()

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


def _record_epoch(history: dict, net: _Network, cost: float, lr: float, X_eval, Y, Y_dev) -> None:
    """Append the epoch's training cost, learning rate, and accuracy (and dev metrics) to ``history``.

    X_eval : the training examples, followed by the dev examples if there are any: one
    forward pass (in prediction mode, where each column is computed on its own) serves both.
    """
    AL_all, _ = _forward(X_eval, net, training=False)
    m = Y.shape[1]
    history["cost"].append(cost)
    history["train_acc"].append(_accuracy(AL_all[:, :m], Y, net.task))
    history["lr"].append(lr)
    if Y_dev is not None:
        AL_dev = AL_all[:, m:]
        history["dev_cost"].append(_cross_entropy(AL_dev, Y_dev, net.task))
        history["dev_acc"].append(_accuracy(AL_dev, Y_dev, net.task))


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
