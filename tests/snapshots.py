"""Database states built once per session and copied into each test that starts from them.

An expensive starting state (a simulated learning history, a seeded demo) is built by running its
builder on empty tables in the first test that asks for it; its rows are then copied inside the
database server (SQLite: an attached file; PostgreSQL: a schema of its own), and every later test
that asks for the same state gets those rows copied back into its empty tables, with the same ids.
The test still starts from exactly the state it asserts on, and still ends with empty tables
(tests/conftest.py empties them after every test).

Only database rows are kept: a builder returns plain data (ids, numbers), never ORM objects, and
must not leave files or Redis keys that later tests rely on.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import text


class Snapshots:
    """`restore(name, build)`: build on first use, restore afterwards; returns what `build` returned."""

    def __init__(self, db, directory: Path, owner_engine: Callable[[], Any] | None = None):
        self.db = db
        self.directory = directory
        #: PostgreSQL: the copies are made by the database's owner (the app's role may not create a schema,
        #: nor write the ledger's rows back)
        self._owner_engine = owner_engine or (lambda: db.engine)
        self._values: dict[str, Any] = {}

    def restore(self, name: str, build: Callable[[], Any]) -> Any:
        if name in self._values:
            self._load(name)
            self.db.session.expire_all()
            return self._values[name]
        value = build()
        self.db.session.commit()
        self._save(name)
        self._values[name] = value
        return value

    # -- dialect details -------------------------------------------------------------------------
    def _tables(self) -> list[str]:
        return [t.name for t in self.db.metadata.sorted_tables]

    def _pg(self) -> bool:
        return self.db.engine.dialect.name == "postgresql"

    def _save(self, name: str) -> None:
        tables = self._tables()
        if self._pg():
            schema = f"snap_{name}"
            with self._owner_engine().begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                for t in tables:
                    conn.execute(text(f'CREATE TABLE "{schema}"."{t}" AS SELECT * FROM "{t}"'))
            return
        path = self.directory / f"snap-{name}.db"
        path.unlink(missing_ok=True)
        with self._sqlite_attached(path) as conn:
            for t in tables:
                conn.execute(text(f'CREATE TABLE snap."{t}" AS SELECT * FROM main."{t}"'))

    def _load(self, name: str) -> None:
        tables = self._tables()
        self.db.session.remove()
        if not self._pg():
            with self._sqlite_attached(self.directory / f"snap-{name}.db") as conn:
                for t in tables:
                    conn.execute(text(f'INSERT INTO main."{t}" SELECT * FROM snap."{t}"'))
            return
        schema = f"snap_{name}"
        with self._owner_engine().begin() as conn:
            for t in tables:  # parents before the tables that reference them
                conn.execute(text(f'INSERT INTO "{t}" SELECT * FROM "{schema}"."{t}"'))
            for table in self.db.metadata.sorted_tables:  # the next id follows the copied rows
                if len(table.primary_key.columns) != 1:
                    continue
                col = next(iter(table.primary_key.columns))
                if not _integer(col):
                    continue  # a text key (appraisal_link) has no sequence to move
                conn.execute(text(
                    "SELECT setval(s, COALESCE((SELECT max(\"{c}\") FROM \"{t}\"), 0) + 1, false) "
                    "FROM pg_get_serial_sequence(:t, :c) AS s WHERE s IS NOT NULL".format(t=table.name, c=col.name)),
                    {"t": f'"{table.name}"', "c": col.name})

    @contextmanager
    def _sqlite_attached(self, path: Path):
        """One connection with the snapshot file attached as `snap`, committed and detached at the end."""
        with self.db.engine.connect() as conn:
            conn.exec_driver_sql("ATTACH DATABASE ? AS snap", (str(path),))
            try:
                yield conn
                conn.commit()
            finally:
                conn.rollback()
                conn.exec_driver_sql("DETACH DATABASE snap")


def _integer(column) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False
