"""Tests of dlcore.strategy: split, metrics, bias/variance, error analysis, sampling, model choice."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcore.strategy import (
    bias_variance_report,
    confusion_matrix,
    error_analysis_ceiling,
    pick_model,
    precision_recall_f1,
    sample_beta,
    sample_log_uniform,
    train_dev_test_split,
)


def _global_state_equal(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def _indexed_data(m, n_x=3):
    """X row 0 and Y hold the column index, so every output column can be traced back."""
    X = np.vstack([np.arange(m, dtype=float)] + [np.arange(m) * 10.0 + r for r in range(1, n_x)])
    Y = np.arange(m).reshape(1, m) * 2 + 1
    return X, Y


# --- train_dev_test_split --------------------------------------------------------------

weights = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)).filter(lambda w: sum(w) > 0)


@settings(max_examples=80, deadline=None)
@given(m=st.integers(1, 120), w=weights, seed=st.integers(0, 2**32 - 1))
def test_split_property_every_column_once_pairs_kept_sizes_floor(m, w, seed):
    fractions = tuple(x / sum(w) for x in w)
    X, Y = _indexed_data(m)
    X0, Y0 = X.copy(), Y.copy()
    X_tr, Y_tr, X_dv, Y_dv, X_te, Y_te = train_dev_test_split(X, Y, fractions, np.random.default_rng(seed))
    n_dev, n_test = math.floor(fractions[1] * m), math.floor(fractions[2] * m)
    assert X_dv.shape == (3, n_dev) and X_te.shape == (3, n_test)
    assert X_tr.shape == (3, m - n_dev - n_test)
    assert (Y_tr.shape[1], Y_dv.shape[1], Y_te.shape[1]) == (X_tr.shape[1], n_dev, n_test)
    ids = np.concatenate([X_tr[0], X_dv[0], X_te[0]])
    assert sorted(ids.tolist()) == list(range(m))  # every column exactly once
    for Xs, Ys in ((X_tr, Y_tr), (X_dv, Y_dv), (X_te, Y_te)):
        np.testing.assert_array_equal(Ys[0], Xs[0] * 2 + 1)  # labels travel with their column
        np.testing.assert_array_equal(Xs[1], Xs[0] * 10 + 1)  # whole columns, not single entries
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
def test_split_one_dimensional_labels(m, seed):
    X, _ = _indexed_data(m)
    y = np.arange(m) + 100
    X_tr, y_tr, X_dv, y_dv, X_te, y_te = train_dev_test_split(X, y, (0.5, 0.25, 0.25), np.random.default_rng(seed))
    for Xs, ys in ((X_tr, y_tr), (X_dv, y_dv), (X_te, y_te)):
        assert ys.ndim == 1
        np.testing.assert_array_equal(ys, Xs[0] + 100)


def test_split_is_shuffled_deterministic_and_leaves_global_state_alone():
    X, Y = _indexed_data(100)
    state = np.random.get_state()
    a = train_dev_test_split(X, Y, (0.6, 0.2, 0.2), np.random.default_rng(3))
    b = train_dev_test_split(X, Y, (0.6, 0.2, 0.2), np.random.default_rng(3))
    c = train_dev_test_split(X, Y, (0.6, 0.2, 0.2), np.random.default_rng(4))
    assert _global_state_equal(state, np.random.get_state())
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(np.sort(a[0][0]), a[0][0])  # shuffled, not the original order
    assert a[1].dtype == Y.dtype  # integer labels stay integers


def test_split_outputs_are_copies():
    X, Y = _indexed_data(10)
    X_tr, Y_tr, *_ = train_dev_test_split(X, Y, (0.8, 0.1, 0.1), np.random.default_rng(0))
    X_tr[:] = -1
    Y_tr[:] = -1
    np.testing.assert_array_equal(X, _indexed_data(10)[0])
    np.testing.assert_array_equal(Y, _indexed_data(10)[1])


def test_split_sizes_example():
    X, Y = _indexed_data(10)
    shapes = [a.shape[1] for a in train_dev_test_split(X, Y, (0.6, 0.25, 0.15), np.random.default_rng(0))]
    assert shapes == [7, 7, 2, 2, 1, 1]  # floor(2.5) = 2 dev, floor(1.5) = 1 test, the rest (7) train


@pytest.mark.parametrize("fractions", [(0.5, 0.2, 0.2), (0.6, 0.4), (1.2, -0.1, -0.1), ("a", 0, 1), None])
def test_split_bad_fractions(fractions):
    X, Y = _indexed_data(10)
    with pytest.raises(ValueError, match="`fractions`"):
        train_dev_test_split(X, Y, fractions, np.random.default_rng(0))


def test_split_bad_arguments():
    X, Y = _indexed_data(10)
    with pytest.raises(ValueError, match=r"`Y`.*m = 10"):
        train_dev_test_split(X, Y[:, :9], (0.8, 0.1, 0.1), np.random.default_rng(0))
    with pytest.raises(ValueError, match="`X`"):
        train_dev_test_split(X[0], Y, (0.8, 0.1, 0.1), np.random.default_rng(0))
    with pytest.raises(ValueError, match="`rng`"):
        train_dev_test_split(X, Y, (0.8, 0.1, 0.1), 0)


# --- precision, recall, F1 -------------------------------------------------------------


def test_precision_recall_f1_hand_example():
    y_true = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    y_pred = np.array([1, 0, 1, 1, 0, 0, 0, 0])
    p, r, f1 = precision_recall_f1(y_true, y_pred)  # TP 2, FP 1, FN 2
    assert all(type(v) is float for v in (p, r, f1))
    assert (p, r) == (pytest.approx(2 / 3), pytest.approx(1 / 2))
    assert f1 == pytest.approx(4 / 7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=40))
def test_precision_recall_f1_match_counting(pairs):
    t = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    tp = sum(1 for a, b in pairs if a == 1 and b == 1)
    fp = sum(1 for a, b in pairs if a == 0 and b == 1)
    fn = sum(1 for a, b in pairs if a == 1 and b == 0)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    got = precision_recall_f1(t.reshape(1, -1), p)  # (1, m) and (m,) mix
    assert got == (pytest.approx(prec), pytest.approx(rec), pytest.approx(f1))


def test_precision_recall_zero_denominators():
    assert precision_recall_f1(np.array([1, 1, 0]), np.array([0, 0, 0])) == (0.0, 0.0, 0.0)  # nothing predicted
    assert precision_recall_f1(np.array([0, 0, 0]), np.array([1, 0, 0])) == (0.0, 0.0, 0.0)  # no positives
    assert precision_recall_f1(np.array([0, 0]), np.array([0, 0])) == (0.0, 0.0, 0.0)
    assert precision_recall_f1(np.array([1, 0]), np.array([1, 0])) == (1.0, 1.0, 1.0)


def test_precision_recall_bad_arguments():
    with pytest.raises(ValueError, match="`y_true` and `y_pred`"):
        precision_recall_f1(np.array([1, 0, 1]), np.array([1, 0]))
    with pytest.raises(ValueError, match="`y_pred`.*0 or 1"):
        precision_recall_f1(np.array([1, 0]), np.array([2, 0]))
    with pytest.raises(ValueError, match="`y_true`.*0 or 1"):
        precision_recall_f1(np.array([0.5, 0.0]), np.array([1, 0]))
    with pytest.raises(ValueError, match="`y_true`.*shape"):
        precision_recall_f1(np.ones((2, 2)), np.ones(4))
    with pytest.raises(ValueError, match="`y_true`.*empty"):
        precision_recall_f1(np.array([]), np.array([]))


# --- confusion matrix ------------------------------------------------------------------


def test_confusion_matrix_hand_example():
    M = confusion_matrix(np.array([0, 1, 1, 2, 2, 2]), np.array([0, 2, 1, 2, 0, 2]), 3)
    np.testing.assert_array_equal(M, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert M.dtype.kind == "i"


@pytest.mark.parametrize("C,m", [(1, 5), (2, 30), (4, 100), (7, 13)])
def test_confusion_matrix_matches_loop(C, m):
    rng = np.random.default_rng(C * 100 + m)
    t, p = rng.integers(0, C, m), rng.integers(0, C, m)
    expected = np.zeros((C, C), dtype=int)
    for a, b in zip(t, p):
        expected[a, b] += 1
    M = confusion_matrix(t, p.reshape(1, m), C)
    assert M.shape == (C, C)
    np.testing.assert_array_equal(M, expected)
    assert M.sum() == m and np.trace(M) == np.sum(t == p)


def test_confusion_matrix_agrees_with_precision_recall():
    rng = np.random.default_rng(6)
    t, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    M = confusion_matrix(t, p, 2)
    prec, rec, _ = precision_recall_f1(t, p)
    assert prec == pytest.approx(M[1, 1] / M[:, 1].sum())
    assert rec == pytest.approx(M[1, 1] / M[1, :].sum())


def test_confusion_matrix_bad_arguments():
    with pytest.raises(ValueError, match=r"`y_true`.*\[0, 3\)"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="`y_pred`"):
        confusion_matrix(np.array([0, 1]), np.array([0, -1]), 3)
    with pytest.raises(ValueError, match="`y_pred`.*integer"):
        confusion_matrix(np.array([0, 1]), np.array([0, 0.5]), 3)
    with pytest.raises(ValueError, match="`y_true` and `y_pred`"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)
    for bad in (0, 2.0, None):
        with pytest.raises(ValueError, match="`num_classes`"):
            confusion_matrix(np.array([0, 1]), np.array([0, 1]), bad)


# --- bias / variance -------------------------------------------------------------------


def test_bias_variance_worked_examples():
    r = bias_variance_report(1.0, 7.0, 10.0)
    assert r == {"avoidable_bias": pytest.approx(6.0), "variance": pytest.approx(3.0), "data_mismatch": None,
                 "focus": "avoidable_bias"}
    assert bias_variance_report(6.0, 7.0, 10.0)["focus"] == "variance"
    r = bias_variance_report(0.0, 1.0, 10.0, train_dev_error=9.0)
    assert (r["avoidable_bias"], r["variance"], r["data_mismatch"]) == pytest.approx((1.0, 8.0, 1.0))
    assert r["focus"] == "variance"
    r = bias_variance_report(0.0, 1.0, 10.0, train_dev_error=1.5)
    assert (r["avoidable_bias"], r["variance"], r["data_mismatch"]) == pytest.approx((1.0, 0.5, 8.5))
    assert r["focus"] == "data_mismatch"


def test_bias_variance_fractions_give_the_same_answers():
    assert bias_variance_report(0.01, 0.07, 0.10)["focus"] == "avoidable_bias"
    assert bias_variance_report(0.06, 0.07, 0.10)["focus"] == "variance"
    assert bias_variance_report(0.0, 0.01, 0.10, 0.09)["focus"] == "variance"
    assert bias_variance_report(0.0, 0.01, 0.10, 0.015)["focus"] == "data_mismatch"


def test_bias_variance_ties_go_to_avoidable_bias():
    assert bias_variance_report(1, 3, 5)["focus"] == "avoidable_bias"
    assert bias_variance_report(0.01, 0.03, 0.05)["focus"] == "avoidable_bias"  # equal up to rounding
    assert bias_variance_report(0, 2, 6, 4)["focus"] == "avoidable_bias"  # three-way tie
    assert bias_variance_report(0, 1, 5, 3)["focus"] == "variance"  # variance/mismatch tie


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=4, max_size=4))
def test_bias_variance_focus_is_the_largest_gap(errs):
    human, train, train_dev, dev = (e / 10 for e in errs)
    r = bias_variance_report(human, train, dev, train_dev)
    gaps = {k: r[k] for k in ("avoidable_bias", "variance", "data_mismatch")}
    assert set(r) == {"avoidable_bias", "variance", "data_mismatch", "focus"}
    assert r["avoidable_bias"] == pytest.approx(train - human)
    assert r["variance"] == pytest.approx(train_dev - train)
    assert r["data_mismatch"] == pytest.approx(dev - train_dev)
    assert gaps[r["focus"]] >= max(gaps.values()) - 1e-9


def test_bias_variance_bad_arguments():
    with pytest.raises(ValueError, match="`train_error`"):
        bias_variance_report(1.0, -7.0, 10.0)
    with pytest.raises(ValueError, match="`dev_error`"):
        bias_variance_report(1.0, 7.0, "ten")
    with pytest.raises(ValueError, match="`train_dev_error`"):
        bias_variance_report(1.0, 7.0, 10.0, float("nan"))


# --- error analysis --------------------------------------------------------------------


def test_error_analysis_ceiling_example():
    tags = ["dog", "blurry", "dog", "great cat", "dog", "blurry", "dog", "dog", "dog", "blurry"]
    ceiling = error_analysis_ceiling(tags, 0.10)
    assert ceiling == {"dog": pytest.approx(0.06), "blurry": pytest.approx(0.03), "great cat": pytest.approx(0.01)}
    assert list(ceiling) == ["dog", "blurry", "great cat"]  # largest first
    assert sum(ceiling.values()) == pytest.approx(0.10)
    assert all(type(v) is float for v in ceiling.values())


def test_error_analysis_ceiling_accepts_arrays_and_percent():
    ceiling = error_analysis_ceiling(np.array(["a", "b", "a", "a"]), 8.0)
    assert ceiling == {"a": pytest.approx(6.0), "b": pytest.approx(2.0)}
    assert all(type(k) is str for k in ceiling)
    assert error_analysis_ceiling(["x", "y"], 0.0) == {"x": 0.0, "y": 0.0}


def test_error_analysis_ceiling_bad_arguments():
    with pytest.raises(ValueError, match="`tags`"):
        error_analysis_ceiling([], 0.1)
    with pytest.raises(ValueError, match="`tags`"):
        error_analysis_ceiling("dog", 0.1)
    with pytest.raises(ValueError, match="`tags`"):
        error_analysis_ceiling([["dog"], ["cat"]], 0.1)
    with pytest.raises(ValueError, match="`error_rate`"):
        error_analysis_ceiling(["dog"], -0.1)


# --- hyperparameter sampling -----------------------------------------------------------


def test_sample_log_uniform_range_shape_and_scale():
    x = sample_log_uniform(1e-4, 1.0, 40_000, np.random.default_rng(0))
    assert x.shape == (40_000,) and x.dtype == np.float64
    assert x.min() >= 1e-4 and x.max() <= 1.0
    r = np.log10(x)
    # uniform on [-4, 0]: a quarter per decade (a plain uniform would put ~90% in the last one)
    shares = np.histogram(r, bins=[-4, -3, -2, -1, 0])[0] / x.size
    np.testing.assert_allclose(shares, 0.25, atol=0.015)
    assert r.mean() == pytest.approx(-2.0, abs=0.03)
    assert r.std() == pytest.approx(4 / math.sqrt(12), rel=0.02)
    assert sample_log_uniform(0.1, 10, (3, 2), np.random.default_rng(1)).shape == (3, 2)


@settings(max_examples=40, deadline=None)
@given(lo_exp=st.floats(-8, 2), width=st.floats(0.01, 6), seed=st.integers(0, 2**32 - 1))
def test_sample_log_uniform_stays_in_range(lo_exp, width, seed):
    low, high = 10.0**lo_exp, 10.0 ** (lo_exp + width)
    x = sample_log_uniform(low, high, 200, np.random.default_rng(seed))
    assert np.all((x >= low) & (x <= high))


def test_sample_beta_range_and_scale():
    b = sample_beta(0.9, 0.999, 40_000, np.random.default_rng(2))
    assert b.shape == (40_000,) and b.min() >= 0.9 and b.max() <= 0.999
    # 0.9 -> 0.99 and 0.99 -> 0.999 get the same share of draws
    assert np.mean(b < 0.99) == pytest.approx(0.5, abs=0.015)
    np.testing.assert_allclose(np.histogram(np.log10(1 - b), bins=4)[0] / b.size, 0.25, atol=0.015)
    c = sample_beta(0.0, 0.9, (10, 10), np.random.default_rng(3))
    assert c.shape == (10, 10) and c.min() >= 0.0 and c.max() <= 0.9


@pytest.mark.parametrize("sampler,args", [(sample_log_uniform, (1e-3, 1.0)), (sample_beta, (0.8, 0.99))])
def test_samplers_deterministic_and_global_state_untouched(sampler, args):
    state = np.random.get_state()
    a = sampler(*args, 50, np.random.default_rng(11))
    b = sampler(*args, 50, np.random.default_rng(11))
    c = sampler(*args, 50, np.random.default_rng(12))
    assert _global_state_equal(state, np.random.get_state())
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sampler_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="`low`"):
        sample_log_uniform(0.0, 1.0, 5, rng)
    with pytest.raises(ValueError, match="`high`"):
        sample_log_uniform(1.0, 0.1, 5, rng)
    with pytest.raises(ValueError, match="`size`"):
        sample_log_uniform(0.1, 1.0, -1, rng)
    with pytest.raises(ValueError, match="`size`"):
        sample_log_uniform(0.1, 1.0, 2.5, rng)
    with pytest.raises(ValueError, match="`rng`"):
        sample_log_uniform(0.1, 1.0, 5, None)
    with pytest.raises(ValueError, match="`high`.*< 1"):
        sample_beta(0.9, 1.0, 5, rng)
    with pytest.raises(ValueError, match="`low`"):
        sample_beta(-0.1, 0.9, 5, rng)
    with pytest.raises(ValueError, match="`high`"):
        sample_beta(0.99, 0.9, 5, rng)
    with pytest.raises(ValueError, match="`rng`"):
        sample_beta(0.9, 0.99, 5, np.random.RandomState(0))


# --- pick_model ------------------------------------------------------------------------

CANDIDATES = [
    {"name": "A", "accuracy": 0.90, "runtime_ms": 80},
    {"name": "B", "accuracy": 0.92, "runtime_ms": 95},
    {"name": "C", "accuracy": 0.95, "runtime_ms": 1500},
]


def test_pick_model_satisficing():
    assert pick_model(CANDIDATES, 100) == "B"
    assert pick_model(CANDIDATES, 90) == "A"
    assert pick_model(CANDIDATES, 1500) == "C"  # the limit itself is allowed
    assert pick_model(CANDIDATES, 50) is None
    assert pick_model([], 100) is None


def test_pick_model_ties_prefer_the_faster_model():
    tied = [{"name": "slow", "accuracy": 0.9, "runtime_ms": 90}, {"name": "fast", "accuracy": 0.9, "runtime_ms": 10}]
    assert pick_model(tied, 100) == "fast"


def test_pick_model_does_not_modify_candidates():
    cands = [dict(c) for c in CANDIDATES]
    pick_model(cands, 100)
    assert cands == CANDIDATES


def test_pick_model_bad_arguments():
    with pytest.raises(ValueError, match="`max_runtime_ms`"):
        pick_model(CANDIDATES, -1)
    with pytest.raises(ValueError, match=r"`candidates\[1\]`"):
        pick_model([CANDIDATES[0], {"name": "X", "accuracy": 0.5}], 100)
    with pytest.raises(ValueError, match="`candidates`"):
        pick_model({"name": "A", "accuracy": 0.9, "runtime_ms": 1}, 100)
