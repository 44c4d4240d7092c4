"""Demo data of the reports package: enough learning history for every chart and model to show something true.

The courses and quizzes seeds write their own study history. Here we top it up through
`record(...)` when it is thin, add three scripted members (刷课/刷题 behaviour) when the
demo has none, and train the committee's models once. Idempotent: every record has a
stable idempotency key, and models are trained only when the committee has none.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services import accounts, members as member_service
from learning.timeutil import LOCAL_TZ, local_day, utcnow

from .analytics.features import regularity_of
from .models import AnalyticsModel
from .simulate import make_profiles, simulate

SCRIPTED = [("demo-scripted-1", "钱志远"), ("demo-scripted-2", "冯晓东"), ("demo-scripted-3", "蒋丽萍")]
HISTORY_DAYS = 150
MAX_SIMULATED = 40


def _top_committee() -> Org | None:
    return db.session.scalar(select(Org).where(Org.parent_id.is_(None), Org.closed_at.is_(None)).order_by(Org.id))


def _has_scripted_behaviour(committee: Org) -> bool:
    rows = db.session.scalars(select(LearningRecord.result).join(Org, Org.id == LearningRecord.org_id).where(
        Org.path.startswith(committee.path), LearningRecord.verb == "studied").limit(5000))
    feats = [((r or {}).get("features") or {}) for r in rows]
    return any(float(f.get("max_speed") or f.get("speed") or 1) >= 2 and (regularity_of(f) or 0) >= 0.99
               for f in feats)


def _scripted_members(committee: Org, password: str) -> list[Member]:
    branch = db.session.scalar(select(Org).where(Org.path.startswith(committee.path), Org.kind == "branch",
                                                 Org.closed_at.is_(None)).order_by(Org.id))
    if branch is None:
        return []
    out = []
    for username, name in SCRIPTED:
        member = db.session.scalar(select(Member).where(Member.username == username))
        if member is None:
            member = member_service.create_member(branch, username=username, name=name, must_change_password=False,
                                                  password_hash=accounts.hash_password(password))
        out.append(member)
    return out


def seed_people(password: str) -> None:
    """Add the scripted demo members before other packages seed activity for the demo's people."""
    committee = _top_committee()
    if committee is not None and not _has_scripted_behaviour(committee):
        _scripted_members(committee, password)


def seed_demo(password: str) -> None:
    """Top up the demo's learning history, add scripted members if missing, train the models once."""
    committee = _top_committee()
    if committee is None:
        return
    # a fixed end (today's local midnight) keeps the idempotency keys the same on every run of a day
    end = datetime.combine(local_day(utcnow()), time(0), LOCAL_TZ).astimezone(timezone.utc)
    members = list(db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
        Org.path.startswith(committee.path), Member.status == "active",
        Member.username.not_in([u for u, _ in SCRIPTED])).order_by(Member.id).limit(MAX_SIMULATED)))
    studied = db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "studied")) or 0
    already = db.session.scalar(select(func.count(LearningRecord.id)).where(
        LearningRecord.source == "simulation")) or 0
    if members and not already and studied < 50 * len(members):
        simulate(make_profiles(members, random.Random(2026), scripted=0, dropouts=0.25), days=HISTORY_DAYS,
                 end=end, seed=2026, tag="demo")
    if not _has_scripted_behaviour(committee):
        scripted = _scripted_members(committee, password)
        simulate(make_profiles(scripted, random.Random(7), scripted=len(scripted)), days=60, end=end, seed=7,
                 tag="demo-scripted")
    db.session.flush()
    if db.session.scalar(select(AnalyticsModel.id).where(AnalyticsModel.org_id == committee.id)) is None:
        from .analytics import risk, scripted as scripted_model

        scripted_model.train(committee)
        risk.train(committee)
