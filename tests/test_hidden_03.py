"""Hidden tests of notebook 03 (initialization and regularization): wrong answers fail, correct styles pass."""
from __future__ import annotations

from hidden import define_tests, fn

# Pieces of code shared by several cases below.
_STDS = ('{"zeros": 0.0, "random": 0.01, "xavier": np.sqrt(2 / (n_prev + n)), "he": np.sqrt(2 / n_prev), '
         '"lecun": np.sqrt(1 / n_prev)}[method]')


def _init_case(stds: str, draw: str = "rng.standard_normal((n, n_prev))") -> str:
    """An initialize_parameters_deep that takes the std from the expression ``stds`` and draws with ``draw``."""
    return fn("initialize_parameters_deep(layer_dims, method, rng)", f"""
        parameters = {{}}
        for l in range(1, len(layer_dims)):
            n_prev, n = layer_dims[l - 1], layer_dims[l]
            std = {stds}
            parameters[f"W{{l}}"] = {draw} * std
            parameters[f"b{{l}}"] = np.zeros((n, 1))
        return parameters""")


_DROPOUT_NET = """
caches, A, L = [], X, len(parameters) // 2
for l in range(1, L):
    W, b = parameters[f"W{{l}}"], parameters[f"b{{l}}"]
    Z = W @ A + b
    {hidden}
AL = sigmoid(parameters[f"W{{L}}"] @ A + parameters[f"b{{L}}"])
caches.append(((A, parameters[f"W{{L}}"], parameters[f"b{{L}}"]), parameters[f"W{{L}}"] @ A + parameters[f"b{{L}}"], {out_mask}))
return AL, caches
"""


def _dropout_net(hidden: str, out_mask: str = "None") -> str:
    return fn("model_forward_with_dropout(X, parameters, keep_prob, rng)",
              _DROPOUT_NET.format(hidden=hidden.replace("\n", "\n    "), out_mask=out_mask))


_BACKWARD_LOOP = """
grads, L = {{}}, len(caches)
dA = -(Y / AL - (1 - Y) / (1 - AL))
for l in reversed(range(1, L + 1)):
    linear_cache, Z, D = caches[l - 1]
    dA, grads[f"dW{{l}}"], grads[f"db{{l}}"] = linear_activation_backward(dA, (linear_cache, Z), "sigmoid" if l == L else "relu")
    if l > 1:
        {apply}
    grads[f"dA{{l - 1}}"] = dA
return grads
"""


def _backward_loop(apply: str, start: str = "-(Y / AL - (1 - Y) / (1 - AL))") -> str:
    body = _BACKWARD_LOOP.format(apply=apply).replace("-(Y / AL - (1 - Y) / (1 - AL))", start)
    return fn("model_backward_with_dropout(AL, Y, caches, keep_prob)", body)


# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "normalize_inputs": {
        "wrong": [
            ("X_other with its own statistics", fn("normalize_inputs(X_train, X_other)", """
                def scale(X):
                    mu, sigma = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
                    return (X - mu) / np.where(sigma == 0, 1.0, sigma)
                return scale(X_train), scale(X_other)""")),
            ("statistics per example (axis=0)", fn("normalize_inputs(X_train, X_other)", """
                mu, sigma = X_train.mean(axis=0, keepdims=True), X_train.std(axis=0, keepdims=True)
                sigma = np.where(sigma == 0, 1.0, sigma)
                return (X_train - mu) / sigma, (X_other - mu.mean()) / sigma.mean()""")),
            ("NaN for a constant feature", fn("normalize_inputs(X_train, X_other)", """
                mu, sigma = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
                return (X_train - mu) / sigma, (X_other - mu) / sigma""")),
            ("sample standard deviation (ddof=1)", fn("normalize_inputs(X_train, X_other)", """
                mu, sigma = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, ddof=1, keepdims=True)
                sigma = np.where(sigma == 0, 1.0, sigma)
                return (X_train - mu) / sigma, (X_other - mu) / sigma""")),
            ("divides by the variance", fn("normalize_inputs(X_train, X_other)", """
                mu, var = X_train.mean(axis=1, keepdims=True), X_train.var(axis=1, keepdims=True)
                var = np.where(var == 0, 1.0, var)
                return (X_train - mu) / var, (X_other - mu) / var""")),
        ],
        "right": [
            ("np.where on the result, errors silenced", fn("normalize_inputs(X_train, X_other)", """
                mu, sigma = np.mean(X_train, axis=1, keepdims=True), np.std(X_train, axis=1, keepdims=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    return (np.where(sigma > 0, (X_train - mu) / sigma, 0.0),
                            np.where(sigma > 0, (X_other - mu) / sigma, 0.0))""")),
            ("loop over features, statistics module", "import statistics\n" + fn("normalize_inputs(X_train, X_other)", """
                Xt, Xo = np.zeros(X_train.shape), np.zeros(X_other.shape)
                for i in range(X_train.shape[0]):
                    mu, sigma = statistics.fmean(X_train[i]), statistics.pstdev(X_train[i])
                    if sigma > 0:
                        Xt[i], Xo[i] = (X_train[i] - mu) / sigma, (X_other[i] - mu) / sigma
                return Xt, Xo""")),
            ("a tiny epsilon in the denominator", fn("normalize_inputs(X_train, X_other)", """
                mu = X_train.mean(axis=1, keepdims=True)
                sigma = np.sqrt(((X_train - mu) ** 2).mean(axis=1, keepdims=True)) + 1e-8
                return (X_train - mu) / sigma, (X_other - mu) / sigma""")),
        ],
    },
    "initialize_parameters_deep": {
        "wrong": [
            ("He with the fan-out n[l]", _init_case(
                '{"zeros": 0.0, "random": 0.01, "xavier": np.sqrt(2 / (n_prev + n)), "he": np.sqrt(2 / n), '
                '"lecun": np.sqrt(1 / n_prev)}[method]')),
            ("variance instead of standard deviation", _init_case(
                '{"zeros": 0.0, "random": 0.01, "xavier": 2 / (n_prev + n), "he": 2 / n_prev, "lecun": 1 / n_prev}[method]')),
            ("uniform distribution with the right variance", _init_case(_STDS, "rng.uniform(-1, 1, (n, n_prev)) * np.sqrt(3)")),
            ("global np.random", _init_case(_STDS, "np.random.randn(n, n_prev)")),
            ("unknown method falls back to He", _init_case(
                '{"zeros": 0.0, "random": 0.01, "xavier": np.sqrt(2 / (n_prev + n)), '
                '"lecun": np.sqrt(1 / n_prev)}.get(method, np.sqrt(2 / n_prev))')),
        ],
        "right": [
            ("variance table and rng.normal", fn("initialize_parameters_deep(layer_dims, method, rng)", """
                variances = {"random": lambda a, b: 1e-4, "xavier": lambda a, b: 2 / (a + b),
                             "he": lambda a, b: 2 / a, "lecun": lambda a, b: 1 / a}
                if method != "zeros" and method not in variances:
                    raise ValueError("method must be zeros, random, xavier, he or lecun; got " + repr(method))
                parameters = {}
                for l, (a, b) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
                    if method == "zeros":
                        parameters["W" + str(l)] = np.zeros((b, a))
                    else:
                        parameters["W" + str(l)] = rng.normal(0.0, np.sqrt(variances[method](a, b)), size=(b, a))
                    parameters["b" + str(l)] = np.zeros((b, 1))
                return parameters""")),
            ("draw always, then scale (zeros times 0)", "import math\n" + fn("initialize_parameters_deep(layer_dims, method, rng)", """
                if method not in ("zeros", "random", "xavier", "he", "lecun"):
                    raise ValueError(f"unknown method {method}")
                parameters = {}
                L = len(layer_dims) - 1
                for l in range(1, L + 1):
                    fan_in, fan_out = layer_dims[l - 1], layer_dims[l]
                    if method == "zeros":
                        scale = 0.0
                    elif method == "random":
                        scale = 0.01
                    elif method == "xavier":
                        scale = math.sqrt(2.0 / (fan_in + fan_out))
                    elif method == "he":
                        scale = math.sqrt(2.0 / fan_in)
                    else:
                        scale = math.sqrt(1.0 / fan_in)
                    parameters[f"W{l}"] = scale * rng.standard_normal((fan_out, fan_in))
                    parameters[f"b{l}"] = np.zeros((fan_out, 1))
                return parameters""")),
        ],
    },
    "compute_cost_with_l2": {
        "wrong": [
            ("penalises the biases", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                m = Y.shape[1]
                return compute_cost(AL, Y) + lambd / (2 * m) * sum(float(np.sum(v ** 2)) for v in parameters.values())""")),
            ("lambd / m (no 2)", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                m, L = Y.shape[1], len(parameters) // 2
                return compute_cost(AL, Y) + lambd / m * sum(float(np.sum(parameters[f"W{l}"] ** 2)) for l in range(1, L + 1))""")),
            ("forgot m", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                L = len(parameters) // 2
                return compute_cost(AL, Y) + lambd / 2 * sum(float(np.sum(parameters[f"W{l}"] ** 2)) for l in range(1, L + 1))""")),
            ("last layer only", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                m, L = Y.shape[1], len(parameters) // 2
                return compute_cost(AL, Y) + lambd / (2 * m) * float(np.sum(parameters[f"W{L}"] ** 2))""")),
        ],
        "right": [
            ("Frobenius norms", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                m, L = Y.shape[1], len(parameters) // 2
                penalty = sum(np.linalg.norm(parameters["W" + str(l)], "fro") ** 2 for l in range(1, L + 1))
                return float(compute_cost(AL, Y) + lambd * penalty / (2 * m))""")),
            ("cross-entropy by hand, keys filtered", fn("compute_cost_with_l2(AL, Y, parameters, lambd)", """
                m = AL.shape[1]
                ce = -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
                squares = sum(np.sum(np.square(v)) for k, v in parameters.items() if k.startswith("W"))
                return float(ce + lambd / (2 * m) * squares)""")),
        ],
    },
    "model_backward_with_l2": {
        "wrong": [
            ("lambd * W (no 1/m)", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads = model_backward(AL, Y, caches)
                for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
                    grads[f"dW{l}"] = grads[f"dW{l}"] + lambd * W
                return grads""")),
            ("(lambd / 2m) * W", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads, m = model_backward(AL, Y, caches), Y.shape[1]
                for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
                    grads[f"dW{l}"] = grads[f"dW{l}"] + lambd / (2 * m) * W
                return grads""")),
            ("penalises db too", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads, m = model_backward(AL, Y, caches), Y.shape[1]
                for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
                    grads[f"dW{l}"] = grads[f"dW{l}"] + lambd / m * W
                    grads[f"db{l}"] = grads[f"db{l}"] + lambd / m * b
                return grads""")),
            ("modifies W in the caches", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads, m = model_backward(AL, Y, caches), Y.shape[1]
                for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
                    W *= lambd / m
                    grads[f"dW{l}"] = grads[f"dW{l}"] + W
                return grads""")),
        ],
        "right": [
            ("own loop with the L2 term inside", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads, L, m = {}, len(caches), Y.shape[1]
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    dA, dW, db = linear_activation_backward(dA, caches[l - 1], "sigmoid" if l == L else "relu")
                    W = caches[l - 1][0][1]
                    grads.update({f"dA{l - 1}": dA, f"dW{l}": dW + (lambd / m) * W, f"db{l}": db})
                return grads""")),
            ("+= on the new gradient arrays", fn("model_backward_with_l2(AL, Y, caches, lambd)", """
                grads = model_backward(AL, Y, caches)
                m = AL.shape[1]
                for l in range(1, len(caches) + 1):
                    grads["dW" + str(l)] += lambd * caches[l - 1][0][1] / m
                return grads""")),
        ],
    },
    "dropout_forward": {
        "wrong": [
            ("forgot / keep_prob", fn("dropout_forward(A, keep_prob, rng)", """
                D = (rng.random(A.shape) < keep_prob).astype(float)
                return A * D, D""")),
            ("keeps with probability 1 - keep_prob", fn("dropout_forward(A, keep_prob, rng)", """
                D = (rng.random(A.shape) > keep_prob).astype(float)
                return A * D / keep_prob, D""")),
            ("global np.random", fn("dropout_forward(A, keep_prob, rng)", """
                D = (np.random.rand(*A.shape) < keep_prob).astype(float)
                return A * D / keep_prob, D""")),
            ("one mask per unit for all examples", fn("dropout_forward(A, keep_prob, rng)", """
                D = (rng.random(A.shape[:1] + (1,) * (A.ndim - 1)) < keep_prob) * np.ones(A.shape)
                return A * D / keep_prob, D""")),
            ("modifies A in place", fn("dropout_forward(A, keep_prob, rng)", """
                D = (rng.random(A.shape) < keep_prob).astype(float)
                A *= D
                A /= keep_prob
                return A, D""")),
        ],
        "right": [
            ("binomial draws", fn("dropout_forward(A, keep_prob, rng)", """
                D = rng.binomial(1, keep_prob, size=A.shape)
                return A * D / keep_prob, D""")),
            ("uniform draws, boolean mask", fn("dropout_forward(A, keep_prob, rng)", """
                D = rng.uniform(0.0, 1.0, A.shape) < keep_prob
                return np.where(D, A / keep_prob, 0.0), D""")),
            ("rng.choice, keep_prob = 1 handled apart", fn("dropout_forward(A, keep_prob, rng)", """
                if keep_prob == 1:
                    return A.copy(), np.ones(A.shape)
                D = rng.choice([0.0, 1.0], size=A.shape, p=[1 - keep_prob, keep_prob])
                return np.multiply(A, D) / keep_prob, D""")),
        ],
    },
    "dropout_backward": {
        "wrong": [
            ("forgot / keep_prob", fn("dropout_backward(dA, D, keep_prob)", "return dA * D")),
            ("multiplies by keep_prob", fn("dropout_backward(dA, D, keep_prob)", "return dA * D * keep_prob")),
            ("forgot the mask", fn("dropout_backward(dA, D, keep_prob)", "return dA / keep_prob")),
            ("modifies dA in place", fn("dropout_backward(dA, D, keep_prob)", "dA *= D\ndA /= keep_prob\nreturn dA")),
        ],
        "right": [
            ("np.where", fn("dropout_backward(dA, D, keep_prob)", "return np.where(D == 1, dA / keep_prob, 0.0)")),
            ("np.multiply then divide", fn("dropout_backward(dA, D, keep_prob)", """
                dA_prev = np.multiply(dA, D)
                dA_prev /= keep_prob
                return dA_prev""")),
        ],
    },
    "model_forward_with_dropout": {
        "wrong": [
            ("drops X too", fn("model_forward_with_dropout(X, parameters, keep_prob, rng)", """
                caches, L = [], len(parameters) // 2
                A, _ = dropout_forward(X, keep_prob, rng)
                for l in range(1, L):
                    A, (linear_cache, Z) = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    A, D = dropout_forward(A, keep_prob, rng)
                    caches.append((linear_cache, Z, D))
                AL, (linear_cache, Z) = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                caches.append((linear_cache, Z, None))
                return AL, caches""")),
            ("forgot / keep_prob", _dropout_net("""D = (rng.random(Z.shape) < keep_prob).astype(float)
caches.append(((A, W, b), Z, D))
A = relu(Z) * D""")),
            ("drops the output layer too", fn("model_forward_with_dropout(X, parameters, keep_prob, rng)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, (linear_cache, Z) = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                                                     "relu" if l < L else "sigmoid")
                    A, D = dropout_forward(A, keep_prob, rng)
                    caches.append((linear_cache, Z, D))
                return A, caches""")),
            ("caches without the mask", fn("model_forward_with_dropout(X, parameters, keep_prob, rng)", """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    A, D = dropout_forward(A, keep_prob, rng)
                    caches.append(cache)
                AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
                caches.append(cache)
                return AL, caches""")),
            ("same mask for every layer from one seed", _dropout_net("""D = (np.random.default_rng(0).random(Z.shape) < keep_prob).astype(float)
caches.append(((A, W, b), Z, D))
A = relu(Z) * D / keep_prob""")),
        ],
        "right": [
            ("inline, binomial masks", _dropout_net("""D = rng.binomial(1, keep_prob, size=Z.shape)
caches.append(((A, W, b), Z, D))
A = np.maximum(Z, 0) * D / keep_prob""")),
            ("all masks drawn first, boolean", fn("model_forward_with_dropout(X, parameters, keep_prob, rng)", """
                L = len(parameters) // 2
                sizes = [parameters["W" + str(l)].shape[0] for l in range(1, L)]
                masks = [rng.random((n, X.shape[1])) < keep_prob for n in reversed(sizes)][::-1]
                caches, A = [], X
                for l in range(1, L):
                    A, (linear_cache, Z) = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                    A = np.where(masks[l - 1], A / keep_prob, 0.0)
                    caches.append((linear_cache, Z, masks[l - 1]))
                AL, (linear_cache, Z) = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
                caches.append((linear_cache, Z, None))
                return AL, caches""")),
        ],
    },
    "model_backward_with_dropout": {
        "wrong": [
            ("ignores the masks", _backward_loop("pass")),
            ("forgot / keep_prob", _backward_loop("dA = dA * caches[l - 2][2]")),
            ("AL - Y used as dAL", _backward_loop("dA = dropout_backward(dA, caches[l - 2][2], keep_prob)", start="AL - Y")),
            ("keys dA off by one", fn("model_backward_with_dropout(AL, Y, caches, keep_prob)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in reversed(range(1, L + 1)):
                    linear_cache, Z, D = caches[l - 1]
                    dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, (linear_cache, Z), "sigmoid" if l == L else "relu")
                    if l > 1:
                        dA = dropout_backward(dA, caches[l - 2][2], keep_prob)
                    grads[f"dA{l}"] = dA
                return grads""")),
        ],
        "right": [
            ("mask applied at the top of each layer (dA stored after dropout)", fn("model_backward_with_dropout(AL, Y, caches, keep_prob)", """
                grads, L = {}, len(caches)
                dA = -(Y / AL - (1 - Y) / (1 - AL))
                for l in range(L, 0, -1):
                    linear_cache, Z, D = caches[l - 1]
                    if D is not None:
                        dA = dropout_backward(dA, D, keep_prob)
                    dA, dW, db = linear_activation_backward(dA, (linear_cache, Z), "relu" if D is not None else "sigmoid")
                    grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] = dA, dW, db
                return grads""")),
            ("everything inline from dZ[L] = AL - Y", fn("model_backward_with_dropout(AL, Y, caches, keep_prob)", """
                grads, L = {}, len(caches)
                dZ = AL - Y
                for l in range(L, 0, -1):
                    (A_prev, W, b), Z, D = caches[l - 1]
                    m = A_prev.shape[1]
                    grads[f"dW{l}"] = dZ @ A_prev.T / m
                    grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
                    dA = W.T @ dZ
                    if l > 1:
                        D_prev, Z_prev = caches[l - 2][2], caches[l - 2][1]
                        dA = dA * D_prev / keep_prob
                        dZ = dA * (Z_prev > 0)
                    grads[f"dA{l - 1}"] = dA
                return grads""")),
        ],
    },
    "early_stopping": {
        "wrong": [
            ("<= moves the best epoch on ties", fn("early_stopping(dev_costs, patience)", """
                best = 0
                for e in range(1, len(dev_costs)):
                    if dev_costs[e] <= dev_costs[best]:
                        best = e
                    elif e - best >= patience:
                        return e, best
                return len(dev_costs) - 1, best""")),
            ("> patience (one epoch late)", fn("early_stopping(dev_costs, patience)", """
                best = 0
                for e in range(1, len(dev_costs)):
                    if dev_costs[e] < dev_costs[best]:
                        best = e
                    elif e - best > patience:
                        return e, best
                return len(dev_costs) - 1, best""")),
            ("best over the whole list", fn("early_stopping(dev_costs, patience)", """
                best = 0
                for e in range(1, len(dev_costs)):
                    if dev_costs[e] < dev_costs[best]:
                        best = e
                    elif e - best >= patience:
                        return e, int(np.argmin(dev_costs))
                return len(dev_costs) - 1, best""")),
            ("len(dev_costs) when it never stops", fn("early_stopping(dev_costs, patience)", """
                best = 0
                for e in range(1, len(dev_costs)):
                    if dev_costs[e] < dev_costs[best]:
                        best = e
                    elif e - best >= patience:
                        return e, best
                return len(dev_costs), best""")),
        ],
        "right": [
            ("argmin of the prefix", fn("early_stopping(dev_costs, patience)", """
                costs = np.asarray(dev_costs, dtype=float)
                for e in range(len(costs)):
                    best = int(np.argmin(costs[:e + 1]))
                    if e - best >= patience:
                        return e, best
                return len(costs) - 1, int(np.argmin(costs))""")),
            ("counter of epochs without improvement", fn("early_stopping(dev_costs, patience)", """
                best, best_cost, waited = 0, dev_costs[0], 0
                for epoch, cost in enumerate(dev_costs):
                    if cost < best_cost:
                        best, best_cost, waited = epoch, cost, 0
                    elif epoch > 0:
                        waited += 1
                        if waited >= patience:
                            return epoch, best
                return len(dev_costs) - 1, best""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "dropout_forward": [fn("dropout_forward(A, keep_prob, rng)", "return A, np.ones(A.shape)"), "del dropout_forward\n"],
    "dropout_backward": [fn("dropout_backward(dA, D, keep_prob)", "return dA")],
}

globals().update(define_tests("03_initialization_regularization", CASES, BROKEN_HELPERS))
