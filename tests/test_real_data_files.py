"""dlcore.data reads scikit-learn's bundled files without importing scikit-learn, and gets exactly what its loaders give."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
from sklearn import datasets

from dlcore import data


def test_digits_equal_scikit_learns_loader():
    X, Y = data.digits()
    bunch = datasets.load_digits()
    np.testing.assert_array_equal(X, bunch.data.T / 16.0)
    np.testing.assert_array_equal(Y[0], bunch.target)


def test_breast_cancer_equals_scikit_learns_loader_with_malignant_as_1():
    X, Y = data.breast_cancer()
    bunch = datasets.load_breast_cancer()
    np.testing.assert_array_equal(X, bunch.data.T)
    malignant = list(bunch.target_names).index("malignant")
    np.testing.assert_array_equal(Y[0], (bunch.target == malignant).astype(int))


def test_reading_them_does_not_import_scikit_learn():
    code = ("import sys; from dlcore import data; data.digits(); data.breast_cancer(); "
            "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
