"""marshmallow schemas of the scoring API."""
from marshmallow import Schema, fields, validate

from learning.fields import Day, Id, Moment
from learning.schemas import DayRangeQuerySchema, PageQuerySchema, page_schema

from .models import RULE_KINDS, SESSION_KINDS
from learning.services.period import KINDS as PERIOD_KINDS
from .services.presets import PRESETS


class PointsPeriodQuerySchema(Schema):
    period = fields.String(load_default=None, validate=validate.OneOf(PERIOD_KINDS))
    date = Day(load_default=None, metadata={"description": "a day inside the period (default today)"})
    first = Day(data_key="from", load_default=None)
    last = Day(data_key="to", load_default=None)


class HistoryQuerySchema(PointsPeriodQuerySchema, PageQuerySchema):
    """The period, and the API's one pagination style (?page&per_page, learning.services.pagination)."""


class PointsHistoryItemSchema(Schema):
    id = Id()
    seq = fields.Integer()
    kind = fields.String()
    delta = fields.Integer()
    rule_code = fields.String(allow_none=True)
    rule_name = fields.String(allow_none=True)
    object_name = fields.String(allow_none=True)
    reason = fields.String()
    note = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    reverses_id = Id(allow_none=True)
    occurred_at = Moment()
    created_at = Moment()


class PointsHistorySchema(Schema):
    member_id = Id()
    balance = fields.Integer()
    entries = fields.Integer()
    period_points = fields.Integer()
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(PointsHistoryItemSchema))


class AdjustmentSchema(Schema):
    delta = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True, validate=validate.Length(max=300))
    idempotency_key = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class ReversalSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=300))


class LedgerEntrySchema(Schema):
    id = Id()
    member_id = Id()
    seq = fields.Integer()
    kind = fields.String()
    delta = fields.Integer()
    rule_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    actor_id = Id(allow_none=True)
    reverses_id = Id(allow_none=True)
    occurred_at = Moment()
    hash = fields.String()
    balance = fields.Method("_balance")

    def _balance(self, entry):
        from .services.ledger import balance_of

        return balance_of(entry.member_id)


class RuleProgressSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    points = fields.Integer()
    minutes = fields.Integer(allow_none=True)
    earned_today = fields.Integer()
    daily_cap = fields.Integer(allow_none=True)
    earned_week = fields.Integer()
    weekly_cap = fields.Integer(allow_none=True)
    available_today = fields.Boolean()
    done = fields.Boolean()


class TodaySchema(Schema):
    member_id = Id()
    day = Day()
    earned_today = fields.Integer()
    daily_max = fields.Integer()
    balance = fields.Integer()
    rules = fields.List(fields.Nested(RuleProgressSchema))


class RuleSchema(Schema):
    id = Id(dump_only=True)
    org_id = Id(dump_only=True)
    code = fields.String(required=True)
    version = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    kind = fields.String(required=True, validate=validate.OneOf(RULE_KINDS))
    verb = fields.String(required=True, validate=validate.Length(min=1, max=40))
    object_type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    match = fields.Dict(allow_none=True, load_default=None)
    points = fields.Integer(load_default=0)
    minutes = fields.Integer(allow_none=True, load_default=None)
    bands = fields.List(fields.Dict(), allow_none=True, load_default=None)
    placings = fields.Dict(allow_none=True, load_default=None)
    daily_cap = fields.Integer(allow_none=True, load_default=None)
    weekly_cap = fields.Integer(allow_none=True, load_default=None)
    schedule = fields.List(fields.Dict(), allow_none=True, load_default=None)
    enabled = fields.Boolean(load_default=True)
    preset = fields.String(dump_only=True, allow_none=True)
    effective_from = Moment(load_default=None)
    effective_to = Moment(dump_only=True, allow_none=True)
    inherited = fields.Boolean(dump_only=True)


class RuleChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    match = fields.Dict(allow_none=True)
    points = fields.Integer()
    minutes = fields.Integer(allow_none=True)
    bands = fields.List(fields.Dict(), allow_none=True)
    placings = fields.Dict(allow_none=True)
    daily_cap = fields.Integer(allow_none=True)
    weekly_cap = fields.Integer(allow_none=True)
    schedule = fields.List(fields.Dict(), allow_none=True)
    enabled = fields.Boolean()
    effective_from = Moment(load_default=None)


class PresetSchema(Schema):
    preset = fields.String(required=True, validate=validate.OneOf(list(PRESETS)))


class RankingQuerySchema(PointsPeriodQuerySchema):
    of = fields.String(load_default="members", validate=validate.OneOf(("members", "branches")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class OfflineSessionSchema(Schema):
    id = Id(dump_only=True)
    org_id = Id(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(SESSION_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    cancelled = fields.Function(lambda s: s.cancelled_at is not None, dump_only=True)


class SessionQuerySchema(PageQuerySchema, DayRangeQuerySchema):
    """An org's offline sessions in a period of days, a page."""


class CheckinSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ProxySchema(Schema):
    member_ids = fields.List(Id(), required=True)


class QRSchema(Schema):
    token = fields.String()
    url = fields.String()
    svg = fields.String()
    expires_in = fields.Integer()
    refresh_in = fields.Integer()


class OfflineAttendanceSchema(Schema):
    member_id = Id()
    name = fields.String()
    method = fields.String()
    entered_by_id = Id(allow_none=True)
    entered_by_name = fields.String(allow_none=True)
    at = Moment()


class EvaluationQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")))
    lang = fields.String(load_default=None)


class DailyCheckinSchema(Schema):
    enabled = fields.Boolean(metadata={"description": "whether the org's policy turns daily check-in on"})
    day = fields.Date(metadata={"description": "today, China time"})
    checked_in = fields.Boolean()


class MissingCheckinQuerySchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "a China-local day; today by default"})


class MissingCheckinSchema(Schema):
    org_id = fields.Integer()
    day = fields.Date()
    members = fields.List(fields.Dict(), metadata={"description": "id, name and org of members not checked in"})


OfflineSessionPageSchema = page_schema(OfflineSessionSchema)



OfflineAttendancePageSchema = page_schema(OfflineAttendanceSchema)
RulePageSchema = page_schema(RuleSchema)
