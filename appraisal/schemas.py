"""marshmallow schemas of the appraisal API."""
from marshmallow import Schema, fields, validate

from learning.fields import Day, Id, Moment
from learning.schemas import PageQuerySchema, page_schema

from .models import KINDS, LEVELS, PHASES

Level = lambda **kw: fields.String(validate=validate.OneOf(LEVELS), **kw)  # noqa: E731


class CampaignInSchema(Schema):
    org_id = Id(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(load_default="members", validate=validate.OneOf(KINDS))
    schedule = fields.Dict(keys=fields.String(), values=Day(), required=True)
    course_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    criteria = fields.List(fields.String(validate=validate.Length(min=1, max=20)), load_default=list,
                           validate=validate.Length(max=8))
    by_group = fields.Boolean(load_default=False)


class ParticipationSchema(Schema):
    phase = fields.String()
    eligible = fields.Integer()
    voted = fields.Integer()
    outside = fields.Integer()


class CampaignSchema(Schema):
    id = Id()
    org_id = Id()
    batch_id = Id(allow_none=True)
    kind = fields.String()
    year = fields.Integer()
    title = fields.String()
    phase = fields.String()
    schedule = fields.Dict()
    course_ids = fields.List(Id())
    criteria = fields.List(fields.String())
    by_group = fields.Boolean()
    objection_until = Day(allow_none=True)
    todo = fields.List(fields.Dict(), dump_only=True)
    participation = fields.List(fields.Nested(ParticipationSchema), dump_only=True)


class AdvanceSchema(Schema):
    to = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PHASES))
    objection_until = Day(load_default=None, allow_none=True)


class SelfInSchema(Schema):
    summary = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    self_level = Level(required=True)
    commitments = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class SelfSchema(SelfInSchema):
    member_id = Id()
    submitted_at = Moment()


class RatingInSchema(Schema):
    subject_id = Id(required=True)
    level = Level(required=True)
    criteria = fields.Dict(keys=fields.String(validate=validate.Length(max=20)), values=Level(), load_default=None,
                           allow_none=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class BallotInSchema(Schema):
    ratings = fields.List(fields.Nested(RatingInSchema), required=True, validate=validate.Length(min=1, max=500))


class LinkBallotInSchema(BallotInSchema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=100))


class TokenQuerySchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=100))


class SubjectSchema(Schema):
    id = Id()
    name = fields.String()


class BallotFormSchema(Schema):
    campaign_id = Id()
    title = fields.String()
    phase = fields.String()
    open = fields.Boolean()
    voted = fields.Boolean()
    levels = fields.List(fields.String())
    criteria = fields.List(fields.String())
    subjects = fields.List(fields.Nested(SubjectSchema))


class CastSchema(Schema):
    cast = fields.Boolean()
    phase = fields.String()


class LinksInSchema(Schema):
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=200))


class LinksSchema(Schema):
    tokens = fields.List(fields.String())


class ResultRowSchema(Schema):
    subject_id = Id()
    name = fields.String()
    tally = fields.Dict()
    self_level = fields.String(allow_none=True)
    learning = fields.Dict()
    determination = fields.Dict(allow_none=True)


class DeterminationItemSchema(Schema):
    subject_id = Id(required=True)
    level = Level(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeterminationsInSchema(Schema):
    items = fields.List(fields.Nested(DeterminationItemSchema), required=True, validate=validate.Length(max=2000))


class DeterminationSchema(Schema):
    id = Id()
    campaign_id = Id()
    subject_type = fields.String()
    subject_id = Id()
    level = fields.String()
    reason = fields.String(allow_none=True)
    status = fields.String()
    decided_by_id = Id()
    approved_by_id = Id(allow_none=True)
    approval_note = fields.String(allow_none=True)


class ApprovalInSchema(Schema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MyResultSchema(Schema):
    level = fields.String()
    self_level = fields.String(allow_none=True)
    tally = fields.Dict(allow_none=True)
    objection_until = Day(allow_none=True)


class PublishedSchema(Schema):
    subject_id = Id()
    name = fields.String()
    level = fields.String()


class ObjectionInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    subject_id = Id(load_default=None, allow_none=True)


class ObjectionAnswerInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ObjectionSchema(Schema):
    id = Id()
    campaign_id = Id()
    subject_id = Id(allow_none=True)
    text = fields.String()
    answer = fields.String(allow_none=True)
    created_at = Moment()
    answered_at = Moment(allow_none=True)


class RectificationInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_id = Id(required=True)
    deadline = Day(required=True)
    org_id = Id(load_default=None, allow_none=True)


class NoteInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class EvidenceInSchema(Schema):
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class NoteSchema(Schema):
    id = Id()
    author_id = Id()
    text = fields.String()
    created_at = Moment()


class RectificationSchema(Schema):
    id = Id()
    campaign_id = Id()
    org_id = Id()
    title = fields.String()
    owner_id = Id()
    deadline = Day()
    status = fields.String()
    evidence = fields.String(allow_none=True)
    closed_at = Moment(allow_none=True)
    notes = fields.List(fields.Nested(NoteSchema), dump_only=True)


class BranchReviewInSchema(Schema):
    branch_id = Id(required=True)
    scores = fields.Dict(keys=fields.String(validate=validate.Length(max=20)), values=Level(), required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class BranchReviewSchema(Schema):
    id = Id()
    branch_id = Id()
    scores = fields.Dict()
    comment = fields.String(allow_none=True)


class OverviewQuerySchema(PageQuerySchema):
    """A year of the committee's overview, a page at a time (`format=xlsx`: the whole year in one file)."""

    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "xlsx")))


class ExportQuerySchema(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "xlsx")))


class AnalysisSchema(Schema):
    campaign_id = Id()
    levels = fields.Dict()
    ratings = fields.Dict()
    agreement = fields.Dict()
    self_vs_peers = fields.List(fields.Dict())
    patterns = fields.Dict()
    last_year = fields.Dict(allow_none=True)


class OverviewRowSchema(Schema):
    campaign_id = Id()
    org_id = Id()
    org_name = fields.String()
    kind = fields.String()
    title = fields.String()
    phase = fields.String()
    participation = fields.List(fields.Nested(ParticipationSchema))
    levels = fields.Dict()



CampaignPageSchema = page_schema(CampaignSchema)
ResultRowPageSchema = page_schema(ResultRowSchema)
DeterminationPageSchema = page_schema(DeterminationSchema)
PublishedPageSchema = page_schema(PublishedSchema)
ObjectionPageSchema = page_schema(ObjectionSchema)
RectificationPageSchema = page_schema(RectificationSchema)
OverviewRowPageSchema = page_schema(OverviewRowSchema)
