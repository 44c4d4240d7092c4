"""The application's database role may append to the ledger but never rewrite it (PostgreSQL pass).

The real pass's app (its requests, workers and servers) connects as a login role that tests/conftest.py
grants exactly docs/operations.md's GRANT block; the schema is the owner's. These tests check, on the
app's own connection, that this is so and that the ledger cannot be rewritten through it."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import ProgrammingError

from learning.services.records import record
from scoring.models import PointsEntry
from scoring.services import ledger
from scoring.services.verify import verify_ledger
from tests.conftest import APP_ROLE, ledger_grant_block
from tests.factories import make_member


@pytest.fixture
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("database privileges are PostgreSQL's")
    return db


def test_the_grant_block_is_read_from_the_operations_guide():
    block = ledger_grant_block("someone")
    assert any(s.startswith("REVOKE UPDATE, DELETE") and "points_entry" in s and "points_checkpoint" in s
               for s in block), block
    assert all('"someone"' in s for s in block if " TO " in s or " FROM " in s)


def test_the_app_connects_as_the_restricted_role_not_the_owner(pg, test_env):
    row = pg.session.execute(text(
        "SELECT current_user, session_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb, "
        "pg_catalog.pg_get_userbyid(c.relowner) FROM pg_roles r, pg_class c "
        "WHERE r.rolname = current_user AND c.oid = 'points_entry'::regclass")).one()  # the app's schema's table
    assert row[:5] == (APP_ROLE, APP_ROLE, False, False, False)
    assert row[5] != APP_ROLE  # the owner made the schema
    for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
        for table in ("points_entry", "points_checkpoint"):
            assert not pg.session.scalar(text(f"SELECT has_table_privilege('{table}', '{privilege}')")), (table, privilege)
    # a Celery worker or an app server started by a test gets the same login
    assert create_engine(test_env["DATABASE_URL"]).url.username == APP_ROLE


def test_the_app_role_appends_to_the_ledger_but_cannot_rewrite_it(pg, default_rules):
    db = pg
    member = make_member(default_rules.branch1)
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    db.session.commit()
    record(member, "completed", "lesson", 1, idempotency_key="grant-award", result={"lesson_kind": "article"})
    entry, _ = ledger.adjust(member, 3, "线下学习补录", actor=organiser)
    ledger.reverse_entry(entry, reason="更正", actor=organiser)
    assert ledger.checkpoint_heads() == 1
    db.session.commit()
    assert verify_ledger().ok
    entry_id = db.session.scalar(select(PointsEntry.id).where(PointsEntry.member_id == member.id).limit(1))
    for sql in (f"UPDATE points_entry SET delta = 500 WHERE id = {entry_id}",
                f"DELETE FROM points_entry WHERE id = {entry_id}",
                f"UPDATE points_checkpoint SET seq = 1 WHERE member_id = {member.id}",
                f"DELETE FROM points_checkpoint WHERE member_id = {member.id}",
                "TRUNCATE points_entry CASCADE"):
        with pytest.raises(ProgrammingError, match="permission denied"):
            db.session.execute(text(sql))
        db.session.rollback()
    # nor through the ORM
    db.session.get(PointsEntry, entry_id).delta = 500
    with pytest.raises(ProgrammingError, match="permission denied"):
        db.session.commit()
    db.session.rollback()
    assert verify_ledger().ok
