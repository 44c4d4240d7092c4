"""`record_many`: many learning records at once, as `record` one after another would write them."""
import pytest
from sqlalchemy import func, select

from learning.errors import Invalid
from learning.events import connect_record_receiver, record_written
from learning.models import LearningRecord, MemberDayStats
from learning.services.records import Act, record, record_many
from tests.factories import make_member


def test_an_empty_batch_writes_nothing(db, tree):
    assert record_many([]) == []
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 0


@pytest.mark.parametrize("bad", [dict(verb="flew"), dict(idempotency_key=""), dict(duration_s=-1)])
def test_one_bad_act_refuses_the_whole_batch(db, tree, bad):
    member = make_member(tree.branch1)
    good = Act(member, "studied", "lesson", 1, idempotency_key="good", duration_s=5)
    fields = {"verb": "studied", "object_type": "lesson", "idempotency_key": "bad", "duration_s": 5} | bad
    with pytest.raises(Invalid):
        record_many([good, Act(member, **fields)])
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 0


def test_keys_already_written_or_repeated_are_skipped_and_the_rollup_adds_up(db, tree):
    member = make_member(tree.branch1)
    first = record(member, "studied", "lesson", 1, idempotency_key="k0", duration_s=60)
    written = record_many([Act(member, "studied", "lesson", 1, idempotency_key=f"k{n % 3}", duration_s=60)
                           for n in range(5)])
    db.session.commit()
    assert [w.created for w in written] == [False, True, True, False, False]
    assert written[0].record.id == first.record.id and written[4].record.id == written[1].record.id
    day = db.session.scalar(select(MemberDayStats).where(MemberDayStats.member_id == member.id))
    assert (day.records, day.study_seconds) == (3, 180)


def test_receivers_get_every_new_record_in_order_one_by_one_or_as_a_batch(db, tree):
    member = make_member(tree.branch1)
    one, singles, batches = [], [], []

    def receiver(rec):
        one.append(rec.idempotency_key)

    def batch_receiver(rec):
        singles.append(rec.idempotency_key)

    connect_record_receiver(receiver)
    connect_record_receiver(batch_receiver, lambda records: batches.append([r.idempotency_key for r in records]))
    try:
        record(member, "logged_in", "app", None, idempotency_key="a")
        assert one == singles == ["a"]
        one.clear(), singles.clear()
        record_many([Act(member, "logged_in", "app", None, idempotency_key=k) for k in ("a", "b", "c", "b")])
    finally:
        record_written.disconnect(receiver)
        record_written.disconnect(batch_receiver)
    assert one == ["b", "c"] and batches == [["b", "c"]] and singles == []
