"""The course directory courses gives learning (learning.services.course_directory), so that packages
which may not import courses (quizzes' course exams) can name courses by id."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select

from learning.extensions import db
from learning.models import Org
from learning.services.course_directory import CourseDirectory

from ..models import Course


def titles(ids: set[int]) -> dict[int, str]:
    """Titles of the given courses by id (missing ids are left out)."""
    return dict(db.session.execute(select(Course.id, Course.title).where(Course.id.in_(ids))).all())


def _visible_at(org: Org):
    """Published, unarchived courses whose audience covers the org, or lies below it."""
    audience = Org.__table__.alias("course_audience")
    return (select(Course.id, Course.title)
            .join(audience, audience.c.id == Course.audience_org_id)
            .where(Course.status == "published", Course.archived_at.is_(None),
                   or_(audience.c.id.in_(org.ancestor_ids), audience.c.path.startswith(org.path, autoescape=True))))


def for_org(org: Org) -> list[tuple[int, str]]:
    """(id, title) of the courses a course exam at this org may belong to, by title."""
    return [tuple(row) for row in db.session.execute(_visible_at(org).order_by(Course.title)).all()]


def visible_at(org: Org, course_id: int) -> bool:
    """Whether the course exists, is published and is meant for this org's members (or those below it)."""
    return db.session.execute(_visible_at(org).where(Course.id == course_id)).first() is not None


def published_titled(wanted: list[str]) -> dict[str, int]:
    """Ids of published courses by title (the first by id when several share a title)."""
    return dict(db.session.execute(select(Course.title, Course.id).where(
        Course.title.in_(wanted), Course.status == "published", Course.archived_at.is_(None))
        .order_by(Course.id.desc())).all())


def page_url(course_id: int) -> str:
    """The course page's address."""
    return url_for("courses.course_page", course_id=course_id)


DIRECTORY = CourseDirectory(titles=titles, for_org=for_org, visible_at=visible_at,
                            published_titled=published_titled, page_url=page_url)
