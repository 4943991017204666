"""Hidden tests of notebook 04 (optimization): wrong answers fail, correct styles pass."""
from __future__ import annotations

from cases_04_training import BROKEN_HELPERS as TRAINING_BROKEN
from cases_04_training import CASES as TRAINING_CASES
from hidden import define_tests, fn

_BATCHES = "random_mini_batches(X, Y, mini_batch_size, rng)"
_EWA = "exponentially_weighted_average(values, beta, bias_correction=True)"
_MOMENTUM = "update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)"
_RMSPROP = "update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8)"
_ADAM = ("update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, "
         "epsilon=1e-8)")
_DECAY = "learning_rate_decay(learning_rate0, epoch_num, decay_rate)"
_STAIRS = "schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000)"
_EXP = "exponential_decay(learning_rate0, epoch_num, k)"


def _momentum(v_line: str, step_line: str, returned: str = "new_v") -> str:
    return fn(_MOMENTUM, f"""
        new_p, new_v = {{}}, {{}}
        for l in range(1, len(parameters) // 2 + 1):
            for p in ("W", "b"):
                k = "d" + p + str(l)
                {v_line}
                {step_line}
        return new_p, {returned}""")


def _rmsprop(s_line: str, step_line: str, returned: str = "new_s", signature: str = _RMSPROP) -> str:
    return fn(signature, f"""
        new_p, new_s = {{}}, {{}}
        for l in range(1, len(parameters) // 2 + 1):
            for p in ("W", "b"):
                k = "d" + p + str(l)
                {s_line}
                {step_line}
        return new_p, {returned}""")


def _adam(v_hat: str = "new_v[k] / (1 - beta1 ** t)", s_hat: str = "new_s[k] / (1 - beta2 ** t)",
          step: str = "v_hat / (np.sqrt(s_hat) + epsilon)", returned: str = "new_v, new_s") -> str:
    return fn(_ADAM, f"""
        new_p, new_v, new_s = {{}}, {{}}, {{}}
        for l in range(1, len(parameters) // 2 + 1):
            for p in ("W", "b"):
                k = "d" + p + str(l)
                new_v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
                new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
                v_hat = {v_hat}
                s_hat = {s_hat}
                new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * {step}
        return new_p, {returned}""")


# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "random_mini_batches": {
        "wrong": [
            ("no shuffle", fn(_BATCHES, """
                m = X.shape[1]
                return [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]""")),
            ("X and Y shuffled with different permutations", fn(_BATCHES, """
                m = X.shape[1]
                Xs, Ys = X[:, rng.permutation(m)], Y[:, rng.permutation(m)]
                return [(Xs[:, k:k + mini_batch_size], Ys[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]""")),
            ("drops the last, smaller batch", fn(_BATCHES, """
                m = X.shape[1]
                perm = rng.permutation(m)
                Xs, Ys = X[:, perm], Y[:, perm]
                return [(Xs[:, k * mini_batch_size:(k + 1) * mini_batch_size], Ys[:, k * mini_batch_size:(k + 1) * mini_batch_size])
                        for k in range(m // mini_batch_size)]""")),
            ("global np.random", fn(_BATCHES, """
                m = X.shape[1]
                perm = np.random.permutation(m)
                Xs, Ys = X[:, perm], Y[:, perm]
                return [(Xs[:, k:k + mini_batch_size], Ys[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]""")),
            ("shuffles the order of the batches only", fn(_BATCHES, """
                m = X.shape[1]
                batches = [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]
                return [batches[i] for i in rng.permutation(len(batches))]""")),
            ("fixed seed of its own", fn(_BATCHES, """
                m = X.shape[1]
                perm = np.random.default_rng(0).permutation(m)
                Xs, Ys = X[:, perm], Y[:, perm]
                return [(Xs[:, k:k + mini_batch_size], Ys[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]""")),
            ("shuffles the rows (features)", fn(_BATCHES, """
                m = X.shape[1]
                Xs, Ys = X[rng.permutation(X.shape[0]), :], Y
                return [(Xs[:, k:k + mini_batch_size], Ys[:, k:k + mini_batch_size]) for k in range(0, m, mini_batch_size)]""")),
        ],
        "right": [
            ("counted complete batches and a remainder", "import math\n" + fn(_BATCHES, """
                m = X.shape[1]
                perm = list(rng.choice(m, size=m, replace=False))
                Xs, Ys = X[:, perm], Y[:, perm].reshape((Y.shape[0], m))
                batches = []
                for k in range(math.floor(m / mini_batch_size)):
                    batches.append((Xs[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                                    Ys[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
                if m % mini_batch_size != 0:
                    start = mini_batch_size * (m // mini_batch_size)
                    batches.append((Xs[:, start:], Ys[:, start:]))
                return batches""")),
            ("argsort of uniform numbers", fn(_BATCHES, """
                order = np.argsort(rng.random(X.shape[1]))
                return [(X[:, order[k:k + mini_batch_size]], Y[:, order[k:k + mini_batch_size]])
                        for k in range(0, X.shape[1], mini_batch_size)]""")),
            ("rng.shuffle of an index array", fn(_BATCHES, """
                idx = np.arange(X.shape[1])
                rng.shuffle(idx)
                chunks = [idx[k:k + mini_batch_size] for k in range(0, len(idx), mini_batch_size)]
                return [(np.take(X, c, axis=1), np.take(Y, c, axis=1)) for c in chunks]""")),
        ],
    },
    "exponentially_weighted_average": {
        "wrong": [
            ("never corrects", fn(_EWA, """
                v, out = 0.0, []
                for x in values:
                    v = beta * v + (1 - beta) * x
                    out.append(v)
                return np.array(out)""")),
            ("swapped weights", fn(_EWA, """
                v, out = 0.0, np.zeros(len(values))
                for t in range(1, len(values) + 1):
                    v = (1 - beta) * v + beta * values[t - 1]
                    out[t - 1] = v / (1 - beta ** t) if bias_correction else v
                return out""")),
            ("t counted from 0 in the correction", fn(_EWA, """
                v, out = 0.0, np.zeros(len(values))
                for t in range(len(values)):
                    v = beta * v + (1 - beta) * values[t]
                    out[t] = v / (1 - beta ** t) if bias_correction else v
                return out""")),
            ("always corrects", fn(_EWA, """
                v, out = 0.0, np.zeros(len(values))
                for t in range(1, len(values) + 1):
                    v = beta * v + (1 - beta) * values[t - 1]
                    out[t - 1] = v / (1 - beta ** t)
                return out""")),
            ("starts from the first value", fn(_EWA, """
                v, out = values[0], np.zeros(len(values))
                for t in range(1, len(values) + 1):
                    v = beta * v + (1 - beta) * values[t - 1]
                    out[t - 1] = v / (1 - beta ** t) if bias_correction else v
                return out""")),
        ],
        "right": [
            ("matrix of weights", fn(_EWA, """
                T = len(values)
                t = np.arange(1, T + 1)
                lag = t[:, None] - t[None, :]
                weights = np.where(lag >= 0, (1 - beta) * beta ** np.maximum(lag, 0), 0.0)
                v = weights @ np.asarray(values, dtype=float)
                return v / (1 - beta ** t) if bias_correction else v""")),
            ("list and separate correction pass", fn(_EWA, """
                averages, v = [], 0
                for theta in values:
                    v = beta * v + (1 - beta) * theta
                    averages.append(v)
                averages = np.array(averages, dtype=float)
                if bias_correction:
                    averages = averages / (1 - np.power(beta, np.arange(1, len(averages) + 1)))
                return averages""")),
        ],
    },
    "initialize_velocity": {
        "wrong": [
            ("keys of the parameters", fn("initialize_velocity(parameters)", """
                return {k: np.zeros_like(w) for k, w in parameters.items()}""")),
            ("bias of shape (n,)", fn("initialize_velocity(parameters)", """
                v = {}
                for l in range(1, len(parameters) // 2 + 1):
                    v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
                    v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape[0])
                return v""")),
            ("L counts keys", fn("initialize_velocity(parameters)", """
                v = {}
                for l in range(1, len(parameters) + 1):
                    v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
                    v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
                return v""")),
            ("weights only", fn("initialize_velocity(parameters)", """
                return {"dW" + str(l): np.zeros_like(parameters["W" + str(l)]) for l in range(1, len(parameters) // 2 + 1)}""")),
        ],
        "right": [
            ("comprehension over items", fn("initialize_velocity(parameters)", """
                return {"d" + key: np.zeros(value.shape) for key, value in parameters.items()}""")),
            ("zeros times the parameter", fn("initialize_velocity(parameters)", """
                v = {}
                for key in sorted(parameters):
                    v["d" + key] = 0.0 * parameters[key]
                return v""")),
        ],
    },
    "update_parameters_with_momentum": {
        "wrong": [
            ("no (1 - beta)", _momentum("new_v[k] = beta * v[k] + grads[k]",
                                        "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * new_v[k]")),
            ("steps with the gradient", _momentum("new_v[k] = beta * v[k] + (1 - beta) * grads[k]",
                                                  "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k]")),
            ("returns the old velocity", _momentum("new_v[k] = beta * v[k] + (1 - beta) * grads[k]",
                                                   "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * new_v[k]",
                                                   returned="v")),
            ("updates the dict v in place", _momentum("v[k] = beta * v[k] + (1 - beta) * grads[k]",
                                                      "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * v[k]",
                                                      returned="v")),
            ("updates the arrays in place", _momentum("new_v[k] = beta * v[k] + (1 - beta) * grads[k]",
                                                      "parameters[p + str(l)] -= learning_rate * new_v[k]; "
                                                      "new_p[p + str(l)] = parameters[p + str(l)]")),
        ],
        "right": [
            ("dict comprehensions", fn(_MOMENTUM, """
                new_v = {k: beta * v[k] + (1 - beta) * grads[k] for k in v}
                new_parameters = {k: w - learning_rate * new_v["d" + k] for k, w in parameters.items()}
                return new_parameters, new_v""")),
            ("in place on copies", "import copy\n" + fn(_MOMENTUM, """
                new_parameters, new_v = copy.deepcopy(parameters), copy.deepcopy(v)
                for key in new_parameters:
                    new_v["d" + key] *= beta
                    new_v["d" + key] += (1 - beta) * grads["d" + key]
                    new_parameters[key] -= learning_rate * new_v["d" + key]
                return new_parameters, new_v""")),
        ],
    },
    "update_parameters_with_rmsprop": {
        "wrong": [
            ("epsilon inside the root", _rmsprop("new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
                                                 "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k] / np.sqrt(new_s[k] + epsilon)")),
            ("ignores epsilon", _rmsprop("new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
                                         "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k] / (np.sqrt(new_s[k]) + 1e-8)")),
            ("divides by the old s", _rmsprop("new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
                                              "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k] / (np.sqrt(s[k]) + epsilon)")),
            ("forgets the square root", _rmsprop("new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
                                                 "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k] / (new_s[k] + epsilon)")),
            ("wrong default epsilon", _rmsprop("new_s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2",
                                               "new_p[p + str(l)] = parameters[p + str(l)] - learning_rate * grads[k] / (np.sqrt(new_s[k]) + epsilon)",
                                               signature=_RMSPROP.replace("1e-8", "1e-4"))),
        ],
        "right": [
            ("dict comprehensions", fn(_RMSPROP, """
                new_s = {k: beta2 * s[k] + (1 - beta2) * np.square(grads[k]) for k in s}
                return {k: w - learning_rate * grads["d" + k] / (new_s["d" + k] ** 0.5 + epsilon)
                        for k, w in parameters.items()}, new_s""")),
            ("loop with np.multiply", _rmsprop("new_s[k] = np.multiply(beta2, s[k]) + np.multiply(1 - beta2, grads[k] * grads[k])",
                                               "new_p[p + str(l)] = parameters[p + str(l)] - np.divide(learning_rate * grads[k], np.sqrt(new_s[k]) + epsilon)")),
        ],
    },
    "initialize_adam": {
        "wrong": [
            ("returns one dict", fn("initialize_adam(parameters)", """
                return initialize_velocity(parameters)""")),
            ("s starts at one", fn("initialize_adam(parameters)", """
                v = initialize_velocity(parameters)
                s = {k: np.ones_like(z) for k, z in v.items()}
                return v, s""")),
            ("keys of the parameters", fn("initialize_adam(parameters)", """
                v = {k: np.zeros_like(w) for k, w in parameters.items()}
                return v, {k: np.zeros_like(w) for k, w in parameters.items()}""")),
        ],
        "right": [
            ("own zeros", fn("initialize_adam(parameters)", """
                v, s = {}, {}
                for l in range(1, len(parameters) // 2 + 1):
                    for p in ("W", "b"):
                        v["d" + p + str(l)] = np.zeros(parameters[p + str(l)].shape)
                        s["d" + p + str(l)] = np.zeros(parameters[p + str(l)].shape)
                return v, s""")),
            ("one velocity and a copy", "import copy\n" + fn("initialize_adam(parameters)", """
                v = initialize_velocity(parameters)
                return v, copy.deepcopy(v)""")),
        ],
    },
    "update_parameters_with_adam": {
        "wrong": [
            ("returns the corrected moments", _adam(returned="{k: x / (1 - beta1 ** t) for k, x in new_v.items()}, "
                                                             "{k: x / (1 - beta2 ** t) for k, x in new_s.items()}")),
            ("no bias correction", _adam(v_hat="new_v[k]", s_hat="new_s[k]")),
            ("t counted from 0", _adam(v_hat="new_v[k] / (1 - beta1 ** (t + 1))", s_hat="new_s[k] / (1 - beta2 ** (t + 1))")),
            ("epsilon inside the root", _adam(step="v_hat / np.sqrt(s_hat + epsilon)")),
            ("s corrected with beta1", _adam(s_hat="new_s[k] / (1 - beta1 ** t)")),
            ("fixed hyperparameters", _adam(v_hat="new_v[k] / (1 - 0.9 ** t)", s_hat="new_s[k] / (1 - 0.999 ** t)",
                                            step="v_hat / (np.sqrt(s_hat) + 1e-8)")),
        ],
        "right": [
            ("dict comprehensions", fn(_ADAM, """
                new_v = {k: beta1 * v[k] + (1 - beta1) * grads[k] for k in v}
                new_s = {k: beta2 * s[k] + (1 - beta2) * grads[k] ** 2 for k in s}
                c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
                new_parameters = {k: w - learning_rate * (new_v["d" + k] / c1) / (np.sqrt(new_s["d" + k] / c2) + epsilon)
                                  for k, w in parameters.items()}
                return new_parameters, new_v, new_s""")),
            ("loop over the gradient keys", "import math\n" + fn(_ADAM, """
                new_parameters, new_v, new_s = dict(parameters), {}, {}
                for key in v:
                    g = grads[key]
                    new_v[key] = beta1 * v[key] + (1 - beta1) * g
                    new_s[key] = beta2 * s[key] + (1 - beta2) * g * g
                    v_hat = new_v[key] / (1 - math.pow(beta1, t))
                    s_hat = new_s[key] / (1 - math.pow(beta2, t))
                    new_parameters[key[1:]] = parameters[key[1:]] - learning_rate * v_hat / (np.sqrt(s_hat) + epsilon)
                return new_parameters, new_v, new_s""")),
        ],
    },
    "learning_rate_decay": {
        "wrong": [
            ("operator precedence", fn(_DECAY, "return learning_rate0 / 1 + decay_rate * epoch_num")),
            ("exponential instead", fn(_DECAY, "return learning_rate0 / (1 + decay_rate) ** epoch_num")),
            ("missing the 1 +", fn(_DECAY, "return learning_rate0 / max(decay_rate * epoch_num, 1)")),
            ("returns a (1,) array", fn(_DECAY, "return np.array([learning_rate0 / (1 + decay_rate * epoch_num)])")),
        ],
        "right": [
            ("power -1", fn(_DECAY, "return learning_rate0 * (1 + decay_rate * epoch_num) ** -1")),
            ("numpy float", fn(_DECAY, "return np.float64(learning_rate0) / np.add(1, decay_rate * epoch_num)")),
        ],
    },
    "schedule_lr_decay": {
        "wrong": [
            ("no floor", fn(_STAIRS, "return learning_rate0 / (1 + decay_rate * epoch_num / time_interval)")),
            ("ceil instead of floor", "import math\n" + fn(_STAIRS, """
                return learning_rate0 / (1 + decay_rate * math.ceil(epoch_num / time_interval))""")),
            ("rounds to the nearest", fn(_STAIRS, "return learning_rate0 / (1 + decay_rate * round(epoch_num / time_interval))")),
            ("fixed interval of 1000", fn(_STAIRS, "return learning_rate0 / (1 + decay_rate * (epoch_num // 1000))")),
            ("wrong default interval", fn(_STAIRS.replace("1000", "100"),
                                          "return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))")),
        ],
        "right": [
            ("integer division", fn(_STAIRS, "return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))")),
            ("math.floor", "import math\n" + fn(_STAIRS, """
                steps = math.floor(epoch_num / time_interval)
                return learning_rate0 / (1 + decay_rate * steps)""")),
            ("through learning_rate_decay", fn(_STAIRS, """
                return learning_rate_decay(learning_rate0, epoch_num // time_interval, decay_rate)""")),
        ],
    },
    "exponential_decay": {
        "wrong": [
            ("positive exponent", fn(_EXP, "return learning_rate0 * np.exp(k * epoch_num)")),
            ("k to the power epoch", fn(_EXP, "return learning_rate0 * k ** epoch_num")),
            ("forgot learning_rate0", fn(_EXP, "return float(np.exp(-k * epoch_num))")),
            ("epoch outside the exponent", fn(_EXP, "return learning_rate0 * np.exp(-k) * epoch_num")),
        ],
        "right": [
            ("math.exp", "import math\n" + fn(_EXP, "return learning_rate0 * math.exp(-k * epoch_num)")),
            ("power of e", fn(_EXP, "return learning_rate0 / np.e ** (k * epoch_num)")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "initialize_velocity": [
        fn("initialize_velocity(parameters)", "raise NotImplementedError()"),
        fn("initialize_velocity(parameters)", "return {}"),
        "del initialize_velocity\n",  # e.g. its cell was cut by a timeout
    ],
    "learning_rate_decay": [
        fn(_DECAY, "return learning_rate0 * decay_rate")
        + fn(_STAIRS, "return learning_rate_decay(learning_rate0, epoch_num // time_interval, decay_rate)"),
    ],
}

CASES.update(TRAINING_CASES)
for helper, codes in TRAINING_BROKEN.items():
    BROKEN_HELPERS.setdefault(helper, []).extend(codes)

globals().update(define_tests("04_optimization", CASES, BROKEN_HELPERS))
