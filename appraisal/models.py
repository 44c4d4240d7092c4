"""Appraisal tables (民主评议): campaigns, self-evaluations, the secret ballot box, determinations,
objections and rectification items.

The ballot tables follow the threat model in docs/appraisal.md: `Voted` records only who has
voted (no time, no row id); a cast ballot waits sealed (AES-GCM, no time, random id) in
`SealedBallot`; at the phase's close the sealed ballots are opened, split into one `Rating` per
subject, shuffled and written in one transaction, and the sealed rows are deleted. `Rating`
carries no voter, no time, no ballot grouping and a random primary key.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

LEVELS = ("优秀", "合格", "基本合格", "不合格")
LEVEL_SCORES = {"优秀": 1.0, "合格": 0.75, "基本合格": 0.5, "不合格": 0.0}
PHASES = ("study", "self", "peer", "test", "determination", "publication", "followup", "done")
BALLOT_PHASES = ("peer", "test")
KINDS = ("members", "branches")
BRANCH_CRITERIA = ("组织生活", "学习教育", "作用发挥", "作风建设")


def random_id() -> str:
    """A random primary key: carries no order and no time."""
    return uuid.uuid4().hex


class Campaign(db.Model):
    """One appraisal of one branch (kind members) or of the branches under a committee (kind branches).

    `schedule` maps a phase to the date (Asia/Shanghai) it starts; `phase` is the current one.
    A committee opening campaigns for every branch below it makes one campaign per branch,
    each with `batch_id` = the id of the first, so the committee view groups them.
    """

    __tablename__ = "appraisal_campaign"
    __table_args__ = (Index("ix_appraisal_campaign_org_year", "org_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="members")
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    phase: Mapped[str] = mapped_column(String(20), default="study")
    schedule: Mapped[dict] = mapped_column(JSON)
    course_ids: Mapped[list] = mapped_column(JSON, default=list)
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    by_group: Mapped[bool] = mapped_column(Boolean, default=False)
    objection_until: Mapped[date | None] = mapped_column(Date)
    seal_salt: Mapped[str | None] = mapped_column(String(64))  # cleared when the last ballot phase closes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SelfEvaluation(db.Model):
    """A member's 个人自评: summary, self-rating and commitments (not secret: signed by the member)."""

    __tablename__ = "appraisal_self_evaluation"
    __table_args__ = (UniqueConstraint("campaign_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    summary: Mapped[str] = mapped_column(Text)
    self_level: Mapped[str] = mapped_column(String(10))
    commitments: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Voted(db.Model):
    """Who has voted in a ballot phase, and nothing else: no time, no surrogate id, no ballot."""

    __tablename__ = "appraisal_voted"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(10), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)


class OneTimeLink(db.Model):
    """A link for an outside participant (群众代表) in the democratic test; usable once, holds no name."""

    __tablename__ = "appraisal_link"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SealedBallot(db.Model):
    """A cast ballot waiting for the close, encrypted under the campaign's sealing key."""

    __tablename__ = "appraisal_sealed_ballot"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    phase: Mapped[str] = mapped_column(String(10))
    sealed: Mapped[str] = mapped_column(Text)


class Rating(db.Model):
    """One opened rating of one subject: no voter, no time, no ballot it came from, random id."""

    __tablename__ = "appraisal_rating"
    __table_args__ = (Index("ix_appraisal_rating_subject", "campaign_id", "phase", "subject_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"))
    phase: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(10), default="member")
    subject_id: Mapped[int] = mapped_column(Integer)
    voter_kind: Mapped[str] = mapped_column(String(10))  # member or outside
    level: Mapped[str] = mapped_column(String(10))
    criteria: Mapped[dict | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)


class PhaseTally(db.Model):
    """What the close of a ballot phase learned about whole ballots, as counts only."""

    __tablename__ = "appraisal_phase_tally"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(10), primary_key=True)
    ballots: Mapped[int] = mapped_column(Integer, default=0)
    patterns: Mapped[dict] = mapped_column(JSON, default=dict)  # {"all_excellent": n, "all_unqualified": n}


class BranchReview(db.Model):
    """The committee's rating of a branch on the branch criteria (an organisational act, signed)."""

    __tablename__ = "appraisal_branch_review"
    __table_args__ = (UniqueConstraint("campaign_id", "branch_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    scores: Mapped[dict] = mapped_column(JSON)  # criterion -> level
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Determination(db.Model):
    """组织评定: the level decided for one subject (a member, or a branch in a branch campaign).

    status: approved (in force), pending (不合格 awaiting the committee above), rejected.
    """

    __tablename__ = "appraisal_determination"
    __table_args__ = (UniqueConstraint("campaign_id", "subject_type", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"))
    subject_type: Mapped[str] = mapped_column(String(10), default="member")
    subject_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="approved")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    approval_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Objection(db.Model):
    """An objection raised during publication (公示), and the branch's answer."""

    __tablename__ = "appraisal_objection"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rectification(db.Model):
    """整改事项: a problem found, with an owner and a deadline; closes only with evidence."""

    __tablename__ = "appraisal_rectification"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("appraisal_campaign.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    evidence: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_on: Mapped[date | None] = mapped_column(Date)


class RectificationNote(db.Model):
    """A progress note on a rectification item."""

    __tablename__ = "appraisal_rectification_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("appraisal_rectification.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
