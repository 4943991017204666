"""What a failed check tells the student: expected vs received on tiny visible examples, no generic
remark that contradicts a known mistake's hint, an in-place message that names the argument."""
from __future__ import annotations

import numpy as np
import pytest

import dlcore
from dlcore.checks import CheckFailure
from dlcore.checks import backward as backward_checks
from dlcore.checks import forward as forward_checks
from dlcore.checks import softmax as softmax_checks


def failure(check, fn, hidden: bool = False) -> str:
    with pytest.raises(CheckFailure) as info:
        check(fn, hidden=hidden)
    return str(info.value)


def test_visible_check_shows_expected_and_received_on_a_tiny_example():
    def off_by_one(Z):
        return np.maximum(Z, 0.0) + 1.0

    message = failure(forward_checks.relu, off_by_one)
    assert "expected:" in message and "received:" in message


def test_hidden_check_never_shows_the_values():
    def off_by_one(Z):
        return np.maximum(Z, 0.0) + 1.0

    message = failure(forward_checks.relu, off_by_one, hidden=True)
    assert "expected:" not in message and "received:" not in message


def test_predict_classes_as_a_row_gets_the_hint_without_the_keepdims_remark():
    def keeps_a_row(X, parameters):
        AL, _ = dlcore.model_forward_softmax(X, parameters)
        return np.argmax(AL, axis=0, keepdims=True)

    message = failure(softmax_checks.predict_classes, keeps_a_row)
    assert "keepdims=True / reshape" not in message


def test_transposed_one_hot_is_not_told_about_a_matrix_product():
    def transposed(y, C):
        return dlcore.one_hot(y, C).T

    message = failure(softmax_checks.one_hot, transposed)
    assert "matrix product" not in message


def test_softmax_in_place_names_its_argument_not_an_update_rule():
    def in_place(Z):
        Z -= Z.max(axis=0, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=0, keepdims=True)
        return Z

    message = failure(softmax_checks.softmax, in_place)
    assert "modified its argument `Z` in place" in message
    assert "lr * dW" not in message


def test_update_parameters_in_place_names_parameters():
    def in_place(parameters, grads, learning_rate):
        for key in parameters:
            parameters[key] -= learning_rate * grads["d" + key]
        return parameters

    message = failure(backward_checks.update_parameters, in_place)
    assert "in place" in message
