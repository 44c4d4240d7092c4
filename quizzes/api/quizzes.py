"""Quiz endpoints: settings, starting attempts, statistics, short answers waiting for grading."""
from __future__ import annotations

import io

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from learning.auth import actor
from learning.errors import Invalid
from learning.extensions import db
from learning.models import Member
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import page_of, paginate

from .. import schemas as s
from ..services import attempts, imports, quizzes as quiz_service, statistics
from ..services.bank import plain_text

quizzes_blp = Blueprint("Quizzes", __name__, url_prefix="/api/v1/quizzes", description="Quizzes and attempts")


@quizzes_blp.route("")
class QuizList(MethodView):
    @quizzes_blp.arguments(s.QuizQuerySchema, location="query", error_status_code=400)
    @quizzes_blp.response(200, s.QuizPageSchema)
    def get(self, query):
        """Quizzes the caller can take (or, with manage=true, organise or read statistics of), a page."""
        stmt = quiz_service.quizzes_for(actor(), kind=query["kind"], manage=query["manage"],
                                        course_id=query["course_id"])
        return paginate(stmt, query)

    @quizzes_blp.arguments(s.QuizInSchema)
    @quizzes_blp.response(201, s.QuizSchema)
    def post(self, data):
        """Create a quiz at an org the caller organises."""
        me_ = actor()
        org = scope.require_org(me_, data.pop("org_id"), "quiz.manage")
        quiz = quiz_service.create_quiz(org, data, by=me_)
        return quiz


@quizzes_blp.route("/<int:quiz_id>")
class QuizItem(MethodView):
    @quizzes_blp.response(200, s.QuizSchema)
    def get(self, quiz_id):
        """One quiz's settings."""
        return quiz_service.require_quiz(actor(), quiz_id)

    @quizzes_blp.arguments(s.QuizPatchSchema)
    @quizzes_blp.response(200, s.QuizSchema)
    def patch(self, data, quiz_id):
        """Change a quiz's settings."""
        quiz = quiz_service.update_quiz(quiz_service.require_quiz(actor(), quiz_id, "quiz.manage"), data)
        return quiz

    @quizzes_blp.response(204)
    def delete(self, quiz_id):
        """Archive a quiz (attempts and statistics stay)."""
        quiz_service.archive_quiz(quiz_service.require_quiz(actor(), quiz_id, "quiz.manage"))


@quizzes_blp.route("/<int:quiz_id>/close", methods=["POST"])
@quizzes_blp.response(200, s.QuizSchema)
def close_quiz(quiz_id):
    """Close an open quiz now: no new attempts; running attempts end now."""
    return quiz_service.close_early(quiz_service.require_quiz(actor(), quiz_id, "quiz.manage"))


@quizzes_blp.route("/<int:quiz_id>/copy", methods=["POST"])
@quizzes_blp.arguments(s.QuizCopySchema)
@quizzes_blp.response(201, s.QuizSchema)
def copy_quiz(data, quiz_id):
    """A draft (unpublished) copy of the quiz at the same or another org the caller organises."""
    me_ = actor()
    quiz = quiz_service.require_quiz(me_, quiz_id, "quiz.manage")
    org = scope.require_org(me_, data["org_id"], "quiz.manage") if data["org_id"] else quiz.org
    return quiz_service.copy_quiz(quiz, org, title=data["title"] or f"{quiz.title}（副本）", by=me_)


@quizzes_blp.route("/<int:quiz_id>/export")
@quizzes_blp.arguments(s.FormatQuerySchema, location="query")
def export_quiz(query, quiz_id):
    """The questions the quiz asks as XLSX, GIFT or Moodle XML."""
    quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.manage")
    content, mimetype, ext = imports.export(quiz_service.quiz_questions(quiz), query["format"])
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=f"quiz-{quiz.id}.{ext}")


@quizzes_blp.route("/<int:quiz_id>/attempts", methods=["POST"])
@quizzes_blp.response(201, s.AttemptSchema)
@quizzes_blp.alt_response(200, schema=s.AttemptSchema, description="the running attempt, resumed")
def start_attempt(quiz_id):
    """Start an attempt: questions without answers, and the server's deadline."""
    me_ = actor()
    quiz = quiz_service.require_quiz(me_, quiz_id, "quiz.take")
    attempt, created = attempts.start(me_, quiz)
    if created:
        from ..tasks import schedule_close

        schedule_close(attempt)
    return attempts.attempt_payload(attempt), 201 if created else 200


@quizzes_blp.route("/<int:quiz_id>/statistics")
@quizzes_blp.arguments(s.PeriodSchema, location="query")
@quizzes_blp.response(200, s.StatisticsSchema)
def quiz_statistics(query, quiz_id):
    """Moodle's item statistics and answer times over closed attempts (optionally in a period)."""
    quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.stats")
    if query["start"] and query["end"] and query["start"] > query["end"]:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    return statistics.quiz_statistics(quiz, query["start"], query["end"])


@quizzes_blp.route("/<int:quiz_id>/grading")
@quizzes_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@quizzes_blp.response(200, s.PendingItemPageSchema)
def pending_grading(query, quiz_id):
    """Short answers of this quiz waiting for an organiser's mark, a page."""
    quiz = quiz_service.require_quiz(actor(), quiz_id, "quiz.manage")
    page = page_of(attempts.pending_grading(quiz), query)
    out = []
    for item in page["items"]:
        member = db.session.get(Member, item.attempt.member_id)
        out.append({"attempt_id": item.attempt_id, "question_id": item.question_id, "member_name": member.name,
                    "stem": plain_text(item.version.stem), "reference": item.version.answer or None,
                    "response": item.response, "max_score": item.max_score,
                    "submitted_at": item.attempt.submitted_at})
    return {**page, "items": out}
