"""marshmallow schemas of the courses API: input validation and output shape."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from learning.timeutil import LOCAL_TZ

from .models import COURSE_STATUSES, LESSON_KINDS


class CourseQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    tag = fields.String(load_default=None, validate=validate.Length(max=30))
    status = fields.String(load_default=None, validate=validate.OneOf(COURSE_STATUSES))


class CourseSchema(Schema):
    id = fields.Integer(dump_only=True)
    org_id = fields.Integer(required=True)
    org_name = fields.Function(lambda c: c.org.name, dump_only=True)
    audience_org_id = fields.Integer(allow_none=True, load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=2000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), load_default=list,
                       validate=validate.Length(max=10))
    status = fields.String(dump_only=True)
    lesson_count = fields.Function(lambda c: len(c.lessons), dump_only=True)
    published_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class CourseUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=validate.Length(max=2000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=30)), validate=validate.Length(max=10))
    audience_org_id = fields.Integer()


class LessonSchema(Schema):
    id = fields.Integer(dump_only=True)
    course_id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(LESSON_KINDS))
    body_html = fields.String(load_default="", validate=validate.Length(max=200_000))
    media_asset_id = fields.Integer(allow_none=True, load_default=None)
    reading_s = fields.Integer(allow_none=True, load_default=None)
    text_chars = fields.Integer(dump_only=True)
    document_name = fields.String(dump_only=True)
    length_s = fields.Float(dump_only=True)


class LessonUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    body_html = fields.String(validate=validate.Length(max=200_000))
    media_asset_id = fields.Integer()
    reading_s = fields.Integer()


class LessonOrderSchema(Schema):
    lesson_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=500))


class CourseDetailSchema(CourseSchema):
    lessons = fields.List(fields.Nested(LessonSchema))


class SessionOpenSchema(Schema):
    lesson_id = fields.Integer(required=True)
    source = fields.String(load_default="web", validate=validate.OneOf(["web", "app", "mini"]))


class SessionSchema(Schema):
    id = fields.Integer()
    lesson_id = fields.Integer()
    heartbeat_interval = fields.Integer()
    position = fields.Float()
    length_s = fields.Float()
    started_at = fields.DateTime()


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
    beats = fields.List(fields.Nested(BeatSchema), validate=validate.Length(min=1, max=240))

    @validates_schema
    def one_or_many(self, data, **kwargs):
        """Either the fields of one beat or a non-empty `beats` list."""
        if "beats" in data:
            return
        missing = [f for f in ("position", "playing", "visible") if f not in data]
        if missing:
            raise ValidationError({f: ["Missing data for required field."] for f in missing})


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
    id = fields.Integer()
    credited_seconds = fields.Integer()
    completed = fields.Boolean()
    features = fields.Dict()


class LessonProgressSchema(Schema):
    lesson_id = fields.Integer()
    course_id = fields.Integer()
    credited_seconds = fields.Integer()
    position = fields.Float()
    coverage = fields.Float()
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    last_studied_at = fields.DateTime(allow_none=True)


class CourseProgressSchema(Schema):
    course_id = fields.Integer()
    lessons_completed = fields.Integer()
    lessons_total = fields.Integer()
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    last_lesson_id = fields.Integer(allow_none=True)


class ProgressSchema(Schema):
    member_id = fields.Integer()
    lessons = fields.List(fields.Nested(LessonProgressSchema))
    courses = fields.List(fields.Nested(CourseProgressSchema))


class TaskCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    course_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=20))
    due_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ,
                                  metadata={"description": "without an offset: China time"})
    member_ids = fields.List(fields.Integer(), load_default=None, validate=validate.Length(min=1, max=5000))


class TaskSchema(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    org_name = fields.Function(lambda t: t.org.name)
    title = fields.String()
    note = fields.String()
    course_ids = fields.List(fields.Integer())
    due_at = fields.DateTime()
    created_at = fields.DateTime()
    assigned = fields.Function(lambda t: len(t.assignees))
    completed = fields.Function(lambda t: sum(1 for a in t.assignees if a.completed_at is not None))


class TaskCourseSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    completed = fields.Boolean()


class MyTaskSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    note = fields.String()
    org_name = fields.String()
    due_at = fields.DateTime()
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    overdue = fields.Boolean()
    courses = fields.List(fields.Nested(TaskCourseSchema))


class BranchCompletionSchema(Schema):
    org_id = fields.Integer()
    org_name = fields.String()
    assigned = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float()


class MemberCompletionSchema(Schema):
    member_id = fields.Integer()
    name = fields.String()
    org_id = fields.Integer()
    org_name = fields.String()
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)


class TaskCompletionSchema(Schema):
    task_id = fields.Integer()
    assigned = fields.Integer()
    completed = fields.Integer()
    rate = fields.Float()
    branches = fields.List(fields.Nested(BranchCompletionSchema))
    members = fields.List(fields.Nested(MemberCompletionSchema))
