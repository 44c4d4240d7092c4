"""Organiser pages: the bank with imports and their error reports, quizzes, grading, statistics."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor
from learning.charts import column_chart
from learning.errors import DomainError, Invalid
from learning.extensions import db
from learning.fields import db_int
from learning.models import Member, Org
from learning.services import course_directory, scope
from learning.services.pagination import listing, sort_keys
from learning.timeutil import LOCAL_TZ, day_start_utc
from learning.views.common import ORG_FILTER_LIMIT, form_action, org_filter_choices

from ..models import QUESTION_TYPES, QUIZ_KINDS, SHOW_ANSWERS, ImportJob, Question, Quiz
from ..services import attempts, bank, imports, quizzes as quiz_service, statistics
from ..services.formats import tabular
from . import bp

PER_PAGE = 30
ORG_OPTION_LIMIT = ORG_FILTER_LIMIT  # org options of the bank and quiz forms before they narrow to levels
QUIZ_SORTS = {"newest": (Quiz.id,), "title": (Quiz.title,), "closes": (Quiz.close_at,)}
QUIZ_SORT_LABELS = {"-newest": lambda: _("Newest first"), "newest": lambda: _("Oldest first"),
                    "title": lambda: _("Title A–Z"), "-title": lambda: _("Title Z–A"),
                    "closes": lambda: _("Closing soonest"), "-closes": lambda: _("Closing latest")}
QUESTION_SORTS = {"newest": (Question.id,), "difficulty": (Question.difficulty,), "type": (Question.type,)}
QUESTION_SORT_LABELS = {"-newest": lambda: _("Newest first"), "newest": lambda: _("Oldest first"),
                        "difficulty": lambda: _("Easiest first"), "-difficulty": lambda: _("Hardest first"),
                        "type": lambda: _("By type"), "-type": lambda: _("By type, reversed")}


def _org_options(selected: Org | None = None) -> list[tuple[int, str]]:
    """The open orgs the organiser manages quizzes at, as (id, label) options narrowed like the member
    list's filter (a committee's thousands of branches to the levels that fit, plus the chosen org's)."""
    return org_filter_choices(actor(), "quiz.manage", selected, limit=ORG_OPTION_LIMIT, open_only=True)


def _open_org(org_id: int | None) -> Org | None:
    """The open org of that id where the organiser manages quizzes, else None."""
    org = db.session.get(Org, org_id) if org_id else None
    return org if org is not None and org.closed_at is None and scope.holds(actor(), "quiz.manage", org) else None


def _require_any(capability: str) -> None:
    if not scope.holds_anywhere(actor(), capability):
        abort(404)


@bp.route("/manage")
@login_required
def manage():
    """Quizzes the organiser runs or reviews, with the form for a new one."""
    if not (scope.holds_anywhere(actor(), "quiz.manage") or scope.holds_anywhere(actor(), "quiz.stats")):
        abort(404)
    page = listing(quiz_service.quizzes_for(actor(), manage=True).order_by(None), request.args, sorts=QUIZ_SORTS,
                   default="-newest", tie=Quiz.id, search=(Quiz.title, Quiz.description))
    points = bank.knowledge_points_in(actor()) if scope.holds_anywhere(actor(), "quiz.manage") else []
    orgs = _org_options()
    courses = sorted({c for org in _topmost() for c in course_directory.courses_for_org(org)}, key=lambda c: c[1])
    return render_template("quizzes/manage.html", quizzes=page.items, listing=page,
                           sort_options=[(k, QUIZ_SORT_LABELS[k]()) for k in sort_keys(QUIZ_SORTS)],
                           orgs=orgs, kinds=QUIZ_KINDS,
                           show_options=SHOW_ANSWERS, points=points, courses=courses,
                           can_manage=scope.holds_anywhere(actor(), "quiz.manage"))


def _topmost() -> list[Org]:
    """The topmost orgs where the organiser manages quizzes (their subtrees cover the rest): the open orgs of
    their grants (a closed org has no open org below it)."""
    grants = scope.grant_paths(actor(), "quiz.manage")
    return list(db.session.scalars(select(Org).where(Org.path.in_(grants), Org.closed_at.is_(None)))) if grants else []


def _int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    try:
        return db_int(value) if value.isdigit() else None
    except ValueError:  # beyond what the database holds
        return None


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
        org = scope.require_org(actor(), _int("org_id") or 0, "quiz.manage")
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
            "show_answers": form.get("show_answers", "after_submit")}, by=actor())
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        flash(_(exc.message) + (f" ({details})" if details else ""), "error")
        return redirect(url_for("quizzes.manage"))
    flash(_("Quiz created."), "success")
    return redirect(url_for("quizzes.manage", _anchor=f"quiz-{quiz.id}"))


@bp.route("/bank")
@login_required
def bank_page():
    """The question bank: search, import, export."""
    _require_any("quiz.manage")
    args = request.args
    kind = args.get("type") if args.get("type") in QUESTION_TYPES else None
    level = int(args["difficulty"]) if args.get("difficulty") in ("1", "2", "3") else None
    chosen = _open_org(_arg_int("org_id"))
    orgs = _org_options(chosen)
    stmt = bank.search(actor(), q=(args.get("q") or "").strip()[:100] or None, type=kind,
                       knowledge_point=(args.get("kp") or "").strip() or None, difficulty=level,
                       org_id=chosen.id if chosen is not None else None)
    filters = {k: args.get(k) for k in ("q", "type", "kp", "difficulty", "org_id") if args.get(k)}
    page = listing(stmt, args, sorts=QUESTION_SORTS, default="-newest", tie=Question.id, per_page=PER_PAGE,
                   extra={k: v for k, v in filters.items() if k != "q"})
    jobs = db.session.scalars(select(ImportJob).join(Org, ImportJob.org_id == Org.id)
                              .where(scope.org_clause(actor(), "quiz.manage"), Org.closed_at.is_(None))
                              .order_by(ImportJob.id.desc()).limit(10)).all()
    return render_template("quizzes/bank.html", questions=page.items, listing=page,
                           sort_options=[(k, QUESTION_SORT_LABELS[k]()) for k in sort_keys(QUESTION_SORTS)],
                           orgs=orgs, jobs=jobs, types=QUESTION_TYPES, type_labels=bank.TYPE_LABELS,
                           points=bank.knowledge_points_in(actor()), plain_text=bank.plain_text,
                           shared=bank.shared_banks_above(actor()), difficulty_labels=bank.DIFFICULTY_LABELS,
                           filters=filters)


def _arg_int(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


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
    return form_action(lambda: imports.import_file(scope.require_org(actor(), _int("org_id") or 0, "quiz.manage"),
                                                   actor(), upload.filename, upload.read(),
                                                   valid_only=request.form.get("valid_only") == "on"),
                       done=None, to=lambda job: url_for("quizzes.import_report", import_id=job.id),
                       error_to=url_for("quizzes.bank_page")).response


@bp.route("/bank/imports/<int:import_id>")
@login_required
def import_report(import_id: int):
    """One import's report: imported, skipped with reasons, errors with their row or question."""
    job = db.session.get(ImportJob, import_id)
    if job is None:
        abort(404)
    try:
        scope.require_org(actor(), job.org_id, "quiz.manage")
    except DomainError:
        abort(404)
    return render_template("quizzes/import_report.html", job=job)


@bp.route("/<int:quiz_id>/statistics")
@login_required
def statistics_page(quiz_id: int):
    """Item statistics with flags, and answer-time distributions, as tables and SVG charts."""
    try:
        quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.stats")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    start_day, end_day, error = _period()
    stats = statistics.quiz_statistics(quiz, start_day and day_start_utc(start_day),
                                       end_day and day_start_utc(end_day + timedelta(days=1)))
    rows = stats["slots"] if stats["mode"] == "slot" else stats["questions"]
    labels = [(f"#{r['position']}" if stats["mode"] == "slot" else f"Q{i + 1}") for i, r in enumerate(rows)]
    facility = column_chart([(lab, r.get("facility") or 0, bool(r["flags"])) for lab, r in zip(labels, rows)],
                         maximum=100, unit="%")
    discrimination = column_chart([(lab, r.get("discrimination_index") or 0, bool(r["flags"]))
                                for lab, r in zip(labels, rows)], maximum=100, unit="%", signed=True)
    median_times = column_chart([(lab, r["times"]["median"] or 0, False) for lab, r in zip(labels, rows)], unit=" s")
    times = {i: column_chart([(b["label"], b["count"], False) for b in q["times"]["bins"]])
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
        quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.manage")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    if request.method == "POST":
        def grade():
            attempt = attempts.require_grader(actor(), _int("attempt_id") or 0)
            if attempt.quiz_id != quiz.id:
                abort(404)
            try:
                score = float(request.form.get("score", ""))
            except ValueError:
                raise Invalid(_("The score must be a number.")) from None
            attempts.grade_manually(attempt, _int("question_id") or 0, score, request.form.get("comment"), actor())

        here = url_for("quizzes.grading_page", quiz_id=quiz.id)
        return form_action(grade, done=_("Grade saved."), to=here, error_to=here).response
    pending = [(item, db.session.get(Member, item.attempt.member_id)) for item in attempts.pending_grading(quiz)]
    return render_template("quizzes/grading.html", quiz=quiz, pending=pending, plain_text=bank.plain_text)
