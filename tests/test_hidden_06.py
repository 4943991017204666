"""Hidden tests of notebook 06 (softmax): wrong answers fail, correct styles pass."""
from __future__ import annotations

import sys

import pytest
from hidden import define_tests, delegations, fn, run_test_cell

import dlcore
from dlcore.checks import CheckFailure

_FORWARD = "model_forward_softmax(X, parameters)"

# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "softmax": {
        "wrong": [
            ("no max shift: overflows", fn("softmax(Z)", "E = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)")),
            ("global max: a low column underflows", fn("softmax(Z)", """
                E = np.exp(Z - np.max(Z))
                return E / E.sum(axis=0, keepdims=True)""")),
            ("normalised over the rows", fn("softmax(Z)", """
                E = np.exp(Z - Z.max(axis=0, keepdims=True))
                return E / E.sum(axis=1, keepdims=True)""")),
            ("divided by the sum of the whole array", fn("softmax(Z)", """
                E = np.exp(Z - Z.max(axis=0, keepdims=True))
                return E / E.sum()""")),
            ("row max subtracted", fn("softmax(Z)", """
                E = np.exp(Z - Z.max(axis=1, keepdims=True))
                return E / E.sum(axis=0, keepdims=True)""")),
        ],
        "right": [
            ("no keepdims (broadcasts along the last axis)", fn("softmax(Z)", """
                E = np.exp(Z - Z.max(axis=0))
                return E / E.sum(axis=0)""")),
            ("log-sum-exp", fn("softmax(Z)", """
                M = np.max(Z, axis=0, keepdims=True)
                log_norm = M + np.log(np.sum(np.exp(Z - M), axis=0, keepdims=True))
                return np.exp(Z - log_norm)""")),
            ("python loop over columns", "import math\n" + fn("softmax(Z)", """
                A = np.empty_like(Z)
                for j in range(Z.shape[1]):
                    top = max(Z[:, j])
                    e = [math.exp(z - top) for z in Z[:, j]]
                    A[:, j] = [v / sum(e) for v in e]
                return A""")),
        ],
    },
    "one_hot": {
        "wrong": [
            ("no range check", fn("one_hot(y, C)", """
                y = np.ravel(y)
                Y = np.zeros((C, y.size))
                Y[y, np.arange(y.size)] = 1.0
                return Y""")),
            ("transposed (m, C)", fn("one_hot(y, C)", """
                y = np.ravel(y)
                if np.any((y < 0) | (y >= C)):
                    raise ValueError("label out of range")
                return np.eye(C)[y]""")),
            ("C taken from the labels", fn("one_hot(y, C)", """
                y = np.ravel(y)
                if np.any((y < 0) | (y >= C)):
                    raise ValueError("label out of range")
                return np.eye(y.max() + 1)[:, y]""")),
            ("labels of shape (1, m) not flattened", fn("one_hot(y, C)", """
                if np.any((y < 0) | (y >= C)):
                    raise ValueError("label out of range")
                return np.eye(C)[:, y]""")),
            ("only labels above the range refused", fn("one_hot(y, C)", """
                y = np.ravel(y)
                if np.any(y >= C):
                    raise ValueError("label out of range")
                return np.eye(C)[:, y]""")),
        ],
        "right": [
            ("identity columns", fn("one_hot(y, C)", """
                y = np.asarray(y).reshape(-1)
                if y.min() < 0 or y.max() > C - 1:
                    raise ValueError(f"labels must be in [0, {C})")
                return np.eye(C)[:, y]""")),
            ("comparison with a column of classes", fn("one_hot(y, C)", """
                y = np.ravel(y)
                if not np.all((0 <= y) & (y < C)):
                    raise ValueError("y: a label is outside [0, C)")
                return (np.arange(C)[:, None] == y[None, :]).astype(np.float64)""")),
            ("python loop, integer result", fn("one_hot(y, C)", """
                labels = list(np.ravel(y))
                Y = np.zeros((C, len(labels)), dtype=int)
                for i, label in enumerate(labels):
                    if not 0 <= label < C:
                        raise ValueError(f"label {label} is not in [0, {C})")
                    Y[label, i] = 1
                return Y""")),
        ],
    },
    "softmax_cross_entropy": {
        "wrong": [
            ("forgot 1/m", fn("softmax_cross_entropy(AL, Y)", "return float(-np.sum(Y * np.log(AL)))")),
            ("np.mean divides by C * m", fn("softmax_cross_entropy(AL, Y)", "return float(-np.mean(Y * np.log(AL)))")),
            ("binary formula", fn("softmax_cross_entropy(AL, Y)", """
                return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1])""")),
            ("sign", fn("softmax_cross_entropy(AL, Y)", "return float(np.sum(Y * np.log(AL)) / Y.shape[1])")),
            ("returns a (1, 1) array", fn("softmax_cross_entropy(AL, Y)", """
                return -np.sum(Y * np.log(AL), keepdims=True) / Y.shape[1]""")),
        ],
        "right": [
            ("mean of the per-example losses", fn("softmax_cross_entropy(AL, Y)", """
                return np.mean(-np.sum(Y * np.log(AL), axis=0))""")),
            ("log of the true-class probabilities", fn("softmax_cross_entropy(AL, Y)", """
                return -np.sum(np.log(AL[Y == 1])) / Y.shape[1]""")),
            ("python loop", "import math\n" + fn("softmax_cross_entropy(AL, Y)", """
                C, m = Y.shape
                total = 0.0
                for i in range(m):
                    for k in range(C):
                        if Y[k, i] == 1:
                            total -= math.log(AL[k, i])
                return total / m""")),
        ],
    },
    "softmax_cross_entropy_backward": {
        "wrong": [
            ("sign", fn("softmax_cross_entropy_backward(AL, Y)", "return Y - AL")),
            ("1/m in dZ", fn("softmax_cross_entropy_backward(AL, Y)", "return (AL - Y) / Y.shape[1]")),
            ("dAL instead of dZL", fn("softmax_cross_entropy_backward(AL, Y)", "return -Y / AL")),
            ("modifies AL in place", fn("softmax_cross_entropy_backward(AL, Y)", "AL -= Y\nreturn AL")),
        ],
        "right": [
            ("np.subtract", fn("softmax_cross_entropy_backward(AL, Y)", "return np.subtract(AL, Y)")),
            ("copy, then 1 off the true class", fn("softmax_cross_entropy_backward(AL, Y)", """
                dZ = AL.copy()
                dZ[Y == 1] -= 1
                return dZ""")),
        ],
    },
    "model_forward_softmax": {
        "wrong": [
            ("ReLU before the softmax", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                return softmax(A), caches""")),
            ("sigmoid output", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    act = "sigmoid" if l == L else "relu"
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], act)
                    caches.append(cache)
                return A, caches""")),
            ("last cache holds AL", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                ZL, linear_cache = linear_forward(A, parameters[f"W{L}"], parameters[f"b{L}"])
                AL = softmax(ZL)
                caches.append((linear_cache, AL))
                return AL, caches""")),
            ("forgot the last cache", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L):
                    A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
                    caches.append(cache)
                ZL, _ = linear_forward(A, parameters[f"W{L}"], parameters[f"b{L}"])
                return softmax(ZL), caches""")),
        ],
        "right": [
            ("everything inline", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    W, b = parameters["W%d" % l], parameters["b%d" % l]
                    Z = np.dot(W, A) + b
                    caches.append(((A, W, b), Z))
                    A = np.maximum(Z, 0) if l < L else softmax(Z)
                return A, caches""")),
            ("own softmax inside, linear_forward and relu", fn(_FORWARD, """
                caches, A, L = [], X, len(parameters) // 2
                for l in range(1, L + 1):
                    Z, linear_cache = linear_forward(A, parameters[f"W{l}"], parameters[f"b{l}"])
                    caches.append((linear_cache, Z))
                    if l < L:
                        A = relu(Z)
                E = np.exp(Z - Z.max(axis=0))
                return E / E.sum(axis=0), caches""")),
        ],
    },
    "predict_classes": {
        "wrong": [
            ("argmax over the wrong axis", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.argmax(AL, axis=1)""")),
            ("shape (1, m)", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.argmax(AL, axis=0).reshape(1, -1)""")),
            ("classes counted from 1", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.argmax(AL, axis=0) + 1""")),
            ("float class indices", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.argmax(AL, axis=0).astype(float)""")),
            ("argmin", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.argmin(AL, axis=0)""")),
        ],
        "right": [
            ("argmax of the scores ZL", fn("predict_classes(X, parameters)", """
                _, caches = model_forward_softmax(X, parameters)
                return caches[-1][1].argmax(axis=0)""")),
            ("python loop over examples", fn("predict_classes(X, parameters)", """
                AL, _ = model_forward_softmax(X, parameters)
                return np.array([int(np.argmax(AL[:, i])) for i in range(AL.shape[1])])""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "softmax": [
        fn("softmax(Z)", "raise NotImplementedError()"),
        fn("softmax(Z)", "return np.exp(Z) / np.exp(Z).sum()"),
        "del softmax\n",  # e.g. its cell was cut by a timeout
    ],
    "model_forward_softmax": [fn("model_forward_softmax(X, parameters)", "raise NotImplementedError()")],
}

_tests = define_tests("06_softmax", CASES, BROKEN_HELPERS)


def _routes(name: str) -> list[tuple[str, str]]:
    """The delegation routes of tests/hidden.py, with its "defining module" route made real here.

    The module ``dlcore.softmax`` shares its name with the function ``softmax`` that
    ``dlcore/__init__.py`` imports from it, so the package attribute ``dlcore.softmax`` is the
    function, and ``import dlcore.softmax as _impl`` binds that function: ``_impl.one_hot``
    raises AttributeError before any delegation happens. ``importlib.import_module`` reaches
    the module itself.
    """
    module = getattr(dlcore, name).__module__
    if sys.modules[module] is getattr(dlcore, module.rsplit(".", 1)[-1], None):
        return delegations(name)
    return [(label, code) if label != "defining module" else
            (label, f"import importlib\n_impl = importlib.import_module({module!r})\n\n"
                    f"def {name}(*args, **kwargs):\n    return _impl.{name}(*args, **kwargs)\n")
            for label, code in delegations(name)]


if "test_delegating_to_dlcore_fails_with_the_reason" in _tests:
    @pytest.mark.parametrize("name, code", [
        pytest.param(name, code, id=f"{name}-{label}") for name in CASES for label, code in _routes(name)])
    def test_delegating_to_dlcore_fails_with_the_reason(name, code):
        with pytest.raises(CheckFailure, match="dlcore's reference"):
            run_test_cell(name, code)

    _tests["test_delegating_to_dlcore_fails_with_the_reason"] = test_delegating_to_dlcore_fails_with_the_reason

globals().update(_tests)
