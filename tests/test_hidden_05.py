"""Hidden tests of notebook 05 (batch normalization): wrong answers fail, correct styles pass."""
from __future__ import annotations

from hidden import define_tests, fn

FORWARD = "batchnorm_forward(Z, gamma, beta, epsilon=1e-5)"
BACKWARD = "batchnorm_backward(dZ_tilde, cache)"
RUNNING = "update_running_averages(running_mean, running_var, mu, var, momentum=0.9)"
INFERENCE = "batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-5)"

_CACHE = 'cache = {"mu": mu, "var": var, "Z_hat": Z_hat, "inv_std": inv_std, "gamma": gamma, "epsilon": epsilon}'

# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "batchnorm_forward": {
        "wrong": [
            ("unbiased variance (ddof=1)", fn(FORWARD, f"""
                mu = Z.mean(axis=1, keepdims=True)
                var = Z.var(axis=1, ddof=1, keepdims=True)
                inv_std = 1 / np.sqrt(var + epsilon)
                Z_hat = (Z - mu) * inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
            ("epsilon outside the square root", fn(FORWARD, f"""
                mu = Z.mean(axis=1, keepdims=True)
                var = Z.var(axis=1, keepdims=True)
                inv_std = 1 / (np.sqrt(var) + epsilon)
                Z_hat = (Z - mu) * inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
            ("statistics over axis 0", fn(FORWARD, f"""
                mu = Z.mean(axis=0, keepdims=True)
                var = Z.var(axis=0, keepdims=True)
                inv_std = 1 / np.sqrt(var + epsilon)
                Z_hat = (Z - mu) * inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
            ("cache holds only mu and var", fn(FORWARD, """
                mu = Z.mean(axis=1, keepdims=True)
                var = Z.var(axis=1, keepdims=True)
                Z_hat = (Z - mu) / np.sqrt(var + epsilon)
                return gamma * Z_hat + beta, {"mu": mu, "var": var}""")),
            ("cache stores the standard deviation as inv_std", fn(FORWARD, f"""
                mu = Z.mean(axis=1, keepdims=True)
                var = Z.var(axis=1, keepdims=True)
                inv_std = np.sqrt(var + epsilon)
                Z_hat = (Z - mu) / inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
            ("centres Z in place", fn(FORWARD, f"""
                mu = Z.mean(axis=1, keepdims=True)
                Z -= mu
                var = np.mean(Z ** 2, axis=1, keepdims=True)
                inv_std = 1 / np.sqrt(var + epsilon)
                Z_hat = Z * inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
            ("wrong default epsilon", fn("batchnorm_forward(Z, gamma, beta, epsilon=1e-8)", f"""
                mu = Z.mean(axis=1, keepdims=True)
                var = Z.var(axis=1, keepdims=True)
                inv_std = 1 / np.sqrt(var + epsilon)
                Z_hat = (Z - mu) * inv_std
                {_CACHE}
                return gamma * Z_hat + beta, cache""")),
        ],
        "right": [
            ("np.var and np.std, extra keys in the cache", fn(FORWARD, """
                mu = np.mean(Z, axis=1, keepdims=True)
                var = np.var(Z, axis=1, keepdims=True)
                std = np.sqrt(var + epsilon)
                Z_hat = (Z - mu) / std
                cache = {"Z": Z, "mu": mu, "var": var, "std": std, "Z_hat": Z_hat, "inv_std": 1.0 / std,
                         "gamma": gamma, "beta": beta, "epsilon": epsilon}
                return Z_hat * gamma + beta, cache""")),
            ("a loop over the units", fn(FORWARD, """
                n, m = Z.shape
                mu, var, Z_hat = np.zeros((n, 1)), np.zeros((n, 1)), np.zeros((n, m))
                for i in range(n):
                    mu[i, 0] = sum(Z[i]) / m
                    var[i, 0] = sum((z - mu[i, 0]) ** 2 for z in Z[i]) / m
                    Z_hat[i] = (Z[i] - mu[i, 0]) / (var[i, 0] + epsilon) ** 0.5
                inv_std = (var + epsilon) ** -0.5
                Z_tilde = gamma * Z_hat + beta
                return Z_tilde, dict(mu=mu, var=var, Z_hat=Z_hat, inv_std=inv_std, gamma=gamma, epsilon=epsilon)""")),
            ("sum / m, E[Z^2]-free, cache built step by step", fn(FORWARD, """
                m = Z.shape[1]
                cache = {"gamma": gamma, "epsilon": epsilon}
                cache["mu"] = np.sum(Z, axis=1, keepdims=True) / m
                centred = Z - cache["mu"]
                cache["var"] = np.sum(centred * centred, axis=1, keepdims=True) / m
                cache["inv_std"] = np.reciprocal(np.sqrt(cache["var"] + epsilon))
                cache["Z_hat"] = centred * cache["inv_std"]
                return np.multiply(gamma, cache["Z_hat"]) + beta, cache""")),
        ],
    },
    "batchnorm_backward": {
        "wrong": [
            ("treats mu and var as constants", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                dbeta = dZ_tilde.sum(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).sum(axis=1, keepdims=True)
                return gamma * inv_std * dZ_tilde, dgamma, dbeta""")),
            ("forgets the path through var", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                dbeta = dZ_tilde.sum(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).sum(axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                return inv_std * (dZ_hat - dZ_hat.mean(axis=1, keepdims=True)), dgamma, dbeta""")),
            ("misses the 1/m", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                m = Z_hat.shape[1]
                dbeta = dZ_tilde.sum(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).sum(axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                dZ = inv_std * (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                                - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True))
                return dZ, dgamma, dbeta""")),
            ("averages dgamma and dbeta", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                m = Z_hat.shape[1]
                dbeta = dZ_tilde.mean(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).mean(axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                dZ = inv_std / m * (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                                    - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True))
                return dZ, dgamma, dbeta""")),
            ("relies on a key outside the contract", fn(BACKWARD, """
                Z, mu, var, gamma, eps = cache["Z"], cache["mu"], cache["var"], cache["gamma"], cache["epsilon"]
                m = Z.shape[1]
                inv_std = 1 / np.sqrt(var + eps)
                Z_hat = (Z - mu) * inv_std
                dbeta = dZ_tilde.sum(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).sum(axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                dZ = inv_std / m * (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                                    - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True))
                return dZ, dgamma, dbeta""")),
            ("fixed epsilon instead of the cache's", fn(BACKWARD, """
                Z_hat, var, gamma = cache["Z_hat"], cache["var"], cache["gamma"]
                m = Z_hat.shape[1]
                inv_std = 1 / np.sqrt(var + 1e-5)
                dbeta = dZ_tilde.sum(axis=1, keepdims=True)
                dgamma = (dZ_tilde * Z_hat).sum(axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                dZ = inv_std / m * (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                                    - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True))
                return dZ, dgamma, dbeta""")),
        ],
        "right": [
            ("computational graph, node by node", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                m = Z_hat.shape[1]
                C = Z_hat / inv_std
                dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)
                dgamma = np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True)
                dZ_hat = gamma * dZ_tilde
                dinv_std = np.sum(dZ_hat * C, axis=1, keepdims=True)
                dvar = -0.5 * inv_std ** 3 * dinv_std
                dC = dZ_hat * inv_std + dvar * 2 * C / m
                dmu = -np.sum(dC, axis=1, keepdims=True)
                return dC + dmu / m, dgamma, dbeta""")),
            ("from mu, var and epsilon, with means", fn(BACKWARD, """
                Z_hat, gamma = cache["Z_hat"], cache["gamma"]
                std = np.sqrt(cache["var"] + cache["epsilon"])
                dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)
                dgamma = np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True)
                dZ_hat = dZ_tilde * gamma
                dZ = (dZ_hat - dZ_hat.mean(axis=1, keepdims=True)
                      - Z_hat * (dZ_hat * Z_hat).mean(axis=1, keepdims=True)) / std
                return dZ, dgamma, dbeta""")),
            ("a loop over the units", fn(BACKWARD, """
                Z_hat, inv_std, gamma = cache["Z_hat"], cache["inv_std"], cache["gamma"]
                n, m = Z_hat.shape
                dZ, dgamma, dbeta = np.zeros((n, m)), np.zeros((n, 1)), np.zeros((n, 1))
                for i in range(n):
                    g, zh = dZ_tilde[i], Z_hat[i]
                    dbeta[i, 0], dgamma[i, 0] = g.sum(), g @ zh
                    dZ[i] = gamma[i, 0] * inv_std[i, 0] / m * (m * g - g.sum() - zh * (g @ zh))
                return dZ, dgamma, dbeta""")),
        ],
    },
    "update_running_averages": {
        "wrong": [
            ("weights swapped", fn(RUNNING, """
                return ((1 - momentum) * running_mean + momentum * mu,
                        (1 - momentum) * running_var + momentum * var)""")),
            ("ignores the momentum argument", fn(RUNNING, """
                return 0.9 * running_mean + 0.1 * mu, 0.9 * running_var + 0.1 * var""")),
            ("updates in place", fn(RUNNING, """
                running_mean *= momentum
                running_mean += (1 - momentum) * mu
                running_var *= momentum
                running_var += (1 - momentum) * var
                return running_mean, running_var""")),
            ("returns them in the wrong order", fn(RUNNING, """
                return momentum * running_var + (1 - momentum) * var, momentum * running_mean + (1 - momentum) * mu""")),
        ],
        "right": [
            ("interpolation form", fn(RUNNING, """
                new_mean = running_mean + (1 - momentum) * (mu - running_mean)
                new_var = running_var + (1 - momentum) * (var - running_var)
                return new_mean, new_var""")),
            ("one loop over the pair", fn(RUNNING, """
                out = [momentum * old + (1 - momentum) * new for old, new in ((running_mean, mu), (running_var, var))]
                return tuple(out)""")),
        ],
    },
    "batchnorm_inference": {
        "wrong": [
            ("uses the batch statistics", fn(INFERENCE, """
                mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
                return gamma * (Z - mu) / np.sqrt(var + epsilon) + beta""")),
            ("forgets the square root", fn(INFERENCE, """
                return gamma * (Z - running_mean) / (running_var + epsilon) + beta""")),
            ("epsilon outside the square root", fn(INFERENCE, """
                return gamma * (Z - running_mean) / (np.sqrt(running_var) + epsilon) + beta""")),
            ("no scale and shift", fn(INFERENCE, """
                return (Z - running_mean) / np.sqrt(running_var + epsilon)""")),
            ("wrong default epsilon", fn("batchnorm_inference(Z, gamma, beta, running_mean, running_var, epsilon=1e-8)", """
                return gamma * (Z - running_mean) / np.sqrt(running_var + epsilon) + beta""")),
        ],
        "right": [
            ("multiply by the inverse", fn(INFERENCE, """
                scale = gamma / np.sqrt(running_var + epsilon)
                return Z * scale + (beta - running_mean * scale)""")),
            ("a loop over the examples", fn(INFERENCE, """
                out = np.empty_like(Z)
                for j in range(Z.shape[1]):
                    out[:, j:j + 1] = gamma * (Z[:, j:j + 1] - running_mean) / np.sqrt(running_var + epsilon) + beta
                return out""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "batchnorm_forward": [fn(FORWARD, "return None, None"), fn(FORWARD, "raise NotImplementedError()")],
}

globals().update(define_tests("05_batch_normalization", CASES, BROKEN_HELPERS))
