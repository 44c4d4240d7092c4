"""Later corrections: what was entered for a period after it closed (issue 11 point 1).

A closed period's figures include everything that happened in it, also what an admin enters
later (a back-dated offline session and its attendance, a points correction). So such a change
never alters a closed period's figures silently, the report lists every record and every points
entry that belongs to the period but was entered after it ended (past `LATE_AFTER`), with who
it concerns, when it happened and when it was entered.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services.period import Period
from learning.services.records import VERB_LABELS
from learning.timeutil import utcnow
from scoring.models import PointsEntry, PointsRule

#: what is entered this long after a period ends is a later correction (not the last heartbeat flushing)
LATE_AFTER = timedelta(minutes=10)
#: records made up rather than entered (demo and test histories, written in one go with past times)
NOT_ENTERED = ("simulation", "seed")
#: at most this many corrections are listed (newest entered first); `later_corrections_total` counts all
MAX_LISTED = 200


def _is_closed(period: Period, now: datetime) -> bool:
    return period.until + LATE_AFTER <= now


def later_corrections(period: Period, *, org: Org | None = None, member_id: int | None = None,
                      now: datetime | None = None) -> list[dict]:
    """Records and points entries of the period entered after it closed, in an org's subtree or of
    one member, newest entered first; empty while the period is still open."""
    now = now or utcnow()
    if not _is_closed(period, now):
        return []
    late = period.until + LATE_AFTER

    def where(model):
        clauses = [model.occurred_at >= period.since, model.occurred_at < period.until, model.created_at >= late]
        if member_id is not None:
            clauses.append(model.member_id == member_id)
        if org is not None:
            clauses.append(Org.path.startswith(org.path, autoescape=True))
        return clauses

    records = db.session.execute(
        select(LearningRecord, Member.name).join(Member, Member.id == LearningRecord.member_id)
        .join(Org, Org.id == LearningRecord.org_id).where(*where(LearningRecord), LearningRecord.verb != "logged_in",
                                                          LearningRecord.source.not_in(NOT_ENTERED))
        .order_by(LearningRecord.created_at.desc()).limit(MAX_LISTED)).all()
    entries = db.session.execute(
        select(PointsEntry, Member.name, PointsRule.name).join(Member, Member.id == PointsEntry.member_id)
        .join(Org, Org.id == PointsEntry.org_id).outerjoin(PointsRule, PointsRule.id == PointsEntry.rule_id)
        .outerjoin(LearningRecord, LearningRecord.id == PointsEntry.record_id)
        .where(*where(PointsEntry), or_(LearningRecord.id.is_(None), LearningRecord.source.not_in(NOT_ENTERED))).order_by(PointsEntry.created_at.desc()).limit(MAX_LISTED)).all()
    out = [{"kind": "record", "member_id": rec.member_id, "member_name": name,
            "what": str(VERB_LABELS.get(rec.verb, rec.verb)) + (f"：{rec.object_name}" if rec.object_name else ""),
            "points": None, "occurred_at": rec.occurred_at, "entered_at": rec.created_at} for rec, name in records]
    out += [{"kind": "points", "member_id": entry.member_id, "member_name": name,
             "what": entry.reason or rule_name or entry.rule_code or entry.kind, "points": entry.delta,
             "occurred_at": entry.occurred_at, "entered_at": entry.created_at} for entry, name, rule_name in entries]
    return sorted(out, key=lambda c: (c["entered_at"], c["kind"]), reverse=True)[:MAX_LISTED]
