"""Scoring tables: versioned rules, the append-only points ledger, balances, cap counters,
offline sessions (线上线下结合) and their attendance.

Stable for other packages (reports, arena, appraisal): `PointsEntry` and `PointsBalance`
and their columns below; read them, never write them except through `scoring.services`.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

RULE_KINDS = ("per_event", "per_minutes", "score_band", "placing")
ENTRY_KINDS = ("award", "reversal", "adjustment")
# 三会一课 (支部党员大会 支部委员会 党小组会 党课), 主题党日, 组织生活会, 民主生活会 (leadership groups), 集体学习
SESSION_KINDS = ("branch_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                 "org_life_meeting", "democratic_life_meeting", "collective_study")


class PointsRule(db.Model):
    """One version of a rule set at an org; descendants inherit it unless they set the same code.

    A change is a new row with a higher `version` and its own `effective_from`; the row it
    replaces gets `effective_to`, and entries keep pointing at the version that earned them.
    """

    __tablename__ = "points_rule"
    __table_args__ = (UniqueConstraint("org_id", "code", "version"),
                      Index("ix_points_rule_org_code", "org_id", "code"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    verb: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    match: Mapped[dict | None] = mapped_column(JSON)  # result/field filters, e.g. {"quiz_kind": ["daily"]}
    points: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int | None] = mapped_column(Integer)  # per_minutes: one award per N minutes
    bands: Mapped[list | None] = mapped_column(JSON)  # score_band: [{"min": 0.6, "points": 1}, ...]
    placings: Mapped[dict | None] = mapped_column(JSON)  # placing: {"1": 3, "2": 2, "*": 1}
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    weekly_cap: Mapped[int | None] = mapped_column(Integer)
    schedule: Mapped[list | None] = mapped_column(JSON)  # [{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    preset: Mapped[str | None] = mapped_column(String(40))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PointsEntry(db.Model):
    """One ledger line; append-only. `hash` = HMAC(prev_hash + canonical fields), per member.

    kind: award (from a learning record by a rule), reversal (cancels `reverses_id`),
    adjustment (manual, with `reason` and `actor_id`). `org_id` is the member's org when
    the points were earned; `occurred_at` is when the act happened.
    """

    __tablename__ = "points_entry"
    __table_args__ = (UniqueConstraint("member_id", "seq"),
                      Index("ix_points_entry_member_time", "member_id", "occurred_at"),
                      Index("ix_points_entry_org_time", "org_id", "occurred_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("points_rule.id"))
    rule_code: Mapped[str | None] = mapped_column(String(40))
    delta: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("learning_record.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entry.id"))
    reason: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    idempotency_key: Mapped[str] = mapped_column(String(240), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))  # which LEDGER_KEY hashed it (rotation)


class PointsBalance(db.Model):
    """A member's balance and the head of their hash chain (`seq`, `last_hash`): the anchor."""

    __tablename__ = "points_balance"
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PointsCounter(db.Model):
    """Points earned under one rule code by one member in one period ("2026-11-22" or "2026-W47").

    Caps are enforced by one atomic conditional UPDATE on this row, so concurrent awards
    cannot pass a cap; `progress` carries study seconds for per-minutes rules.
    """

    __tablename__ = "points_counter"
    __table_args__ = (UniqueConstraint("member_id", "rule_code", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    rule_code: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(12))
    points: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    last_award: Mapped[int] = mapped_column(Integer, default=0)


class OfflineSession(db.Model):
    """An offline organisation-life session (三会一课, 主题党日, 党课) of a branch."""

    __tablename__ = "offline_session"
    __table_args__ = (Index("ix_offline_session_org_time", "org_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(Text)
    qr_nonce: Mapped[str] = mapped_column(String(32))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # 会议记录: the minutes, written after the session
    topics: Mapped[str | None] = mapped_column(Text)
    speakers: Mapped[str | None] = mapped_column(Text)
    resolutions: Mapped[str | None] = mapped_column(Text)
    minutes_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    minutes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OfflineAttendance(db.Model):
    """A member's attendance at a session: by QR check-in, or entered by an organiser (proxy)."""

    __tablename__ = "offline_attendance"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("offline_session.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    method: Mapped[str] = mapped_column(String(10))  # qr | proxy
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    token_id: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("learning_record.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PointsAwardMark(db.Model):
    """A learning record that has been through the rules once (so awarding is idempotent)."""

    __tablename__ = "points_award_mark"
    record_id: Mapped[int] = mapped_column(ForeignKey("learning_record.id"), primary_key=True)


class PointsCheckpoint(db.Model):
    """A signed note of a member's chain head, written each night for every chain that grew that day
    (`ledger.checkpoint_heads`), kept apart from the balance row: `flask ledger verify` finds a chain
    cut short behind the ledger's back (its tail and the balance row rewound together) by the
    checkpoint naming an entry that is gone. Written once, never updated (the application role has
    only SELECT and INSERT on it)."""

    __tablename__ = "points_checkpoint"
    __table_args__ = (UniqueConstraint("member_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    day: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(12))
    signature: Mapped[str] = mapped_column(String(64))


class PointsHeld(db.Model):
    """A record whose result its member may not see yet (a quiz answer before reveal): the awards that
    depend on the result wait here until `due_at` (None: until the record says when), so the points
    history, the balance and the rankings cannot tell the member which answers were right."""

    __tablename__ = "points_held"
    record_id: Mapped[int] = mapped_column(ForeignKey("learning_record.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class BoardEpoch(db.Model):
    """A token naming this database's generation of cached leaderboards (a restore starts anew)."""

    __tablename__ = "points_board_epoch"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(16))


class MinutesFile(db.Model):
    """A file attached to a session's minutes (sign-in sheet scan, photos, the written record)."""

    __tablename__ = "offline_minutes_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("offline_session.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
