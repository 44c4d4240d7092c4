"""A report period: China-local calendar days, inclusive at both ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from learning.errors import Invalid
from learning.timeutil import day_start_utc, local_day, utcnow

MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """From and to (local days, inclusive) and the UTC bounds records are filtered by."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """UTC moment the first day begins."""
        return day_start_utc(self.start)

    @property
    def until(self) -> datetime:
        """UTC moment after the last day ends (exclusive)."""
        return day_start_utc(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        """Every day of the period in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def week_index(self, day: date) -> int:
        """Which week of the period (0-based, counted from the first day) a day falls in."""
        return (day - self.start).days // 7

    @property
    def weeks(self) -> int:
        """Number of (possibly partial) weeks in the period."""
        return (self.days + 6) // 7

    def label(self) -> str:
        """The period written as 2026-10-01 – 2026-10-31."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def make_period(start: date | None, end: date | None, today: date | None = None) -> Period:
    """A validated period; the default is the 30 days up to today."""
    today = today or local_day(utcnow())
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid("A report covers at most three years.", {"from": ["too_long"]})
    return Period(start, end)


def previous_month(today: date) -> Period:
    """The calendar month before the one `today` lies in (the monthly pack's period)."""
    first = today.replace(day=1)
    last = first - timedelta(days=1)
    return Period(last.replace(day=1), last)
