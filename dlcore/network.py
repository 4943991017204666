"""The network trained by :mod:`dlcore.train`: its state, forward and backward passes, cost and accuracy.

A fully connected network ``[LINEAR -> (BATCHNORM) -> RELU -> (DROPOUT)] x (L-1) -> LINEAR -> OUTPUT``
(sigmoid output for a binary task, softmax for a multi-class one). Shapes, with examples as
columns: ``X`` (n0, m); ``W{l}`` (n[l], n[l-1]), ``b{l}`` (n[l], 1); the output ``AL`` is
(1, m) (binary) or (C, m) (multi-class); ``Y`` is (1, m) 0/1 labels or one-hot (C, m).

These functions compute the same quantities as the graded functions (``linear_forward``,
``relu``, ``model_backward``, ...), with differences that change no result beyond rounding
(see :mod:`dlcore.train`): they skip ``dA0``, apply the cost's 1/m once to ``dZL`` and work
in place in their own arrays. They do not check their arguments: :func:`dlcore.train.train`
and :class:`dlcore.train.Trainer`'s callers do.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from dlcore.activations import sigmoid
from dlcore.batchnorm import batchnorm_backward, batchnorm_forward, batchnorm_inference, update_running_averages
from dlcore.softmax import softmax

__all__ = ["Network", "Workspace", "forward_pass", "backward_pass", "cross_entropy", "l2_penalty",
           "output_accuracy", "output_labels"]


@dataclass
class Network:
    """A network being trained or used: what a forward pass needs: weights, and the batch-norm state if there is any.

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
        """The number of layers (weights ``W1`` .. ``WL``)."""
        return len(self.parameters) // 2

    @classmethod
    def create(cls, parameters: Mapping[str, np.ndarray], task: str, *, batchnorm: bool = False,
               bn_forward: Callable | None = None, bn_backward: Callable | None = None,
               bn_update_running: Callable | None = None) -> Network:
        """A network with the weights ``parameters`` (copied as float64 arrays) and, with ``batchnorm``, fresh batch norm.

        parameters : ``{"W1", "b1", ..., "WL", "bL"}``, ``W{l}`` (n[l], n[l-1]), ``b{l}`` (n[l], 1).
        task : ``"binary"`` (sigmoid output) or ``"multiclass"`` (softmax output).
        batchnorm : give every hidden layer l ``gamma{l}`` (ones, (n[l], 1)) and ``beta{l}``
        (zeros), and running statistics ``mean{l}`` (zeros) and ``var{l}`` (ones).
        bn_forward, bn_backward, bn_update_running : the batch-norm functions to train with
        (the signatures of :mod:`dlcore.batchnorm`'s; None for dlcore's).
        """
        if task not in ("binary", "multiclass"):
            raise ValueError(f"`task` must be 'binary' or 'multiclass'; got {task!r}.")
        net = cls({key: np.array(value, dtype=np.float64) for key, value in parameters.items()}, task)
        if batchnorm:
            units = [net.parameters[f"W{l}"].shape[0] for l in range(1, net.L)]
            net.bn_parameters = {f"{name}{l}": (np.ones if name == "gamma" else np.zeros)((n, 1))
                                 for l, n in enumerate(units, start=1) for name in ("gamma", "beta")}
            net.bn_running = {f"{name}{l}": (np.zeros if name == "mean" else np.ones)((n, 1))
                              for l, n in enumerate(units, start=1) for name in ("mean", "var")}
            net.bn_forward = bn_forward or batchnorm_forward
            net.bn_backward = bn_backward or batchnorm_backward
            net.bn_update_running = bn_update_running or update_running_averages
        return net

    def copy(self) -> Network:
        """A copy with arrays of its own (the same batch-norm functions)."""
        def dup(d):
            return None if d is None else {k: v.copy() for k, v in d.items()}

        return Network(dup(self.parameters), self.task, dup(self.bn_parameters), dup(self.bn_running),
                        self.bn_forward, self.bn_backward, self.bn_update_running)


class Workspace:
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


def _matmul(a: np.ndarray, b: np.ndarray, workspace: Workspace | None, name: str) -> np.ndarray:
    """``a @ b``, written into a reused array of ``workspace`` if there is one."""
    if workspace is None:
        return a @ b
    return np.matmul(a, b, out=workspace.get(name, (a.shape[0], b.shape[1])))


def forward_pass(
    X: np.ndarray,
    net: Network,
    *,
    training: bool,
    keep_prob: float = 1.0,
    rng: np.random.Generator | None = None,
    workspace: Workspace | None = None,
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
        if training and keep_prob < 1.0:  # = dropoutforward_pass(H, keep_prob, rng), without its argument checks
            D = (rng.random(H.shape) < keep_prob).astype(np.float64)
            A = H * D
            A /= keep_prob
        caches.append((linear_cache, H, bn_cache, D))
    raise AssertionError("unreachable: the loop returns at the output layer")


def backward_pass(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list,
    net: Network,
    keep_prob: float,
    lambd: float,
    workspace: Workspace | None = None,
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
    ``"dgamma1"``, ...): the views of one flat gradient vector (see :class:`FlatParameters`);
    the returned dicts then hold these arrays.
    scale : multiply every gradient by this factor (what the optimizer asks for, see
    :meth:`FlatOptimizer.begin_step`), at no cost: it is applied to ``dZ[L]`` with the 1/m.
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
    dA = dZ  # replaced below by the gradient of each layer's input before it is used
    for l in range(L, 0, -1):
        (A_prev, W, _), H, bn_cache, D = caches[l - 1]
        if l < L:  # dA is the gradient with respect to the output of hidden layer l
            if D is not None:
                dA *= D
                dA /= keep_prob  # = dropoutbackward_pass(dA, D, keep_prob), in place
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


def cross_entropy(AL: np.ndarray, Y: np.ndarray, task: str) -> float:
    """Cross-entropy of the output, binary or softmax.

    The probabilities are kept within [1e-15, 1 - 1e-15]: a sigmoid or softmax output
    that rounds to exactly 0 or 1 then costs at most about 34.5 per example instead of
    inf, so that one confidently wrong example does not make a whole cost curve infinite.
    """
    # compute_cost / softmaxcross_entropy without their argument checks, which cost more
    # than the computation on a small network: Y holds 0/1 labels or one-hot columns
    # (checked by _prepare_labels) and the logs of the clipped AL are finite, so the
    # formulas below give the same values.
    AL = np.clip(AL, 1e-15, 1.0 - 1e-15)
    if task == "binary":
        return float(-np.sum(Y * np.log(AL) + (1.0 - Y) * np.log1p(-AL)) / Y.shape[1]) + 0.0
    return float(-np.sum(Y * np.log(AL)) / Y.shape[1]) + 0.0


def l2_penalty(parameters: dict[str, np.ndarray], lambd: float, m: int) -> float:
    """``(lambd / 2m) * sum_l ||W{l}||_F^2``, as in :func:`dlcore.regularization.compute_cost_with_l2`."""
    if lambd == 0:
        return 0.0
    L = len(parameters) // 2
    return lambd / (2 * m) * sum(float(np.sum(np.square(parameters[f"W{l}"]))) for l in range(1, L + 1))


def output_accuracy(AL: np.ndarray, Y: np.ndarray, task: str) -> float:
    """Fraction of the m examples classified right: ``AL`` (1, m) / (C, m) outputs, ``Y`` 0/1 (1, m) / one-hot (C, m)."""
    if task == "binary":
        return float(np.mean((AL > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(AL, axis=0) == np.argmax(Y, axis=0)))


def output_labels(AL: np.ndarray, task: str) -> np.ndarray:
    """Predicted labels (1, m) of ints: 0/1 for binary, the class index for multi-class."""
    if task == "binary":
        return (AL > 0.5).astype(np.int64)
    return np.argmax(AL, axis=0).astype(np.int64)[None, :]
