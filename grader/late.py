"""Late penalty for nbgrader: a share of the notebook's score per started day late.

Configured by ``python -m grader init --late-penalty 0.1`` (10 % per day); nbgrader's own
``zero`` and ``none`` methods are used as they are.
"""
from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class PenaltyPerDay(LateSubmissionPlugin):
    """Lose ``per_day`` of the notebook's score for every started day (24 h) after the due date."""

    per_day = Float(0.1, help="Share of the notebook's score lost per started day late (0-1).").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return min(score, round(score * self.per_day * days, 6))
