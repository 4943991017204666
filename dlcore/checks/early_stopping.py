"""Checks of notebook 03, part 4: early stopping (the stop and best epochs of a dev-cost curve)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import dlcore
from dlcore.checks.core import CheckFailure, Exercise, Mistake, kind, manifest, random_rng, with_hint

#: The exercises of this module, in notebook order: name -> the graded functions it may call.
MANIFEST = manifest({
    "early_stopping": (),
})


# --- 5. early stopping ---------------------------------------------------------------------
def _early_stopping_mistakes() -> list[Mistake]:
    def rule(costs, patience, better, wait, last):
        best = 0
        for e in range(1, len(costs)):
            if better(costs[e], costs[best]):
                best = e
            elif wait(e - best, patience):
                return e, best
        return last(costs), best

    strict, ge = (lambda a, b: a < b), (lambda gap, p: gap >= p)
    return [
        Mistake(lambda c, p: rule(c, p, lambda a, b: a <= b, ge, lambda c: len(c) - 1),
                "on ties keep the first lowest cost: only a strictly lower cost (<) is an improvement."),
        Mistake(lambda c, p: rule(c, p, strict, lambda gap, p: gap > p, lambda c: len(c) - 1),
                "stop at the first epoch e with e - best_epoch >= patience (not >)."),
        Mistake(lambda c, p: rule(c, p, strict, ge, lambda c: len(c)),
                "when training never stops early, stop_epoch is the last epoch, len(dev_costs) - 1."),
        Mistake(lambda c, p: (rule(c, p, strict, ge, lambda c: len(c) - 1)[0], int(np.argmin(c))),
                "best_epoch is the best epoch *so far*, up to the stop epoch, not over the whole list."),
    ]


def _epochs_of(ex: Exercise, got: Any) -> tuple[int, int]:
    """``got`` as (stop_epoch, best_epoch), or fail if it is not a pair of ints."""
    __tracebackhide__ = True
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure(f"`{ex.name}` must return the tuple (stop_epoch, best_epoch); got {kind(got)}.")
    for value, name in zip(got, ("stop_epoch", "best_epoch")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise CheckFailure(f"`{ex.name}`: {name} must be an int (an epoch index); got {type(value).__name__}.")
    return int(got[0]), int(got[1])


def _judge_epochs(ex: Exercise, cases: list[tuple[tuple, tuple[int, int], str]]) -> None:
    """Run every case ``(args, expected, description)``; on a failure, name the known mistake that
    gives the student's answers on *all* cases (one case alone often fits several)."""
    __tracebackhide__ = True
    answers = [_epochs_of(ex, ex.call(*args)) for args, _, _ in cases]
    wrong = [i for i, (got, (_, want, _)) in enumerate(zip(answers, cases)) if got != tuple(want)]
    if not wrong:
        return
    hint = None
    for mistake in ex.mistakes:
        try:
            if all(tuple(int(v) for v in ex.trusted_value(mistake.compute, args)) == got
                   for got, (args, _, _) in zip(answers, cases)):
                hint = mistake.hint
                break
        except Exception:
            continue
    i = wrong[0]
    message = (f"`{ex.name}`: {cases[i][2]}: returned (stop_epoch, best_epoch) = {answers[i]}, expected "
               f"{tuple(cases[i][1])}.")
    raise CheckFailure(with_hint(message, hint))


def _cost_curve(rng: np.random.Generator) -> list[float]:
    """A dev-cost curve: falls, then rises, with noise; rounded so that ties happen."""
    E = int(rng.integers(1, 41))
    t = np.arange(E)
    turn = rng.uniform(0, E)
    curve = 1.0 + 0.02 * (t - turn) ** 2 / max(E, 1) + rng.normal(0, float(rng.choice([0.01, 0.05, 0.2])), E)
    return [float(v) for v in np.round(curve, 1)]


def early_stopping(student: Callable, hidden: bool = False) -> None:
    """Check ``(stop_epoch, best_epoch)``: strict improvements, the patience rule, never-stopping runs."""
    __tracebackhide__ = True
    ex = Exercise("early_stopping", student, dlcore.early_stopping, hidden=hidden, mistakes=_early_stopping_mistakes())
    if not hidden:
        cases = [
            ([3.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.5], 3, (5, 2), "the example of the text"),
            ([2.0, 1.0, 1.0, 1.0, 1.0], 2, (3, 1), "a tie with the best cost (not an improvement)"),
            ([5.0, 4.0, 3.0, 2.0], 2, (3, 3), "a cost that keeps falling (training never stops early)"),
            ([1.0, 2.0], 1, (1, 0), "patience 1"),
            ([0.7], 5, (0, 0), "a single epoch"),
        ]
        _judge_epochs(ex, [((costs, patience), want, f"early_stopping({costs}, patience={patience}), {what}")
                           for costs, patience, want, what in cases])
    else:
        rng = random_rng()
        cases = []
        for i in range(30):
            costs, patience = _cost_curve(rng), int(rng.integers(1, 9))
            arg = np.array(costs) if i % 3 == 0 else costs
            cases.append(((arg, patience), dlcore.early_stopping(costs, patience), "on a hidden sequence of dev costs"))
        _judge_epochs(ex, cases)
    ex.done()
