"""Input and output shapes of the reports API."""
from marshmallow import Schema, fields, validate

from learning.fields import Day, Id, Moment
from learning.schemas import DayRangeQuerySchema, ListQuerySchema, page_schema

from .services.org_report import MEMBER_SORTS

FORMATS = ("json", "pdf", "xlsx")


class ReportQuerySchema(DayRangeQuerySchema):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class PeriodBodySchema(Schema):
    start = Day(data_key="from", required=True)
    end = Day(data_key="to", required=True)


class PeriodSchema(Schema):
    start = Day(data_key="from", attribute="from")
    end = Day(data_key="to", attribute="to")
    days = fields.Integer()


class IndexSchema(Schema):
    value = fields.Float(allow_none=True)
    parts = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    formula = fields.String()


class ReasonSchema(Schema):
    feature = fields.String()
    text = fields.String()
    count = fields.Integer()


class FlagSchema(Schema):
    kind = fields.String()
    flagged = fields.Integer()
    of = fields.Integer()
    probability = fields.Float()
    model_version = fields.Integer()
    f1_weighted = fields.Float(allow_none=True)
    auc = fields.Float(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class ReportSessionSchema(Schema):
    record_id = Id()
    lesson = fields.String()
    course_id = fields.Raw()
    started_at = Moment()
    hour = fields.Integer()
    weekday = fields.Integer()
    seconds = fields.Integer()
    features = fields.Dict()
    flag = fields.Dict(allow_none=True)


class TaskRowSchema(Schema):
    task_id = fields.String()
    name = fields.String(allow_none=True)
    due_at = Moment(allow_none=True)
    completed_at = Moment(allow_none=True)
    courses = fields.Integer()
    courses_done = fields.Integer()
    quizzes = fields.Integer()
    quizzes_passed = fields.Integer()
    status = fields.String()
    late_days = fields.Float(allow_none=True)


class ReportAttemptSchema(Schema):
    quiz = fields.String()
    quiz_kind = fields.String(allow_none=True)
    at = Moment()
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)
    scaled = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    seconds = fields.Integer()
    seconds_per_question = fields.Float(allow_none=True)


class KnowledgePointSchema(Schema):
    knowledge_point = fields.String()
    answered = fields.Integer()
    correct = fields.Integer()
    accuracy = fields.Float()


class DaySchema(Schema):
    day = Day()
    seconds = fields.Integer()


class CourseDoneSchema(Schema):
    course = fields.String()
    at = Moment()
    on_time = fields.Boolean(allow_none=True)


class ReportWrongAnswerSchema(Schema):
    question_id = fields.String()
    question = fields.String()
    at = Moment()
    knowledge_points = fields.List(fields.String())


class OfflineSchema(Schema):
    name = fields.String()
    kind = fields.String(allow_none=True)
    at = Moment()
    seconds = fields.Integer()


class LaterCorrectionSchema(Schema):
    kind = fields.String(metadata={"description": "record (an act entered late) or points (a ledger entry)"})
    member_id = Id()
    member_name = fields.String()
    what = fields.String()
    points = fields.Integer(allow_none=True)
    occurred_at = Moment(metadata={"description": "when it happened, inside the period"})
    entered_at = Moment(metadata={"description": "when it was entered, after the period closed"})


class MemberReportSchema(Schema):
    member = fields.Dict()
    period = fields.Nested(PeriodSchema)
    summary = fields.Dict()
    study_by_day = fields.List(fields.Nested(DaySchema))
    heatmap = fields.List(fields.List(fields.Integer()))
    sessions = fields.List(fields.Nested(ReportSessionSchema))
    tasks = fields.List(fields.Nested(TaskRowSchema))
    courses_completed = fields.List(fields.Nested(CourseDoneSchema))
    quiz_attempts = fields.List(fields.Nested(ReportAttemptSchema))
    knowledge_points = fields.List(fields.Nested(KnowledgePointSchema))
    wrong_answers = fields.List(fields.Nested(ReportWrongAnswerSchema))
    points_by_rule = fields.List(fields.Dict())
    points_by_rule_from_ledger = fields.Boolean()
    offline = fields.List(fields.Nested(OfflineSchema))
    later_corrections = fields.List(fields.Nested(LaterCorrectionSchema), metadata={
        "description": "what belongs to the period but was entered after it closed (shown, never silent)"})
    rank = fields.Dict(allow_none=True)
    attitude = fields.Nested(IndexSchema)
    effectiveness = fields.Nested(IndexSchema)
    flags = fields.List(fields.Nested(FlagSchema), allow_none=True)
    next_steps = fields.List(fields.Dict())
    policy = fields.Nested(lambda: ReportPolicySchema())


class TrendSchema(Schema):
    start = Day()
    study_seconds = fields.Integer(allow_none=True, metadata={"description": "null where online-time statistics "
                                                                             "are off"})
    active_members = fields.Integer()
    answered = fields.Integer()
    accuracy = fields.Float(allow_none=True)


class FiguresSchema(Schema):
    members = fields.Integer()
    active_members = fields.Integer()
    participation = fields.Float(allow_none=True)
    study_seconds = fields.Integer(allow_none=True, metadata={"description": "null where online-time statistics "
                                                                             "are off"})
    study_seconds_per_member = fields.Float(allow_none=True)
    answered = fields.Integer()
    accuracy = fields.Float(allow_none=True)
    points = fields.Integer()
    points_per_member = fields.Float(allow_none=True)
    courses_completed = fields.Integer()
    offline_attended = fields.Integer()
    tasks_assigned = fields.Integer()
    tasks_completed = fields.Integer()
    tasks_on_time = fields.Integer()
    tasks_overdue = fields.Integer()
    task_completion = fields.Float(allow_none=True)


class ChildSchema(FiguresSchema):
    id = Id()
    name = fields.String()
    kind = fields.String()
    place = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    url = fields.String()


class ReportPolicySchema(Schema):
    online_time_statistics = fields.Boolean()
    rankings_enabled = fields.Boolean()
    excluded_from_assessment = fields.List(fields.String(), metadata={"description": "figures still shown but kept "
                                                                                    "out of assessment"})
    active_day = fields.String(metadata={"description": "what counts as an active day, in words"})


class DashboardSchema(Schema):
    org = fields.Dict()
    period = fields.Nested(PeriodSchema)
    figures = fields.Nested(FiguresSchema)
    trend = fields.List(fields.Nested(TrendSchema))
    children = fields.List(fields.Nested(ChildSchema))
    fair_ranking = fields.Boolean()
    compared_on = fields.String(metadata={"description": "points (fair points ranking), or learning: mastery, then "
                                                         "tasks on time, then attendance (rankings or online-time "
                                                         "statistics off)"})
    policy = fields.Nested(ReportPolicySchema)


class OrgMemberRowSchema(Schema):
    id = Id()
    name = fields.String()
    org_id = Id()
    org_name = fields.String()
    study_seconds = fields.Integer(allow_none=True)
    active_days = fields.Integer()
    answered = fields.Integer()
    accuracy = fields.Float(allow_none=True)
    points = fields.Integer()
    tasks = fields.Integer()
    tasks_on_time = fields.Integer()
    tasks_overdue = fields.Integer()
    url = fields.String()


class MemberTableQuerySchema(ListQuerySchema, DayRangeQuerySchema):
    """A page of an org report's member table: the period, and sort one of the table's keys."""

    sort = fields.String(load_default="org", validate=validate.OneOf(
        [k for key in MEMBER_SORTS for k in (key, f"-{key}")]))


MemberTablePageSchema = page_schema(OrgMemberRowSchema, name="MemberTablePageSchema")


class AttentionSchema(Schema):
    id = Id()
    name = fields.String()
    org_name = fields.String()
    why = fields.List(fields.String())
    risk = fields.Float(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema))
    url = fields.String()


class OrgReportSchema(DashboardSchema):
    weak_points = fields.List(fields.Nested(KnowledgePointSchema))
    later_corrections = fields.List(fields.Nested(LaterCorrectionSchema), metadata={
        "description": "what belongs to the period but was entered after it closed (shown, never silent)"})
    members = fields.List(fields.Nested(OrgMemberRowSchema))
    members_truncated = fields.Boolean()
    attention = fields.List(fields.Nested(AttentionSchema))
    risk_model = fields.Dict(allow_none=True)


class PackSchema(Schema):
    id = Id()
    org_id = Id()
    start = Day(data_key="from", attribute="period_from")
    end = Day(data_key="to", attribute="period_to")
    kind = fields.String()
    status = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    progress = fields.Float()
    error = fields.String(allow_none=True)
    created_at = Moment()
    finished_at = Moment(allow_none=True)
    url = fields.String()
    file_url = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True)


class ModelSchema(Schema):
    id = Id()
    org_id = Id()
    kind = fields.String()
    version = fields.Integer()
    trained_at = Moment()
    samples = fields.Integer()
    usable = fields.Boolean()
    f1 = fields.Float(allow_none=True)
    metrics = fields.Dict()
    library_version = fields.String(metadata={"description": "the libraries that trained it; another version is retrained, never unpickled"})


class TrainResultSchema(Schema):
    org_id = Id()
    queued = fields.Boolean()



PackPageSchema = page_schema(PackSchema)
ModelPageSchema = page_schema(ModelSchema)
