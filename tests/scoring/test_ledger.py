"""Awards from learning records: rules, caps, replay, chain, reversals, day stats."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from learning.models import MemberDayStats
from learning.services.records import record
from scoring.models import PointsBalance, PointsEntry
from scoring.services import ledger, rules
from scoring.services.ledger import GENESIS, entry_hash, entry_payload, ledger_key
from tests.factories import make_member

NOON = datetime(2026, 11, 18, 4, 0, tzinfo=timezone.utc)  # Wednesday 12:00 in Beijing


def _entries(db, member):
    return db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id)
                              .order_by(PointsEntry.seq)).all()


def _read(member, n, at=NOON, kind="article"):
    return record(member, "completed", "lesson", n, idempotency_key=f"read-{member.id}-{n}",
                  result={"lesson_kind": kind}, occurred_at=at)


def test_a_record_earns_points_in_the_same_transaction(db, default_rules):
    member = make_member(default_rules.branch1)
    _read(member, 1)
    db.session.commit()
    (entry,) = _entries(db, member)
    assert (entry.kind, entry.rule_code, entry.delta) == ("award", "article", 1)
    assert ledger.balance_of(member.id) == 1


def test_replaying_a_records_key_awards_nothing(db, default_rules):
    member = make_member(default_rules.branch1)
    _read(member, 1)
    _read(member, 1)
    db.session.commit()
    assert len(_entries(db, member)) == 1


def test_daily_cap_stops_awards_at_the_cap(db, default_rules):
    member = make_member(default_rules.branch1)
    for n in range(10):
        _read(member, n)
    db.session.commit()
    assert sum(e.delta for e in _entries(db, member)) == 6


def test_daily_cap_resets_on_the_next_china_day(db, default_rules):
    member = make_member(default_rules.branch1)
    for n in range(7):
        _read(member, n)
    _read(member, 99, at=NOON + timedelta(days=1))
    db.session.commit()
    assert sum(e.delta for e in _entries(db, member)) == 7


def test_weekly_cap_holds_across_days(db, default_rules):
    member = make_member(default_rules.branch1)
    for day in range(3):
        record(member, "submitted", "quiz", day, idempotency_key=f"wq-{day}", occurred_at=NOON + timedelta(days=day),
               result={"quiz_kind": "weekly", "scaled": 1.0})
    db.session.commit()
    assert [e.delta for e in _entries(db, member)] == [5]


def test_study_minutes_accumulate_into_points_per_n_minutes(db, default_rules):
    member = make_member(default_rules.branch1)
    for n, seconds in enumerate((100, 100, 200)):  # video: 1 point per 3 minutes
        record(member, "studied", "lesson", 1, idempotency_key=f"s{n}", duration_s=seconds,
               result={"lesson_kind": "video"}, occurred_at=NOON)
    db.session.commit()
    assert [e.delta for e in _entries(db, member)] == [1, 1]  # at 200 s and 400 s (180 s, 360 s passed)


def test_quiz_score_band_decides_the_points(db, default_rules):
    member = make_member(default_rules.branch1)
    record(member, "submitted", "quiz", 1, idempotency_key="sp", occurred_at=NOON,
           result={"quiz_kind": "special", "score": 7, "max_score": 10})
    db.session.commit()
    assert [e.delta for e in _entries(db, member)] == [5]


def test_contest_placing_earns_only_on_scheduled_weekdays(db, default_rules):
    member = make_member(default_rules.branch1)
    monday = NOON - timedelta(days=2)
    record(member, "submitted", "arena", 1, idempotency_key="c1", occurred_at=monday,
           result={"mode": "four_player", "placing": 1})
    record(member, "submitted", "arena", 2, idempotency_key="c2", occurred_at=NOON,  # Wednesday
           result={"mode": "four_player", "placing": 1})
    db.session.commit()
    assert [(e.rule_code, e.delta) for e in _entries(db, member)] == [("four_player", 3)]


def test_points_are_added_to_the_day_stats(db, default_rules):
    member = make_member(default_rules.branch1)
    _read(member, 1)
    _read(member, 2)
    db.session.commit()
    assert db.session.scalar(select(func.sum(MemberDayStats.points)).where(
        MemberDayStats.member_id == member.id)) == 2


def test_each_entry_links_to_the_previous_by_hash(db, default_rules):
    member = make_member(default_rules.branch1)
    for n in range(3):
        _read(member, n)
    db.session.commit()
    entries = _entries(db, member)
    prev = GENESIS
    for entry in entries:
        assert entry.prev_hash == prev
        assert entry.hash == entry_hash(ledger_key(), prev, entry_payload(entry))
        prev = entry.hash
    assert db.session.get(PointsBalance, member.id).last_hash == prev


def test_reversal_cancels_an_entry_and_frees_the_cap(db, default_rules):
    member = make_member(default_rules.branch1)
    for n in range(6):
        _read(member, n)
    db.session.commit()
    first = _entries(db, member)[0]
    ledger.reverse_entry(first, reason="重复计分", actor=None)
    _read(member, 50)
    db.session.commit()
    kinds = [(e.kind, e.delta) for e in _entries(db, member)]
    assert kinds[-2:] == [("reversal", -1), ("award", 1)]
    assert ledger.balance_of(member.id) == 6
    assert db.session.get(PointsEntry, first.id).delta == 1  # the original is untouched


def test_a_rule_change_applies_from_its_effective_time_only(db, default_rules):
    member = make_member(default_rules.branch1)
    old = rules.live_rule(default_rules.committee, "login")
    record(member, "logged_in", "app", None, idempotency_key="login-old",
           occurred_at=datetime.now(timezone.utc) - timedelta(days=2))
    new = rules.change_rule(old, {"points": 2, "daily_cap": 2})
    db.session.commit()
    record(member, "logged_in", "app", None, idempotency_key="login-new")
    db.session.commit()
    deltas = [(e.rule_id, e.delta) for e in _entries(db, member)]
    assert deltas == [(old.id, 1), (new.id, 2)]


def test_a_branch_rule_overrides_the_inherited_one_for_its_subtree(db, default_rules):
    rules.create_rule(default_rules.branch1, {"code": "article", "name": "阅读文章（本支部）", "kind": "per_event",
                                              "verb": "completed", "object_type": "lesson",
                                              "match": {"lesson_kind": ["article"]}, "points": 3, "daily_cap": 9},
                      effective_from=datetime(2020, 1, 1, tzinfo=timezone.utc))
    here, there = make_member(default_rules.branch1), make_member(default_rules.branch2)
    _read(here, 1)
    _read(there, 1)
    db.session.commit()
    assert (_entries(db, here)[0].delta, _entries(db, there)[0].delta) == (3, 1)


def test_a_record_with_no_matching_rule_earns_nothing(db, tree):
    member = make_member(tree.branch1)
    _read(member, 1)
    db.session.commit()
    assert _entries(db, member) == []
