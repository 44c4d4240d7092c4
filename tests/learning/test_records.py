"""The learning-record spine: idempotent writes, the signal, the day rollup, org at the time."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from learning.errors import Invalid
from learning.events import record_written
from learning.models import LearningRecord, MemberDayStats
from learning.services import members as member_service
from learning.services.records import rebuild_day_stats, record
from tests.factories import make_member


def _stats(db, member):
    return db.session.scalars(select(MemberDayStats).where(MemberDayStats.member_id == member.id)
                              .order_by(MemberDayStats.day)).all()


def test_record_writes_once_per_idempotency_key(db, tree):
    member = make_member(tree.branch1)
    first = record(member, "studied", "lesson", 7, idempotency_key="k1", duration_s=60)
    again = record(member, "studied", "lesson", 7, idempotency_key="k1", duration_s=60)
    db.session.commit()
    assert first.created and not again.created and again.record.id == first.record.id
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 1
    assert _stats(db, member)[0].study_seconds == 60


def test_rollup_adds_per_verb_and_per_china_day(db, tree):
    member = make_member(tree.branch1)
    late_evening_utc = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)  # 23:30 in Beijing
    after_midnight_utc = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 00:30 next day
    record(member, "answered", "question", 1, idempotency_key="a1", result={"success": True},
           occurred_at=late_evening_utc)
    record(member, "answered", "question", 2, idempotency_key="a2", result={"success": False},
           occurred_at=late_evening_utc)
    record(member, "completed", "lesson", 3, idempotency_key="c1", occurred_at=after_midnight_utc)
    db.session.commit()
    day1, day2 = _stats(db, member)
    assert (str(day1.day), day1.questions_answered, day1.questions_correct) == ("2026-03-01", 2, 1)
    assert (str(day2.day), day2.lessons_completed, day2.records) == ("2026-03-02", 1, 1)


def test_signal_fires_inside_the_same_transaction(db, tree):
    member = make_member(tree.branch1)
    seen = []

    def receiver(rec):
        seen.append((rec.id, rec.verb, db.session.get(LearningRecord, rec.id) is rec))

    record_written.connect(receiver)
    try:
        written = record(member, "attended", "offline_session", 5, idempotency_key="o1")
        record(member, "attended", "offline_session", 5, idempotency_key="o1")
    finally:
        record_written.disconnect(receiver)
    assert seen == [(written.record.id, "attended", True)]


def test_records_keep_the_org_they_happened_in_after_a_transfer(db, tree):
    member = make_member(tree.branch1)
    before = record(member, "studied", "lesson", 1, idempotency_key="before", duration_s=30)
    db.session.commit()
    member_service.transfer(member, tree.branch3, reason="工作调动")
    after = record(member, "studied", "lesson", 1, idempotency_key="after", duration_s=30)
    db.session.commit()
    assert before.record.org_id == tree.branch1.id
    assert after.record.org_id == tree.branch3.id
    assert {s.org_id for s in _stats(db, member)} == {tree.branch1.id, tree.branch3.id}


def test_backdated_record_goes_to_the_branch_of_its_time(db, tree):
    member = make_member(tree.branch1)
    (first,) = member_service.history(member)
    first.valid_from = first.valid_from - timedelta(hours=2)
    db.session.commit()
    member_service.transfer(member, tree.branch2, reason="调动")
    db.session.commit()
    rec = record(member, "studied", "lesson", 1, idempotency_key="late-sync", duration_s=10,
                 occurred_at=first.valid_from + timedelta(hours=1)).record
    assert rec.org_id == tree.branch1.id


@pytest.mark.parametrize("kwargs, message", [
    ({"verb": "danced"}, "Unknown learning verb"),
    ({"idempotency_key": ""}, "idempotency key"),
    ({"duration_s": -5}, "negative"),
])
def test_bad_records_are_refused_and_nothing_is_written(db, tree, kwargs, message):
    member = make_member(tree.branch1)
    args = {"verb": "studied", "idempotency_key": "x", "duration_s": 1} | kwargs
    with pytest.raises(Invalid, match=message):
        record(member, args.pop("verb"), "lesson", 1, **args)
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 0


def test_rebuild_day_stats_matches_the_incremental_rollup(db, tree):
    member = make_member(tree.branch1)
    for i in range(5):
        record(member, "answered", "question", i, idempotency_key=f"q{i}", result={"success": i % 2 == 0})
    record(member, "studied", "lesson", 1, idempotency_key="s", duration_s=95)
    db.session.commit()
    incremental = [(s.day, s.questions_answered, s.questions_correct, s.study_seconds) for s in _stats(db, member)]
    rebuild_day_stats(member.id)
    db.session.commit()
    assert [(s.day, s.questions_answered, s.questions_correct, s.study_seconds)
            for s in _stats(db, member)] == incremental == [(incremental[0][0], 5, 3, 95)]


def test_day_points_come_only_through_the_ledgers_interface(db, tree):
    from learning.services.records import add_day_points, add_day_stats
    from learning.timeutil import local_day, utcnow

    member = make_member(tree.branch1)
    with pytest.raises(LookupError, match="add_day_points"):
        add_day_stats(member.id, member.org_id, local_day(utcnow()), points=5)
    add_day_points(member.id, member.org_id, local_day(utcnow()), 5)
    record(member, "studied", "lesson", 1, idempotency_key="s", duration_s=60)
    db.session.commit()
    rebuild_day_stats(member.id)  # recomputes the records' fields and keeps the ledger's points
    db.session.commit()
    assert [(s.points, s.study_seconds) for s in _stats(db, member)] == [(5, 60)]
