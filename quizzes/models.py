"""Question bank, quizzes, attempts, the wrong-answer book (错题本) and import reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

QUESTION_TYPES = ("single_choice", "multiple_choice", "true_false", "fill_blank", "short_answer")
QUIZ_KINDS = ("daily", "weekly", "special", "course_exam", "practice")  # 每日 每周 专项 结课考试 练习
SHOW_ANSWERS = ("after_each", "after_submit", "after_close", "never")
ATTEMPT_STATES = ("open", "grading", "closed")  # grading: waits for an organiser to mark short answers
DIFFICULTIES = (1, 2, 3)  # easy, medium, hard


class Question(db.Model):
    """A question's identity in an org's bank; its content lives in versions."""

    __tablename__ = "quiz_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    difficulty: Mapped[int] = mapped_column(Integer, default=2)
    current_version_id: Mapped[int | None] = mapped_column(Integer)  # plain int: avoids a FK cycle
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, xlsx, csv, gift, moodle_xml
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org = relationship("Org")
    current = relationship("QuestionVersion", primaryjoin="Question.current_version_id == QuestionVersion.id",
                           foreign_keys="Question.current_version_id", uselist=False, viewonly=True,
                           lazy="joined")


class QuestionVersion(db.Model):
    """One immutable-once-answered version of a question's content."""

    __tablename__ = "quiz_question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)  # sanitised HTML
    options: Mapped[list] = mapped_column(JSON, default=list)  # [{"key": "A", "text": "..."}]
    answer: Mapped[object] = mapped_column(JSON)  # keys, or per-blank lists of accepted texts, or reference text
    explanation: Mapped[str | None] = mapped_column(Text)
    knowledge_points: Mapped[list] = mapped_column(JSON, default=list)
    difficulty: Mapped[int] = mapped_column(Integer, default=2)
    partial_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    max_score: Mapped[float] = mapped_column(Float, default=1.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuestionTag(db.Model):
    """A knowledge point (知识点) of a question's current version, for pool selection."""

    __tablename__ = "quiz_question_tag"
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), primary_key=True)
    knowledge_point: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Quiz(db.Model):
    """A daily, weekly, special, course-exam or practice quiz owned by an org."""

    __tablename__ = "quiz"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    course_id: Mapped[int | None] = mapped_column(Integer, index=True)  # courses.id; no FK (DESIGN §4)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    question_time_s: Mapped[int | None] = mapped_column(Integer)
    pool: Mapped[dict] = mapped_column(JSON)  # {"mode": "fixed"|"random"|"wrong_book", ...}
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=1)  # 0 = unlimited; daily: per day
    pass_mark: Mapped[float] = mapped_column(Float, default=60.0)  # percent of the max score
    show_answers: Mapped[str] = mapped_column(String(20), default="after_submit")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    owner_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # personal practice quizzes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org = relationship("Org")


class Attempt(db.Model):
    """One member's attempt at a quiz; the server's clock decides what counts."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (UniqueConstraint("quiz_id", "member_id", "number"),
                      Index("ix_quiz_attempt_state_deadline", "state", "deadline"))
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    day: Mapped[date] = mapped_column(Date)  # China-local day of the start (daily quizzes count per day)
    seed: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(String(20))  # submitted, expired
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    quiz: Mapped[Quiz] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position")


class AttemptItem(db.Model):
    """One question of an attempt, pinned to the version it was asked in."""

    __tablename__ = "quiz_attempt_item"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quiz_question_version.id"), index=True)
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    max_score: Mapped[float] = mapped_column(Float, default=1.0)
    response: Mapped[object | None] = mapped_column(JSON)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    grader_comment: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship(lazy="joined")


class WrongAnswer(db.Model):
    """A question in a member's wrong-answer book until answered right twice in a row."""

    __tablename__ = "quiz_wrong_answer"
    __table_args__ = (UniqueConstraint("member_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"), index=True)
    wrong_count: Mapped[int] = mapped_column(Integer, default=0)
    right_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_response: Mapped[object | None] = mapped_column(JSON)
    first_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_wrong_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reveal_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # answer shown from then; None: never
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quiz.id"))  # where it was last answered wrong

    question: Mapped[Question] = relationship()


class ImportJob(db.Model):
    """What one import did: counts, skipped questions and errors with their row or number."""

    __tablename__ = "quiz_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # imported, partial, rejected
    total: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
