"""The demo seed: rules applied, earlier records scored through the real path, idempotent."""
from sqlalchemy import func, select

from learning.models import LearningRecord
from learning.services.records import record
from scoring.models import OfflineAttendance, OfflineSession, PointsEntry, PointsRule
from scoring.seed import seed_demo
from scoring.services.verify import verify_ledger
from tests.factories import make_member


def _counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in
                 (PointsEntry, PointsRule, OfflineSession, OfflineAttendance, LearningRecord))


def test_seed_scores_records_written_before_the_rules_existed(db, tree):
    member = make_member(tree.branch1)
    record(member, "completed", "lesson", 1, idempotency_key="early-read", result={"lesson_kind": "article"})
    db.session.commit()
    seed_demo("demo-pass-2026")
    db.session.commit()
    assert db.session.scalar(select(PointsEntry.rule_code).where(PointsEntry.record_id.is_not(None),
                                                                 PointsEntry.rule_code == "article")) == "article"
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) > 0
    assert verify_ledger().ok


def test_seeding_twice_changes_nothing(db, tree, one_moment):
    for _ in range(5):
        make_member(tree.branch1)
    db.session.commit()
    seed_demo("demo-pass-2026")
    db.session.commit()
    first = _counts(db)
    seed_demo("demo-pass-2026")
    db.session.commit()
    assert _counts(db) == first
