"""The demo seed: scripted members when the demo has none, models trained once, idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from learning.models import LearningRecord, Member
from reports.models import AnalyticsModel
from reports.seed import SCRIPTED, seed_demo
from tests.factories import make_member


def _counts(db):
    return (db.session.scalar(select(func.count(LearningRecord.id))),
            db.session.scalar(select(func.count(Member.id))),
            db.session.scalar(select(func.count(AnalyticsModel.id))))


def test_seed_adds_scripted_members_trains_models_and_is_idempotent(db, tree, one_moment):
    for i, name in enumerate(["赵建华", "钱秀兰", "孙志强"]):
        make_member([tree.branch1, tree.branch2, tree.branch3][i], name=name)
    db.session.commit()
    seed_demo("demo-pass-2026")
    db.session.commit()
    first = _counts(db)
    scripted = db.session.scalars(select(Member).where(Member.username.in_([u for u, _ in SCRIPTED]))).all()
    assert len(scripted) == 3
    assert {m.kind for m in db.session.scalars(select(AnalyticsModel))} == {"scripted", "risk"}
    seed_demo("demo-pass-2026")
    db.session.commit()
    assert _counts(db) == first
