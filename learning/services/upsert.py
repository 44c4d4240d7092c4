"""INSERT ... ON CONFLICT for the two dialects we run on (PostgreSQL and SQLite share the syntax)."""
from __future__ import annotations

from ..extensions import db


def dialect_insert(model):
    """A dialect INSERT on a model's table that supports ON CONFLICT DO NOTHING/UPDATE."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model.__table__)


def insert_ignore(model, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if a row was inserted."""
    return bool(db.session.execute(dialect_insert(model).values(**values).on_conflict_do_nothing()).rowcount)
