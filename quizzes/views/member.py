"""Member pages: my quizzes, taking a quiz one question per screen, the result, the wrong-answer book."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.services import course_directory, scope

from ..models import Attempt
from ..services import attempts, quizzes as quiz_service, wrongbook
from ..services.grading import correct_answer_view
from . import bp

KIND_LABELS = {"daily": "Daily quiz", "weekly": "Weekly quiz", "special": "Special quiz",
               "course_exam": "Course exam", "practice": "Practice"}


def kind_label(kind: str) -> str:
    """The translated name of a quiz kind."""
    return _(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("quiz_kind")
def quiz_kind_filter(kind: str) -> str:
    """Jinja filter: a quiz kind's translated name."""
    return kind_label(kind)



@bp.route("/")
@login_required
def my_quizzes():
    """The quizzes a member can take now, with their recent results."""
    me_ = actor()
    quizzes = db.session.scalars(quiz_service.quizzes_for(me_)).all()
    running = {a.quiz_id: a for a in db.session.scalars(
        select(Attempt).where(Attempt.member_id == me_.id, Attempt.state == "open"))}
    history = attempts.member_history(me_, limit=20)
    book_size = len(wrongbook.book(me_.id))
    return render_template("quizzes/my_quizzes.html", quizzes=quizzes, running=running, history=history,
                           book_size=book_size, is_open=quiz_service.is_open,
                           course_titles=course_directory.course_titles(q.course_id for q in quizzes),
                           course_url=course_directory.course_url)


@bp.route("/<int:quiz_id>/take")
@login_required
def take(quiz_id: int):
    """The phone-first quiz page: the script starts (or resumes) the attempt through the API."""
    me_ = actor()
    try:
        quiz = quiz_service.require_quiz(me_, quiz_id, "quiz.take")
    except DomainError as exc:
        abort(404 if exc.status == 404 else 403)
    return render_template("quizzes/take.html", quiz=quiz)


@bp.route("/attempts/<int:attempt_id>")
@login_required
def result(attempt_id: int):
    """An attempt's result (a running one goes back to the quiz page)."""
    me_ = actor()
    try:
        attempt = attempts.require_attempt(me_, attempt_id)
    except DomainError:
        abort(404)
    if attempt.state == "open" and not attempts.close_if_expired(attempt):
        return redirect(url_for("quizzes.take", quiz_id=attempt.quiz_id))
    return render_template("quizzes/result.html", r=attempts.result_payload(attempt), attempt=attempt)


@bp.route("/wrong-answers")
@login_required
def wrong_answers():
    """The member's wrong-answer book (错题本)."""
    entries = []
    for entry in wrongbook.book(actor().id):
        version = entry.question.current
        shown = wrongbook.revealed(entry)
        entries.append({"entry": entry, "version": version, "revealed": shown,
                        "answer": correct_answer_view(version) if shown else None})
    return render_template("quizzes/wrong_answers.html", entries=entries)


@bp.route("/wrong-answers/practice", methods=["POST"])
@login_required
def practise():
    """Open the personal practice quiz over the wrong-answer book."""
    me_ = actor()
    if not wrongbook.book(me_.id):
        flash(_("Your wrong-answer book is empty."), "success")
        return redirect(url_for("quizzes.wrong_answers"))
    quiz = quiz_service.practice_quiz(me_)
    return redirect(url_for("quizzes.take", quiz_id=quiz.id))


def _panel(member) -> dict | None:
    quizzes = db.session.scalars(quiz_service.quizzes_for(member).limit(5)).all()
    open_now = [q for q in quizzes if quiz_service.is_open(q)]
    if not open_now:
        return None
    return {"quizzes": open_now, "book_size": len(wrongbook.book(member.id))}


def _course_exams(member, course) -> dict | None:
    """The course page's section: this course's exams the member can take, with their last result."""
    member = getattr(member, "_get_current_object", lambda: member)()
    if not getattr(member, "is_authenticated", False):
        return None
    quizzes = db.session.scalars(quiz_service.quizzes_for(member, kind="course_exam", course_id=course.id)).all()
    if not quizzes:
        return None
    exams = []
    for quiz in quizzes:
        mine = db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.member_id == member.id)
                                  .order_by(Attempt.number.desc())).all()
        used = len(mine)
        exams.append({"quiz": quiz, "running": any(a.state == "open" for a in mine),
                      "last": next((a for a in mine if a.state != "open"), None),
                      "open": quiz_service.is_open(quiz),
                      "attempts_left": None if not quiz.attempts_allowed else max(0, quiz.attempts_allowed - used)})
    return {"exams": exams}


def _can_organise(member) -> bool:
    return scope.holds_anywhere(member, "quiz.manage") or scope.holds_anywhere(member, "quiz.stats")
