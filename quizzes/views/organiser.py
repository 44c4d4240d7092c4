"""Organiser pages: the bank with imports and their error reports, quizzes, grading, statistics."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from learning.errors import DomainError
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.timeutil import LOCAL_TZ, day_start_utc

from ..models import QUESTION_TYPES, QUIZ_KINDS, SHOW_ANSWERS, ImportJob, Question
from ..services import attempts, bank, course_refs, imports, quizzes as quiz_service, statistics
from ..services.formats import tabular
from . import bp
from .charts import bar_chart

PER_PAGE = 30


def _me():
    return current_user._get_current_object()


def _orgs(capability: str = "quiz.manage") -> list[Org]:
    return list(db.session.scalars(scope.scoped_orgs(_me(), capability).where(Org.closed_at.is_(None))
                                   .order_by(Org.path)))


def _require_any(capability: str) -> None:
    if not scope.holds_anywhere(_me(), capability):
        abort(404)


@bp.route("/manage")
@login_required
def manage():
    """Quizzes the organiser runs or reviews, with the form for a new one."""
    if not (scope.holds_anywhere(_me(), "quiz.manage") or scope.holds_anywhere(_me(), "quiz.stats")):
        abort(404)
    quizzes = db.session.scalars(quiz_service.quizzes_for(_me(), manage=True)).all()
    points = bank.knowledge_points_in(_me()) if scope.holds_anywhere(_me(), "quiz.manage") else []
    orgs = _orgs()
    courses = sorted({c for org in _topmost(orgs) for c in course_refs.courses_for_org(org)}, key=lambda c: c[1])
    return render_template("quizzes/manage.html", quizzes=quizzes, orgs=orgs, kinds=QUIZ_KINDS,
                           show_options=SHOW_ANSWERS, points=points, courses=courses,
                           can_manage=scope.holds_anywhere(_me(), "quiz.manage"))


def _topmost(orgs: list[Org]) -> list[Org]:
    """The orgs of a list that have no ancestor in it (their subtrees cover the rest)."""
    ids = {o.id for o in orgs}
    return [o for o in orgs if not any(a in ids for a in o.ancestor_ids if a != o.id)]


def _int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _when(name: str) -> datetime | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        return None


@bp.route("/manage", methods=["POST"])
@login_required
def create_quiz():
    """Create a quiz from the form (random pool by knowledge point and difficulty)."""
    _require_any("quiz.manage")
    form = request.form
    try:
        org = scope.require_org(_me(), _int("org_id") or 0, "quiz.manage")
        pool = {"mode": "random", "count": _int("count") or 0,
                "knowledge_points": form.getlist("knowledge_points"),
                "difficulty": [int(d) for d in form.getlist("difficulty") if d.isdigit()]}
        quiz = quiz_service.create_quiz(org, {
            "kind": form.get("kind"), "title": form.get("title", ""), "description": form.get("description") or None,
            "course_id": _int("course_id"), "open_at": _when("open_at"), "close_at": _when("close_at"),
            "time_limit_s": (_int("time_limit_min") or 0) * 60 or None, "question_time_s": _int("question_time_s"),
            "pool": pool, "shuffle_questions": "shuffle_questions" in form,
            "shuffle_options": "shuffle_options" in form,
            "attempts_allowed": _int("attempts_allowed") or 0, "pass_mark": float(_int("pass_mark") or 60),
            "show_answers": form.get("show_answers", "after_submit")}, by=_me())
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        flash(_(exc.message) + (f" ({details})" if details else ""), "error")
        return redirect(url_for("quizzes.manage"))
    db.session.commit()
    flash(_("Quiz created."), "success")
    return redirect(url_for("quizzes.manage", _anchor=f"quiz-{quiz.id}"))


@bp.route("/bank")
@login_required
def bank_page():
    """The question bank: search, import, export."""
    _require_any("quiz.manage")
    args = request.args
    page = max(1, int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1)
    kind = args.get("type") if args.get("type") in QUESTION_TYPES else None
    stmt = bank.search(_me(), q=(args.get("q") or "").strip()[:100] or None, type=kind,
                       knowledge_point=(args.get("kp") or "").strip() or None)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    questions = db.session.scalars(stmt.order_by(Question.id.desc()).offset((page - 1) * PER_PAGE)
                                   .limit(PER_PAGE)).all()
    orgs = _orgs()
    jobs = db.session.scalars(select(ImportJob).where(ImportJob.org_id.in_([o.id for o in orgs]))
                              .order_by(ImportJob.id.desc()).limit(10)).all()
    return render_template("quizzes/bank.html", questions=questions, total=total, page=page, per_page=PER_PAGE,
                           orgs=orgs, jobs=jobs, types=QUESTION_TYPES, type_labels=bank.TYPE_LABELS,
                           points=bank.knowledge_points_in(_me()), plain_text=bank.plain_text,
                           shared=bank.shared_banks_above(_me()))


@bp.route("/bank/template.xlsx")
@login_required
def template():
    """The XLSX import template with the Chinese headers and an example of each type."""
    return send_file(io.BytesIO(tabular.template()), as_attachment=True, download_name="题库导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/bank/import", methods=["POST"])
@login_required
def import_page():
    """Upload a question file; the report (with row or question numbers) is shown next."""
    _require_any("quiz.manage")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file to import."), "error")
        return redirect(url_for("quizzes.bank_page"))
    try:
        org = scope.require_org(_me(), _int("org_id") or 0, "quiz.manage")
        job = imports.import_file(org, _me(), upload.filename, upload.read(),
                                  valid_only=request.form.get("valid_only") == "on")
    except DomainError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        return redirect(url_for("quizzes.bank_page"))
    db.session.commit()
    return redirect(url_for("quizzes.import_report", import_id=job.id))


@bp.route("/bank/imports/<int:import_id>")
@login_required
def import_report(import_id: int):
    """One import's report: imported, skipped with reasons, errors with their row or question."""
    job = db.session.get(ImportJob, import_id)
    if job is None:
        abort(404)
    try:
        scope.require_org(_me(), job.org_id, "quiz.manage")
    except DomainError:
        abort(404)
    return render_template("quizzes/import_report.html", job=job)


@bp.route("/<int:quiz_id>/statistics")
@login_required
def statistics_page(quiz_id: int):
    """Item statistics with flags, and answer-time distributions, as tables and SVG charts."""
    try:
        quiz = quiz_service.require_quiz(_me(), quiz_id, "quiz.stats")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    start_day, end_day, error = _period()
    stats = statistics.quiz_statistics(quiz, start_day and day_start_utc(start_day),
                                       end_day and day_start_utc(end_day + timedelta(days=1)))
    rows = stats["slots"] if stats["mode"] == "slot" else stats["questions"]
    labels = [(f"#{r['position']}" if stats["mode"] == "slot" else f"Q{i + 1}") for i, r in enumerate(rows)]
    facility = bar_chart([(lab, r.get("facility") or 0, bool(r["flags"])) for lab, r in zip(labels, rows)],
                         maximum=100, unit="%")
    discrimination = bar_chart([(lab, r.get("discrimination_index") or 0, bool(r["flags"]))
                                for lab, r in zip(labels, rows)], maximum=100, unit="%", signed=True)
    median_times = bar_chart([(lab, r["times"]["median"] or 0, False) for lab, r in zip(labels, rows)], unit=" s")
    times = {i: bar_chart([(b["label"], b["count"], False) for b in q["times"]["bins"]])
             for i, q in enumerate(stats["questions"])}
    return render_template("quizzes/statistics.html", quiz=quiz, stats=stats, rows=rows, labels=labels,
                           facility=facility, discrimination=discrimination, times=times, median_times=median_times,
                           start_day=start_day, end_day=end_day, period_error=error), 400 if error else 200


def _period() -> tuple[date | None, date | None, str | None]:
    """The statistics page's period (Beijing days, both included) from its form, or an error and no period."""
    days = []
    for name in ("from", "to"):
        value = (request.args.get(name) or "").strip()
        try:
            days.append(date.fromisoformat(value) if value else None)
        except ValueError:
            return None, None, _("Not a date: %(value)s", value=value[:20])
    if days[0] and days[1] and days[0] > days[1]:
        return None, None, _("The period starts after it ends.")
    return days[0], days[1], None


@bp.route("/<int:quiz_id>/grading", methods=["GET", "POST"])
@login_required
def grading_page(quiz_id: int):
    """Short answers waiting for a mark, with a form for each."""
    try:
        quiz = quiz_service.require_quiz(_me(), quiz_id, "quiz.manage")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    if request.method == "POST":
        try:
            attempt = attempts.require_grader(_me(), _int("attempt_id") or 0)
            if attempt.quiz_id != quiz.id:
                abort(404)
            score = float(request.form.get("score", ""))
            attempts.grade_manually(attempt, _int("question_id") or 0, score, request.form.get("comment"), _me())
        except ValueError:
            flash(_("The score must be a number."), "error")
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Grade saved."), "success")
        return redirect(url_for("quizzes.grading_page", quiz_id=quiz.id))
    pending = [(item, db.session.get(Member, item.attempt.member_id)) for item in attempts.pending_grading(quiz)]
    return render_template("quizzes/grading.html", quiz=quiz, pending=pending, plain_text=bank.plain_text)
