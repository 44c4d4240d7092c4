"""Quiz management pages: edit (what may change once attempted is shown and enforced by the service),
close early, archive, copy. Every action is the quizzes service the API calls."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.services import course_directory, scope
from learning.timeutil import LOCAL_TZ

from ..models import QUIZ_KINDS, SHOW_ANSWERS
from ..services import bank, quizzes as quiz_service
from . import bp
from .organiser import _int, _org_options, _when


def _quiz(quiz_id: int):
    try:
        quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.manage")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    if quiz.owner_member_id is not None:  # a member's personal practice is theirs, not the branch's to manage
        abort(404)
    return quiz


def _local(value) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def _pool_from_form(quiz) -> dict:
    form = request.form
    if form.get("pool_mode") == "fixed":
        ids = [int(p) for p in form.get("question_ids", "").replace("，", ",").replace(" ", ",").split(",")
               if p.strip().isdigit() and len(p.strip()) < 10]
        return {"mode": "fixed", "question_ids": ids}
    return {"mode": "random", "count": _int("count") or 0, "knowledge_points": form.getlist("knowledge_points"),
            "difficulty": [int(d) for d in form.getlist("difficulty") if d in ("1", "2", "3")],
            "types": list(quiz.pool.get("types") or [])}


def _posted(quiz, locked: bool) -> dict:
    """The settings the form sent; a quiz with attempts has its locked fields disabled, so they are absent
    (a crafted form that sends them anyway is refused by the service)."""
    form = request.form
    data = {"title": form.get("title", ""), "description": form.get("description") or None,
            "close_at": _when("close_at"), "attempts_allowed": _int("attempts_allowed") or 0,
            "published": "published" in form}
    fields = {"kind": lambda: form.get("kind"), "open_at": lambda: _when("open_at"),
              "course_id": lambda: _int("course_id"),
              "time_limit_s": lambda: (_int("time_limit_min") or 0) * 60 or None,
              "question_time_s": lambda: _int("question_time_s"),
              "pass_mark": lambda: float(_int("pass_mark") if _int("pass_mark") is not None else -1),
              "show_answers": lambda: form.get("show_answers"), "pool": lambda: _pool_from_form(quiz)}
    present = {"time_limit_s": "time_limit_min", "pool": "pool_mode"}
    for key, read in fields.items():
        if not locked or present.get(key, key) in form:
            data[key] = read()
    if not locked:
        data["shuffle_questions"] = "shuffle_questions" in form
        data["shuffle_options"] = "shuffle_options" in form
    return data


def _errors(exc: DomainError) -> dict[str, list[str]]:
    found = exc.errors if isinstance(exc.errors, dict) else {}
    return {field: [_(str(m)) for m in msgs] for field, msgs in found.items()}


@bp.route("/<int:quiz_id>/edit", methods=["GET", "POST"])
@login_required
def edit_quiz(quiz_id: int):
    """A quiz's settings; once attempted, only the title, description, close time, attempts allowed and
    publication may change, and the page says so."""
    quiz = _quiz(quiz_id)
    attempts_made = quiz_service.attempt_count(quiz)
    errors, message, status = {}, None, 200
    if request.method == "POST":
        try:
            quiz_service.update_quiz(quiz, _posted(quiz, locked=bool(attempts_made)))
        except DomainError as exc:
            db.session.rollback()
            quiz = _quiz(quiz_id)
            errors, message, status = _errors(exc), _(exc.message), 400 if exc.status in (409, 422) else exc.status
        else:
            flash(_("Quiz saved."), "success")
            return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz.id))
    courses = sorted(course_directory.courses_for_org(quiz.org), key=lambda c: c[1])
    return render_template("quizzes/quiz_form.html", quiz=quiz, attempts_made=attempts_made, errors=errors,
                           message=message, kinds=QUIZ_KINDS, show_options=SHOW_ANSWERS, courses=courses,
                           points=bank.knowledge_points_in(actor()), local=_local, orgs=_org_options(quiz.org),
                           is_open=quiz_service.is_open(quiz),
                           editable=quiz_service.EDITABLE_AFTER_ATTEMPTS), status


@bp.route("/<int:quiz_id>/close", methods=["POST"])
@login_required
def close_quiz(quiz_id: int):
    """Close an open quiz now."""
    quiz = _quiz(quiz_id)
    try:
        quiz_service.close_early(quiz)
    except DomainError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
    else:
        flash(_("The quiz is closed: no new attempts, and running attempts end now."), "success")
    return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz_id))


@bp.route("/<int:quiz_id>/archive", methods=["POST"])
@login_required
def archive_quiz(quiz_id: int):
    """Archive a quiz: off every list; attempts, results and statistics stay."""
    quiz_service.archive_quiz(_quiz(quiz_id))
    flash(_("Quiz archived."), "success")
    return redirect(url_for("quizzes.manage"))


@bp.route("/<int:quiz_id>/copy", methods=["POST"])
@login_required
def copy_quiz(quiz_id: int):
    """Copy a quiz as an unpublished draft, at the same or another org the organiser runs."""
    quiz = _quiz(quiz_id)
    title = (request.form.get("title") or "").strip() or _("%(title)s (copy)", title=quiz.title)
    try:
        org = scope.require_org(actor(), _int("org_id") or quiz.org_id, "quiz.manage")
        copy = quiz_service.copy_quiz(quiz, org, title=title[:200], by=actor())
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        details = "；".join(f"{m}" for msgs in _errors(exc).values() for m in msgs)
        flash(_(exc.message) + (f"（{details}）" if details else ""), "error")
        return redirect(url_for("quizzes.edit_quiz", quiz_id=quiz_id))
    flash(_("Copied as an unpublished draft: check it, then publish it."), "success")
    return redirect(url_for("quizzes.edit_quiz", quiz_id=copy.id))

