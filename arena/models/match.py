"""Quick matches (双人对战 / 四人赛): the search queue, matches, their questions and answers, ratings.

Everything a match needs to continue is stored here; the server's clock and these rows decide
what is open, so a restart of the app loses nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow
from quizzes.models import QuestionVersion

MATCH_MODES = {"two_player": 2, "four_player": 4}  # 双人对战, 四人赛: players per match
TICKET_STATES = ("waiting", "matched", "cancelled", "expired")
MATCH_STATES = ("running", "finished")
PLAYER_STATES = ("playing", "abandoned")


class ArenaRating(db.Model):
    """A member's quick-match rating (Elo), shared by both modes, with counts of games and wins."""

    __tablename__ = "arena_rating"
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    rating: Mapped[float] = mapped_column(Float, default=1200.0)
    games: Mapped[int] = mapped_column(Integer, default=0)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MatchTicket(db.Model):
    """One member's search for a match: waits, is matched, or ends (cancelled, expired)."""

    __tablename__ = "arena_match_ticket"
    __table_args__ = (Index("ix_arena_match_ticket_search", "mode", "state", "root_org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    root_org_id: Mapped[int] = mapped_column(Integer)  # players meet inside one top committee's tree
    rating: Mapped[float] = mapped_column(Float)  # the member's rating when the search began
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # last poll: its member still waits
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    match_id: Mapped[int | None] = mapped_column(ForeignKey("arena_match.id"))


class Match(db.Model):
    """A quick match of five questions; `step` counts state changes (optimistic concurrency)."""

    __tablename__ = "arena_match"
    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(String(20), default="running")
    step: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[int] = mapped_column(Integer, default=1)  # number of the question open or last closed
    question_s: Mapped[int] = mapped_column(Integer)  # time limit of each question
    points_possible: Mapped[int] = mapped_column(Integer, default=100)  # per question, before speed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    players = relationship("MatchPlayer", order_by="MatchPlayer.seat", back_populates="match")
    questions = relationship("MatchQuestion", order_by="MatchQuestion.number", back_populates="match")


class MatchPlayer(db.Model):
    """A member's seat in a match: score, placing, rating change, and when the server last heard from them."""

    __tablename__ = "arena_match_player"
    __table_args__ = (UniqueConstraint("match_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("arena_match.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="playing")
    score: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    placing: Mapped[int | None] = mapped_column(Integer)
    scored: Mapped[bool] = mapped_column(default=True)  # within the day's limit of matches that earn points
    rating_before: Mapped[float] = mapped_column(Float)
    rating_after: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_reason: Mapped[str | None] = mapped_column(String(20))  # abandoned, disconnected

    match = relationship("Match", back_populates="players")
    member = relationship("Member")


class MatchQuestion(db.Model):
    """The n-th question of a match: which bank question (version), and when it opened and closed."""

    __tablename__ = "arena_match_question"
    __table_args__ = (UniqueConstraint("match_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("arena_match.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_question_version.id"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    match = relationship("Match", back_populates="questions")
    version = relationship(QuestionVersion)


class MatchAnswer(db.Model):
    """A player's answer to one question, timed by the server, with the points it earned."""

    __tablename__ = "arena_match_answer"
    __table_args__ = (UniqueConstraint("player_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("arena_match.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("arena_match_player.id"))
    number: Mapped[int] = mapped_column(Integer)
    response: Mapped[list] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    elapsed_ms: Mapped[int] = mapped_column(Integer)
    fraction: Mapped[float] = mapped_column(Float)  # 0..1 of the marks
    points: Mapped[int] = mapped_column(Integer)
