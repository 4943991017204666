"""Hidden tests of notebook 07 (ML strategy): wrong answers fail, correct styles pass."""
from __future__ import annotations

from hidden import define_tests, fn

SPLIT = "train_dev_test_split(X, Y, fractions, rng)"
PRF = "precision_recall_f1(y_true, y_pred)"
CONF = "confusion_matrix(y_true, y_pred, num_classes)"
BV = "bias_variance_report(human_error, train_error, dev_error, train_dev_error=None)"
CEIL = "error_analysis_ceiling(tags, error_rate)"
LOGU = "sample_log_uniform(low, high, size, rng)"
BETA = "sample_beta(low, high, size, rng)"
PICK = "pick_model(candidates, max_runtime_ms)"

_CUT = """
                train, dev, test = perm[:n_train], perm[n_train:n_train + n_dev], perm[n_train + n_dev:]
                return X[:, train], Y[:, train], X[:, dev], Y[:, dev], X[:, test], Y[:, test]"""

# exercise -> {"wrong": [(why, code)], "right": [(style, code)]}
CASES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "train_dev_test_split": {
        "wrong": [
            ("no shuffle", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                n_train = m - n_dev - n_test
                perm = np.arange(m)""" + _CUT)),
            ("separate permutations for X and Y", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                n_train = m - n_dev - n_test
                px, py = rng.permutation(m), rng.permutation(m)
                cut = lambda A, p: (A[:, p[:n_train]], A[:, p[n_train:n_train + n_dev]], A[:, p[n_train + n_dev:]])
                (a, b, c), (d, e, f) = cut(X, px), cut(Y, py)
                return a, d, b, e, c, f""")),
            ("floor of the training share, test gets the rest", fn(SPLIT, """
                m = X.shape[1]
                n_train, n_dev = math.floor(fractions[0] * m), math.floor(fractions[1] * m)
                perm = rng.permutation(m)""" + _CUT)),
            ("rounds instead of floor", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = round(fractions[1] * m), round(fractions[2] * m)
                n_train = m - n_dev - n_test
                perm = rng.permutation(m)""" + _CUT)),
            ("perm[-n_test:] with n_test = 0", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                perm = rng.permutation(m)
                train, dev, test = perm[:m - n_dev - n_test], perm[m - n_dev - n_test:m - n_test], perm[-n_test:]
                return X[:, train], Y[:, train], X[:, dev], Y[:, dev], X[:, test], Y[:, test]""")),
            ("global np.random", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                n_train = m - n_dev - n_test
                perm = np.random.permutation(m)""" + _CUT)),
            ("draws with replacement", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                n_train = m - n_dev - n_test
                perm = rng.integers(0, m, size=m)""" + _CUT)),
            ("rotation instead of a shuffle", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                n_train = m - n_dev - n_test
                perm = np.roll(np.arange(m), int(rng.integers(m)))""" + _CUT)),
        ],
        "right": [
            ("rng.shuffle of an index array, int()", fn(SPLIT, """
                m = X.shape[1]
                idx = np.arange(m)
                rng.shuffle(idx)
                n_dev, n_test = int(fractions[1] * m), int(fractions[2] * m)
                dev, test, train = idx[:n_dev], idx[n_dev:n_dev + n_test], idx[n_dev + n_test:]
                return X[:, train], Y[:, train], X[:, dev], Y[:, dev], X[:, test], Y[:, test]""")),
            ("np.split of shuffled copies", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = int(np.floor(fractions[1] * m)), int(np.floor(fractions[2] * m))
                perm = rng.permutation(m)
                Xs, Ys = X[:, perm], Y[:, perm]
                cuts = [m - n_dev - n_test, m - n_test]
                Xtr, Xd, Xte = np.split(Xs, cuts, axis=1)
                Ytr, Yd, Yte = np.split(Ys, cuts, axis=1)
                return Xtr, Ytr, Xd, Yd, Xte, Yte""")),
            ("choice without replacement, sets in original order", fn(SPLIT, """
                m = X.shape[1]
                n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
                held = rng.choice(m, size=n_dev + n_test, replace=False)
                dev, test = np.sort(held[:n_dev]), np.sort(held[n_dev:])
                train = np.setdiff1d(np.arange(m), held)
                return X[:, train], Y[:, train], X[:, dev], Y[:, dev], X[:, test], Y[:, test]""")),
        ],
    },
    "precision_recall_f1": {
        "wrong": [
            ("precision and recall swapped", fn(PRF, """
                t, p = np.ravel(y_true) == 1, np.ravel(y_pred) == 1
                tp, fp, fn = np.sum(t & p), np.sum(~t & p), np.sum(t & ~p)
                precision = float(tp / (tp + fn)) if tp + fn else 0.0
                recall = float(tp / (tp + fp)) if tp + fp else 0.0
                f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
                return precision, recall, f1""")),
            ("F1 as the arithmetic mean", fn(PRF, """
                t, p = np.ravel(y_true) == 1, np.ravel(y_pred) == 1
                tp, fp, fn = np.sum(t & p), np.sum(~t & p), np.sum(t & ~p)
                precision = float(tp / (tp + fp)) if tp + fp else 0.0
                recall = float(tp / (tp + fn)) if tp + fn else 0.0
                return precision, recall, (precision + recall) / 2""")),
            ("no guard against 0/0", fn(PRF, """
                t, p = np.ravel(y_true) == 1, np.ravel(y_pred) == 1
                tp, fp, fn = np.sum(t & p), np.sum(~t & p), np.sum(t & ~p)
                precision, recall = float(tp / (tp + fp)), float(tp / (tp + fn))
                return precision, recall, 2 * precision * recall / (precision + recall)""")),
            ("accuracy instead of precision", fn(PRF, """
                t, p = np.ravel(y_true) == 1, np.ravel(y_pred) == 1
                tp, fn = np.sum(t & p), np.sum(t & ~p)
                precision = float(np.mean(t == p))
                recall = float(tp / (tp + fn)) if tp + fn else 0.0
                f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
                return precision, recall, f1""")),
            ("(1, m) labels: returns arrays", fn(PRF, """
                tp = y_true @ np.transpose(y_pred) if np.ndim(y_true) == 2 else np.sum(y_true * y_pred)
                fp = np.sum((1 - np.ravel(y_true)) * np.ravel(y_pred))
                fn = np.sum(np.ravel(y_true) * (1 - np.ravel(y_pred)))
                precision = tp / (tp + fp) if tp + fp else 0.0
                recall = tp / (tp + fn) if tp + fn else 0.0
                f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
                return precision, recall, f1""")),
        ],
        "right": [
            ("count_nonzero and F1 from counts", fn(PRF, """
                t, p = np.ravel(y_true).astype(bool), np.ravel(y_pred).astype(bool)
                tp = np.count_nonzero(t & p)
                fp = np.count_nonzero(p) - tp
                fn = np.count_nonzero(t) - tp
                precision = tp / (tp + fp) if tp + fp else 0.0
                recall = tp / (tp + fn) if tp + fn else 0.0
                f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
                return float(precision), float(recall), float(f1)""")),
            ("python loop", fn(PRF, """
                tp = fp = fn = 0
                for t, p in zip(np.ravel(y_true).tolist(), np.ravel(y_pred).tolist()):
                    tp += t == 1 and p == 1
                    fp += t == 0 and p == 1
                    fn += t == 1 and p == 0
                precision = tp / (tp + fp) if tp + fp > 0 else 0.0
                recall = tp / (tp + fn) if tp + fn > 0 else 0.0
                f1 = 2 / (1 / precision + 1 / recall) if precision > 0 and recall > 0 else 0.0
                return precision, recall, f1""")),
        ],
    },
    "confusion_matrix": {
        "wrong": [
            ("transposed", fn(CONF, """
                M = np.zeros((num_classes, num_classes), dtype=int)
                for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
                    M[p, t] += 1
                return M""")),
            ("fancy-index += 1 does not accumulate", fn(CONF, """
                M = np.zeros((num_classes, num_classes), dtype=int)
                M[np.ravel(y_true), np.ravel(y_pred)] += 1
                return M""")),
            ("size from the data", fn(CONF, """
                C = int(max(np.max(y_true), np.max(y_pred))) + 1
                M = np.zeros((C, C), dtype=int)
                np.add.at(M, (np.ravel(y_true), np.ravel(y_pred)), 1)
                return M""")),
            ("float counts", fn(CONF, """
                M = np.zeros((num_classes, num_classes))
                for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
                    M[t, p] += 1
                return M""")),
        ],
        "right": [
            ("np.add.at", fn(CONF, """
                M = np.zeros((num_classes, num_classes), dtype=np.int64)
                np.add.at(M, (np.ravel(y_true), np.ravel(y_pred)), 1)
                return M""")),
            ("bincount", fn(CONF, """
                t, p = np.ravel(y_true).astype(int), np.ravel(y_pred).astype(int)
                return np.bincount(t * num_classes + p, minlength=num_classes ** 2).reshape(num_classes, num_classes)""")),
            ("one-hot product", fn(CONF, """
                classes = np.arange(num_classes)
                T = (np.ravel(y_true)[:, None] == classes).astype(int)
                P = (np.ravel(y_pred)[:, None] == classes).astype(int)
                return T.T @ P""")),
        ],
    },
    "bias_variance_report": {
        "wrong": [
            ("variance from the dev error despite a train-dev set", fn(BV, """
                r = {"avoidable_bias": train_error - human_error, "variance": dev_error - train_error,
                     "data_mismatch": None if train_dev_error is None else dev_error - train_dev_error}
                gaps = {k: v for k, v in r.items() if v is not None}
                r["focus"] = max(gaps, key=gaps.get)
                return r""")),
            ("ties go to the last gap", fn(BV, """
                r = {"avoidable_bias": train_error - human_error}
                if train_dev_error is None:
                    r["variance"], r["data_mismatch"] = dev_error - train_error, None
                else:
                    r["variance"], r["data_mismatch"] = train_dev_error - train_error, dev_error - train_dev_error
                focus = None
                for k in ("avoidable_bias", "variance", "data_mismatch"):
                    if r[k] is not None and (focus is None or r[k] >= r[focus]):
                        focus = k
                r["focus"] = focus
                return r""")),
            ("0 instead of None", fn(BV, """
                r = {"avoidable_bias": train_error - human_error}
                if train_dev_error is None:
                    r["variance"], r["data_mismatch"] = dev_error - train_error, 0.0
                else:
                    r["variance"], r["data_mismatch"] = train_dev_error - train_error, dev_error - train_dev_error
                r["focus"] = max(r, key=r.get)
                return r""")),
            ("focus on the smallest gap", fn(BV, """
                r = {"avoidable_bias": train_error - human_error}
                if train_dev_error is None:
                    r["variance"], r["data_mismatch"] = dev_error - train_error, None
                else:
                    r["variance"], r["data_mismatch"] = train_dev_error - train_error, dev_error - train_dev_error
                gaps = {k: v for k, v in r.items() if v is not None}
                r["focus"] = min(gaps, key=gaps.get)
                return r""")),
            ("data mismatch measured from the training error", fn(BV, """
                r = {"avoidable_bias": train_error - human_error}
                if train_dev_error is None:
                    r["variance"], r["data_mismatch"] = dev_error - train_error, None
                else:
                    r["variance"], r["data_mismatch"] = train_dev_error - train_error, dev_error - train_error
                gaps = {k: v for k, v in r.items() if v is not None}
                r["focus"] = max(gaps, key=gaps.get)
                return r""")),
        ],
        "right": [
            ("if chain with strict comparisons", fn(BV, """
                bias = train_error - human_error
                if train_dev_error is None:
                    variance, mismatch = dev_error - train_error, None
                else:
                    variance, mismatch = train_dev_error - train_error, dev_error - train_dev_error
                focus = "avoidable_bias"
                if variance > bias:
                    focus = "variance"
                if mismatch is not None and mismatch > max(bias, variance):
                    focus = "data_mismatch"
                return {"avoidable_bias": bias, "variance": variance, "data_mismatch": mismatch, "focus": focus}""")),
            ("stable sort", fn(BV, """
                gaps = [("avoidable_bias", train_error - human_error)]
                if train_dev_error is None:
                    gaps.append(("variance", dev_error - train_error))
                    report = {"data_mismatch": None}
                else:
                    gaps += [("variance", train_dev_error - train_error), ("data_mismatch", dev_error - train_dev_error)]
                    report = {}
                report.update(gaps)
                report["focus"] = sorted(gaps, key=lambda kv: kv[1], reverse=True)[0][0]
                return report""")),
        ],
    },
    "error_analysis_ceiling": {
        "wrong": [
            ("share only", fn(CEIL, """
                return {t: tags.count(t) / len(tags) for t in set(tags)}""")),
            ("count times the error rate", fn(CEIL, """
                return {t: float(tags.count(t)) * error_rate for t in set(tags)}""")),
            ("divides by the number of categories", fn(CEIL, """
                cats = set(tags)
                return {t: error_rate * tags.count(t) / len(cats) for t in cats}""")),
            ("the error that remains", fn(CEIL, """
                return {t: error_rate - error_rate * tags.count(t) / len(tags) for t in set(tags)}""")),
        ],
        "right": [
            ("Counter", "from collections import Counter\n" + fn(CEIL, """
                n = len(tags)
                return {t: error_rate * c / n for t, c in Counter(tags).most_common()}""")),
            ("np.unique", fn(CEIL, """
                cats, counts = np.unique(np.array(tags), return_counts=True)
                shares = counts / counts.sum()
                return dict(zip(cats, error_rate * shares))""")),
        ],
    },
    "sample_log_uniform": {
        "wrong": [
            ("uniform on the linear scale", fn(LOGU, "return rng.uniform(low, high, size=size)")),
            ("np.exp undoing np.log10", fn(LOGU, "return np.exp(rng.uniform(np.log10(low), np.log10(high), size=size))")),
            ("returns the exponent", fn(LOGU, "return rng.uniform(np.log10(low), np.log10(high), size=size)")),
            ("global np.random", fn(LOGU, "return 10 ** np.random.uniform(np.log10(low), np.log10(high), size=size)")),
            ("size tuple flattened", fn(LOGU, """
                n = int(np.prod(size))
                return 10 ** rng.uniform(np.log10(low), np.log10(high), size=n)""")),
            ("draws only once", fn(LOGU, "return np.full(size, 10 ** rng.uniform(np.log10(low), np.log10(high)))")),
        ],
        "right": [
            ("natural logs", fn(LOGU, "return np.exp(rng.uniform(np.log(low), np.log(high), size=size))")),
            ("power of the ratio", fn(LOGU, "return low * (high / low) ** rng.random(size)")),
            ("np.power with rng.random", fn(LOGU, """
                a, b = np.log10(low), np.log10(high)
                return np.power(10.0, a + (b - a) * rng.random(size=size))""")),
        ],
    },
    "sample_beta": {
        "wrong": [
            ("log-uniform beta", fn(BETA, "return sample_log_uniform(low, high, size, rng)")),
            ("uniform beta", fn(BETA, "return rng.uniform(low, high, size=size)")),
            ("1 - log-uniform of the end points", fn(BETA, "return 1 - sample_log_uniform(low, high, size, rng)")),
            ("end points swapped", fn(BETA, "return 1 - sample_log_uniform(1 - low, 1 - high, size, rng)")),
            ("global np.random", fn(BETA, """
                r = np.random.uniform(np.log10(1 - high), np.log10(1 - low), size=size)
                return 1 - 10 ** r""")),
        ],
        "right": [
            ("formula without the helper", fn(BETA, """
                r = rng.uniform(np.log10(1 - high), np.log10(1 - low), size=size)
                return 1 - 10.0 ** r""")),
            ("scaled rng.random, natural logs", fn(BETA, """
                a, b = np.log(1 - high), np.log(1 - low)
                return 1 - np.exp(a + (b - a) * rng.random(size))""")),
        ],
    },
    "pick_model": {
        "wrong": [
            ("ignores the runtime limit", fn(PICK, """
                return max(candidates, key=lambda c: c["accuracy"])["name"] if candidates else None""")),
            ("strict <", fn(PICK, """
                ok = [c for c in candidates if c["runtime_ms"] < max_runtime_ms]
                return max(ok, key=lambda c: c["accuracy"])["name"] if ok else None""")),
            ("picks the fastest", fn(PICK, """
                ok = [c for c in candidates if c["runtime_ms"] <= max_runtime_ms]
                return min(ok, key=lambda c: c["runtime_ms"])["name"] if ok else None""")),
            ("sorts the caller's list", fn(PICK, """
                candidates.sort(key=lambda c: -c["accuracy"])
                for c in candidates:
                    if c["runtime_ms"] <= max_runtime_ms:
                        return c["name"]
                return None""")),
            ("returns the dict", fn(PICK, """
                ok = [c for c in candidates if c["runtime_ms"] <= max_runtime_ms]
                return max(ok, key=lambda c: c["accuracy"]) if ok else None""")),
        ],
        "right": [
            ("filter then max", fn(PICK, """
                ok = [c for c in candidates if c["runtime_ms"] <= max_runtime_ms]
                return max(ok, key=lambda c: c["accuracy"])["name"] if ok else None""")),
            ("sorted copy", fn(PICK, """
                for c in sorted(candidates, key=lambda c: c["accuracy"], reverse=True):
                    if c["runtime_ms"] <= max_runtime_ms:
                        return c["name"]
                return None""")),
        ],
    },
}

# graded helper -> code that breaks it: every exercise that may call the helper (its MANIFEST) must still pass
BROKEN_HELPERS: dict[str, list[str]] = {
    "sample_log_uniform": [
        fn(LOGU, "raise NotImplementedError()"),
        fn(LOGU, "return rng.uniform(low, high, size=size)"),
        "del sample_log_uniform\n",
    ],
}

globals().update(define_tests("07_ml_strategy", CASES, BROKEN_HELPERS))
