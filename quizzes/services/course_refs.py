"""Courses as the quizzes package sees them: rows of the `course` table, read without importing courses.

DESIGN §4 lets quizzes import only `learning`; a course exam keeps its course as a plain id, and the few
facts a quiz needs (a title, whether the course exists for an org) come from the table in the shared
metadata. Without the courses package installed every lookup answers "no course".
"""
from __future__ import annotations

from sqlalchemy import Table, or_, select

from learning.extensions import db
from learning.models import Org


def _course_table() -> Table | None:
    return db.metadata.tables.get("course")


def course_titles(course_ids) -> dict[int, str]:
    """Titles of the given courses by id (missing ids are left out)."""
    table = _course_table()
    ids = {i for i in course_ids if i}
    if table is None or not ids:
        return {}
    return dict(db.session.execute(select(table.c.id, table.c.title).where(table.c.id.in_(ids))).all())


def _visible_at(table: Table, org: Org):
    """Published, unarchived courses whose audience covers the org, or lies below it."""
    audience = Org.__table__.alias("course_audience")
    return (select(table.c.id, table.c.title)
            .join(audience, audience.c.id == table.c.audience_org_id)
            .where(table.c.status == "published", table.c.archived_at.is_(None),
                   or_(audience.c.id.in_(org.ancestor_ids), audience.c.path.startswith(org.path, autoescape=True))))


def courses_for_org(org: Org) -> list[tuple[int, str]]:
    """(id, title) of the courses a course exam at this org may belong to, by title."""
    table = _course_table()
    if table is None:
        return []
    return [tuple(row) for row in db.session.execute(_visible_at(table, org).order_by(table.c.title)).all()]


def course_visible_at(org: Org, course_id: int) -> bool:
    """Whether the course exists, is published and is meant for this org's members (or those below it)."""
    table = _course_table()
    if table is None:
        return False
    return db.session.execute(_visible_at(table, org).where(table.c.id == course_id)).first() is not None


def published_courses_titled(titles) -> dict[str, int]:
    """Ids of published courses by title (the first by id when several share a title)."""
    table = _course_table()
    if table is None:
        return {}
    rows = db.session.execute(select(table.c.title, table.c.id).where(
        table.c.title.in_(list(titles)), table.c.status == "published", table.c.archived_at.is_(None))
        .order_by(table.c.id.desc())).all()
    return dict(rows)
