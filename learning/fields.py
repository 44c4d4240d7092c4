"""Row ids and dates, checked once for every route and schema: values the database can hold.

Every id column is an INTEGER (PostgreSQL int4). A larger number in a path, a query or a body
used to reach the database driver and fail there with a 500 (an overflow in psycopg or SQLite);
now a path id out of range is simply not found (404), and a body or query id out of range is a
field error (422) before any query. The factory installs `IdConverter` as Flask's `int`, so
every `<int:...>` route uses it; schemas declare ids with `Id()`.
"""
from __future__ import annotations

from datetime import timezone

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # the largest INTEGER of PostgreSQL, and so of every id


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: 0 .. DB_INT_MAX, anything else does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class Id(fields.Integer):
    """A row id in a body or query: 1 .. DB_INT_MAX (documented as such in the OpenAPI document)."""

    def __init__(self, **kwargs):
        extra = kwargs.pop("validate", None)
        checks = [validate.Range(min=1, max=DB_INT_MAX)]
        if extra is not None:
            checks += list(extra) if isinstance(extra, (list, tuple)) else [extra]
        super().__init__(validate=checks, **kwargs)


EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # birth dates to far deadlines; year 1 or 9999 is a typo or an attack


def _check_year(value, field_name: str) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(f"A {field_name} between {EARLIEST_YEAR} and {LATEST_YEAR}.")


class Moment(fields.DateTime):
    """A date and time between 1900 and 2200 that converts to UTC (year 1 with an offset would overflow)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        _check_year(moment, "time")
        try:
            if moment.tzinfo is not None:
                moment.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            raise ValidationError("A time that can be converted to UTC.") from None
        return moment


class Day(fields.Date):
    """A calendar day between 1900 and 2200."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        _check_year(day, "date")
        return day


def db_int(raw) -> int:
    """A whole number from a page's form or query that an INTEGER column can hold.

    For `request.args.get(name, type=db_int)`: anything else raises ValueError, which Werkzeug
    turns into the default, as for a non-number.
    """
    value = int(raw)
    if not -DB_INT_MAX - 1 <= value <= DB_INT_MAX:
        raise ValueError(f"{value} is outside the database's INTEGER range")
    return value
