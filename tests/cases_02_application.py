"""Hidden-test cases of notebook 02's application exercise, ``predict``: (wrong answers, correct styles, broken helpers), run by tests/test_hidden_02.py; wrong answers fail, correct styles pass."""
from __future__ import annotations

from hidden import fn

_PREDICT = "predict(X, parameters)"

CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "predict": {
        "wrong": [
            (">= instead of >", fn(_PREDICT, """
                AL, _ = model_forward(X, parameters)
                return (AL >= 0.5).astype(int)""")),
            ("inverted", fn(_PREDICT, """
                AL, _ = model_forward(X, parameters)
                return (AL < 0.5).astype(int)""")),
            ("booleans, not ints", fn(_PREDICT, """
                AL, _ = model_forward(X, parameters)
                return AL > 0.5""")),
            ("the probabilities themselves", fn(_PREDICT, """
                AL, _ = model_forward(X, parameters)
                return AL""")),
            ("flattened to (m,)", fn(_PREDICT, """
                AL, _ = model_forward(X, parameters)
                return (AL > 0.5).astype(int).ravel()""")),
        ],
        "right": [
            ("np.where", fn(_PREDICT, """
                AL, caches = model_forward(X, parameters)
                return np.where(AL > 0.5, 1, 0)""")),
            ("loop over the examples", fn(_PREDICT, """
                AL = model_forward(X, parameters)[0]
                p = np.zeros((1, X.shape[1]), dtype=int)
                for i in range(X.shape[1]):
                    if AL[0, i] > 0.5:
                        p[0, i] = 1
                return p""")),
            ("multiply the mask by 1", fn(_PREDICT, "return (model_forward(X, parameters)[0] > 0.5) * 1")),
        ],
    },
}

BROKEN_HELPERS: dict[str, list[str]] = {
    "model_forward": [fn("model_forward(X, parameters)", "return None, []")],
}

