"""Schemas of the live-event API: input validation and output shape."""
from marshmallow import EXCLUDE, Schema, fields, validate

from learning.fields import DB_INT_MAX, Id, Moment
from learning.schemas import PageQuerySchema, page_schema

from ..models import EVENT_STATUSES
from ..services.audience import KINDS
from ..services.referee import HOST_ACTIONS



class ArenaRoundInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True)
    title = fields.String(validate=validate.Length(max=100))
    count = fields.Integer(validate=validate.Range(min=1, max=200))
    points = fields.Integer(validate=validate.Range(min=0, max=1000))
    time_limit_s = fields.Integer(validate=validate.Range(min=3, max=600))
    question_ids = fields.List(Id(), validate=validate.Length(min=1, max=200))
    knowledge_points = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=50))
    difficulty = fields.List(fields.Integer(validate=validate.OneOf((1, 2, 3))))
    types = fields.List(fields.String())


class ArenaEventInSchema(Schema):
    """A new live event: contestants are members (member_ids) or branch teams (team_org_ids)."""

    class Meta:
        unknown = EXCLUDE

    org_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    member_ids = fields.List(Id(), validate=validate.Length(max=500))
    team_org_ids = fields.List(Id(), validate=validate.Length(max=500))
    rounds = fields.List(fields.Nested(ArenaRoundInSchema), required=True, validate=validate.Length(min=1, max=20))
    settings = fields.Dict()
    allow_guests = fields.Boolean(load_default=False)
    scheduled_at = fields.AwareDateTime(allow_none=True)
    seed = fields.Integer(validate=validate.Range(min=0, max=2**31))


class ArenaControlInSchema(Schema):
    """A host action; `seq` (optional) is the stream number the host's screen showed."""

    class Meta:
        unknown = EXCLUDE

    action = fields.String(required=True, validate=validate.OneOf(HOST_ACTIONS))
    seq = fields.Integer(validate=validate.Range(min=0, max=DB_INT_MAX))
    answer_id = Id()
    correct = fields.Boolean()


class ArenaSlotRefSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    slot_id = Id(required=True)


class ArenaAnswerInSchema(ArenaSlotRefSchema):
    response = fields.Raw(required=True)


class ArenaStakeInSchema(ArenaSlotRefSchema):
    stake = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class ArenaReactionInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    contestant_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    guest_token = fields.String(validate=validate.Length(max=40))


class ArenaEventSummarySchema(Schema):
    id = Id()
    org_id = Id()
    title = fields.String()
    status = fields.String()
    scheduled_at = Moment()
    started_at = Moment()
    finished_at = Moment()
    team_mode = fields.Boolean()
    allow_guests = fields.Boolean()


class ArenaEventStateSchema(Schema):
    """The public state (as every screen shows it) and the caller's own place in the event."""

    state = fields.Dict()
    me = fields.Dict()


class ArenaContestantSchema(Schema):
    id = Id()
    name = fields.String()
    member_id = Id(allow_none=True)
    team_org_id = Id(allow_none=True)
    fouls = fields.Integer()
    disqualified = fields.Boolean()
    member_ids = fields.List(Id())


class ArenaActionOutSchema(Schema):
    id = Id()
    kind = fields.String()
    seq = fields.Integer()
    state = fields.Dict()


class ArenaBuzzOutSchema(Schema):
    outcome = fields.String(metadata={"description": "won, late or foul"})
    at = Moment()
    closes_at = Moment(allow_none=True)
    fouls = fields.Integer()
    penalty = fields.Integer()
    disqualified = fields.Boolean()


class ArenaAnswerOutSchema(Schema):
    id = Id()
    slot_id = Id()
    answered_at = Moment()
    elapsed_ms = fields.Integer()


class ArenaStakeOutSchema(Schema):
    stake = fields.Integer()


class ArenaPassOutSchema(Schema):
    passed = fields.Boolean()
    at = Moment()


class ArenaReactionOutSchema(Schema):
    contestant_id = Id()
    likes = fields.Integer()
    boos = fields.Integer()


class ArenaResultsSchema(Schema):
    event = fields.Dict()
    scoreboard = fields.List(fields.Dict())
    winner_id = Id(allow_none=True)
    popularity_id = Id(allow_none=True)
    reactions_count = fields.Boolean()
    timeline = fields.List(fields.Dict())


class ArenaEventQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(EVENT_STATUSES))


ArenaEventSummaryPageSchema = page_schema(ArenaEventSummarySchema)
ArenaContestantPageSchema = page_schema(ArenaContestantSchema)
