"""Organiser pages: courses in reach, the course editor (lessons, order, articles, media, PDFs), publishing."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.fields import db_int
from learning.models import Org
from learning.services import scope
from learning.services.pagination import listing, sort_keys
from learning.views.common import form_action

from ..models import LESSON_KINDS, Course
from ..services import catalog, feedback
from . import bp
from .learner import KIND_LABELS



def _require_manager():
    me = actor()
    if not scope.holds_anywhere(me, "course.manage"):
        abort(404)
    return me


def _orgs(me):
    return db.session.scalars(scope.scoped_orgs(me, "course.manage").where(Org.closed_at.is_(None))
                              .order_by(Org.path)).all()


def _tags(raw: str) -> list[str]:
    return [t.strip() for t in (raw or "").replace("，", ",").split(",") if t.strip()]


def _int_or_none(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return db_int(raw)
    except ValueError:
        raise DomainError(_("Please enter a number.")) from None


COURSE_SORTS = {"newest": (func.coalesce(Course.published_at, Course.created_at),), "title": (Course.title,),
                "status": (Course.status, Course.title)}
COURSE_SORT_LABELS = {"-newest": lambda: _("Newest first"), "newest": lambda: _("Oldest first"),
                      "title": lambda: _("Title A–Z"), "-title": lambda: _("Title Z–A"),
                      "status": lambda: _("By status"), "-status": lambda: _("By status, reversed")}


@bp.route("/courses/manage")
@login_required
def manage():
    """Every course in the organiser's reach, any status: searched, sorted, paginated."""
    me = _require_manager()
    status = request.args.get("status") or None
    status = status if status in ("draft", "published", "archived") else None
    stmt = catalog.visible_courses(me).where(scope.org_clause(me, "course.read"))
    if status:
        stmt = stmt.where(Course.status == status)
    page = listing(stmt, request.args, sorts=COURSE_SORTS, default="-newest", tie=Course.id,
                   search=(Course.title, Course.summary), extra={"status": status})
    return render_template("courses/manage.html", courses=page.items, status=status, q=page.q, listing=page,
                           sort_options=[(k, COURSE_SORT_LABELS[k]()) for k in sort_keys(COURSE_SORTS)],
                           ratings=feedback.rating_averages([c.id for c in page.items]))


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():
    """Create a draft course."""
    me = _require_manager()
    orgs = _orgs(me)
    form = request.form
    if request.method == "POST":
        try:
            org = scope.require_org(me, int(form.get("org_id") or 0), "course.manage")
            course = catalog.create_course(me, org, form.get("title", ""), form.get("summary", ""),
                                           _tags(form.get("tags", "")), _int_or_none(form.get("audience_org_id")))
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
        else:
            flash(_("Course created as a draft. Add lessons, then publish it."), "success")
            return redirect(url_for("courses.edit_course", course_id=course.id))
    return render_template("courses/course_form.html", course=None, orgs=orgs, form=form), \
        400 if request.method == "POST" else 200


def _managed(course_id: int) -> Course:
    return catalog.require_course(actor(), course_id, manage=True)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit_course(course_id: int):
    """The course editor: details, lessons in order, adding lessons, publishing."""
    me = actor()
    course = _managed(course_id)
    if request.method == "POST":
        form = request.form
        here = url_for("courses.edit_course", course_id=course_id)
        return form_action(lambda: catalog.update_course(
            me, course, title=form.get("title", ""), summary=form.get("summary", ""), tags=_tags(form.get("tags", "")),
            audience_org_id=_int_or_none(form.get("audience_org_id")) or course.org_id),
            done=_("Saved."), to=here, error_to=here).response
    return render_template("courses/editor.html", course=course, orgs=_orgs(me), kinds=LESSON_KINDS,
                           kind_labels=KIND_LABELS, ready={l.id: catalog.lesson_is_ready(l) for l in course.lessons})


def _act(course_id: int, action, success: str):
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        if exc.errors and isinstance(exc.errors.get("lessons"), list):
            flash(", ".join(exc.errors["lessons"]), "error")
    else:
        flash(success, "success")
    return redirect(url_for("courses.edit_course", course_id=course_id))


@bp.route("/courses/<int:course_id>/publish", methods=["POST"])
@login_required
def publish_course(course_id: int):
    """Publish a draft."""
    course = _managed(course_id)
    return _act(course_id, lambda: catalog.publish(course), _("The course is published."))


@bp.route("/courses/<int:course_id>/archive", methods=["POST"])
@login_required
def archive_course(course_id: int):
    """Archive a published course."""
    course = _managed(course_id)
    return _act(course_id, lambda: catalog.archive(course), _("The course is archived."))


@bp.route("/courses/<int:course_id>/lessons", methods=["POST"])
@login_required
def add_lesson(course_id: int):
    """Add a lesson from the editor form (article text, media asset id, or a PDF upload)."""
    me = actor()
    course = _managed(course_id)
    form = request.form

    def add():
        minutes = _int_or_none(form.get("reading_minutes"))
        lesson = catalog.add_lesson(me, course, form.get("title", ""), form.get("kind", ""),
                                    body_html=form.get("body_html", ""),
                                    media_asset_id=_int_or_none(form.get("media_asset_id")),
                                    reading_s=minutes * 60 if minutes else None)
        upload = request.files.get("document")
        if lesson.kind == "document":
            if not upload or not upload.filename:
                raise DomainError(_("Choose a PDF file."))
            catalog.store_document(lesson, upload.stream, upload.filename)

    return _act(course_id, add, _("Lesson added."))


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lesson(lesson_id: int):
    """Edit one lesson: title, article text, media asset, PDF, reading time."""
    me = actor()
    lesson = catalog.require_lesson(me, lesson_id, manage=True)
    if request.method == "POST":
        form = request.form
        try:
            minutes = _int_or_none(form.get("reading_minutes"))
            fields = {"title": form.get("title", "")}
            if lesson.kind == "article":
                fields["body_html"] = form.get("body_html", "")
            if lesson.kind in ("video", "audio"):
                fields["media_asset_id"] = _int_or_none(form.get("media_asset_id"))
            if minutes:
                fields["reading_s"] = minutes * 60
            catalog.update_lesson(me, lesson, **fields)
            upload = request.files.get("document")
            if lesson.kind == "document" and upload and upload.filename:
                catalog.store_document(lesson, upload.stream, upload.filename)
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
            return redirect(url_for("courses.edit_lesson", lesson_id=lesson_id))
        flash(_("Saved."), "success")
        return redirect(url_for("courses.edit_course", course_id=lesson.course_id))
    return render_template("courses/lesson_form.html", lesson=lesson, kind_labels=KIND_LABELS)


@bp.route("/lessons/<int:lesson_id>/move", methods=["POST"])
@login_required
def move_lesson(lesson_id: int):
    """Move a lesson one place up or down."""
    lesson = catalog.require_lesson(actor(), lesson_id, manage=True)
    course = lesson.course
    ids = [l.id for l in course.lessons]
    i = ids.index(lesson.id)
    j = i - 1 if request.form.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return _act(course.id, lambda: catalog.reorder_lessons(course, ids), _("Order saved."))


@bp.route("/lessons/<int:lesson_id>/delete", methods=["POST"])
@login_required
def delete_lesson(lesson_id: int):
    """Remove a lesson from a draft."""
    lesson = catalog.require_lesson(actor(), lesson_id, manage=True)
    course_id = lesson.course_id
    return _act(course_id, lambda: catalog.delete_lesson(lesson), _("Lesson removed."))


