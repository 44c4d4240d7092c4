"""Core tables: org tree, members and their history, role grants, tokens, policy, the record spine."""
from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .timeutil import UTCDateTime, utcnow

ORG_KINDS = ("committee", "general_branch", "branch", "group")  # 党委 党总支 党支部 党小组
ROLES = ("member", "organiser", "reviewer", "host", "admin")
MEMBER_TYPES = ("full", "probationary")  # 正式 预备
MEMBER_STATUSES = ("active", "inactive")
GENDERS = ("male", "female")


class Org(db.Model):
    """A node of the org tree; `path` ("/1/4/17/") makes a subtree one prefix match."""

    __tablename__ = "org"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Org | None] = relationship(remote_side=[id])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this org, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<Org {self.id} {self.name}>"


class Member(UserMixin, db.Model):
    """A person: account, branch record fields and current branch."""

    __tablename__ = "member"
    #: member lists sort by name (id breaks ties): a committee's first page walks this index, not 100,000 rows
    __table_args__ = (Index("ix_member_name_id", "name", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # bumped by a password change/reset or deactivation: cookie sessions carrying an older one end
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    joined_party_on: Mapped[date | None] = mapped_column(Date)
    member_type: Mapped[str] = mapped_column(String(20), default="full")
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    large_font: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org: Mapped[Org] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="member", lazy="selectin")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.status == "active"

    def get_id(self) -> str:
        """The session's user id: the member id and the session version it was issued under."""
        return f"{self.id}:{self.session_version or 0}"

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.username}>"


class MembershipHistory(db.Model):
    """Which branch a member belonged to and when (组织关系接转)."""

    __tablename__ = "membership_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class RoleGrant(db.Model):
    """A role held at an org node, valid for that node's subtree."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("member_id", "role", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[Member] = relationship(back_populates="grants")
    org: Mapped[Org] = relationship(lazy="joined")


class ApiToken(db.Model):
    """A revocable bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    member: Mapped[Member] = relationship()


class ActivationCode(db.Model):
    """A one-time code with which a new (or reset) member sets their first password; only its SHA-256 is stored."""

    __tablename__ = "activation_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # used, or voided by a newer code


class PolicySetting(db.Model):
    """One policy value set at an org; descendants inherit it unless they set their own."""

    __tablename__ = "policy_setting"
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[object] = mapped_column(JSON)
    #: a lower org may not set a looser value of a key locked here (see learning.services.policy)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class PolicyPresetChoice(db.Model):
    """The named preset an org applied (减负 2024, 政务应用 2026, the platform's own); its subtree inherits it."""

    __tablename__ = "policy_preset_choice"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), unique=True)
    preset: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class PolicyChange(db.Model):
    """One change of the policy at an org, kept for auditors: who changed what, when (append-only).

    `key` is a policy key, or "" for the choice of a preset; a cleared value has `new_value` null
    and `cleared` set."""

    __tablename__ = "policy_change"
    __table_args__ = (Index("ix_policy_change_org_time", "org_id", "changed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    key: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[object | None] = mapped_column(JSON)
    new_value: Mapped[object | None] = mapped_column(JSON)
    old_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    preset: Mapped[str | None] = mapped_column(String(40))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningRecord(db.Model):
    """The spine: one learning act in the shape of an xAPI statement."""

    __tablename__ = "learning_record"
    __table_args__ = (Index("ix_learning_record_member_time", "member_id", "occurred_at"),
                      Index("ix_learning_record_org_time", "org_id", "occurred_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    verb: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    object_name: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict | None] = mapped_column(JSON)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(40), default="web")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberDayStats(db.Model):
    """Per member, org and China-local day: the rollup reports read instead of raw records."""

    __tablename__ = "member_day_stats"
    __table_args__ = (UniqueConstraint("member_id", "org_id", "day"),
                      Index("ix_member_day_stats_org_day", "org_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    day: Mapped[date] = mapped_column(Date)
    study_seconds: Mapped[int] = mapped_column(Integer, default=0)
    lessons_completed: Mapped[int] = mapped_column(Integer, default=0)
    courses_completed: Mapped[int] = mapped_column(Integer, default=0)
    questions_answered: Mapped[int] = mapped_column(Integer, default=0)
    questions_correct: Mapped[int] = mapped_column(Integer, default=0)
    quizzes_submitted: Mapped[int] = mapped_column(Integer, default=0)
    offline_attended: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    #: records that took the member's effort (verbs registered with `counts_as_activity`): the one
    #: definition of an active day is `effort_acts > 0` (learning.services.activity)
    effort_acts: Mapped[int] = mapped_column(Integer, default=0)


class Notification(db.Model):
    """An in-app message to one member (reminders, results, announcements): the inbox (收件箱)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_member_unread", "member_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxPreference(db.Model):
    """A member's choice for one kind of inbox message: shown in the app, and sent by which channels."""

    __tablename__ = "inbox_preference"
    __table_args__ = (UniqueConstraint("member_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(40))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # names of delivery channels, e.g. ["email"]


class ChannelAddress(db.Model):
    """Where a delivery channel reaches a member (an e-mail address, a WeCom user id)."""

    __tablename__ = "channel_address"
    __table_args__ = (UniqueConstraint("member_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254))


class Delivery(db.Model):
    """The outbox: one inbox message to be sent through one channel, written in the same transaction."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),
                      Index("ix_delivery_pending", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notice(db.Model):
    """A notice (通知公告) from an org to everyone in its subtree."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_org_published", "org_id", "published_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[int] = mapped_column(Integer, default=0)  # active members addressed when published
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Org] = relationship()
    author: Mapped[Member] = relationship()


class NoticeRecipient(db.Model):
    """One member a notice was addressed to, and when they first read it (the read receipt)."""

    __tablename__ = "notice_recipient"
    __table_args__ = (UniqueConstraint("notice_id", "member_id"),
                      Index("ix_notice_recipient_member", "member_id", "notice_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))  # the member's branch when addressed
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
