"""marshmallow schemas of course feedback (双向评价) and topic requests (点单式学习)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from learning.fields import Id, Moment
from learning.schemas import PageQuerySchema, page_schema

STARS = validate.Range(min=1, max=5, error="1 to 5")


class FeedbackRatingInSchema(Schema):
    stars = fields.Integer(required=True, strict=True, validate=STARS,
                           metadata={"description": "1 (poor) to 5 (excellent)"})
    comment = fields.String(load_default="", validate=validate.Length(max=1000))
    lesson_id = Id(load_default=None, allow_none=True,
                   metadata={"description": "rate one finished lesson of the course instead of the whole course"})


class FeedbackRatingEditSchema(Schema):
    stars = fields.Integer(strict=True, validate=STARS)
    comment = fields.String(validate=validate.Length(max=1000))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give stars or a comment.", "stars")


class FeedbackRatingSchema(Schema):
    id = Id(dump_only=True)
    course_id = Id(dump_only=True)
    lesson_id = Id(dump_only=True, allow_none=True)
    stars = fields.Integer(dump_only=True)
    comment = fields.String(dump_only=True)
    created_at = Moment(dump_only=True)
    updated_at = Moment(dump_only=True, allow_none=True)


class FeedbackStarCountSchema(Schema):
    stars = fields.Integer()
    count = fields.Integer()


class LessonRatingsSchema(Schema):
    lesson_id = Id()
    title = fields.String()
    completed = fields.Integer(metadata={"description": "members who finished the lesson"})
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    distribution = fields.List(fields.Nested(FeedbackStarCountSchema))


class RatingCommentSchema(Schema):
    id = Id()
    stars = fields.Integer()
    comment = fields.String()
    lesson_id = Id(allow_none=True)
    lesson_title = fields.String(allow_none=True)
    member_name = fields.String()
    created_at = Moment()
    updated_at = Moment(allow_none=True)


class CourseRatingsSchema(Schema):
    course_id = Id()
    title = fields.String()
    finished = fields.Integer(metadata={"description": "members who finished the course"})
    count = fields.Integer(metadata={"description": "ratings of the whole course"})
    average = fields.Float(allow_none=True)
    distribution = fields.List(fields.Nested(FeedbackStarCountSchema))
    lessons = fields.List(fields.Nested(LessonRatingsSchema))
    comments = fields.List(fields.Nested(RatingCommentSchema))


class TopicRequestQuerySchema(PageQuerySchema):
    org_id = Id(load_default=None, metadata={"description": "organisers and reviewers: requests of this subtree; "
                                                             "default: the caller's branch"})
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "answered")))


class TopicRequestInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=2, max=120))
    detail = fields.String(load_default="", validate=validate.Length(max=1000))


class TopicRequestAnswerSchema(Schema):
    course_id = Id(load_default=None)
    session_id = Id(load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _one(self, data, **kwargs):
        if (data.get("course_id") is None) == (data.get("session_id") is None):
            raise ValidationError("Give exactly one of course_id and session_id.", "course_id")


class TopicRequestSchema(Schema):
    id = Id(dump_only=True)
    org_id = Id(dump_only=True)
    org_name = fields.Function(lambda t: t.org.name, dump_only=True)
    title = fields.String(dump_only=True)
    detail = fields.String(dump_only=True)
    requester = fields.Function(lambda t: t.member.name, dump_only=True)
    backers = fields.Integer(dump_only=True, metadata={"description": "members who backed it (附议)"})
    backed_by_me = fields.Boolean(dump_only=True)
    mine = fields.Boolean(dump_only=True)
    status = fields.String(dump_only=True)
    answer_kind = fields.String(dump_only=True, allow_none=True)
    answer_id = Id(dump_only=True, allow_none=True)
    answer_title = fields.String(dump_only=True, allow_none=True)
    answer_note = fields.String(dump_only=True)
    answered_at = Moment(dump_only=True, allow_none=True)
    created_at = Moment(dump_only=True)


TopicRequestPageSchema = page_schema(TopicRequestSchema)
FeedbackRatingPageSchema = page_schema(FeedbackRatingSchema)
