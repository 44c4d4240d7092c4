"""Periods for points and rankings: week, month, quarter, year, custom, in China-local days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from learning.errors import Invalid
from learning.timeutil import day_start_utc, local_day, utcnow

PERIOD_KINDS = ("week", "month", "quarter", "year", "custom")
MAX_CUSTOM_DAYS = 731


@dataclass(frozen=True)
class Period:
    """An inclusive range of local days, with a stable label used for cache keys."""

    kind: str
    first: date
    last: date

    @property
    def label(self) -> str:
        """A short stable name: w2026-47, m2026-11, q2026-4, y2026, c20260101-20260131."""
        if self.kind == "week":
            iso = self.first.isocalendar()
            return f"w{iso.year}-{iso.week:02d}"
        if self.kind == "month":
            return f"m{self.first.year}-{self.first.month:02d}"
        if self.kind == "quarter":
            return f"q{self.first.year}-{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"y{self.first.year}"
        return f"c{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    @property
    def start_utc(self) -> datetime:
        """The first instant of the period, UTC."""
        return day_start_utc(self.first)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period, UTC."""
        return day_start_utc(self.last + timedelta(days=1))

    def is_current(self, today: date | None = None) -> bool:
        """Whether today falls inside the period (its board is kept live)."""
        today = today or local_day(utcnow())
        return self.first <= today <= self.last


def period_containing(kind: str, day: date) -> Period:
    """The week, month, quarter or year that contains a day."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, nxt - timedelta(days=1))
    if kind == "quarter":
        month = 3 * ((day.month - 1) // 3) + 1
        first = date(day.year, month, 1)
        nxt = date(day.year + (month + 3 > 12), (month + 3 - 1) % 12 + 1, 1)
        return Period(kind, first, nxt - timedelta(days=1))
    if kind == "year":
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise Invalid(f"Unknown period {kind!r}.", {"period": [f"one of {', '.join(PERIOD_KINDS)}"]})


def resolve_period(kind: str | None = "week", anchor: date | None = None, first: date | None = None,
                   last: date | None = None) -> Period:
    """The period a request asks for; custom needs from and to, with from not after to."""
    kind = kind or "week"
    if kind not in PERIOD_KINDS:
        raise Invalid(f"Unknown period {kind!r}.", {"period": [f"one of {', '.join(PERIOD_KINDS)}"]})
    if first and last and first > last:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    if kind == "custom":
        if not first or not last:
            raise Invalid("A custom period needs 'from' and 'to'.", {"from": ["required"], "to": ["required"]})
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise Invalid("A custom period may span at most two years.", {"to": ["too_long"]})
        return Period("custom", first, last)
    return period_containing(kind, anchor or local_day(utcnow()))


def current_periods(day: date) -> list[Period]:
    """The live periods (week, month, quarter, year) that contain a day."""
    return [period_containing(kind, day) for kind in ("week", "month", "quarter", "year")]
