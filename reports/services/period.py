"""Reports' rule for the period a report covers; the type itself is `learning.services.period.Period`.

A report without dates covers the 30 days up to today; it may cover at most three years.
"""
from __future__ import annotations

from datetime import date

from learning.services.period import Period, last_days

MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30


def make_period(start: date | None, end: date | None, today: date | None = None) -> Period:
    """A validated report period; the default is the 30 days up to today."""
    return last_days(start, end, days=DEFAULT_DAYS, today=today, max_days=MAX_DAYS,
                     too_long="A report covers at most three years.")
