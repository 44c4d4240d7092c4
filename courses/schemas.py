"""marshmallow schemas of the courses API: input validation and output shape."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from learning import lean
from learning.fields import Id, Moment
from learning.schemas import PageQuerySchema, page_schema
from learning.timeutil import LOCAL_TZ

from .models import COURSE_STATUSES, LESSON_KINDS


class CourseQuerySchema(PageQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    tag = fields.String(load_default=None, validate=validate.Length(max=30))
    status = fields.String(load_default=None, validate=validate.OneOf(COURSE_STATUSES))


class CourseSchema(Schema):
    id = Id(dump_only=True)
    org_id = Id(required=True)
    org_name = fields.Function(lambda c: c.org.name, dump_only=True)
    audience_org_id = Id(allow_none=True, load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=2000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                       validate=validate.Length(max=10))
    status = fields.String(dump_only=True)
    lesson_count = fields.Function(lambda c: len(c.lessons), dump_only=True)
    published_at = Moment(dump_only=True)
    created_at = Moment(dump_only=True)


class CourseUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=validate.Length(max=2000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), validate=validate.Length(max=10))
    audience_org_id = Id()


class LessonSchema(Schema):
    id = Id(dump_only=True)
    course_id = Id(dump_only=True)
    position = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(LESSON_KINDS))
    body_html = fields.String(load_default="", validate=validate.Length(max=200_000))
    media_asset_id = Id(allow_none=True, load_default=None)
    reading_s = fields.Integer(allow_none=True, load_default=None)
    text_chars = fields.Integer(dump_only=True)
    document_name = fields.String(dump_only=True)
    length_s = fields.Float(dump_only=True)


class LessonUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    body_html = fields.String(validate=validate.Length(max=200_000))
    media_asset_id = Id()
    reading_s = fields.Integer()


class LessonOrderSchema(Schema):
    lesson_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))


class CourseDetailSchema(CourseSchema):
    lessons = fields.List(fields.Nested(LessonSchema))


class SessionOpenSchema(Schema):
    lesson_id = Id(required=True)
    source = fields.String(load_default="web", validate=validate.OneOf(["web", "app", "mini"]))


class SessionSchema(Schema):
    id = Id()
    lesson_id = Id()
    heartbeat_interval = fields.Integer()
    position = fields.Float()
    length_s = fields.Float()
    started_at = Moment()


MAX_BATCH = 240  # beats in one batch: an hour at 15 s (a setting could not size a schema built at import)


class BeatSchema(Schema):
    position = fields.Float(required=True, allow_nan=False,
                            metadata={"description": "seconds into the media; for articles the share scrolled 0..1"})
    playing = fields.Boolean(required=True)
    visible = fields.Boolean(required=True)
    seq = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10_000_000))
    client_time = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0),
                               metadata={"description": "client clock, ms since the epoch (required in a batch)"})


class HeartbeatSchema(BeatSchema):
    """One beat, or `beats`: a list of them sent after a dropped connection."""

    position = fields.Float(allow_nan=False)
    playing = fields.Boolean()
    visible = fields.Boolean()
    beats = fields.List(fields.Nested(BeatSchema), validate=validate.Length(min=1, max=MAX_BATCH))

    @validates_schema
    def one_or_many(self, data, **kwargs):
        """Either the fields of one beat or a non-empty `beats` list."""
        if "beats" in data:
            return
        missing = [f for f in ("position", "playing", "visible") if f not in data]
        if missing:
            raise ValidationError({f: ["Missing data for required field."] for f in missing})


BEAT_FIELDS = ("position", "playing", "visible", "seq", "client_time")


def _read_beat(body: dict, errors: dict, *, required: bool) -> dict:
    beat = {"seq": lean.integer(body, "seq", errors, minimum=0, maximum=10_000_000),
            "client_time": lean.number(body, "client_time", errors, minimum=0)}
    for name, read in (("position", lean.number), ("playing", lean.boolean), ("visible", lean.boolean)):
        value = read(body, name, errors, required=required)
        if value is not None:
            beat[name] = value
    return beat


def read_heartbeat(body: dict) -> dict:
    """`HeartbeatSchema` read by hand (learning.lean): the fields of one beat, or `beats`, 1..MAX_BATCH of them."""
    errors: dict = {}
    lean.only(body, (*BEAT_FIELDS, "beats"), errors)
    if "beats" not in body:
        data = _read_beat(body, errors, required=True)
    else:
        data = _read_beat(body, errors, required=False)
        beats = body["beats"]
        if not isinstance(beats, list):
            errors["beats"] = ["Not a valid list."]
        elif not 1 <= len(beats) <= MAX_BATCH:
            errors["beats"] = [f"Length must be between 1 and {MAX_BATCH}."]
        else:
            data["beats"], nested = [], {}
            for index, beat in enumerate(beats):
                problems: dict = {}
                if not isinstance(beat, dict):
                    problems["_schema"] = [lean.NOT_AN_OBJECT]
                else:
                    lean.only(beat, BEAT_FIELDS, problems)
                    data["beats"].append(_read_beat(beat, problems, required=True))
                if problems:
                    nested[index] = problems
            if nested:
                errors["beats"] = nested
    if errors:
        raise lean.FieldErrors(errors)
    return data


class EndSchema(Schema):
    position = fields.Float(allow_nan=False)
    playing = fields.Boolean(load_default=False)
    visible = fields.Boolean(load_default=True)
    seq = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10_000_000))
    client_time = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0))


class BeatResultSchema(Schema):
    accepted = fields.Integer()
    ignored = fields.Integer()
    credited = fields.Float()
    session_credited = fields.Float()
    lesson_credited = fields.Float()
    position = fields.Float()
    coverage = fields.Float()
    completed = fields.Boolean()
    completed_now = fields.Boolean()
    active = fields.Boolean()


class EndResultSchema(Schema):
    id = Id()
    credited_seconds = fields.Integer()
    completed = fields.Boolean()
    features = fields.Dict()


class LessonProgressSchema(Schema):
    lesson_id = Id()
    course_id = Id()
    credited_seconds = fields.Integer()
    position = fields.Float()
    coverage = fields.Float()
    completed = fields.Boolean()
    completed_at = Moment(allow_none=True)
    last_studied_at = Moment(allow_none=True)


class CourseProgressSchema(Schema):
    course_id = Id()
    lessons_completed = fields.Integer()
    lessons_total = fields.Integer()
    completed = fields.Boolean()
    completed_at = Moment(allow_none=True)
    last_lesson_id = Id(allow_none=True)


class ProgressSchema(Schema):
    member_id = Id()
    lessons = fields.List(fields.Nested(LessonProgressSchema))
    courses = fields.List(fields.Nested(CourseProgressSchema))


class TaskQuizItemSchema(Schema):
    quiz_id = Id(required=True, validate=validate.Range(min=1, max=2**63 - 1))
    min_score = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100),
                             metadata={"description": "percent; empty: the quiz's own pass mark"})


class TaskCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    course_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=20))
    quiz_items = fields.List(fields.Nested(TaskQuizItemSchema), load_default=list, validate=validate.Length(max=10),
                             metadata={"description": "quizzes or course exams to pass"})
    due_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ,
                                  metadata={"description": "without an offset: China time"})
    member_ids = fields.List(Id(), load_default=None, validate=validate.Length(min=1, max=5000))


class TaskSchema(Schema):
    id = Id()
    org_id = Id()
    org_name = fields.Function(lambda t: t.org.name)
    title = fields.String()
    note = fields.String()
    course_ids = fields.List(Id())
    quiz_items = fields.List(fields.Nested(TaskQuizItemSchema))
    whole_org = fields.Boolean()
    due_at = Moment()
    created_at = Moment()
    assigned = fields.Function(lambda t: len(t.assignees))
    completed = fields.Function(lambda t: sum(1 for a in t.assignees if a.completed_at is not None))


class TaskCourseSchema(Schema):
    id = Id()
    title = fields.String()
    completed = fields.Boolean()


class TaskQuizSchema(Schema):
    id = Id()
    title = fields.String()
    min_score = fields.Float(allow_none=True)
    passed = fields.Boolean()


class MyTaskSchema(Schema):
    id = Id()
    title = fields.String()
    note = fields.String()
    org_name = fields.String()
    due_at = Moment()
    completed = fields.Boolean()
    completed_at = Moment(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    overdue = fields.Boolean()
    courses = fields.List(fields.Nested(TaskCourseSchema))
    quizzes = fields.List(fields.Nested(TaskQuizSchema))


class BranchCompletionSchema(Schema):
    org_id = Id()
    org_name = fields.String()
    assigned = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float()


class MemberCompletionSchema(Schema):
    member_id = Id()
    name = fields.String()
    org_id = Id()
    org_name = fields.String()
    completed = fields.Boolean()
    completed_at = Moment(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    courses_done = fields.Integer()
    quizzes_passed = fields.Integer()


class ReminderResultSchema(Schema):
    sent = fields.Integer()


class TaskCompletionSchema(Schema):
    task_id = Id()
    courses_total = fields.Integer()
    quizzes_total = fields.Integer()
    assigned = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float()
    branches = fields.List(fields.Nested(BranchCompletionSchema))
    members = fields.List(fields.Nested(MemberCompletionSchema))


CoursePageSchema = page_schema(CourseSchema)



TaskPageSchema = page_schema(TaskSchema)


MyTaskPageSchema = page_schema(MyTaskSchema)
LessonPageSchema = page_schema(LessonSchema)
