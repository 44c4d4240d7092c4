"""个人自评: the member's own summary, self-rating and commitments; taking part is a learning record
without its content."""
from __future__ import annotations

from sqlalchemy import select

from learning.errors import Conflict, Forbidden, Invalid
from learning.extensions import db
from learning.models import Member
from learning.services.records import record
from learning.timeutil import utcnow

from ..models import LEVELS, Campaign, SelfEvaluation
from .campaigns import is_participant

MAX_TEXT = 5000


def submit_self(campaign: Campaign, member: Member, *, summary: str, self_level: str,
                commitments: str) -> tuple[SelfEvaluation, bool]:
    """Submit (or, during the self-evaluation phase, revise) one's self-evaluation."""
    if campaign.kind != "members":
        raise Invalid("A branch appraisal has no self-evaluation.")
    if campaign.phase not in ("study", "self"):
        raise Conflict("Self-evaluation is closed in this campaign.")
    if not is_participant(campaign, member):
        raise Forbidden("You are not appraised in this campaign.")
    errors = {}
    for name, value in (("summary", summary), ("commitments", commitments)):
        if not (value or "").strip():
            errors[name] = ["required"]
        elif len(value) > MAX_TEXT:
            errors[name] = [f"at most {MAX_TEXT} characters"]
    if self_level not in LEVELS:
        errors["self_level"] = [f"one of {', '.join(LEVELS)}"]
    if errors:
        raise Invalid("The self-evaluation is not complete.", errors)
    row = db.session.scalar(select(SelfEvaluation).where(SelfEvaluation.campaign_id == campaign.id,
                                                         SelfEvaluation.member_id == member.id))
    created = row is None
    if created:
        row = SelfEvaluation(campaign_id=campaign.id, member_id=member.id)
        db.session.add(row)
    row.summary, row.self_level, row.commitments = summary.strip(), self_level, commitments.strip()
    row.submitted_at = utcnow()
    db.session.flush()
    record(member, "self_evaluated", "appraisal", campaign.id, object_name=campaign.title,
           idempotency_key=f"appraisal:{campaign.id}:self:{member.id}")
    return row, created


def own_self(campaign: Campaign, member: Member) -> SelfEvaluation | None:
    """The member's own self-evaluation, if any."""
    return db.session.scalar(select(SelfEvaluation).where(SelfEvaluation.campaign_id == campaign.id,
                                                          SelfEvaluation.member_id == member.id))
