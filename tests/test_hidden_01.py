"""Hidden tests of notebook 01 (forward propagation): wrong answers fail, correct styles pass."""
from __future__ import annotations

from hidden import define_tests, fn

# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    # --- 01 ---------------------------------------------------------------------------------
    "sigmoid": {
        "wrong": [
            ("sign of the exponent", fn("sigmoid(Z)", "return 1 / (1 + np.exp(Z))")),
            ("e^Z / (1 + e^Z) overflows to NaN", fn("sigmoid(Z)", "return np.exp(Z) / (1 + np.exp(Z))")),
            ("forgot the 1 +", fn("sigmoid(Z)", "return 1 / np.exp(-Z)")),
        ],
        "right": [
            ("naive formula, warns on overflow", fn("sigmoid(Z)", "return 1 / (1 + np.exp(-Z))")),
            ("through tanh", fn("sigmoid(Z)", "return 0.5 * (1 + np.tanh(0.5 * Z))")),
            ("python loop", "import math\n" + fn("sigmoid(Z)", """
                out = [1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)) for z in Z.ravel()]
                return np.array(out).reshape(Z.shape)""")),
        ],
    },
    "relu": {
        "wrong": [
            ("absolute value", fn("relu(Z)", "return np.abs(Z)")),
            ("leaky", fn("relu(Z)", "return np.maximum(0.01 * Z, Z)")),
            ("modifies Z in place", fn("relu(Z)", "Z[Z < 0] = 0\nreturn Z")),
        ],
        "right": [
            ("mask product", fn("relu(Z)", "return Z * (Z > 0)")),
            ("np.where", fn("relu(Z)", "return np.where(Z > 0, Z, 0.0)")),
            ("copy then clip", fn("relu(Z)", "A = Z.copy()\nA[A < 0] = 0\nreturn A")),
        ],
    },
    "leaky_relu": {
        "wrong": [
            ("ignores alpha", fn("leaky_relu(Z, alpha=0.01)", "return np.maximum(0.01 * Z, Z)")),
            ("wrong default alpha", fn("leaky_relu(Z, alpha=0.1)", "return np.maximum(alpha * Z, Z)")),
            ("alpha instead of alpha * Z", fn("leaky_relu(Z, alpha=0.01)", "return np.where(Z > 0, Z, alpha)")),
        ],
        "right": [
            ("np.where", fn("leaky_relu(Z, alpha=0.01)", "return np.where(Z > 0, Z, alpha * Z)")),
            ("slope array", fn("leaky_relu(Z, alpha=0.01)", "return Z * np.where(Z > 0, 1.0, alpha)")),
        ],
    },
    "initialize_parameters": {
        "wrong": [
            ("global np.random", fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("forgot * 0.01", fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1]))
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("uniform instead of normal", fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.random((layer_dims[l], layer_dims[l - 1])) * 0.01
                    p[f"b{l}"] = np.zeros((layer_dims[l], 1))
                return p""")),
            ("bias of shape (n,)", fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l in range(1, len(layer_dims)):
                    p[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.01
                    p[f"b{l}"] = np.zeros(layer_dims[l])
                return p""")),
        ],
        "right": [
            ("rng.normal with scale", fn("initialize_parameters(layer_dims, rng)", """
                p = {}
                for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
                    p["W" + str(l)] = rng.normal(0.0, 0.01, size=(n, n_prev))
                    p["b" + str(l)] = np.zeros((n, 1))
                return p""")),
            ("all weights first, then biases", fn("initialize_parameters(layer_dims, rng)", """
                L = len(layer_dims) - 1
                W = {f"W{l}": 0.01 * rng.standard_normal((layer_dims[l], layer_dims[l - 1])) for l in range(1, L + 1)}
                b = {f"b{l}": np.zeros((layer_dims[l], 1)) for l in range(1, L + 1)}
                return {**W, **b}""")),
        ],
    },
    "linear_forward": {
        "wrong": [
            ("forgot the bias", fn("linear_forward(A_prev, W, b)", "return W @ A_prev, (A_prev, W, b)")),
            ("transposed result", fn("linear_forward(A_prev, W, b)", "return (W @ A_prev + b).T, (A_prev, W, b)")),
            ("wrong cache", fn("linear_forward(A_prev, W, b)", "Z = W @ A_prev + b\nreturn Z, (W, A_prev, b)")),
        ],
        "right": [
            ("np.dot", fn("linear_forward(A_prev, W, b)", "return np.dot(W, A_prev) + b, (A_prev, W, b)")),
            ("loop over examples", fn("linear_forward(A_prev, W, b)", """
                Z = np.zeros((W.shape[0], A_prev.shape[1]))
                for j in range(A_prev.shape[1]):
                    Z[:, j] = W @ A_prev[:, j] + b[:, 0]
                return Z, (A_prev, W, b)""")),
            ("einsum", fn("linear_forward(A_prev, W, b)", "return np.einsum('ij,jk->ik', W, A_prev) + b, (A_prev, W, b)")),
        ],
    },
    "linear_activation_forward": {
        "wrong": [
            ("always relu", fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                return relu(Z), (linear_cache, Z)""")),
            ("cache in the wrong order", fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                g = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}[activation]
                return g(Z), (Z, linear_cache)""")),
            ("unknown activation passes silently", fn("linear_activation_forward(A_prev, W, b, activation)", """
                Z, linear_cache = linear_forward(A_prev, W, b)
                g = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}.get(activation, lambda z: z)
                return g(Z), (linear_cache, Z)""")),
        ],
        "right": [
            ("dict dispatch", fn("linear_activation_forward(A_prev, W, b, activation)", """
                table = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "leaky_relu": leaky_relu}
                if activation not in table:
                    raise ValueError(f"activation must be one of {sorted(table)}, got {activation!r}")
                Z, linear_cache = linear_forward(A_prev, W, b)
                return table[activation](Z), (linear_cache, Z)""")),
            ("everything inline", fn("linear_activation_forward(A_prev, W, b, activation)", """
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
            ("relu on the output layer", fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                return A, caches""")),
            ("sigmoid everywhere", fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "sigmoid")
                    caches.append(cache)
                return A, caches""")),
            ("L counts keys, not layers", fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters)
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                return AL, caches + [cache]""")),
            ("forgot the last cache", fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                AL, _ = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                return AL, caches""")),
        ],
        "right": [
            ("one loop with a conditional", fn("model_forward(X, parameters)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    act = "sigmoid" if l == L else "relu"
                    A, cache = linear_activation_forward(A, parameters["W%d" % l], parameters["b%d" % l], act)
                    caches.append(cache)
                return A, caches""")),
            ("everything inline", fn("model_forward(X, parameters)", """
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
            ("forgot 1/m", fn("compute_cost(AL, Y)", "return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))")),
            ("returns a (1, 1) array", fn("compute_cost(AL, Y)", """
                m = Y.shape[1]
                return -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / m""")),
            ("sign", fn("compute_cost(AL, Y)", "return float(np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))")),
            ("only the y = 1 term", fn("compute_cost(AL, Y)", "return float(-np.sum(Y * np.log(AL)) / Y.shape[1])")),
        ],
        "right": [
            ("np.mean", fn("compute_cost(AL, Y)", "return -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))")),
            ("dot products", fn("compute_cost(AL, Y)", """
                m = Y.shape[1]
                cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
                return float(np.squeeze(cost))""")),
            ("python loop", "import math\n" + fn("compute_cost(AL, Y)", """
                total = 0.0
                for a, y in zip(AL.ravel(), Y.ravel()):
                    total += math.log(a) if y == 1 else math.log(1 - a)
                return -total / Y.shape[1]""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "linear_activation_forward": [fn("linear_activation_forward(A_prev, W, b, activation)", "raise NotImplementedError()")],
    "relu": ["del relu, sigmoid\n"],  # e.g. their cells were cut by a timeout
}

globals().update(define_tests("01_forward_propagation", CASES, BROKEN_HELPERS))
