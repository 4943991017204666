"""Learning-rate schedules: the rate to use at a given epoch, as a Python float.

All three start from ``learning_rate0`` at epoch 0 and decrease with ``epoch_num``:

* :func:`learning_rate_decay`: ``lr0 / (1 + decay_rate * epoch_num)``
* :func:`schedule_lr_decay`: the same, but only every ``time_interval`` epochs (staircase)
* :func:`exponential_decay`: ``lr0 * exp(-k * epoch_num)``
"""
from __future__ import annotations

import math

from dlcore.validation import check_positive


def learning_rate_decay(learning_rate0: float, epoch_num: float, decay_rate: float) -> float:
    """Inverse-time decay ``learning_rate0 / (1 + decay_rate * epoch_num)``.

    learning_rate0 : >= 0.  epoch_num : >= 0.  decay_rate : >= 0.  Returns a float.

    >>> learning_rate_decay(0.5, 2, 1.0)  # 0.5 / 3
    0.16666666666666666
    """
    lr0 = check_positive(learning_rate0, "learning_rate0", allow_zero=True)
    epoch = check_positive(epoch_num, "epoch_num", allow_zero=True)
    rate = check_positive(decay_rate, "decay_rate", allow_zero=True)
    return float(lr0 / (1.0 + rate * epoch))


def schedule_lr_decay(
    learning_rate0: float, epoch_num: float, decay_rate: float, time_interval: float = 1000
) -> float:
    """Staircase decay ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``.

    The rate stays constant for ``time_interval`` epochs, then drops.
    learning_rate0, epoch_num, decay_rate : >= 0.  time_interval : > 0.  Returns a float.

    >>> schedule_lr_decay(0.5, 999, 1.0), schedule_lr_decay(0.5, 1000, 1.0)
    (0.5, 0.25)
    """
    lr0 = check_positive(learning_rate0, "learning_rate0", allow_zero=True)
    check_positive(epoch_num, "epoch_num", allow_zero=True)
    rate = check_positive(decay_rate, "decay_rate", allow_zero=True)
    check_positive(time_interval, "time_interval")
    # Floor division on the original numbers keeps integer epochs exact.
    steps = math.floor(epoch_num // time_interval)
    return float(lr0 / (1.0 + rate * steps))


def exponential_decay(learning_rate0: float, epoch_num: float, k: float) -> float:
    """Exponential decay ``learning_rate0 * exp(-k * epoch_num)``.

    learning_rate0, epoch_num, k : >= 0.  Returns a float.

    >>> exponential_decay(1.0, 2, math.log(2))  # halves every epoch
    0.25
    """
    lr0 = check_positive(learning_rate0, "learning_rate0", allow_zero=True)
    epoch = check_positive(epoch_num, "epoch_num", allow_zero=True)
    k = check_positive(k, "k", allow_zero=True)
    return float(lr0 * math.exp(-k * epoch))
