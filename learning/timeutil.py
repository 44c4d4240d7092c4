"""Time helpers: UTC in the database, Asia/Shanghai for people."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The server clock, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def local_day(moment: datetime) -> date:
    """The calendar day in China of an aware moment."""
    return as_utc(moment).astimezone(LOCAL_TZ).date()


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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
