"""The daily check-in (签到): a member says "I am here today"; it exists only where the org's policy
turns `forced_checkin` on. Off (the default under every preset), there is no prompt, no check-in
points and no list of who has not checked in: the 2026 rules for government apps forbid compulsory
check-ins except for security and emergency scenarios (shared/REFERENCE.md).

A check-in is a `checked_in` learning record, once per member and China-local day; it is never
activity (learning.services.activity) and pays only under a rule on `checked_in` (preset `daily_checkin`).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from learning.errors import NotFound
from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services.records import record
from learning.timeutil import day_start_utc, local_day, utcnow

from ..policy import CHECKIN_VERB, checkin_on

OFF_MESSAGE = "Check-in is not used in this organisation."


def check_in(member: Member) -> dict:
    """Check the member in for today (a second check-in the same day changes nothing)."""
    org = db.session.get(Org, member.org_id)
    if not checkin_on(org):
        raise NotFound(OFF_MESSAGE)
    now = utcnow()
    day = local_day(now)
    record(member, CHECKIN_VERB, "app", None, idempotency_key=f"checkin:{member.id}:{day.isoformat()}",
           occurred_at=now)
    return status(member)


def status(member: Member) -> dict:
    """Whether check-in is on for the member, and whether they checked in today."""
    org = db.session.get(Org, member.org_id)
    day = local_day(utcnow())
    enabled = checkin_on(org)
    done = enabled and db.session.scalar(select(LearningRecord.id).where(
        LearningRecord.idempotency_key == f"checkin:{member.id}:{day.isoformat()}")) is not None
    return {"enabled": enabled, "day": day, "checked_in": bool(done)}


def not_checked_in(org: Org, day: date) -> list[Member]:
    """Active members of an org's subtree without a check-in on a day; not found where check-in is off."""
    if not checkin_on(org):
        raise NotFound(OFF_MESSAGE)
    checked = select(LearningRecord.member_id).where(
        LearningRecord.verb == CHECKIN_VERB, LearningRecord.occurred_at >= day_start_utc(day),
        LearningRecord.occurred_at < day_start_utc(day + timedelta(days=1)))
    return list(db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
        Org.path.startswith(org.path, autoescape=True), Member.status == "active", Member.id.not_in(checked))
        .order_by(Org.path, Member.id)))
