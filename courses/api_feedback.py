"""JSON API of course feedback: ratings of finished courses and lessons (双向评价), topic requests (点单)."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from learning.auth import actor
from learning.schemas import PageQuerySchema
from learning.services.pagination import page_of, paginate, refuse_old_paging

from . import schemas_feedback as s
from .services import feedback

feedback_blp = Blueprint("Feedback", __name__, url_prefix="/api/v1",
                         description="Course ratings (双向评价) and topic requests (点单式学习)")


def _mark(me, requests):
    backed = feedback.backed_by(me, [r.id for r in requests])
    for r in requests:
        r.backed_by_me, r.mine = r.id in backed, r.member_id == me.id
    return requests


@feedback_blp.route("/courses/<int:course_id>/ratings")
class CourseRatings(MethodView):
    @feedback_blp.response(200, s.CourseRatingsSchema)
    def get(self, course_id):
        """Ratings of a course, per lesson, and the comments: for organisers and reviewers of its publisher."""
        return feedback.course_ratings(actor(), course_id)

    @feedback_blp.arguments(s.FeedbackRatingInSchema)
    @feedback_blp.response(201, s.FeedbackRatingSchema)
    def post(self, data, course_id):
        """Rate a course you finished (or a lesson of it you finished), once; 409 `already_rated` for a second
        rating (change the first with PATCH /ratings/{id}); 422 for what you have not finished."""
        return feedback.rate(actor(), course_id, data["stars"], data["comment"], data["lesson_id"])


@feedback_blp.route("/courses/<int:course_id>/ratings/mine")
@feedback_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@feedback_blp.response(200, s.FeedbackRatingPageSchema)
def my_ratings(query, course_id):
    """Your ratings of this course and of its lessons; a page."""
    refuse_old_paging(request.args)
    return page_of(feedback.ratings_of(actor(), course_id), query)


@feedback_blp.route("/ratings/<int:rating_id>", methods=["PATCH"])
@feedback_blp.arguments(s.FeedbackRatingEditSchema)
@feedback_blp.response(200, s.FeedbackRatingSchema)
def edit_rating(data, rating_id):
    """Change your own rating (stars, comment); anybody else's is not found."""
    return feedback.edit_rating(actor(), rating_id, data.get("stars"), data.get("comment"))


@feedback_blp.route("/topic-requests")
class TopicRequests(MethodView):
    @feedback_blp.arguments(s.TopicRequestQuerySchema, location="query", error_status_code=400)
    @feedback_blp.response(200, s.TopicRequestPageSchema)
    def get(self, query):
        """Topic requests ranked by backers: your branch's, or (organisers, reviewers) an org's subtree; a page."""
        me = actor()
        page = paginate(feedback.ranked_requests_select(me, query["org_id"], query["status"]), query)
        return {**page, "items": _mark(me, page["items"])}

    @feedback_blp.arguments(s.TopicRequestInSchema)
    @feedback_blp.response(201, s.TopicRequestSchema)
    def post(self, data):
        """Ask for a topic in your branch (点单)."""
        me = actor()
        return _mark(me, [feedback.request_topic(me, data["title"], data["detail"])])[0]


@feedback_blp.route("/topic-requests/<int:request_id>/backing", methods=["POST"])
@feedback_blp.response(200, s.TopicRequestSchema)
def back_topic(request_id):
    """Back a request of your branch (附议): once each, never your own (403 own_benefit), 409 the second time."""
    me = actor()
    return _mark(me, [feedback.back(me, request_id)])[0]


@feedback_blp.route("/topic-requests/<int:request_id>/answer", methods=["POST"])
@feedback_blp.arguments(s.TopicRequestAnswerSchema)
@feedback_blp.response(200, s.TopicRequestSchema)
def answer_topic(data, request_id):
    """Answer a request with a course the branch can see or an offline session; the requester and backers are told."""
    me = actor()
    req = feedback.answer(me, request_id, course_id=data["course_id"], session_id=data["session_id"], note=data["note"])
    return _mark(me, [req])[0]
