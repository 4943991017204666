"""Hidden-test cases of notebook 04's training exercises, ``clip_by_global_norm`` and ``train_model``:
(wrong answers, correct styles, broken helpers), run by tests/test_hidden_04.py; wrong answers fail, correct styles pass (including a loop that draws from ``rng`` in another order)."""
from __future__ import annotations

from hidden import fn

_CLIP = "clip_by_global_norm(grads, max_norm)"
_TRAIN = ("train_model(X, Y, layer_dims, optimizer, learning_rate, num_epochs, mini_batch_size, rng, beta=0.9, "
          "beta1=0.9, beta2=0.999, epsilon=1e-8)")


def _clip(norm: str = "np.sqrt(total)", counted: str = 'k.startswith(("dW", "db"))', scale: str =
          "max_norm / global_norm if global_norm > max_norm else 1.0", check: bool = True) -> str:
    return fn(_CLIP, f"""
        if {check} and max_norm <= 0:
            raise ValueError("max_norm must be > 0")
        total = sum(np.sum(g ** 2) for k, g in grads.items() if {counted})
        global_norm = float({norm})
        factor = {scale}
        return {{k: g * factor for k, g in grads.items() if k.startswith(("dW", "db"))}}, global_norm""")


def _loop(*, init: str = "", shuffle: str = "for X_t, Y_t in random_mini_batches(X, Y, mini_batch_size, rng):",
          before: str = "", step: str = "t", cost: str = "costs.append(compute_cost(model_forward(X, parameters)[0], Y))",
          check: str = 'if optimizer not in ("gd", "momentum", "rmsprop", "adam"):\n    raise ValueError("optimizer")',
          extra: str = "") -> str:
    """A train_model with one line changed (the default is correct)."""
    body = f"""
{check}
parameters = initialize_parameters_deep(layer_dims, "he", rng)
v, s = initialize_adam(parameters)
t, costs = 0, []
{init}
for epoch in range(num_epochs):
{before}
    {shuffle}
        AL, caches = model_forward(X_t, parameters)
        grads = model_backward(AL, Y_t, caches)
        t += 1
        if optimizer == "momentum":
            parameters, v = update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)
        elif optimizer == "rmsprop":
            parameters, s = update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon)
        elif optimizer == "adam":
            parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, {step}, learning_rate, beta1,
                                                           beta2, epsilon)
        else:
            parameters = update_parameters(parameters, grads, learning_rate)
{extra}
    {cost}
return parameters, costs"""
    return fn(_TRAIN, body)


CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "clip_by_global_norm": {
        "wrong": [
            ("each array by its own norm", fn(_CLIP, """
                if max_norm <= 0:
                    raise ValueError("max_norm must be > 0")
                keys = [k for k in grads if k.startswith(("dW", "db"))]
                global_norm = float(np.sqrt(sum(np.sum(grads[k] ** 2) for k in keys)))
                out = {}
                for k in keys:
                    n = np.linalg.norm(grads[k])
                    out[k] = grads[k] * (max_norm / n if n > max_norm else 1.0)
                return out, global_norm""")),
            ("dA counted in the norm", _clip(counted="True")),
            ("no square root", _clip(norm="total")),
            ("scales even below the limit", _clip(scale="max_norm / global_norm")),
            ("keeps the dA entries", fn(_CLIP, """
                if max_norm <= 0:
                    raise ValueError("max_norm must be > 0")
                global_norm = float(np.sqrt(sum(np.sum(g ** 2) for k, g in grads.items() if k[:2] in ("dW", "db"))))
                factor = min(1.0, max_norm / global_norm)
                return {k: g * factor for k, g in grads.items()}, global_norm""")),
            ("scales the caller's arrays in place", fn(_CLIP, """
                if max_norm <= 0:
                    raise ValueError("max_norm must be > 0")
                keys = [k for k in grads if k.startswith(("dW", "db"))]
                global_norm = float(np.sqrt(sum(np.sum(grads[k] ** 2) for k in keys)))
                if global_norm > max_norm:
                    for k in keys:
                        grads[k] *= max_norm / global_norm
                return {k: grads[k] for k in keys}, global_norm""")),
            ("no check of max_norm", _clip(check=False)),
        ],
        "right": [
            ("one long vector", fn(_CLIP, """
                if not max_norm > 0:
                    raise ValueError(f"max_norm must be positive, got {max_norm}")
                keys = sorted(k for k in grads if k[:2] in ("dW", "db"))
                global_norm = float(np.linalg.norm(np.concatenate([grads[k].ravel() for k in keys])))
                if global_norm <= max_norm:
                    return {k: grads[k].copy() for k in keys}, global_norm
                return {k: grads[k] * (max_norm / global_norm) for k in keys}, global_norm""")),
            ("math and a loop over layers", "import math\n" + fn(_CLIP, """
                if max_norm <= 0:
                    raise ValueError("max_norm")
                L = sum(1 for k in grads if k.startswith("dW"))
                total = 0.0
                for l in range(1, L + 1):
                    total += float(np.sum(grads[f"dW{l}"] ** 2)) + float(np.sum(grads[f"db{l}"] ** 2))
                norm = math.sqrt(total)
                c = min(1.0, max_norm / norm) if norm > 0 else 1.0
                clipped = {}
                for l in range(1, L + 1):
                    clipped[f"dW{l}"], clipped[f"db{l}"] = c * grads[f"dW{l}"], c * grads[f"db{l}"]
                return clipped, norm""")),
        ],
    },
    "train_model": {
        "wrong": [
            ("cost of the last mini-batch", _loop(cost="costs.append(compute_cost(AL, Y_t))")),
            ("Adam's t per epoch", _loop(step="epoch + 1")),
            ("shuffled once, before the epochs", _loop(init="batches = random_mini_batches(X, Y, mini_batch_size, rng)",
                                                      shuffle="for X_t, Y_t in batches:")),
            ("optimizer state reset every epoch", _loop(before="    v, s = initialize_adam(parameters)")),
            ("global np.random for the shuffle", _loop(
                shuffle="for X_t, Y_t in [(X[:, idx], Y[:, idx]) for p in [np.random.permutation(X.shape[1])] "
                        "for idx in np.array_split(p, range(mini_batch_size, X.shape[1], mini_batch_size))]:")),
            ("unknown optimizer falls back to gd", _loop(check="")),
            ("one cost per mini-batch", _loop(cost="pass", extra="        costs.append(compute_cost(model_forward(X, "
                                                                 "parameters)[0], Y))")),
        ],
        "right": [
            ("shuffles with rng.choice: other draws", _loop(
                shuffle="for X_t, Y_t in [(X[:, idx], Y[:, idx]) for p in [rng.choice(X.shape[1], X.shape[1], "
                        "replace=False)] for idx in np.array_split(p, range(mini_batch_size, X.shape[1], "
                        "mini_batch_size))]:")),
            ("dispatch table", fn(_TRAIN, """
                steps = {
                    "gd": lambda p, g, st, t: (update_parameters(p, g, learning_rate), st),
                    "momentum": lambda p, g, st, t: update_parameters_with_momentum(p, g, st, beta, learning_rate),
                    "rmsprop": lambda p, g, st, t: update_parameters_with_rmsprop(p, g, st, beta2, learning_rate, epsilon),
                    "adam": lambda p, g, st, t: (lambda r: (r[0], (r[1], r[2])))(
                        update_parameters_with_adam(p, g, st[0], st[1], t, learning_rate, beta1, beta2, epsilon)),
                }
                if optimizer not in steps:
                    raise ValueError(f"unknown optimizer {optimizer!r}")
                params = initialize_parameters_deep(layer_dims, "he", rng)
                state = initialize_adam(params) if optimizer == "adam" else initialize_velocity(params)
                costs, t = [], 0
                for _ in range(num_epochs):
                    for Xb, Yb in random_mini_batches(X, Y, mini_batch_size, rng):
                        AL, caches = model_forward(Xb, params)
                        t += 1
                        params, state = steps[optimizer](params, model_backward(AL, Yb, caches), state, t)
                    costs.append(compute_cost(model_forward(X, params)[0], Y))
                return params, costs""")),
        ],
    },
}

BROKEN_HELPERS: dict[str, list[str]] = {
    "update_parameters_with_adam": [
        fn("update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, "
           "beta2=0.999, epsilon=1e-8)", "raise NotImplementedError()"),
    ],
    "random_mini_batches": [fn("random_mini_batches(X, Y, mini_batch_size, rng)", "return [(X, Y)]")],
    "initialize_velocity": ["del initialize_velocity\n"],
}

