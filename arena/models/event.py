"""Live events (先锋擂台): an event, its contestants and rounds, the question slots, and what the server
decided during the event: buzzes, answers, score changes, host actions and the stream log.

Event state lives here, not in a process: the stream is only delivery (DESIGN §6.4).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

ROUND_KINDS = ("required", "buzz", "risk", "speed", "knockout")  # 必答 抢答 风险题 速答 擂台
EVENT_STATUSES = ("draft", "live", "finished")
PHASES = ("pending", "shown", "open", "locked", "revealed")


class ArenaEvent(db.Model):
    """One live contest: its org, host, settings and where it stands (cursor over its slots)."""

    __tablename__ = "arena_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    team_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_guests: Mapped[bool] = mapped_column(Boolean, default=False)
    guest_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    host_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    cursor: Mapped[int] = mapped_column(Integer, default=-1)  # position of the current slot; -1 before start
    seq: Mapped[int] = mapped_column(Integer, default=0)  # last stream event written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rounds: Mapped[list[ArenaRound]] = relationship(order_by="ArenaRound.position", back_populates="event")
    contestants: Mapped[list[ArenaContestant]] = relationship(order_by="ArenaContestant.position",
                                                              back_populates="event")


class ArenaRound(db.Model):
    """A round of one kind, in order; per-round points and time limit override the event settings."""

    __tablename__ = "arena_round"
    __table_args__ = (UniqueConstraint("event_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    points: Mapped[int | None] = mapped_column(Integer)
    time_limit_s: Mapped[int | None] = mapped_column(Integer)

    event: Mapped[ArenaEvent] = relationship(back_populates="rounds")


class ArenaContestant(db.Model):
    """A member competing alone, or a team (one branch's members answering as one)."""

    __tablename__ = "arena_contestant"
    __table_args__ = (UniqueConstraint("event_id", "member_id"), UniqueConstraint("event_id", "team_org_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # an individual contestant
    team_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))  # a team: the branch it stands for
    fouls: Mapped[int] = mapped_column(Integer, default=0)
    disqualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[ArenaEvent] = relationship(back_populates="contestants")
    team: Mapped[list[ArenaTeamMember]] = relationship(order_by="ArenaTeamMember.member_id")


class ArenaTeamMember(db.Model):
    """A member of a team contestant; a member is in at most one team of an event."""

    __tablename__ = "arena_team_member"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)
    contestant_id: Mapped[int] = mapped_column(ForeignKey("arena_contestant.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)


class ArenaSlot(db.Model):
    """One question in the event's running order and its live phase (pending→shown→open→locked→revealed).

    `opening` counts the times the slot was opened: answers and buzzes belong to one opening, so an
    undone opening leaves its answers in place but out of play.
    """

    __tablename__ = "arena_slot"
    __table_args__ = (UniqueConstraint("event_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("arena_round.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_question_version.id"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("arena_contestant.id"))  # required/risk; challenger
    defender_id: Mapped[int | None] = mapped_column(ForeignKey("arena_contestant.id"))  # knockout champion
    phase: Mapped[str] = mapped_column(String(20), default="pending")
    opening: Mapped[int] = mapped_column(Integer, default=0)
    stake: Mapped[int | None] = mapped_column(Integer)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    buzz_winner_id: Mapped[int | None] = mapped_column(ForeignKey("arena_contestant.id"))
    buzzed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    passed_by_id: Mapped[int | None] = mapped_column(ForeignKey("arena_contestant.id"))  # 擂台: the champion passed

    round: Mapped[ArenaRound] = relationship()


class ArenaBuzz(db.Model):
    """A press of the buzzer as the server saw it: won, too late, or a foul (before the question opened)."""

    __tablename__ = "arena_buzz"
    __table_args__ = (UniqueConstraint("slot_id", "opening", "contestant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("arena_slot.id"), index=True)
    opening: Mapped[int] = mapped_column(Integer)
    contestant_id: Mapped[int] = mapped_column(ForeignKey("arena_contestant.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(10))  # won, late, foul


class ArenaAnswer(db.Model):
    """A contestant's answer to one opening of a slot, with the server's receipt time and the verdict."""

    __tablename__ = "arena_answer"
    __table_args__ = (UniqueConstraint("slot_id", "opening", "contestant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("arena_slot.id"), index=True)
    opening: Mapped[int] = mapped_column(Integer)
    contestant_id: Mapped[int] = mapped_column(ForeignKey("arena_contestant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    response: Mapped[object] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    elapsed_ms: Mapped[int] = mapped_column(Integer)
    fraction: Mapped[float | None] = mapped_column(db.Float)  # None: waits for the host's ruling (short answer)
    adjudicated_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class ArenaScore(db.Model):
    """A change to a contestant's score; one written by a host action drops out when that action is undone."""

    __tablename__ = "arena_score"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    contestant_id: Mapped[int] = mapped_column(ForeignKey("arena_contestant.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("arena_slot.id"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("arena_answer.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("arena_action.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # correct, wrong, foul, duel
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArenaAction(db.Model):
    """A host action in the log, with what it changed (so undo restores it exactly)."""

    __tablename__ = "arena_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ArenaStreamEvent(db.Model):
    """The stream log: what every screen was told, in order, so a reconnecting screen can catch up."""

    __tablename__ = "arena_stream_event"
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArenaReaction(db.Model):
    """A viewer's likes and boos (点赞/拍砖) for one contestant; kept apart from scores."""

    __tablename__ = "arena_reaction"
    __table_args__ = (UniqueConstraint("event_id", "contestant_id", "viewer"),
                      Index("ix_arena_reaction_event_contestant", "event_id", "contestant_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("arena_event.id"))
    contestant_id: Mapped[int] = mapped_column(ForeignKey("arena_contestant.id"))
    viewer: Mapped[str] = mapped_column(String(64))  # "m<member id>" or "g<guest id>"
    likes: Mapped[int] = mapped_column(Integer, default=0)
    boos: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
