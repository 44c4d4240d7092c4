"""Time helpers: UTC in the database, Asia/Shanghai for people."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


_PINNED: ContextVar[datetime | None] = ContextVar("pinned_utcnow", default=None)


def utcnow() -> datetime:
    """The server clock, timezone-aware UTC (the pinned moment inside `clock_pinned_at`)."""
    pinned = _PINNED.get()
    return pinned if pinned is not None else datetime.now(timezone.utc)


@contextmanager
def clock_pinned_at(moment: datetime | None = None) -> Iterator[datetime]:
    """Within the block every `utcnow()` (and so every "today") reads one moment, default the moment it
    starts. A long job that must see one day throughout (`flask seed-demo`, which may run across China
    midnight, 16:00 UTC) runs inside it; nothing else does."""
    moment = as_utc(moment) if moment is not None else utcnow()
    token = _PINNED.set(moment)
    try:
        yield moment
    finally:
        _PINNED.reset(token)


def local_day(moment: datetime) -> date:
    """The calendar day in China of an aware moment."""
    return as_utc(moment).astimezone(LOCAL_TZ).date()


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_moment(value) -> datetime | None:
    """An ISO 8601 moment stored as text (e.g. in a record's result) as UTC; None when empty or not one."""
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def day_start_utc(day: date) -> datetime:
    """Midnight in China of a calendar day, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)
