"""marshmallow schemas of the quizzes API: input validation and output shape."""
from datetime import timezone

from marshmallow import EXCLUDE, Schema, fields, validate

from learning import lean
from learning.fields import Id, Moment
from learning.schemas import PageQuerySchema, page_schema

from .models import QUESTION_TYPES, QUIZ_KINDS, SHOW_ANSWERS

UTC = timezone.utc


class OptionSchema(Schema):
    key = fields.String()
    text = fields.String()


class QuestionInSchema(Schema):
    """A question to add; type and content are checked by the bank service (field errors per field)."""

    class Meta:
        unknown = EXCLUDE

    org_id = Id(required=True)
    type = fields.String(required=True, metadata={"description": "|".join(QUESTION_TYPES) + " or 单选题…"})
    stem = fields.String(required=True, validate=validate.Length(max=20000))
    options = fields.List(fields.Raw(), load_default=list)
    answer = fields.Raw(load_default=None)
    explanation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    knowledge_points = fields.Raw(load_default=list)
    difficulty = fields.Raw(load_default=2)
    max_score = fields.Float(load_default=1.0)
    partial_credit = fields.Boolean(load_default=None, allow_none=True)


class QuestionPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String()
    stem = fields.String(validate=validate.Length(max=20000))
    options = fields.List(fields.Raw())
    answer = fields.Raw()
    explanation = fields.String(allow_none=True, validate=validate.Length(max=20000))
    knowledge_points = fields.Raw()
    difficulty = fields.Raw()
    max_score = fields.Float()
    partial_credit = fields.Boolean()


class VersionSchema(Schema):
    id = Id()
    number = fields.Integer()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    answer = fields.Raw()
    explanation = fields.String(allow_none=True)
    knowledge_points = fields.List(fields.String())
    difficulty = fields.Integer()
    partial_credit = fields.Boolean()
    max_score = fields.Float()
    created_at = Moment()


class QuestionSchema(Schema):
    id = Id()
    org_id = Id()
    type = fields.String()
    difficulty = fields.Integer()
    source = fields.String()
    version_count = fields.Integer()
    archived = fields.Function(lambda q: q.archived_at is not None)
    current = fields.Nested(VersionSchema)
    created_at = Moment()
    updated_at = Moment()


class QuestionQuerySchema(PageQuerySchema):
    org_id = Id(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    type = fields.String(load_default=None, validate=validate.OneOf(QUESTION_TYPES))
    knowledge_point = fields.String(load_default=None, validate=validate.Length(max=64))
    difficulty = fields.Integer(load_default=None, validate=validate.OneOf([1, 2, 3]))


QuestionPageSchema = page_schema(QuestionSchema)


class ImportInSchema(Schema):
    """JSON form of an import (API clients); pages send the same fields as multipart."""

    org_id = Id(required=True)
    filename = fields.String(load_default="upload", validate=validate.Length(max=255))
    content_base64 = fields.String(required=True)
    format = fields.String(load_default=None, validate=validate.OneOf(["xlsx", "csv", "gift", "moodle_xml"]))
    valid_only = fields.Boolean(load_default=False)


class ImportJobSchema(Schema):
    id = Id()
    org_id = Id()
    filename = fields.String()
    format = fields.String()
    status = fields.String()
    total = fields.Integer()
    imported = fields.Integer()
    skipped = fields.List(fields.Dict())
    errors = fields.List(fields.Dict())
    created_at = Moment()


class OrgQuerySchema(Schema):
    org_id = Id(required=True)


class FormatQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "gift", "moodle_xml"]))


class ExportQuerySchema(OrgQuerySchema, FormatQuerySchema):
    """A bank's export: the org's questions (and those of the orgs below it)."""


class BulkInSchema(Schema):
    """An action on many questions of the bank; all or nothing."""

    question_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))
    action = fields.String(required=True, validate=validate.OneOf(["tag", "move", "retire"]))
    knowledge_point = fields.String(load_default=None, validate=validate.Length(max=64),
                                    metadata={"description": "tag: the knowledge point to add"})
    to_org_id = Id(load_default=None, metadata={"description": "move: the org whose bank receives them"})


class BulkResultSchema(Schema):
    action = fields.String()
    count = fields.Integer()


class QuizCopySchema(Schema):
    """Where a quiz's copy goes (default: the same org) and its title (default: the title with 副本)."""

    org_id = Id(load_default=None)
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=200))


class PoolSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(["fixed", "random", "wrong_book"]))
    question_ids = fields.List(Id())
    count = fields.Integer()
    knowledge_points = fields.List(fields.String())
    difficulty = fields.List(fields.Integer())
    types = fields.List(fields.String())


class QuizInSchema(Schema):
    org_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(QUIZ_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    course_id = Id(load_default=None, allow_none=True)
    open_at = fields.AwareDateTime(default_timezone=UTC, load_default=None, allow_none=True)
    close_at = fields.AwareDateTime(default_timezone=UTC, load_default=None, allow_none=True)
    time_limit_s = fields.Integer(load_default=None, allow_none=True)
    question_time_s = fields.Integer(load_default=None, allow_none=True)
    pool = fields.Nested(PoolSchema, required=True)
    shuffle_questions = fields.Boolean(load_default=True)
    shuffle_options = fields.Boolean(load_default=True)
    attempts_allowed = fields.Integer(load_default=1)
    pass_mark = fields.Float(load_default=60.0)
    show_answers = fields.String(load_default="after_submit", validate=validate.OneOf(SHOW_ANSWERS))
    published = fields.Boolean(load_default=True)


class QuizPatchSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    course_id = Id(allow_none=True)
    open_at = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    close_at = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    time_limit_s = fields.Integer(allow_none=True)
    question_time_s = fields.Integer(allow_none=True)
    pool = fields.Nested(PoolSchema)
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    attempts_allowed = fields.Integer()
    pass_mark = fields.Float()
    show_answers = fields.String(validate=validate.OneOf(SHOW_ANSWERS))
    published = fields.Boolean()


class QuizSchema(Schema):
    id = Id()
    org_id = Id()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    course_id = Id(allow_none=True)
    open_at = Moment(allow_none=True)
    close_at = Moment(allow_none=True)
    time_limit_s = fields.Integer(allow_none=True)
    question_time_s = fields.Integer(allow_none=True)
    pool = fields.Dict()
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    attempts_allowed = fields.Integer()
    pass_mark = fields.Float()
    show_answers = fields.String()
    published = fields.Boolean()


class QuizQuerySchema(PageQuerySchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(QUIZ_KINDS))
    manage = fields.Boolean(load_default=False)
    course_id = Id(load_default=None, validate=validate.Range(min=1),
                               metadata={"description": "only the exams of this course"})


class AttemptQuestionSchema(Schema):
    id = Id()
    position = fields.Integer()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    blanks = fields.Integer()
    max_score = fields.Float()
    response = fields.Raw(allow_none=True)
    answered = fields.Boolean()


class AttemptSchema(Schema):
    id = Id()
    quiz_id = Id()
    quiz_title = fields.String()
    kind = fields.String()
    state = fields.String()
    started_at = Moment()
    deadline = Moment(allow_none=True)
    server_time = Moment()
    question_time_s = fields.Integer(allow_none=True)
    show_answers = fields.String()
    questions = fields.List(fields.Nested(AttemptQuestionSchema))


class AnswerInSchema(Schema):
    response = fields.Raw(required=True, allow_none=False,
                          metadata={"description": "option keys, a text, or a list of texts (blanks)"})


def read_answer(body: dict) -> dict:
    """`AnswerInSchema` read by hand (learning.lean): `response`, whatever its shape (grading checks it)."""
    errors: dict = {}
    lean.only(body, ("response",), errors)
    if body.get("response") is None:
        errors["response"] = [lean.REQUIRED if "response" not in body else "Field may not be null."]
    if errors:
        raise lean.FieldErrors(errors)
    return {"response": body["response"]}


class AnswerOutSchema(Schema):
    question_id = Id()
    saved = fields.Boolean()
    answered_at = Moment()
    correct = fields.Boolean(allow_none=True)
    score = fields.Float(allow_none=True)
    answer = fields.Raw()
    explanation = fields.String(allow_none=True)


class ResultItemSchema(AttemptQuestionSchema):
    score = fields.Float(allow_none=True)
    pending = fields.Boolean()
    correct = fields.Boolean(allow_none=True)
    answer = fields.Raw()
    explanation = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class ResultSchema(Schema):
    id = Id()
    quiz_id = Id()
    quiz_title = fields.String()
    state = fields.String()
    closed_reason = fields.String(allow_none=True)
    started_at = Moment()
    submitted_at = Moment(allow_none=True)
    score = fields.Float(allow_none=True)
    max_score = fields.Float()
    scaled = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    answers_visible = fields.Boolean()
    score_visible = fields.Boolean(metadata={"description": "false until the quiz may show the score "
                                                            "(score, scaled and passed are null until then)"})
    reveal_at = Moment(allow_none=True, metadata={"description": "when answers show; null: never"})
    pending_grading = fields.Integer()
    items = fields.List(fields.Nested(ResultItemSchema))


class AttemptSummarySchema(Schema):
    id = Id()
    quiz_id = Id()
    quiz_title = fields.Function(lambda a: a.quiz.title)
    kind = fields.Function(lambda a: a.quiz.kind)
    state = fields.String()
    started_at = Moment()
    submitted_at = Moment(allow_none=True)
    score = fields.Function(lambda a: a.score if _score_visible(a) else None, allow_none=True,
                            metadata={"type": "number", "description": "null until the quiz may show it"})
    max_score = fields.Float()
    passed = fields.Function(lambda a: a.passed if _score_visible(a) else None, allow_none=True,
                             metadata={"type": "boolean"})


def _score_visible(attempt) -> bool:
    from .services.attempts import score_visible

    return score_visible(attempt)


class GradeInSchema(Schema):
    score = fields.Float(required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PendingItemSchema(Schema):
    attempt_id = Id()
    question_id = Id()
    member_name = fields.String()
    stem = fields.String()
    reference = fields.String(allow_none=True)
    response = fields.Raw()
    max_score = fields.Float()
    submitted_at = Moment()


class WrongAnswerSchema(Schema):
    id = Id()
    question_id = Id()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    knowledge_points = fields.List(fields.String())
    wrong_count = fields.Integer()
    right_streak = fields.Integer()
    last_response = fields.Raw()
    last_wrong_at = Moment()
    revealed = fields.Boolean()
    answer = fields.Raw()
    explanation = fields.String(allow_none=True)


class PeriodSchema(Schema):
    start = fields.AwareDateTime(default_timezone=UTC, data_key="from", load_default=None)
    end = fields.AwareDateTime(default_timezone=UTC, data_key="to", load_default=None)


class StatisticsSchema(Schema):
    quiz_id = Id()
    mode = fields.String(metadata={"description": "question (fixed pool) or slot (random pool, per position)"})
    test = fields.Dict()
    questions = fields.List(fields.Dict())
    slots = fields.List(fields.Dict())
    period = fields.Dict()


QuizPageSchema = page_schema(QuizSchema)



AttemptSummaryPageSchema = page_schema(AttemptSummarySchema)


WrongAnswerPageSchema = page_schema(WrongAnswerSchema)


PendingItemPageSchema = page_schema(PendingItemSchema)


class ImportQuerySchema(OrgQuerySchema, PageQuerySchema):
    """An org's question imports, a page."""


ImportJobPageSchema = page_schema(ImportJobSchema)
VersionPageSchema = page_schema(VersionSchema)
