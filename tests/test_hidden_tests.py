"""The hidden tests of notebooks 01 and 02 judge student code fairly (fast, in-process, no nbgrader).

For every exercise, the real test cell of the solutions notebook (visible checks and
hidden tests) runs in a namespace prepared like the notebook's: the setup cell, then
the solution's answer cells, then the student code under test, which replaces one
answer. It must reject typical wrong answers and answers that hand the work to
dlcore, and accept the solution and other correct styles, every time: the hidden
inputs are random, so accepting runs are repeated to catch unfair flukes.
"""
from __future__ import annotations

import contextlib
import io
import textwrap

import pytest

import dlcore
from dlcore.checks import CheckFailure
from grader import SOLUTIONS
from grader.exercises import EXERCISES
from grader.notebooks import cell_by_grade_id, grade_id, is_answer, python_source, read

NOTEBOOKS = ("01_forward_propagation", "02_backpropagation")
SOLUTION_RUNS = 25  # a hidden test that fails a correct answer 1 time in 10 is caught 93% of the time
RIGHT_RUNS = 5


def _fn(signature: str, body: str) -> str:
    return f"def {signature}:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"


# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    # --- 01 ---------------------------------------------------------------------------------
    "sigmoid": {
        "wrong": [
            ("sign of the exponent", _fn("sigmoid(Z)", "return 1 / (1 + np.exp(Z))")),
            ("e^Z / (1 + e^Z) overflows to NaN", _fn("sigmoid(Z)", "return np.exp(Z) / (1 + np.exp(Z))")),
            ("forgot the 1 +", _fn("sigmoid(Z)", "return 1 / np.exp(-Z)")),
        ],
        "right": [
            ("naive formula, warns on overflow", _fn("sigmoid(Z)", "return 1 / (1 + np.exp(-Z))")),
            ("through tanh", _fn("sigmoid(Z)", "return 0.5 * (1 + np.tanh(0.5 * Z))")),
            ("python loop", "import math\n" + _fn("sigmoid(Z)", """
                out = [1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)) for z in Z.ravel()]
                return np.array(out).reshape(Z.shape)""")),
        ],
    },
    "relu": {
        "wrong": [
            ("absolute value", _fn("relu(Z)", "return np.abs(Z)")),
            ("leaky", _fn("relu(Z)", "return np.maximum(0.01 * Z, Z)")),
            ("modifies Z in place", _fn("relu(Z)", "Z[Z < 0] = 0\nreturn Z")),
        ],
        "right": [
            ("mask product", _fn("relu(Z)", "return Z * (Z > 0)")),
            ("np.where", _fn("relu(Z)", "return np.where(Z > 0, Z, 0.0)")),
            ("copy then clip", _fn("relu(Z)", "A = Z.copy()\nA[A < 0] = 0\nreturn A")),
        ],
    },
    "leaky_relu": {
        "wrong": [
            ("ignores alpha", _fn("leaky_relu(Z, alpha=0.01)", "return np.maximum(0.01 * Z, Z)")),
            ("wrong default alpha", _fn("leaky_relu(Z, alpha=0.1)", "return np.maximum(alpha * Z, Z)")),
            ("alpha instead of alpha * Z", _fn("leaky_relu(Z, alpha=0.01)", "return np.where(Z > 0, Z, alpha)")),
        ],
        "right": [
            ("np.where", _fn("leaky_relu(Z, alpha=0.01)", "return np.where(Z > 0, Z, alpha * Z)")),
            ("slope array", _fn("leaky_relu(Z, alpha=0.01)", "return Z * np.where(Z > 0, 1.0, alpha)")),
        ],
    },
    "initialize_parameters": {
        "wrong": [
            ("global np.random", _fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("forgot * 0.01", _fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1]))
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("uniform instead of normal", _fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.random((layer_dims[l], layer_dims[l - 1])) * 0.01
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("bias of shape (n,)", _fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.01
                    p[f"b{l}"] = np.zeros(layer_dims[l])
                return p""")),
        ],
        "right": [
            ("rng.normal with scale", _fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
                    p["W" + str(l)] = rng.normal(0.0, 0.01, size=(n, n_prev))
                    p["b" + str(l)] = np.zeros((n, 1))
                return p""")),
            ("all weights first, then biases", _fn("initialize_parameters(layer_dims, rng)", """
                L = len(layer_dims) - 1
                W = {f"W{l}": 0.01 * rng.standard_normal((layer_dims[l], layer_dims[l - 1])) for l in range(1, L + 1)}
                b = {f"b{l}": np.zeros((layer_dims[l], 1)) for l in range(1, L + 1)}
                return {**W, **b}""")),
        ],
    },
    "linear_forward": {
        "wrong": [
            ("forgot the bias", _fn("linear_forward(A_prev, W, b)", "return W @ A_prev, (A_prev, W, b)")),
            ("transposed result", _fn("linear_forward(A_prev, W, b)", "return (W @ A_prev + b).T, (A_prev, W, b)")),
            ("wrong cache", _fn("linear_forward(A_prev, W, b)", "Z = W @ A_prev + b\nreturn Z, (W, A_prev, b)")),
        ],
        "right": [
            ("np.dot", _fn("linear_forward(A_prev, W, b)", "return np.dot(W, A_prev) + b, (A_prev, W, b)")),
            ("loop over examples", _fn("linear_forward(A_prev, W, b)", """
                Z = np.zeros((W.shape[0], A_prev.shape[1]))
                for j in range(A_prev.shape[1]):
                    Z[:, j] = W @ A_prev[:, j] + b[:, 0]
                return Z, (A_prev, W, b)""")),
            ("einsum", _fn("linear_forward(A_prev, W, b)", "return np.einsum('ij,jk->ik', W, A_prev) + b, (A_prev, W, b)")),
        ],
    },
    "linear_activation_forward": {
        "wrong": [
            ("always relu", _fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                return relu(Z), (linear_cache, Z)""")),
            ("cache in the wrong order", _fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                g = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}[activation]
                return g(Z), (Z, linear_cache)""")),
            ("unknown activation passes silently", _fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                g = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}.get(activation, lambda z: z)
                return g(Z), (linear_cache, Z)""")),
        ],
        "right": [
            ("dict dispatch", _fn("linear_activation_forward(A_prev, W, b, activation)", """
                table = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}
                if activation not in table:
                    raise ValueError(f"activation must be one of {sorted(table)}, got {activation!r}")
                Z, linear_cache = linear_forward(A_prev, W, b)
                return table[activation](Z), (linear_cache, Z)""")),
            ("everything inline", _fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z = np.dot(W, A_prev) + b
                if activation == "sigmoid":
                    A = 1 / (1 + np.exp(-Z))
                elif activation == "relu":
                    A = np.maximum(Z, 0)
                elif activation == "tanh":
                    A = np.tanh(Z)
                elif activation == "leaky_relu":
                    A = np.maximum(0.01 * Z, Z)
                else:
                    raise ValueError("activation: unknown name " + repr(activation))
                return A, ((A_prev, W, b), Z)""")),
        ],
    },
    "model_forward": {
        "wrong": [
            ("relu on the output layer", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                return A, caches""")),
            ("sigmoid everywhere", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "sigmoid")
                    caches.append(cache)
                return A, caches""")),
            ("L counts keys, not layers", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters)
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                return AL, caches + [cache]""")),
            ("forgot the last cache", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                AL, _ = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                return AL, caches""")),
        ],
        "right": [
            ("one loop with a conditional", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    act = "sigmoid" if l == L else "relu"
                    A, cache = linear_activation_forward(A, parameters["W%d" % l], parameters["b%d" % l], act)
                    caches.append(cache)
                return A, caches""")),
            ("everything inline", _fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    W, b = parameters[f"W{l}"], parameters[f"b{l}"]
                    Z = W @ A + b
                    caches.append(((A, W, b), Z))
                    A = np.maximum(0, Z) if l < L else 1 / (1 + np.exp(-Z))
                return A, caches""")),
        ],
    },
    "compute_cost": {
        "wrong": [
            ("forgot 1/m", _fn("compute_cost(AL, Y)", "return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))")),
            ("returns a (1, 1) array", _fn("compute_cost(AL, Y)", """
                m = Y.shape[1]
                return -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / m""")),
            ("sign", _fn("compute_cost(AL, Y)", "return float(np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))")),
            ("only the y = 1 term", _fn("compute_cost(AL, Y)", "return float(-np.sum(Y * np.log(AL)) / Y.shape[1])")),
        ],
        "right": [
            ("np.mean", _fn("compute_cost(AL, Y)", "return -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))")),
            ("dot products", _fn("compute_cost(AL, Y)", """
                m = Y.shape[1]
                cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
                return float(np.squeeze(cost))""")),
            ("python loop", "import math\n" + _fn("compute_cost(AL, Y)", """
                total = 0.0
                for a, y in zip(AL.ravel(), Y.ravel()):
                    total += math.log(a) if y == 1 else math.log(1 - a)
                return -total / Y.shape[1]""")),
        ],
    },
    # --- 02 ---------------------------------------------------------------------------------
    "sigmoid_backward": {
        "wrong": [
            ("missing (1 - s)", _fn("sigmoid_backward(dA, Z)", "return dA * sigmoid(Z)")),
            ("forgot dA", _fn("sigmoid_backward(dA, Z)", "s = sigmoid(Z)\nreturn s * (1 - s)")),
            ("Z instead of s", _fn("sigmoid_backward(dA, Z)", "return dA * Z * (1 - Z)")),
        ],
        "right": [
            ("own sigmoid", _fn("sigmoid_backward(dA, Z)", "s = 1 / (1 + np.exp(-Z))\nreturn dA * s * (1 - s)")),
            ("closed form", _fn("sigmoid_backward(dA, Z)", "e = np.exp(-np.abs(Z))\nreturn dA * e / (1 + e) ** 2")),
        ],
    },
    "relu_backward": {
        "wrong": [
            ("forgot dA", _fn("relu_backward(dA, Z)", "return (Z > 0).astype(float)")),
            ("mask from dA", _fn("relu_backward(dA, Z)", "return np.where(dA > 0, dA, 0.0)")),
            ("modifies dA in place", _fn("relu_backward(dA, Z)", "dA[Z <= 0] = 0\nreturn dA")),
        ],
        "right": [
            ("mask product", _fn("relu_backward(dA, Z)", "return dA * (Z > 0)")),
            ("copy then zero", _fn("relu_backward(dA, Z)", "dZ = np.array(dA, copy=True)\ndZ[Z <= 0] = 0\nreturn dZ")),
        ],
    },
    "tanh_backward": {
        "wrong": [
            ("1 - Z^2", _fn("tanh_backward(dA, Z)", "return dA * (1 - Z ** 2)")),
            ("tanh not squared", _fn("tanh_backward(dA, Z)", "return dA * (1 - np.tanh(Z))")),
            ("forgot dA", _fn("tanh_backward(dA, Z)", "return 1 - np.tanh(Z) ** 2")),
        ],
        "right": [
            ("1 / cosh^2", _fn("tanh_backward(dA, Z)", "return dA / np.cosh(Z) ** 2")),
            ("expanded", _fn("tanh_backward(dA, Z)", "t = np.tanh(Z)\nreturn dA - dA * t * t")),
        ],
    },
    "linear_backward": {
        "wrong": [
            ("forgot 1/m", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True)""")),
            ("db over the wrong axis", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=0, keepdims=True) / m""")),
            ("1/m on dA_prev too", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ / m, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m""")),
            ("db without keepdims", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1) / m""")),
        ],
        "right": [
            ("np.dot and mean", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, dZ.mean(axis=1, keepdims=True)""")),
            ("loop over examples", _fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                dW, db = np.zeros_like(W), np.zeros_like(b)
                for i in range(m):
                    dW += np.outer(dZ[:, i], A_prev[:, i])
                    db[:, 0] += dZ[:, i]
                return W.T @ dZ, dW / m, db / m""")),
        ],
    },
    "linear_activation_backward": {
        "wrong": [
            ("skips the activation", _fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                return linear_backward(dA, linear_cache)""")),
            ("always relu", _fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                return linear_backward(relu_backward(dA, Z), linear_cache)""")),
            ("1/m in dZ as well", _fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                g = {"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward,
                     "leaky_relu": leaky_relu_backward}[activation]
                return linear_backward(g(dA, Z) / Z.shape[1], linear_cache)""")),
        ],
        "right": [
            ("dict dispatch", _fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                g = {"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward,
                     "leaky_relu": leaky_relu_backward}[activation]
                return linear_backward(g(dA, Z), linear_cache)""")),
            ("everything inline", _fn("linear_activation_backward(dA, cache, activation)", """
                (A_prev, W, b), Z = cache
                if activation == "sigmoid":
                    s = 1 / (1 + np.exp(-Z))
                    dZ = dA * s * (1 - s)
                elif activation == "relu":
                    dZ = dA * (Z > 0)
                elif activation == "tanh":
                    dZ = dA * (1 - np.tanh(Z) ** 2)
                elif activation == "leaky_relu":
                    dZ = np.where(Z > 0, dA, 0.01 * dA)
                else:
                    raise ValueError("unknown activation " + repr(activation))
                m = A_prev.shape[1]
                return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m""")),
        ],
    },
    "model_backward": {
        "wrong": [
            ("sign of dAL", _fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = Y / AL - (1 - Y) / (1 - AL)
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("AL - Y used as dAL", _fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = AL - Y
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("relu on the output layer", _fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("dA keys off by one", _fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l}"] = dA
                return grads""")),
        ],
        "right": [
            ("start from dZL = AL - Y", _fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                (A_prev, W, b), Z = caches[L - 1]
                dA, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(AL - Y, (A_prev, W, b))
                grads[f"dA{L - 1}"] = dA
                for l in reversed(range(1, L)):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("while loop, np.divide", _fn("model_backward(AL, Y, caches)", """
                grads = {}
                l = len(caches)
                dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
                act = "sigmoid"
                while l >= 1:
                    dA_prev, dW, db = linear_activation_backward(dA, caches[l - 1], act)
                    grads.update({"dA" + str(l - 1): dA_prev, "dW" + str(l): dW, "db" + str(l): db})
                    dA, act, l = dA_prev, "relu", l - 1
                return grads""")),
        ],
    },
    "update_parameters": {
        "wrong": [
            ("updates the input dict in place", _fn("update_parameters(parameters, grads, learning_rate)", """
                for l in range(1, len(parameters) // 2 + 1):
                    parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
                    parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
                return parameters""")),
            ("new dict, same arrays updated with -=", _fn("update_parameters(parameters, grads, learning_rate)", """
                new = dict(parameters)
                for key in new:
                    new[key] -= learning_rate * grads["d" + key]
                return new""")),
            ("steps up the gradient", _fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}""")),
            ("forgot the learning rate", _fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v - grads["d" + k] for k, v in parameters.items()}""")),
        ],
        "right": [
            ("dict comprehension", _fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v - learning_rate * grads["d" + k] for k, v in parameters.items()}""")),
            ("deep copy, then -=", "import copy\n" + _fn("update_parameters(parameters, grads, learning_rate)", """
                new = copy.deepcopy(parameters)
                for l in range(1, len(new) // 2 + 1):
                    new[f"W{l}"] -= learning_rate * grads[f"dW{l}"]
                    new[f"b{l}"] -= learning_rate * grads[f"db{l}"]
                return new""")),
        ],
    },
    "numerical_gradient": {
        "wrong": [
            ("one-sided differences", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad, f0 = np.zeros_like(x), f(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + epsilon
                    grad[i] = (f(x) - f0) / epsilon
                    x[i] = old
                return grad""")),
            ("divides by epsilon, not 2 epsilon", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + epsilon
                    fp = f(x)
                    x[i] = old - epsilon
                    fm = f(x)
                    x[i] = old
                    grad[i] = (fp - fm) / epsilon
                return grad""")),
            ("does not restore x", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + epsilon
                    fp = f(x)
                    x[i] = old - epsilon
                    grad[i] = (fp - f(x)) / (2 * epsilon)
                return grad""")),
            ("ignores the epsilon argument", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad, eps = np.zeros_like(x), 1e-7
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + eps
                    fp = f(x)
                    x[i] = old - eps
                    fm = f(x)
                    x[i] = old
                    grad[i] = (fp - fm) / (2 * eps)
                return grad""")),
        ],
        "right": [
            ("perturbed copies", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros(x.shape)
                for i in range(x.size):
                    e = np.zeros(x.size)
                    e[i] = epsilon
                    e = e.reshape(x.shape)
                    grad.flat[i] = (f(x + e) - f(x - e)) / (2 * epsilon)
                return grad""")),
            ("np.nditer", _fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros_like(x)
                it = np.nditer(x, flags=["multi_index"])
                while not it.finished:
                    i = it.multi_index
                    saved = x[i]
                    x[i] = saved + epsilon
                    plus = f(x)
                    x[i] = saved - epsilon
                    minus = f(x)
                    x[i] = saved
                    grad[i] = (plus - minus) / (2 * epsilon)
                    it.iternext()
                return grad""")),
        ],
    },
    "gradient_difference": {
        "wrong": [
            ("0/0 when both are zero", _fn("gradient_difference(grad, grad_approx)", """
                n = np.linalg.norm
                return float(n(grad - grad_approx) / (n(grad) + n(grad_approx)))""")),
            ("not relative", _fn("gradient_difference(grad, grad_approx)", "return float(np.linalg.norm(grad - grad_approx))")),
            ("norm of the sum below", _fn("gradient_difference(grad, grad_approx)", """
                n = np.linalg.norm
                d = n(grad + grad_approx)
                return 0.0 if d == 0 else float(n(grad - grad_approx) / d)""")),
            ("squared norms", _fn("gradient_difference(grad, grad_approx)", """
                d = np.sum(grad ** 2) + np.sum(grad_approx ** 2)
                return 0.0 if d == 0 else float(np.sum((grad - grad_approx) ** 2) / d)""")),
        ],
        "right": [
            ("by hand", "import math\n" + _fn("gradient_difference(grad, grad_approx)", """
                num = math.sqrt(float(np.sum((grad - grad_approx) ** 2)))
                if num == 0:
                    return 0.0
                return num / (math.sqrt(float(np.sum(grad ** 2))) + math.sqrt(float(np.sum(grad_approx ** 2))))""")),
            ("ravel and np.dot", _fn("gradient_difference(grad, grad_approx)", """
                g, ga = np.ravel(grad), np.ravel(grad_approx)
                den = np.sqrt(g @ g) + np.sqrt(ga @ ga)
                return float(np.sqrt((g - ga) @ (g - ga)) / den) if den > 0 else 0.0""")),
        ],
    },
}


def _delegations(name: str) -> list[tuple[str, str]]:
    module = getattr(dlcore, name).__module__
    return [
        ("direct import", f"from dlcore import {name}\n"),
        ("aliased import", f"from dlcore import {name} as _reference\n\n"
                           f"def {name}(*args, **kwargs):\n    return _reference(*args, **kwargs)\n"),
        ("module attribute", f"import dlcore\n\ndef {name}(*args, **kwargs):\n    return dlcore.{name}(*args, **kwargs)\n"),
        ("defining module", f"import {module} as _impl\n\ndef {name}(*args, **kwargs):\n    return _impl.{name}(*args, **kwargs)\n"),
    ]


# --- running a test cell --------------------------------------------------------------------------
class _Shell:
    """Enough of get_ipython() for setup cells (``%matplotlib inline`` and the like)."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = run_line_magic


_NOTEBOOK_CACHE: dict[str, object] = {}


def _notebook(a: str):
    if a not in _NOTEBOOK_CACHE:
        _NOTEBOOK_CACHE[a] = read(SOLUTIONS / a / f"{a}.ipynb")
    return _NOTEBOOK_CACHE[a]


def _present() -> list[str]:
    return [a for a in NOTEBOOKS if (SOLUTIONS / a / f"{a}.ipynb").is_file()]


def _exercise_notebook(name: str) -> str:
    return next(a for a in NOTEBOOKS if name in EXERCISES[a])


def run_test_cell(name: str, student_code: str | None = None, runs: int = 1) -> str:
    """Run the test cell of ``name`` (hidden part included) ``runs`` times; return its output.

    The namespace holds the setup cell, every solution answer, then ``student_code``.
    """
    nb = _notebook(_exercise_notebook(name))
    ns: dict = {"__name__": "__main__", "get_ipython": _Shell}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(python_source(cell_by_grade_id(nb, "setup").source), "<setup>", "exec"), ns)
        for cell in nb.cells:
            if is_answer(cell):
                exec(compile(cell.source, f"<answer {grade_id(cell)}>", "exec"), ns)
        if student_code is not None:
            exec(compile(student_code, "<student>", "exec"), ns)
        test = compile(python_source(cell_by_grade_id(nb, f"test_{name}").source), f"<test_{name}>", "exec")
        for _ in range(runs):
            exec(test, ns)
    return out.getvalue()


def _params(kind: str) -> list:
    return [pytest.param(name, code, id=f"{name}-{label}")
            for a in _present() for name in EXERCISES[a] for label, code in CASES.get(name, {}).get(kind, [])]


# --- the tests --------------------------------------------------------------------------------------
@pytest.mark.parametrize("a", _present())
def test_every_exercise_has_cases_and_a_test_cell_with_hidden_tests(a):
    nb = _notebook(a)
    for name in EXERCISES[a]:
        assert len(CASES[name]["wrong"]) >= 2 and len(CASES[name]["right"]) >= 1, name
        source = cell_by_grade_id(nb, f"test_{name}").source
        assert "### BEGIN HIDDEN TESTS" in source and "hidden=True" in source, name


@pytest.mark.parametrize("name", [n for a in _present() for n in EXERCISES[a]])
def test_the_solution_passes_every_time(name):
    output = run_test_cell(name, runs=SOLUTION_RUNS)
    assert output.count("all hidden tests passed") == SOLUTION_RUNS


@pytest.mark.parametrize("name, code", _params("right"))
def test_other_correct_styles_pass(name, code):
    output = run_test_cell(name, code, runs=RIGHT_RUNS)
    assert output.count("all hidden tests passed") == RIGHT_RUNS


@pytest.mark.parametrize("name, code", _params("wrong"))
def test_typical_mistakes_fail(name, code):
    with pytest.raises(CheckFailure) as failure:
        run_test_cell(name, code)
    message = str(failure.value)
    assert message and "Traceback" not in message


@pytest.mark.parametrize("name, code", [
    pytest.param(name, code, id=f"{name}-{label}")
    for a in _present() for name in EXERCISES[a] for label, code in _delegations(name)])
def test_delegating_to_dlcore_fails_with_the_reason(name, code):
    with pytest.raises(CheckFailure, match="dlcore's reference"):
        run_test_cell(name, code)


@pytest.mark.parametrize("name, broken", [
    ("model_forward", _fn("linear_activation_forward(A_prev, W, b, activation)", "raise NotImplementedError()")),
    ("linear_activation_forward", "del relu, sigmoid\n"),  # e.g. their cells were cut by a timeout
    ("model_backward", _fn("linear_backward(dZ, cache)", "return None, None, None")),
    ("linear_activation_backward", _fn("sigmoid_backward(dA, Z)", "return dA")),
])
def test_an_exercise_is_graded_on_its_own(name, broken):
    """A mistake in (or the absence of) another exercise that this one calls costs nothing here."""
    output = run_test_cell(name, broken, runs=2)
    assert output.count("all hidden tests passed") == 2
