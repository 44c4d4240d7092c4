"""Courses (微课), lessons, study sessions and progress, learning tasks (组织派学) and their assignees."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import UTCDateTime, utcnow

COURSE_STATUSES = ("draft", "published", "archived")
LESSON_KINDS = ("article", "video", "audio", "document")
MEDIA_LESSON_KINDS = ("video", "audio")


class Course(db.Model):
    """A micro-course published by an org for an audience subtree."""

    __tablename__ = "course"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # publishing org
    audience_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # who may see it
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    cover_path: Mapped[str | None] = mapped_column(String(400))  # under MEDIA_ROOT
    tags: Mapped[list] = mapped_column(JSON, default=list)  # knowledge points (知识点)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Org] = relationship(foreign_keys=[org_id])
    audience: Mapped[Org] = relationship(foreign_keys=[audience_org_id])
    lessons: Mapped[list[Lesson]] = relationship(back_populates="course", order_by="Lesson.position",
                                                 cascade="all, delete-orphan")


class Lesson(db.Model):
    """One ordered part of a course: an article, a video, an audio or a PDF document."""

    __tablename__ = "lesson"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised with nh3 on the way in
    text_chars: Mapped[int] = mapped_column(Integer, default=0)  # characters of text, for reading time
    media_asset_id: Mapped[int | None] = mapped_column(ForeignKey("media_asset.id"), index=True)
    document_path: Mapped[str | None] = mapped_column(String(400))  # under MEDIA_ROOT
    document_name: Mapped[str | None] = mapped_column(String(255))
    reading_s: Mapped[int | None] = mapped_column(Integer)  # estimated reading time of a document
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")


class LessonProgress(db.Model):
    """One member's standing in one lesson: credited time, position, coverage, completion."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("member_id", "lesson_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    credited_s: Mapped[float] = mapped_column(Float, default=0.0)
    position: Mapped[float] = mapped_column(Float, default=0.0)  # where to resume
    coverage: Mapped[str] = mapped_column(Text, default="")  # one char per segment: "1" watched
    coverage_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_studied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CourseProgress(db.Model):
    """One member's standing in one course: lessons done, last lesson, completion."""

    __tablename__ = "course_progress"
    __table_args__ = (UniqueConstraint("member_id", "course_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    lessons_completed: Mapped[int] = mapped_column(Integer, default=0)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    last_studied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StudySession(db.Model):
    """One sitting with one lesson: server-side crediting state and summary features."""

    __tablename__ = "study_session"
    __table_args__ = (Index("ix_study_session_member_open", "member_id", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    source: Mapped[str] = mapped_column(String(40), default="web")
    lesson_kind: Mapped[str] = mapped_column(String(20), default="video")  # copied at open: beats need no join
    length_s: Mapped[float] = mapped_column(Float, default=0.0)  # media duration or reading time, at open
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # server time
    last_position: Mapped[float] = mapped_column(Float, default=0.0)
    last_seq: Mapped[int | None] = mapped_column(Integer)
    last_client_ms: Mapped[float | None] = mapped_column(Float)
    last_visible: Mapped[bool | None] = mapped_column(Boolean)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a newer session took over
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))  # client, stale, superseded
    credited_s: Mapped[float] = mapped_column(Float, default=0.0)
    beats: Mapped[int] = mapped_column(Integer, default=0)
    ignored_beats: Mapped[int] = mapped_column(Integer, default=0)
    interval_n: Mapped[int] = mapped_column(Integer, default=0)
    interval_sum: Mapped[float] = mapped_column(Float, default=0.0)
    interval_sumsq: Mapped[float] = mapped_column(Float, default=0.0)
    seeks: Mapped[int] = mapped_column(Integer, default=0)
    visibility_changes: Mapped[int] = mapped_column(Integer, default=0)
    max_speed: Mapped[float] = mapped_column(Float, default=0.0)
    max_scroll: Mapped[float] = mapped_column(Float, default=0.0)

    member: Mapped[Member] = relationship()
    lesson: Mapped[Lesson] = relationship()


class LearningTask(db.Model):
    """Required learning (组织派学): courses assigned by an org to its subtree or chosen members."""

    __tablename__ = "learning_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    course_ids: Mapped[list] = mapped_column(JSON, default=list)
    # quizzes and course exams to pass: [{"quiz_id": 7, "min_score": 80.0 or None (the quiz's own pass mark)}]
    quiz_items: Mapped[list] = mapped_column(JSON, default=list)
    # True when assigned to the whole subtree: members who join or transfer in while it is open receive it
    whole_org: Mapped[bool] = mapped_column(Boolean, default=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org: Mapped[Org] = relationship()
    assignees: Mapped[list[TaskAssignee]] = relationship(back_populates="task", cascade="all, delete-orphan")


class TaskAssignee(db.Model):
    """One member who must do a task, and when they finished it."""

    __tablename__ = "task_assignee"
    __table_args__ = (UniqueConstraint("task_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("learning_task.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the member's branch when assigned
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_time: Mapped[bool | None] = mapped_column(Boolean)

    task: Mapped[LearningTask] = relationship(back_populates="assignees")
    member: Mapped[Member] = relationship()
    org: Mapped[Org] = relationship()


class CourseRating(db.Model):
    """A member's rating (1–5 stars, optional comment) of a course they finished or of a finished lesson of it
    (双向评价). One per member and target: a second is refused; the member edits the one they gave."""

    __tablename__ = "course_rating"
    __table_args__ = (UniqueConstraint("member_id", "course_id", "lesson_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the member's org when rating
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)  # None: the whole course
    lesson_key: Mapped[int] = mapped_column(Integer, default=0)  # lesson_id or 0, so the unique key holds for courses
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set when the member edits it

    member: Mapped[Member] = relationship()


TOPIC_STATUSES = ("open", "answered")
TOPIC_ANSWER_KINDS = ("course", "offline_session")


class TopicRequest(db.Model):
    """A member's request for a topic to study (点单式学习) in their branch; others back it; an organiser
    answers it with a course or an offline session."""

    __tablename__ = "topic_request"
    __table_args__ = (Index("ix_topic_request_org_status", "org_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))  # the requester's branch: who sees and backs it
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")
    backers: Mapped[int] = mapped_column(Integer, default=0)  # backings by other members (TopicBacking rows)
    status: Mapped[str] = mapped_column(String(20), default="open")
    answer_kind: Mapped[str | None] = mapped_column(String(20))  # course or offline_session
    answer_id: Mapped[int | None] = mapped_column(Integer)
    answer_title: Mapped[str | None] = mapped_column(String(200))
    answer_note: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org: Mapped[Org] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class TopicBacking(db.Model):
    """One member backing (附议) another's topic request; once each."""

    __tablename__ = "topic_backing"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("topic_request.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
