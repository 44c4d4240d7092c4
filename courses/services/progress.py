"""Lesson and course progress, completions as learning records, and task completion that follows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learning.extensions import db
from learning.models import Member
from learning.services.records import record

from ..models import Course, CourseProgress, LearningTask, Lesson, LessonProgress, TaskAssignee
from . import task_items


def lesson_progress(member_id: int, lesson_id: int, course_id: int, lock: bool = False) -> LessonProgress:
    """The member's progress row for a lesson, created on first use."""
    stmt = select(LessonProgress).where(LessonProgress.member_id == member_id, LessonProgress.lesson_id == lesson_id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        try:
            with db.session.begin_nested():
                row = LessonProgress(member_id=member_id, lesson_id=lesson_id, course_id=course_id,
                                     credited_s=0.0, position=0.0, coverage="", coverage_ratio=0.0)
                db.session.add(row)
        except IntegrityError:  # created concurrently
            row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    return row


def course_progress(member_id: int, course_id: int) -> CourseProgress:
    """The member's progress row for a course, created on first use."""
    stmt = select(CourseProgress).where(CourseProgress.member_id == member_id, CourseProgress.course_id == course_id)
    row = db.session.scalar(stmt)
    if row is None:
        try:
            with db.session.begin_nested():
                row = CourseProgress(member_id=member_id, course_id=course_id, lessons_completed=0)
                db.session.add(row)
        except IntegrityError:
            row = db.session.scalar(stmt)
    return row


def mark_completed(member: Member, lesson: Lesson, progress: LessonProgress, now: datetime) -> None:
    """Record a finished lesson; finish the course (and the member's tasks) when it was the last one."""
    progress.completed_at = now
    record(member, "completed", "lesson", lesson.id, idempotency_key=f"lesson-done:{member.id}:{lesson.id}",
           object_name=lesson.title, occurred_at=now, result={"course_id": lesson.course_id})
    db.session.flush()
    course = db.session.get(Course, lesson.course_id)
    done = db.session.scalar(select(func.count()).select_from(LessonProgress).join(
        Lesson, Lesson.id == LessonProgress.lesson_id).where(
        LessonProgress.member_id == member.id, Lesson.course_id == course.id,
        LessonProgress.completed_at.is_not(None)))
    total = db.session.scalar(select(func.count()).select_from(Lesson).where(Lesson.course_id == course.id))
    cp = course_progress(member.id, course.id)
    cp.lessons_completed = done
    if done >= total and cp.completed_at is None:
        cp.completed_at = now
        task_ids, on_time = complete_tasks(member, course.id, now)
        record(member, "completed", "course", course.id, idempotency_key=f"course-done:{member.id}:{course.id}",
               object_name=course.title, occurred_at=now,
               result={"course_id": course.id, "task_ids": task_ids, "on_time": on_time})


def complete_tasks(member: Member, course_id: int, now: datetime) -> tuple[list[int], bool | None]:
    """Tasks of the member that include the course; those now fully done (courses finished, quizzes
    passed) are marked complete."""
    rows = db.session.execute(select(TaskAssignee, LearningTask).join(LearningTask).where(
        TaskAssignee.member_id == member.id)).all()
    related = [(a, t) for a, t in rows if course_id in (t.course_ids or [])]
    if not related:
        return [], None
    db.session.flush()  # the course's own completion is visible to the check
    task_items.refresh(member, related, now)
    return sorted(t.id for _, t in related), all(now <= t.due_at for _, t in related)


def member_progress(member: Member) -> dict:
    """Per lesson credited seconds, resume position and completion; per course lessons done."""
    lessons = db.session.scalars(select(LessonProgress).where(LessonProgress.member_id == member.id)
                                 .order_by(LessonProgress.course_id, LessonProgress.lesson_id)).all()
    courses = db.session.scalars(select(CourseProgress).where(CourseProgress.member_id == member.id)
                                 .order_by(CourseProgress.course_id)).all()
    totals = dict(db.session.execute(select(Lesson.course_id, func.count()).where(
        Lesson.course_id.in_([c.course_id for c in courses])).group_by(Lesson.course_id)).all()) if courses else {}
    return {
        "member_id": member.id,
        "lessons": [{"lesson_id": p.lesson_id, "course_id": p.course_id, "credited_seconds": int(round(p.credited_s)),
                     "position": round(p.position, 2), "coverage": round(p.coverage_ratio, 3),
                     "completed": p.completed_at is not None, "completed_at": p.completed_at,
                     "last_studied_at": p.last_studied_at} for p in lessons],
        "courses": [{"course_id": c.course_id, "lessons_completed": c.lessons_completed,
                     "lessons_total": totals.get(c.course_id, 0), "completed": c.completed_at is not None,
                     "completed_at": c.completed_at, "last_lesson_id": c.last_lesson_id} for c in courses],
    }
