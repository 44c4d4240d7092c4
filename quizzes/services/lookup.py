"""What other packages may know about quizzes (through learning.services.directory)."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org
from learning.services.directory import Entry
from learning.timeutil import utcnow

from ..models import Quiz


def _take_url(quiz_id: int) -> str | None:
    try:
        return url_for("quizzes.take", quiz_id=quiz_id)
    except RuntimeError:  # outside a request (a task, the CLI): no page address
        return None


def quiz_entries(ids: list[int]) -> dict[int, Entry]:
    """Organisation quizzes (not personal practice sets) by id, with their pass mark and whether open."""
    return {e.id: e for e in _entries(Quiz.id.in_(ids))}


def open_quizzes_of(org_ids: list[int]) -> list[Entry]:
    """Open organisation quizzes held by these orgs (daily quizzes excluded: they are not a task's goal)."""
    return [e for e in _entries(Quiz.org_id.in_(org_ids), Quiz.kind != "daily", Quiz.archived_at.is_(None),
                                Quiz.published.is_(True)) if e.open]


def _entries(*where) -> list[Entry]:
    now = utcnow()
    rows = db.session.execute(select(Quiz, Org.path).join(Org, Org.id == Quiz.org_id).where(
        Quiz.owner_member_id.is_(None), *where).order_by(Quiz.id)).all()
    return [Entry(id=q.id, title=q.title, org_id=q.org_id, org_path=path, kind=q.kind, course_id=q.course_id,
                  pass_mark=q.pass_mark,
                  open=bool(q.published) and q.archived_at is None and (q.close_at is None or q.close_at > now),
                  url=_take_url(q.id))
            for q, path in rows]
