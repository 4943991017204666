"""The real data sets (dlcore.data.digits, dlcore.data.breast_cancer) and cross-checks against scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics
from sklearn.preprocessing import StandardScaler

import dlcore
from dlcore import data


def test_digits_shapes_range_and_labels():
    X, Y = data.digits()
    assert X.shape == (64, 1797) and X.dtype == np.float64
    assert Y.shape == (1, 1797) and np.issubdtype(Y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    counts = np.bincount(Y.ravel())
    assert len(counts) == 10 and counts.min() >= 170 and counts.sum() == 1797
    # pixels are sixteenths: every value times 16 is a whole number
    assert np.array_equal(X * 16, np.round(X * 16))


def test_breast_cancer_shapes_and_one_means_malignant():
    X, Y = data.breast_cancer()
    assert X.shape == (30, 569) and X.dtype == np.float64
    assert Y.shape == (1, 569)
    assert set(np.unique(Y)) == {0, 1}
    assert int(Y.sum()) == 212 and int((Y == 0).sum()) == 357  # 212 malignant, 357 benign
    # unnormalised: the feature scales differ by orders of magnitude (area ~ 10^2-10^3, smoothness ~ 10^-1)
    scales = X.mean(axis=1)
    assert scales.max() / scales.min() > 1e3
    # malignant tumours are larger on average (mean radius is feature 0)
    assert X[0, Y[0] == 1].mean() > X[0, Y[0] == 0].mean()


@pytest.mark.parametrize("load", [data.digits, data.breast_cancer])
def test_each_call_returns_fresh_writable_copies(load):
    X1, Y1 = load()
    X1[:] = -1
    Y1[:] = -1
    X2, Y2 = load()
    assert X2.min() >= 0 and Y2.min() >= 0
    assert X2.flags.writeable and Y2.flags.writeable


@pytest.mark.parametrize("seed", range(5))
def test_precision_recall_f1_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(5, 60))
    y_true = rng.integers(0, 2, m)
    y_pred = rng.integers(0, 2, m)
    if seed == 0:
        y_pred[:] = 0  # no positive prediction: precision's denominator is 0, defined as 0.0 by both
    p, r, f1 = dlcore.precision_recall_f1(y_true, y_pred)
    assert p == pytest.approx(metrics.precision_score(y_true, y_pred, zero_division=0.0))
    assert r == pytest.approx(metrics.recall_score(y_true, y_pred, zero_division=0.0))
    assert f1 == pytest.approx(metrics.f1_score(y_true, y_pred, zero_division=0.0))


@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    C = int(rng.integers(2, 7))
    y_true = rng.integers(0, C, 80)
    y_pred = rng.integers(0, C, 80)
    expected = metrics.confusion_matrix(y_true, y_pred, labels=list(range(C)))
    assert np.array_equal(dlcore.confusion_matrix(y_true, y_pred, C), expected)


def test_normalize_inputs_agrees_with_standard_scaler_on_real_data():
    X, _ = data.breast_cancer()
    X_train, X_test = X[:, :400], X[:, 400:]
    train_n, test_n = dlcore.normalize_inputs(X_train, X_test)
    scaler = StandardScaler().fit(X_train.T)
    np.testing.assert_allclose(train_n, scaler.transform(X_train.T).T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(test_n, scaler.transform(X_test.T).T, rtol=1e-10, atol=1e-12)


def test_normalize_inputs_constant_feature_matches_standard_scaler_zero():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 30))
    X[2] = 7.0
    train_n, other_n = dlcore.normalize_inputs(X[:, :20], X[:, 20:])
    scaler = StandardScaler().fit(X[:, :20].T)  # scikit-learn also maps a constant feature to 0
    np.testing.assert_allclose(train_n, scaler.transform(X[:, :20].T).T, atol=1e-12)
    np.testing.assert_allclose(other_n, scaler.transform(X[:, 20:].T).T, atol=1e-12)
    assert np.all(np.isfinite(other_n))
