"""`record_many` scores a batch as `record` one at a time would: the same entries, chains, caps and day points."""
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from learning.models import MemberDayStats
from learning.services import members as member_service
from learning.services.records import Act, record, record_many
from scoring.models import PointsAwardMark, PointsBalance, PointsCounter, PointsEntry, PointsHeld
from scoring.services.ledger import award_for_records
from scoring.services.verify import verify_ledger
from tests.factories import make_member

START = datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Beijing


def _history(member, tag: str) -> list[Act]:
    """Two weeks of mixed acts (studies past the minutes cap, reads past the daily cap, quizzes, a
    hidden answer, logins, a repeated key), the same for every tag."""
    rng = random.Random(5)
    acts = []
    for day in range(14):
        at = START + timedelta(days=day)
        acts.append(Act(member, "logged_in", "app", None, idempotency_key=f"{tag}:login:{day}", occurred_at=at))
        for n in range(rng.randint(0, 9)):
            acts.append(Act(member, "completed", "lesson", n, idempotency_key=f"{tag}:read:{day}:{n}",
                            result={"lesson_kind": "article"}, occurred_at=at + timedelta(minutes=n)))
        for n in range(rng.randint(0, 4)):
            acts.append(Act(member, "studied", "lesson", n, idempotency_key=f"{tag}:study:{day}:{n}",
                            duration_s=rng.randint(100, 1900), occurred_at=at + timedelta(hours=1, minutes=n)))
        score = rng.randint(0, 5)
        result = {"score": score, "max_score": 5, "scaled": score / 5, "quiz_kind": "daily"}
        if day >= 12:  # the last results are not shown yet: their points wait
            result["reveal_at"] = "2999-01-01T00:00:00+00:00"
        acts.append(Act(member, "submitted", "quiz", 77, idempotency_key=f"{tag}:quiz:{day}", result=result,
                        occurred_at=at + timedelta(hours=2)))
        acts.append(Act(member, "answered", "question", 3, idempotency_key=f"{tag}:ans:{day}",
                        result={"success": True, "reveal_at": None, "knowledge_points": ["党章"]},
                        occurred_at=at + timedelta(hours=2)))
    acts.append(acts[3])  # a key repeated in the batch is written once
    return acts


def _shape(db, member):
    entries = [(e.seq, e.kind, e.rule_code, e.delta, e.occurred_at) for e in db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.seq))]
    counters = sorted((c.rule_code, c.period, c.points, c.progress, c.last_award) for c in db.session.scalars(
        select(PointsCounter).where(PointsCounter.member_id == member.id)))
    days = sorted((d.day, d.records, d.study_seconds, d.lessons_completed, d.questions_answered, d.points)
                  for d in db.session.scalars(select(MemberDayStats).where(MemberDayStats.member_id == member.id)))
    held = len(db.session.scalars(select(PointsHeld.record_id).where(PointsHeld.member_id == member.id)).all())
    balance = db.session.get(PointsBalance, member.id)
    return entries, counters, days, held, (balance.balance, balance.seq)


def test_a_batch_writes_and_scores_what_one_record_at_a_time_would(db, default_rules):
    one, many = make_member(default_rules.branch1), make_member(default_rules.branch1)
    for act in _history(one, "one"):
        record(act.member, act.verb, act.object_type, act.object_id, idempotency_key=act.idempotency_key,
               result=act.result, duration_s=act.duration_s, occurred_at=act.occurred_at)
    written = record_many(_history(many, "many"))
    db.session.commit()
    assert sum(w.created for w in written) == len(written) - 1 and not written[-1].created
    assert written[-1].record.id == written[3].record.id
    assert _shape(db, one) == _shape(db, many)
    assert len(_shape(db, many)[0]) > 20 and _shape(db, many)[3] == 2
    report = verify_ledger([one.id, many.id])
    assert report.ok, report.problems


def test_a_second_batch_of_the_same_keys_writes_and_awards_nothing(db, default_rules):
    member = make_member(default_rules.branch1)
    record_many(_history(member, "k"))
    db.session.commit()
    before = _shape(db, member)
    again = record_many(_history(member, "k"))
    db.session.commit()
    assert not any(w.created for w in again)
    assert _shape(db, member) == before


def test_a_batch_continues_a_chain_written_one_at_a_time(db, default_rules):
    member = make_member(default_rules.branch1)
    acts = _history(member, "c")
    for act in acts[:20]:
        record(act.member, act.verb, act.object_type, act.object_id, idempotency_key=act.idempotency_key,
               result=act.result, duration_s=act.duration_s, occurred_at=act.occurred_at)
    record_many(acts[20:])
    db.session.commit()
    assert verify_ledger([member.id]).ok


def test_scoring_records_already_scored_awards_nothing_more(db, default_rules):
    member = make_member(default_rules.branch1)
    written = record_many(_history(member, "s"))
    db.session.commit()
    entries = db.session.scalars(select(PointsEntry.id)).all()
    assert award_for_records([w.record for w in written]) == []
    assert db.session.scalars(select(PointsEntry.id)).all() == entries
    assert db.session.scalar(select(PointsAwardMark.record_id).limit(1)) is not None


def test_a_batch_keeps_each_record_in_the_org_of_its_time(db, default_rules):
    member = make_member(default_rules.branch1)
    db.session.commit()
    before = datetime.now(timezone.utc)
    member_service.transfer(member, default_rules.branch3, reason="工作调动")
    db.session.commit()
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    old, new = record_many([Act(member, "logged_in", "app", None, idempotency_key="t:old", occurred_at=before),
                            Act(member, "logged_in", "app", None, idempotency_key="t:new", occurred_at=later)])
    assert (old.record.org_id, new.record.org_id) == (default_rules.branch1.id, default_rules.branch3.id)
    assert old.record.org_id == record(member, "logged_in", "app", None, idempotency_key="t:one",
                                       occurred_at=before).record.org_id
