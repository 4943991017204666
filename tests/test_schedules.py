"""Tests for dlcore.schedules: learning-rate decay schedules."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dlcore.schedules import exponential_decay, learning_rate_decay, schedule_lr_decay


def test_learning_rate_decay_hand_worked():
    assert learning_rate_decay(0.5, 0, 1.0) == 0.5
    assert learning_rate_decay(0.5, 2, 1.0) == pytest.approx(0.5 / 3, rel=1e-15)  # 0.5 / (1 + 1*2)
    assert learning_rate_decay(0.2, 10, 0.3) == pytest.approx(0.05, rel=1e-15)  # 0.2 / (1 + 3)
    assert learning_rate_decay(0.2, 10, 0.0) == 0.2


def test_schedule_lr_decay_hand_worked_staircase():
    # floor(epoch / 1000): 0 for 0..999, 1 for 1000..1999, 2 from 2000.
    assert schedule_lr_decay(0.5, 0, 1.0) == 0.5
    assert schedule_lr_decay(0.5, 999, 1.0) == 0.5
    assert schedule_lr_decay(0.5, 1000, 1.0) == 0.25
    assert schedule_lr_decay(0.5, 1999, 1.0) == 0.25
    assert schedule_lr_decay(0.5, 2500, 1.0) == pytest.approx(0.5 / 3, rel=1e-15)
    # Other interval: floor(25 / 10) = 2 -> 0.3 / (1 + 0.5 * 2) = 0.15
    assert schedule_lr_decay(0.3, 25, 0.5, time_interval=10) == pytest.approx(0.15, rel=1e-15)
    assert schedule_lr_decay(0.3, 9, 0.5, time_interval=10) == 0.3


def test_exponential_decay_hand_worked():
    assert exponential_decay(0.1, 0, 5.0) == 0.1
    assert exponential_decay(1.0, 2, math.log(2)) == pytest.approx(0.25, rel=1e-14)  # halves each epoch
    assert exponential_decay(0.4, 3, 0.1) == pytest.approx(0.4 * 0.7408182206817179, rel=1e-14)  # e^-0.3


def test_schedules_return_python_floats_and_accept_numpy_scalars():
    for value in (
        learning_rate_decay(np.float64(0.1), np.int64(3), np.float32(0.5)),
        schedule_lr_decay(0.1, np.int64(3000), 0.5, np.int64(1000)),
        exponential_decay(0.1, np.int64(3), 0.5),
    ):
        assert type(value) is float
    assert schedule_lr_decay(0.1, np.int64(3000), 0.5, np.int64(1000)) == pytest.approx(0.1 / 2.5)


@pytest.mark.parametrize(
    "schedule",
    [
        lambda e: learning_rate_decay(0.1, e, 0.7),
        lambda e: schedule_lr_decay(0.1, e, 0.7, time_interval=5),
        lambda e: exponential_decay(0.1, e, 0.05),
    ],
    ids=["inverse_time", "staircase", "exponential"],
)
def test_schedules_start_at_lr0_and_never_increase(schedule):
    rates = [schedule(e) for e in range(60)]
    assert rates[0] == 0.1
    assert all(b <= a for a, b in zip(rates, rates[1:]))
    assert rates[-1] < 0.1


def test_staircase_agrees_with_continuous_decay_at_interval_boundaries():
    for k in range(6):
        assert schedule_lr_decay(0.2, 100 * k, 0.4, time_interval=100) == pytest.approx(learning_rate_decay(0.2, k, 0.4))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: learning_rate_decay(-0.1, 1, 1.0), "learning_rate0"),
        (lambda: learning_rate_decay(0.1, -1, 1.0), "epoch_num"),
        (lambda: learning_rate_decay(0.1, 1, -1.0), "decay_rate"),
        (lambda: learning_rate_decay("a", 1, 1.0), "learning_rate0"),
        (lambda: schedule_lr_decay(0.1, 1, 1.0, time_interval=0), "time_interval"),
        (lambda: schedule_lr_decay(0.1, -5, 1.0), "epoch_num"),
        (lambda: schedule_lr_decay(0.1, 5, float("nan")), "decay_rate"),
        (lambda: exponential_decay(0.1, 1, -0.5), "`k`"),
        (lambda: exponential_decay(0.1, float("inf"), 0.5), "epoch_num"),
    ],
)
def test_bad_arguments_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()
