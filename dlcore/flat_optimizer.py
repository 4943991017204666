"""The optimizer of :mod:`dlcore.train`'s loop: all the trainable arrays in one flat vector, updated at once.

:class:`FlatParameters` lays a network's arrays (``W{l}`` (n[l], n[l-1]), ``b{l}`` (n[l], 1),
``gamma{l}``, ``beta{l}``) out in one vector of shape (P,) with a view per array, and their
gradients in another; :class:`FlatOptimizer` applies gradient descent, momentum, RMSprop
or Adam to the whole vector with a few NumPy operations per step.
"""
from __future__ import annotations

import math

import numpy as np

from dlcore.validation import check_beta, check_positive

__all__ = ["FlatParameters", "FlatOptimizer"]


class FlatParameters:
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


#: Largest factor that :class:`FlatOptimizer` lets the gradients carry before it rescales its
#: first moment (a power of two, so that the gradients stay far from overflow).
_MAX_GRAD_SCALE = 2.0**20


class FlatOptimizer:
    """Gradient descent, momentum, RMSprop or Adam on one flat parameter vector, with its state.

    The same updates as :func:`dlcore.model.update_parameters`,
    :func:`dlcore.optim.update_parameters_with_momentum`, ``..._with_rmsprop`` and
    ``..._with_adam``, element by element, but done in place on the vectors ``theta``
    and ``grad`` of a :class:`FlatParameters`: ``step`` overwrites ``theta`` and uses
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
        self.beta = check_beta(beta, "beta") if name == "momentum" else beta
        self.beta1 = check_beta(beta1, "beta1") if name == "adam" else beta1
        self.beta2 = check_beta(beta2, "beta2") if name in ("rmsprop", "adam") else beta2
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
