"""Campaigns, phases, self-evaluation and the secret ballot."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from learning.auth import actor
from learning.errors import NotFound
from learning.extensions import db
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import page_of

from .. import schemas as s
from ..models import BALLOT_PHASES, LEVELS
from ..services import ballots, campaigns, participation

blp = Blueprint("Appraisal", __name__, url_prefix="/api/v1",
                description="Democratic appraisal (民主评议): campaigns, self-evaluation, secret ballots")

MAX_ID = 2**63 - 1


TAKE_OR_READ = ("appraisal.take", "appraisal.read")


def load(campaign_id: int, capability: str | tuple[str, ...] = "appraisal.take"):
    """The campaign in the caller's scope with the capability."""
    if campaign_id > MAX_ID:
        raise NotFound("Campaign not found.")
    return campaigns.get_campaign(actor(), campaign_id, capability)


def present(campaign, me) -> object:
    """A campaign with the caller's to-do list and participation by ballot phase."""
    campaign.todo = campaigns.todo(campaign, me)
    campaign.participation = [ballots.participation(campaign, p) for p in BALLOT_PHASES]
    return campaign


@blp.route("/appraisals")
class Campaigns(MethodView):
    @blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.CampaignPageSchema)
    def get(self, query):
        """Campaigns the caller takes part in or may read, latest year first, a page."""
        me = actor()
        page = page_of(campaigns.campaigns_for(me), query)
        return {**page, "items": [present(c, me) for c in page["items"]]}

    @blp.arguments(s.CampaignInSchema)
    @blp.response(201, s.CampaignSchema(many=True))
    def post(self, data):
        """Open a campaign: a branch for itself, a committee for every branch below (or for its branches)."""
        me = actor()
        if data["org_id"] > MAX_ID:
            raise NotFound("Organisation not found.")
        org = scope.require_org(me, data.pop("org_id"), "appraisal.manage")
        made = campaigns.open_campaign(org, me, **data)
        return [present(c, me) for c in made]


@blp.route("/appraisals/<int:campaign_id>")
@blp.response(200, s.CampaignSchema)
def campaign_detail(campaign_id):
    """One campaign: phase, schedule, what the caller still has to do, participation by phase."""
    return present(load(campaign_id, TAKE_OR_READ), actor())


@blp.route("/appraisals/<int:campaign_id>/advance", methods=["POST"])
@blp.arguments(s.AdvanceSchema)
@blp.response(200, s.CampaignSchema)
def advance(data, campaign_id):
    """The host moves the campaign to the next phase (or on to `to`); ballot phases left behind close."""
    campaign = load(campaign_id, "appraisal.manage")
    if data.get("objection_until"):
        campaign.objection_until = data["objection_until"]
    campaigns.advance(campaign, data.get("to"), by=actor())
    return present(campaign, actor())


@blp.route("/appraisals/<int:campaign_id>/close", methods=["POST"])
@blp.response(200, s.CampaignSchema)
def close(campaign_id):
    """Close the open ballot phase now (its ballots are opened, shuffled and stored without order)."""
    campaign = load(campaign_id, "appraisal.manage")
    if campaign.phase not in BALLOT_PHASES:
        raise ballots.BallotClosed("No ballot phase is open.")
    campaigns.advance(campaign, by=actor())
    return present(campaign, actor())


@blp.route("/appraisals/<int:campaign_id>/self")
class SelfEvaluation(MethodView):
    @blp.response(200, s.SelfSchema)
    def get(self, campaign_id):
        """The caller's own self-evaluation."""
        row = participation.own_self(load(campaign_id), actor())
        if row is None:
            raise NotFound("You have not written a self-evaluation yet.")
        return row

    @blp.arguments(s.SelfInSchema)
    @blp.response(201, s.SelfSchema)
    def post(self, data, campaign_id):
        """Submit (or revise, while the phase lasts) the caller's self-evaluation (个人自评)."""
        row, created = participation.submit_self(load(campaign_id), actor(), **data)
        return row, 201 if created else 200


@blp.route("/appraisals/<int:campaign_id>/ballot")
@blp.response(200, s.BallotFormSchema)
def ballot_form(campaign_id):
    """Whom the caller rates in the open ballot phase, on which levels and criteria, and whether they voted."""
    campaign, me = load(campaign_id), actor()
    is_open = campaign.phase in BALLOT_PHASES
    return {"campaign_id": campaign.id, "title": campaign.title, "phase": campaign.phase, "open": is_open,
            "voted": is_open and ballots.has_voted(campaign, me), "levels": list(LEVELS),
            "criteria": campaign.criteria,
            "subjects": ballots.subjects_for(campaign, me) if campaigns.is_participant(campaign, me) else []}


@blp.route("/appraisals/<int:campaign_id>/ballots", methods=["POST"])
@blp.arguments(s.BallotInSchema)
@blp.response(201, s.CastSchema)
def cast(data, campaign_id):
    """Cast the caller's secret ballot: once per phase, unchangeable, rating every subject."""
    campaign = load(campaign_id)
    phase = campaign.phase
    ballots.cast(campaign, actor(), data["ratings"])
    return {"cast": True, "phase": phase}


@blp.route("/appraisals/<int:campaign_id>/links", methods=["POST"])
@blp.arguments(s.LinksInSchema)
@blp.response(201, s.LinksSchema)
def make_links(data, campaign_id):
    """One-time links for outside participants (群众代表) in the democratic test; shown once."""
    tokens = ballots.make_links(load(campaign_id, "appraisal.manage"), data["count"])
    return {"tokens": tokens}


@blp.route("/appraisal-links/ballot")
@blp.arguments(s.TokenQuerySchema, location="query")
@blp.response(200, s.BallotFormSchema)
def link_form(query):
    """The ballot form behind a one-time link (no login)."""
    link, campaign = ballots.link_campaign(query["token"])
    return {"campaign_id": campaign.id, "title": campaign.title, "phase": campaign.phase,
            "open": campaign.phase == "test" and not link.used, "voted": link.used, "levels": list(LEVELS),
            "criteria": campaign.criteria, "subjects": ballots.subjects_for(campaign, None)}


@blp.route("/appraisal-links/ballot", methods=["POST"])
@blp.arguments(s.LinkBallotInSchema)
@blp.response(201, s.CastSchema)
def link_cast(data):
    """An outside participant's ballot through a one-time link (no login; the link works once)."""
    ballots.cast_by_link(data["token"], data["ratings"])
    return {"cast": True, "phase": "test"}
