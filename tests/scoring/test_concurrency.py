"""Caps under concurrency: 50 writers racing for the last point under a cap award it once."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from learning.extensions import db as _db
from learning.models import Member
from learning.services.records import record
from scoring.models import PointsEntry
from scoring.services import ledger
from scoring.services.verify import verify_ledger
from tests.conftest import REAL
from tests.factories import make_member

NOON = datetime(2026, 11, 18, 4, 0, tzinfo=timezone.utc)
WRITERS = 50


def _read(member, n):
    return record(member, "completed", "lesson", n, idempotency_key=f"race-{member.id}-{n}",
                  result={"lesson_kind": "article"}, occurred_at=NOON)


@pytest.mark.skipif(not REAL, reason="SQLite serialises writers per file (a concurrent writer fails with 'database is "
                           "locked' instead of racing); the cap race is proved on PostgreSQL")
def test_fifty_concurrent_awards_for_the_last_point_under_a_cap_award_it_once(app, db, default_rules, monkeypatch):
    member = make_member(default_rules.branch1)
    for n in range(5):  # the article cap is 6: one point is left
        _read(member, n)
    db.session.commit()
    monkeypatch.setattr(db.engine.pool, "_max_overflow", WRITERS + 10)  # let all 50 hold a connection at once
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer(n):
        try:
            with app.app_context():
                me = _db.session.get(Member, member.id)
                barrier.wait(timeout=30)
                _read(me, 100 + n)
                _db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id)).all()
    assert len(entries) == 6
    assert ledger.balance_of(member.id) == 6
    assert verify_ledger([member.id]).ok


@pytest.mark.skipif(not REAL, reason="needs PostgreSQL for concurrent writers (see above)")
def test_fifty_concurrent_replays_of_one_record_award_once(app, db, default_rules, monkeypatch):
    member = make_member(default_rules.branch1)
    db.session.commit()
    monkeypatch.setattr(db.engine.pool, "_max_overflow", WRITERS + 10)
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer():
        try:
            with app.app_context():
                me = _db.session.get(Member, member.id)
                barrier.wait(timeout=30)
                _read(me, 1)
                _db.session.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert ledger.balance_of(member.id) == 1
    assert verify_ledger([member.id]).ok


def test_sequential_awards_past_the_cap_award_nothing_on_any_database(db, default_rules):
    member = make_member(default_rules.branch1)
    for n in range(56):
        _read(member, n)
    db.session.commit()
    assert ledger.balance_of(member.id) == 6
