"""Attempt endpoints: answers with server times, idempotent submit, results, grading, the wrong-answer book."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from learning.auth import actor
from learning.lean import json_arguments
from learning.schemas import PageQuerySchema
from learning.services.pagination import page_of, paginate
from learning.uow import keep_on_refusal

from .. import schemas as s
from ..services import attempts, quizzes as quiz_service, wrongbook
from ..services.grading import correct_answer_view

attempts_blp = Blueprint("Attempts", __name__, url_prefix="/api/v1/attempts", description="Quiz attempts")
me_blp = Blueprint("MyQuizzes", __name__, url_prefix="/api/v1/me", description="The caller's attempts and 错题本")


def _live(attempt_id: int, attempt=None):
    """The caller's attempt; an expired one is closed (and that is kept) before the refusal."""
    attempt = attempt or attempts.require_attempt(actor(), attempt_id)
    if attempt.state == "open" and attempts.close_if_expired(attempt):
        keep_on_refusal()
        raise attempts.AttemptClosed("The time limit has passed; the attempt was closed.",
                                     {"attempt": ["expired"]})
    return attempt


@attempts_blp.route("/<int:attempt_id>")
@attempts_blp.alt_response(200, schema=s.ResultSchema, description="the result once the attempt is over")
@attempts_blp.alt_response(200, schema=s.AttemptSchema, description="while the attempt runs",
                           success=True)
def get_attempt(attempt_id):
    """A running attempt (to resume it), or the result once it is over."""
    attempt = attempts.require_attempt(actor(), attempt_id)
    if attempt.state == "open" and not attempts.close_if_expired(attempt):
        return jsonify(s.AttemptSchema().dump(attempts.attempt_payload(attempt)))
    return jsonify(s.ResultSchema().dump(attempts.result_payload(attempt)))


@attempts_blp.route("/<int:attempt_id>/questions/<int:question_id>/shown", methods=["POST"])
@attempts_blp.response(204)
def question_shown(attempt_id, question_id):
    """Note the server time a question was put on screen (its answer time starts then)."""
    attempt = _live(attempt_id)
    if attempt.state != "open":
        raise attempts.AttemptClosed("This attempt is over.")
    attempts.mark_shown(attempt, question_id)


@attempts_blp.route("/<int:attempt_id>/answers/<int:question_id>", methods=["PUT"])
@json_arguments(attempts_blp, s.AnswerInSchema, s.read_answer)
@attempts_blp.response(200, s.AnswerOutSchema)
def put_answer(data, attempt_id, question_id):
    """Save (or replace) the response to one question; refused after the deadline."""
    found = attempts.answer_target(actor(), attempt_id, question_id)  # one read, then one write
    if found is None:  # not the caller's attempt, or not its question: the longer way says which
        return attempts.save_answer(_live(attempt_id), question_id, data["response"])
    attempt, item, earlier = found
    return attempts.save_answer(_live(attempt_id, attempt), question_id, data["response"], item=item, earlier=earlier)


@attempts_blp.route("/<int:attempt_id>/submit", methods=["POST"])
@attempts_blp.response(200, s.ResultSchema)
def submit_attempt(attempt_id):
    """Finish the attempt and grade it once; repeating the call returns the same result."""
    attempt = attempts.require_attempt(actor(), attempt_id)
    attempts.submit(attempt)
    return attempts.result_payload(attempt)


@attempts_blp.route("/<int:attempt_id>/grades/<int:question_id>", methods=["POST"])
@attempts_blp.arguments(s.GradeInSchema)
@attempts_blp.response(200, s.ResultSchema)
def grade_answer(data, attempt_id, question_id):
    """An organiser marks a short answer; the attempt's result is final once nothing waits."""
    me_ = actor()
    attempt = attempts.require_grader(me_, attempt_id)
    attempts.grade_manually(attempt, question_id, data["score"], data["comment"], me_)
    return attempts.result_payload(attempt)


@me_blp.route("/attempts")
@me_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@me_blp.response(200, s.AttemptSummaryPageSchema)
def my_attempts(query):
    """The caller's attempts, newest first, a page."""
    return paginate(attempts.member_attempts_select(actor()), query)


def wrong_answer_payload(entry) -> dict:
    """One wrong-answer book entry; the correct answer only once the quiz's settings reveal it."""
    version = entry.question.current
    shown = wrongbook.revealed(entry)
    return {"id": entry.id, "question_id": entry.question_id, "type": version.type, "stem": version.stem,
            "options": version.options, "knowledge_points": version.knowledge_points,
            "wrong_count": entry.wrong_count, "right_streak": entry.right_streak,
            "last_response": entry.last_response, "last_wrong_at": entry.last_wrong_at, "revealed": shown,
            "answer": correct_answer_view(version) if shown else None,
            "explanation": version.explanation if shown else None}


@me_blp.route("/wrong-answers")
@me_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@me_blp.response(200, s.WrongAnswerPageSchema)
def my_wrong_answers(query):
    """The caller's wrong-answer book (错题本), most recent first, a page."""
    page = page_of(wrongbook.book(actor().id), query)
    return {**page, "items": [wrong_answer_payload(e) for e in page["items"]]}


@me_blp.route("/wrong-answers/practice", methods=["POST"])
@me_blp.response(201, s.AttemptSchema)
def practise_wrong_answers():
    """Start a practice attempt over the caller's wrong-answer book."""
    me_ = actor()
    attempt, _ = attempts.start(me_, quiz_service.practice_quiz(me_))
    return attempts.attempt_payload(attempt)
