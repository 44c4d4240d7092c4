"""What courses offers to `learning.services.guidance`: published courses tagged with a member's weak
knowledge points, and, when they have none, their unfinished tasks and courses popular in their org."""
from __future__ import annotations

from flask import url_for
from flask_babel import format_datetime, gettext
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Member
from learning.services.guidance import Offer
from learning.timeutil import utcnow

from ..models import Course, CourseProgress, LearningTask, TaskAssignee
from . import catalog

POPULAR = 3


def _finished(member: Member) -> set[int]:
    return set(db.session.scalars(select(CourseProgress.course_id).where(
        CourseProgress.member_id == member.id, CourseProgress.completed_at.is_not(None))))


def tagged_courses(member: Member, points: list[str]) -> list[Offer]:
    """Published courses the member may see and has not finished whose knowledge-point tags meet `points`."""
    wanted, done = set(points), _finished(member)
    courses = db.session.scalars(catalog.visible_courses(member).where(Course.status == "published")
                                 .order_by(Course.published_at.desc().nulls_last(), Course.id.desc()))
    return [Offer("course", str(c.id), c.title, url_for("courses.course_page", course_id=c.id),
                  tuple(t for t in c.tags or [] if t in wanted))
            for c in courses if c.id not in done and wanted & set(c.tags or [])]


def fallback(member: Member) -> list[Offer]:
    """Without weak points: the member's open tasks (soonest due first), then courses most finished by others."""
    now = utcnow()
    offers = [Offer("task", str(t.id), t.title, url_for("courses.my_tasks") + f"#task-{t.id}",
                    reason=gettext("A learning task assigned to you, due %(due)s",
                                   due=format_datetime(t.due_at, "short")))
              for t in db.session.scalars(select(LearningTask).join(TaskAssignee).where(
                  TaskAssignee.member_id == member.id, TaskAssignee.completed_at.is_(None),
                  LearningTask.due_at > now).order_by(LearningTask.due_at).limit(POPULAR))]
    done = _finished(member)
    visible = catalog.visible_courses(member).where(Course.status == "published").subquery()
    finishers = func.count(CourseProgress.id)
    for course_id, title, n in db.session.execute(
            select(visible.c.id, visible.c.title, finishers).join(CourseProgress, CourseProgress.course_id == visible.c.id)
            .where(CourseProgress.completed_at.is_not(None)).group_by(visible.c.id, visible.c.title)
            .order_by(finishers.desc(), visible.c.id).limit(POPULAR + len(done))):
        if course_id not in done and len(offers) < 2 * POPULAR:
            offers.append(Offer("course", str(course_id), title, url_for("courses.course_page", course_id=course_id),
                                reason=gettext("Popular: %(n)s members have finished it", n=n)))
    return offers
