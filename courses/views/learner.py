"""Member pages: the catalogue, a course, a lesson (the player), and the home-page panel."""
from __future__ import annotations

import json

from flask import render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor
from learning.extensions import db
from learning.services import scope
from learning.services.pagination import listing_of, sort_keys

from ..models import Course, CourseProgress, LessonProgress
from ..services import assignments, catalog, player, study
from learning.config import setting
from . import bp
from .feedback import rating_context

KIND_LABELS = {"article": "Article", "video": "Video", "audio": "Audio", "document": "Document"}



def _course_progress(member, courses) -> dict[int, CourseProgress]:
    ids = [c.id for c in courses]
    if not ids:
        return {}
    rows = db.session.scalars(select(CourseProgress).where(CourseProgress.member_id == member.id,
                                                           CourseProgress.course_id.in_(ids)))
    return {row.course_id: row for row in rows}


def continue_learning(member, limit: int = 3) -> list[dict]:
    """Courses the member started and has not finished, most recent first, with the lesson to resume."""
    rows = db.session.execute(select(CourseProgress, Course).join(Course, Course.id == CourseProgress.course_id).where(
        CourseProgress.member_id == member.id, CourseProgress.completed_at.is_(None),
        CourseProgress.last_studied_at.is_not(None), Course.status == "published")
        .order_by(CourseProgress.last_studied_at.desc()).limit(limit * 3)).all()
    ids = [c.id for _, c in rows]
    visible = {c.id for c in db.session.scalars(catalog.visible_courses(member).where(Course.id.in_(ids)))}
    return [{"course": c, "progress": p, "total": len(c.lessons)} for p, c in rows if c.id in visible][:limit]


CATALOGUE_SORTS = {"newest": lambda c: (c.published_at or c.created_at, c.id), "title": lambda c: c.title}
CATALOGUE_SORT_LABELS = {"-newest": lambda: _("Newest first"), "newest": lambda: _("Oldest first"),
                         "title": lambda: _("Title A–Z"), "-title": lambda: _("Title Z–A")}


@bp.route("/courses")
@login_required
def catalogue():
    """The catalogue: search, tags, continue where you left off, progress per course."""
    me = actor()
    q, tag = (request.args.get("q") or "").strip()[:100], (request.args.get("tag") or "").strip()[:30]
    everything = catalog.search_courses(me, status="published")
    all_tags = sorted({t for c in everything for t in (c.tags or [])})
    published = [c for c in catalog.search_courses(me, q or None, tag or None, status="published")] \
        if (q or tag) else everything
    page = listing_of(published, request.args, sorts=CATALOGUE_SORTS, default="-newest", per_page=24,
                      extra={"tag": tag})
    from learning.services import guidance

    suggestions = guidance.suggest(me, kinds=("course", "task")) if not (q or tag) else None
    return render_template("courses/catalogue.html", courses=page.items, listing=page, q=q, tag=tag, tags=all_tags,
                           sort_options=[(k, CATALOGUE_SORT_LABELS[k]()) for k in sort_keys(CATALOGUE_SORTS)],
                           progress=_course_progress(me, page.items), resume=continue_learning(me) if not q else [],
                           guidance=suggestions if suggestions and suggestions.suggestions else None,
                           can_manage=scope.holds_anywhere(me, "course.manage"))


@bp.route("/courses/<int:course_id>")
@login_required
def course_page(course_id: int):
    """One course: summary, lessons with the member's progress, start or continue."""
    me = actor()
    course = catalog.require_course(me, course_id)
    rows = db.session.scalars(select(LessonProgress).where(LessonProgress.member_id == me.id,
                                                           LessonProgress.course_id == course.id))
    lesson_progress = {row.lesson_id: row for row in rows}
    cp = _course_progress(me, [course]).get(course.id)
    next_lesson = next((l for l in course.lessons if not (lesson_progress.get(l.id) and
                                                         lesson_progress[l.id].completed_at)), None)
    if cp and cp.last_lesson_id and not (lesson_progress.get(cp.last_lesson_id) and
                                         lesson_progress[cp.last_lesson_id].completed_at):
        next_lesson = next((l for l in course.lessons if l.id == cp.last_lesson_id), next_lesson)
    return render_template("courses/course.html", course=course, lesson_progress=lesson_progress, cp=cp,
                           next_lesson=next_lesson, kinds=KIND_LABELS,
                           can_manage=scope.holds(me, "course.manage", course.org),
                           **rating_context(me, course, cp))


@bp.route("/lessons/<int:lesson_id>")
@login_required
def lesson_page(lesson_id: int):
    """A lesson: the player (video/audio), the article, or the document, with study tracking."""
    me = actor()
    lesson = catalog.require_lesson(me, lesson_id)
    course = lesson.course
    lessons = course.lessons
    index = next(i for i, l in enumerate(lessons) if l.id == lesson.id)
    media = player.media_of(lesson)
    ready = catalog.lesson_is_ready(lesson)
    progress = db.session.scalar(select(LessonProgress).where(LessonProgress.member_id == me.id,
                                                              LessonProgress.lesson_id == lesson.id))
    config = {"lessonId": lesson.id, "kind": lesson.kind, "sessionsUrl": url_for("Study.open_session"),
              "sources": media["sources"] if media else [], "ready": ready,
              "lengthS": study.lesson_length(lesson) if ready else 0,
              "text": {"credited": _("Credited study time: %(min)s min %(sec)s s"),
                       "completed": _("Lesson completed"), "other_tab": _("You are studying in another window; "
                                                                           "this one does not count."),
                       "offline": _("Connection lost: your progress is kept and sent when you are back online."),
                       "ended": _("This study session has ended. Reload the page to continue.")}}
    return render_template("courses/lesson.html", lesson=lesson, course=course, media=media, ready=ready,
                           progress=progress, config=json.dumps(config, ensure_ascii=False),
                           prev_lesson=lessons[index - 1] if index > 0 else None,
                           next_lesson=lessons[index + 1] if index + 1 < len(lessons) else None,
                           speeds=[0.75, 1, 1.25, 1.5, 2], heartbeat=int(setting("STUDY_HEARTBEAT_S")))


@bp.route("/lessons/<int:lesson_id>/document")
@login_required
def lesson_document(lesson_id: int):
    """The PDF of a document lesson, for those who may see the lesson."""
    lesson = catalog.require_lesson(actor(), lesson_id)
    response = send_file(catalog.document_file(lesson), mimetype="application/pdf", download_name=lesson.document_name,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    # shown in a frame of the lesson page (same origin only)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def _home_panel(member) -> dict | None:
    tasks = [t for t in assignments.my_tasks(member) if not t["completed"]][:3]
    resume = continue_learning(member)
    if not tasks and not resume:
        return None
    return {"tasks": tasks, "resume": resume}
