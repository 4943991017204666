"""Hidden tests of notebook 02 (backpropagation): wrong answers fail, correct styles pass."""
from __future__ import annotations

from cases_02_application import BROKEN_HELPERS as APPLICATION_BROKEN
from cases_02_application import CASES as APPLICATION_CASES
from hidden import define_tests, fn

# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    # --- 02 ---------------------------------------------------------------------------------
    "sigmoid_backward": {
        "wrong": [
            ("missing (1 - s)", fn("sigmoid_backward(dA, Z)", "return dA * sigmoid(Z)")),
            ("forgot dA", fn("sigmoid_backward(dA, Z)", "s = sigmoid(Z)\nreturn s * (1 - s)")),
            ("Z instead of s", fn("sigmoid_backward(dA, Z)", "return dA * Z * (1 - Z)")),
        ],
        "right": [
            ("own sigmoid", fn("sigmoid_backward(dA, Z)", "s = 1 / (1 + np.exp(-Z))\nreturn dA * s * (1 - s)")),
            ("closed form", fn("sigmoid_backward(dA, Z)", "e = np.exp(-np.abs(Z))\nreturn dA * e / (1 + e) ** 2")),
        ],
    },
    "relu_backward": {
        "wrong": [
            ("forgot dA", fn("relu_backward(dA, Z)", "return (Z > 0).astype(float)")),
            ("mask from dA", fn("relu_backward(dA, Z)", "return np.where(dA > 0, dA, 0.0)")),
            ("modifies dA in place", fn("relu_backward(dA, Z)", "dA[Z <= 0] = 0\nreturn dA")),
        ],
        "right": [
            ("mask product", fn("relu_backward(dA, Z)", "return dA * (Z > 0)")),
            ("copy then zero", fn("relu_backward(dA, Z)", "dZ = np.array(dA, copy=True)\ndZ[Z <= 0] = 0\nreturn dZ")),
        ],
    },
    "tanh_backward": {
        "wrong": [
            ("1 - Z^2", fn("tanh_backward(dA, Z)", "return dA * (1 - Z ** 2)")),
            ("tanh not squared", fn("tanh_backward(dA, Z)", "return dA * (1 - np.tanh(Z))")),
            ("forgot dA", fn("tanh_backward(dA, Z)", "return 1 - np.tanh(Z) ** 2")),
        ],
        "right": [
            ("1 / cosh^2", fn("tanh_backward(dA, Z)", "return dA / np.cosh(Z) ** 2")),
            ("expanded", fn("tanh_backward(dA, Z)", "t = np.tanh(Z)\nreturn dA - dA * t * t")),
        ],
    },
    "linear_backward": {
        "wrong": [
            ("forgot 1/m", fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True)""")),
            ("db over the wrong axis", fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=0, keepdims=True) / m""")),
            ("1/m on dA_prev too", fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ / m, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m""")),
            ("db without keepdims", fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1) / m""")),
        ],
        "right": [
            ("np.dot and mean", fn("linear_backward(dZ, cache)", """
                A_prev, W, b = cache
                m = A_prev.shape[1]
                return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, dZ.mean(axis=1, keepdims=True)""")),
            ("loop over examples", fn("linear_backward(dZ, cache)", """
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
            ("skips the activation", fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                return linear_backward(dA, linear_cache)""")),
            ("always relu", fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                return linear_backward(relu_backward(dA, Z), linear_cache)""")),
            ("1/m in dZ as well", fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                g = {"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward,
                     "leaky_relu": leaky_relu_backward}[activation]
                return linear_backward(g(dA, Z) / Z.shape[1], linear_cache)""")),
        ],
        "right": [
            ("dict dispatch", fn("linear_activation_backward(dA, cache, activation)", """
                linear_cache, Z = cache
                g = {"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward,
                     "leaky_relu": leaky_relu_backward}[activation]
                return linear_backward(g(dA, Z), linear_cache)""")),
            ("everything inline", fn("linear_activation_backward(dA, cache, activation)", """
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
            ("sign of dAL", fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = Y / AL - (1 - Y) / (1 - AL)
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("AL - Y used as dAL", fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = AL - Y
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("relu on the output layer", fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("dA keys off by one", fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    grads[f"dA{l}"] = dA
                return grads""")),
        ],
        "right": [
            ("start from dZL = AL - Y", fn("model_backward(AL, Y, caches)", """
                grads, L = {}, len(caches)
                (A_prev, W, b), Z = caches[L - 1]
                dA, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(AL - Y, (A_prev, W, b))
                grads[f"dA{L - 1}"] = dA
                for l in reversed(range(1, L)):
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], "relu")
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
            ("while loop, np.divide", fn("model_backward(AL, Y, caches)", """
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
            ("updates the input dict in place", fn("update_parameters(parameters, grads, learning_rate)", """
                for l in range(1, len(parameters) // 2 + 1):
                    parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
                    parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
                return parameters""")),
            ("new dict, same arrays updated with -=", fn("update_parameters(parameters, grads, learning_rate)", """
                new = dict(parameters)
                for key in new:
                    new[key] -= learning_rate * grads["d" + key]
                return new""")),
            ("steps up the gradient", fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}""")),
            ("forgot the learning rate", fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v - grads["d" + k] for k, v in parameters.items()}""")),
        ],
        "right": [
            ("dict comprehension", fn("update_parameters(parameters, grads, learning_rate)", """
                return {k: v - learning_rate * grads["d" + k] for k, v in parameters.items()}""")),
            ("deep copy, then -=", "import copy\n" + fn("update_parameters(parameters, grads, learning_rate)", """
                new = copy.deepcopy(parameters)
                for l in range(1, len(new) // 2 + 1):
                    new[f"W{l}"] -= learning_rate * grads[f"dW{l}"]
                    new[f"b{l}"] -= learning_rate * grads[f"db{l}"]
                return new""")),
        ],
    },
    "numerical_gradient": {
        "wrong": [
            ("one-sided differences", fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad, f0 = np.zeros_like(x), f(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + epsilon
                    grad[i] = (f(x) - f0) / epsilon
                    x[i] = old
                return grad""")),
            ("divides by epsilon, not 2 epsilon", fn("numerical_gradient(f, x, epsilon=1e-7)", """
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
            ("does not restore x", fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    old = x[i]
                    x[i] = old + epsilon
                    fp = f(x)
                    x[i] = old - epsilon
                    grad[i] = (fp - f(x)) / (2 * epsilon)
                return grad""")),
            ("ignores the epsilon argument", fn("numerical_gradient(f, x, epsilon=1e-7)", """
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
            ("perturbed copies", fn("numerical_gradient(f, x, epsilon=1e-7)", """
                grad = np.zeros(x.shape)
                for i in range(x.size):
                    e = np.zeros(x.size)
                    e[i] = epsilon
                    e = e.reshape(x.shape)
                    grad.flat[i] = (f(x + e) - f(x - e)) / (2 * epsilon)
                return grad""")),
            ("np.nditer", fn("numerical_gradient(f, x, epsilon=1e-7)", """
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
            ("0/0 when both are zero", fn("gradient_difference(grad, grad_approx)", """
                n = np.linalg.norm
                return float(n(grad - grad_approx) / (n(grad) + n(grad_approx)))""")),
            ("not relative", fn("gradient_difference(grad, grad_approx)", "return float(np.linalg.norm(grad - grad_approx))")),
            ("norm of the sum below", fn("gradient_difference(grad, grad_approx)", """
                n = np.linalg.norm
                d = n(grad + grad_approx)
                return 0.0 if d == 0 else float(n(grad - grad_approx) / d)""")),
            ("squared norms", fn("gradient_difference(grad, grad_approx)", """
                d = np.sum(grad ** 2) + np.sum(grad_approx ** 2)
                return 0.0 if d == 0 else float(np.sum((grad - grad_approx) ** 2) / d)""")),
        ],
        "right": [
            ("by hand", "import math\n" + fn("gradient_difference(grad, grad_approx)", """
                num = math.sqrt(float(np.sum((grad - grad_approx) ** 2)))
                if num == 0:
                    return 0.0
                return num / (math.sqrt(float(np.sum(grad ** 2))) + math.sqrt(float(np.sum(grad_approx ** 2))))""")),
            ("ravel and np.dot", fn("gradient_difference(grad, grad_approx)", """
                g, ga = np.ravel(grad), np.ravel(grad_approx)
                den = np.sqrt(g @ g) + np.sqrt(ga @ ga)
                return float(np.sqrt((g - ga) @ (g - ga)) / den) if den > 0 else 0.0""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "linear_backward": [fn("linear_backward(dZ, cache)", "return None, None, None")],
    "sigmoid_backward": [fn("sigmoid_backward(dA, Z)", "return dA")],
}

CASES.update(APPLICATION_CASES)
for helper, codes in APPLICATION_BROKEN.items():
    BROKEN_HELPERS.setdefault(helper, []).extend(codes)

globals().update(define_tests("02_backpropagation", CASES, BROKEN_HELPERS))
