"""The one period type: an inclusive range of China-local calendar days, of a kind.

Points, rankings, reports, packs and evaluations all ask "which days?" the same way. A period is a
week, month, quarter or year (the calendar one containing a day) or a custom range; its UTC bounds
(`since`, `until`) are what records and ledger entries are filtered by, its `key` names it in cache
keys, its `label()` names it for people in the page's language.

Query parameters (`from_query`): `period` (week|month|quarter|year|custom), `date` (a day inside it,
default today), `from` and `to` (a custom range). Bad input raises `Invalid` (400 {"code","message"}).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from learning.errors import Invalid
from learning.timeutil import day_start_utc, local_day, utcnow

KINDS = ("week", "month", "quarter", "year", "custom")
CALENDAR_KINDS = KINDS[:-1]
MAX_CUSTOM_DAYS = 731  # two years, the default bound of a custom range


@dataclass(frozen=True)
class Period:
    """From `start` to `end` (local days, both inclusive); `kind` says how it was chosen."""

    start: date
    end: date
    kind: str = "custom"

    # --- bounds ---------------------------------------------------------------------------------
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

    def contains(self, day: date | datetime) -> bool:
        """Whether a local day (or an aware moment, taken in China time) lies in the period."""
        if isinstance(day, datetime):
            day = local_day(day)
        return self.start <= day <= self.end

    def is_current(self, today: date | None = None) -> bool:
        """Whether today falls inside the period (a live ranking board is kept for it)."""
        return self.contains(today or local_day(utcnow()))

    def previous(self) -> Period:
        """The period just before: the previous week/month/quarter/year, or as many days before a custom one."""
        if self.kind in CALENDAR_KINDS:
            return containing(self.kind, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), "custom")

    # --- names ----------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """A short stable name for cache keys: w2026-47, m2026-11, q2026-4, y2026, c20260101-20260131."""
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"w{iso.year}-{iso.week:02d}"
        if self.kind == "month":
            return f"m{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"q{self.start.year}-{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"y{self.start.year}"
        return f"c{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    def label(self, locale: str | None = None) -> str:
        """The period for people, in the page's language (CLDR): 2026年11月 / November 2026,
        2026年第4季度 / Q4 2026, 2026年 / 2026, 2026年第47周 / week 47 of 2026; a custom range
        as 2026-10-01 – 2026-10-31."""
        if self.kind not in CALENDAR_KINDS:
            return f"{self.start.isoformat()} – {self.end.isoformat()}"
        from babel.dates import format_skeleton

        locale = locale or _locale()
        if self.kind == "week":  # ISO weeks (Monday first), whatever the locale's own week rules
            iso = self.start.isocalendar()
            if locale.lower().startswith("zh"):
                return f"{iso.year}年第{iso.week}周"
            return f"week {iso.week} of {iso.year}"
        skeleton = {"month": "yMMMM", "quarter": "yQQQQ", "year": "y"}[self.kind]
        return format_skeleton(skeleton, self.start, locale=locale)

    def as_json(self) -> dict:
        """{"kind", "from", "to", "label"}: the period as the API writes it (label: the stable key)."""
        return {"kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.key}


def _locale() -> str:
    try:
        from flask_babel import get_locale

        found = get_locale()
    except Exception:  # outside an app or request context: the platform's language
        found = None
    return str(found) if found else "zh_Hans_CN"


# --- making periods ---------------------------------------------------------------------------------

def _unknown(kind) -> Invalid:
    return Invalid("Unknown period: use week, month, quarter, year or custom.",
                   {"period": [f"one of {', '.join(KINDS)}"]})


def containing(kind: str, day: date) -> Period:
    """The calendar week (Monday first), month, quarter or year that contains a day."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(first, first + timedelta(days=6), kind)
    if kind == "month":
        first = day.replace(day=1)
        return Period(first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1), kind)
    if kind == "quarter":
        month = 3 * ((day.month - 1) // 3) + 1
        first = date(day.year, month, 1)
        nxt = date(day.year + (month + 3 > 12), (month + 3 - 1) % 12 + 1, 1)
        return Period(first, nxt - timedelta(days=1), kind)
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), kind)
    raise _unknown(kind)


def custom(start: date | None, end: date | None, *, max_days: int = MAX_CUSTOM_DAYS,
           too_long: str = "A custom period may span at most two years.") -> Period:
    """A custom range; both ends needed, `start` not after `end`, at most `max_days` days."""
    if not start or not end:
        raise Invalid("A custom period needs 'from' and 'to'.", {"from": ["required"], "to": ["required"]})
    if start > end:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    if (end - start).days + 1 > max_days:
        raise Invalid(too_long, {"to": ["too_long"]})
    return Period(start, end, "custom")


def resolve(kind: str | None = "week", anchor: date | None = None, start: date | None = None,
            end: date | None = None, *, max_days: int = MAX_CUSTOM_DAYS) -> Period:
    """The period a request asks for: a calendar kind around `anchor` (default today), or a custom range."""
    kind = kind or "week"
    if kind not in KINDS:
        raise _unknown(kind)
    if start and end and start > end:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    if kind == "custom":
        return custom(start, end, max_days=max_days)
    return containing(kind, anchor or local_day(utcnow()))


def last_days(start: date | None, end: date | None, *, days: int = 30, today: date | None = None,
              max_days: int = MAX_CUSTOM_DAYS, too_long: str = "A custom period may span at most two years."
              ) -> Period:
    """A range with open ends filled in: `end` defaults to today, `start` to `days` days up to `end`."""
    end = end or today or local_day(utcnow())
    return custom(start or end - timedelta(days=days - 1), end, max_days=max_days, too_long=too_long)


def parse_day(value, name: str) -> date | None:
    """A YYYY-MM-DD query parameter as a day (None when absent); anything else is refused."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid("Dates are written like 2026-10-01.", {name: ["bad_date"]}) from None


def from_query(args: Mapping, default: str | None = "week", *, max_days: int = MAX_CUSTOM_DAYS) -> Period | None:
    """The period of query parameters `period`, `date`, `from`, `to` (strings or parsed days).

    Without `period`: `from` and `to` make a custom range; neither gives the `default` kind (None:
    no period, "all time"); one alone is refused.
    """
    start, end = parse_day(args.get("from"), "from"), parse_day(args.get("to"), "to")
    anchor = parse_day(args.get("date"), "date")
    kind = args.get("period") or (None if default is None and not (start or end) else default)
    if not args.get("period") and (start or end):
        kind = "custom"
    if kind is None:
        return None
    return resolve(kind, anchor, start, end, max_days=max_days)


def current_periods(day: date) -> list[Period]:
    """The live calendar periods (week, month, quarter, year) that contain a day."""
    return [containing(kind, day) for kind in CALENDAR_KINDS]


def previous_month(today: date) -> Period:
    """The calendar month before the one `today` lies in (the monthly pack's period)."""
    return containing("month", today).previous()
