"""Scope cases of the appraisal endpoints (see tests/scope.py). The campaign lives in branch1."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from learning.models import Org
from learning.services.scope import membership_org
from learning.timeutil import local_day, utcnow
from tests.factories import make_member
from tests.scope import Case

from appraisal.models import Campaign, Determination, Objection, Rectification, SelfEvaluation
from appraisal.services.ballots import subjects_for
from appraisal.services.campaigns import SCHEDULED

_years = itertools.count(2030)
ALL = {"member", "organiser", "reviewer", "host", "admin"}
TAKERS = {"member"}
READERS = {"organiser", "reviewer", "admin"}
MANAGERS = {"organiser", "admin"}
#: acts of the branch's own members: a member role granted above the branch (member@child) reaches the
#: campaign but is not one of its voters, so the service answers 403 (never 404, never a leak)
MEMBER_OK = (200, 201, 403)


def _campaign(ctx, phase: str = "study", kind: str = "members", org: Org | None = None) -> Campaign:
    today = local_day(utcnow())
    campaign = Campaign(org_id=(org or ctx.org).id, kind=kind, year=today.year, title="评议", phase=phase,
                        schedule={p: (today + timedelta(days=i)).isoformat() for i, p in enumerate(SCHEDULED)},
                        criteria=["组织生活"] if kind == "branches" else [], seal_salt="ab" * 32,
                        objection_until=today + timedelta(days=5))
    ctx.db.session.add(campaign)
    ctx.db.session.flush()
    return campaign


def _participant(ctx) -> bool:
    home = membership_org(ctx.caller)
    return home is not None and home.id == ctx.org.id


def _in(phase: str):
    def make(ctx):
        make_member(ctx.org)  # someone to rate besides the caller
        campaign = _campaign(ctx, phase)
        return {"campaign_id": campaign.id, "ids": [campaign.id]}
    return make


def _with_self(ctx):
    made = _in("self")(ctx)
    # whoever the caller is: the row tests who may read it
    ctx.db.session.add(SelfEvaluation(campaign_id=made["campaign_id"], member_id=ctx.caller.id, summary="总结",
                                      self_level="合格", commitments="承诺"))
    return made


def _ballot(ctx):
    made = _in("peer")(ctx)
    campaign = ctx.db.session.get(Campaign, made["campaign_id"])
    made["json"] = {"ratings": [{"subject_id": s["id"], "level": "合格"} for s in subjects_for(campaign, ctx.caller)]}
    return made


def _new_campaign(ctx):
    year = next(_years)
    return {"json": {"org_id": ctx.org.id, "year": year, "title": "评议",
                     "schedule": {p: date(year, 1 + i, 1).isoformat() for i, p in enumerate(SCHEDULED)}}}


def _determination_json(ctx):
    made = _in("determination")(ctx)
    subject = make_member(ctx.org)
    made["json"] = {"items": [{"subject_id": subject.id, "level": "合格"}]}
    return made


def _pending(ctx):
    campaign = _campaign(ctx, "determination")
    subject, proposer = make_member(ctx.org), make_member(ctx.org)
    det = Determination(campaign_id=campaign.id, subject_id=subject.id, level="不合格", reason="理由",
                        status="pending", decided_by_id=proposer.id)
    ctx.db.session.add(det)
    ctx.db.session.flush()
    return {"determination_id": det.id}


def _published(ctx):
    made = _in("publication")(ctx)
    if _participant(ctx):
        proposer = make_member(ctx.org)
        ctx.db.session.add(Determination(campaign_id=made["campaign_id"], subject_id=ctx.caller.id, level="合格",
                                         decided_by_id=proposer.id))
    return made


def _objection(ctx):
    campaign = _campaign(ctx, "publication")
    objector = make_member(ctx.org)
    objection = Objection(campaign_id=campaign.id, member_id=objector.id, text="异议")
    ctx.db.session.add(objection)
    ctx.db.session.flush()
    return {"objection_id": objection.id}


def _rectification_json(ctx):
    made = _in("followup")(ctx)
    owner = make_member(ctx.org)
    made["json"] = {"title": "整改", "owner_id": owner.id, "deadline": local_day(utcnow()).isoformat()}
    return made


def _item(ctx):
    campaign = _campaign(ctx, "followup")
    owner, by = make_member(ctx.org), make_member(ctx.org)
    item = Rectification(campaign_id=campaign.id, org_id=ctx.org.id, title="整改", owner_id=owner.id,
                         deadline=local_day(utcnow()), created_by_id=by.id)
    ctx.db.session.add(item)
    ctx.db.session.flush()
    return {"item_id": item.id}


def _branch_review(ctx):
    # a branch campaign is held by an org with branches below; the standard tree has none under branch1,
    # so the row adds one directly (the org service keeps branches from nesting)
    sub = Org(name=f"下设支部{next(_years)}", kind="branch", parent_id=ctx.org.id, depth=ctx.org.depth + 1)
    ctx.db.session.add(sub)
    ctx.db.session.flush()
    sub.path = f"{ctx.org.path}{sub.id}/"
    campaign = _campaign(ctx, "determination", kind="branches")
    return {"campaign_id": campaign.id, "json": {"branch_id": sub.id, "scores": {"组织生活": "优秀"}}}


CASES = [
    Case("GET", "/api/v1/appraisals", _in("study"), allowed=ALL, list_endpoint=True),
    Case("POST", "/api/v1/appraisals", _new_campaign, allowed=MANAGERS, list_endpoint=False),
    Case("GET", "/api/v1/appraisals/{campaign_id}", _in("study"), allowed=TAKERS | READERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/advance", _in("study"), allowed=MANAGERS, json={}),
    Case("POST", "/api/v1/appraisals/{campaign_id}/close", _in("peer"), allowed=MANAGERS),
    Case("GET", "/api/v1/appraisals/{campaign_id}/self", _with_self, allowed=TAKERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/self", _in("self"), allowed=TAKERS, ok=MEMBER_OK,
         json={"summary": "总结", "self_level": "合格", "commitments": "承诺"}),
    Case("GET", "/api/v1/appraisals/{campaign_id}/ballot", _in("peer"), allowed=TAKERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/ballots", _ballot, allowed=TAKERS, ok=MEMBER_OK),
    Case("POST", "/api/v1/appraisals/{campaign_id}/links", _in("peer"), allowed=MANAGERS, json={"count": 2}),
    Case("GET", "/api/v1/appraisals/{campaign_id}/results", _in("determination"), allowed=READERS),
    Case("GET", "/api/v1/appraisals/{campaign_id}/determinations", _in("determination"), allowed=READERS),
    Case("GET", "/api/v1/appraisals/{campaign_id}/analysis", _in("determination"), allowed=READERS),
    Case("GET", "/api/v1/appraisals/{campaign_id}/export", _in("determination"), allowed=READERS,
         query={"format": "xlsx"}),
    Case("GET", "/api/v1/orgs/{org_id}/appraisal-overview", lambda ctx: {"org_id": ctx.org.id}, allowed=READERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/determinations", _determination_json, allowed=MANAGERS),
    # the committee above approves: a role held at branch1 itself is refused (403) by the service
    Case("POST", "/api/v1/appraisal-determinations/{determination_id}/approval", _pending, allowed=READERS,
         ok=(200, 403), json={"approve": True}),
    Case("GET", "/api/v1/appraisals/{campaign_id}/my-result", _published, allowed=TAKERS, ok=MEMBER_OK),
    Case("GET", "/api/v1/appraisals/{campaign_id}/published", _published, allowed=TAKERS | READERS),
    Case("GET", "/api/v1/appraisals/{campaign_id}/objections", _in("publication"), allowed=TAKERS | READERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/objections", _in("publication"), allowed=TAKERS, ok=MEMBER_OK,
         json={"text": "异议"}),
    Case("POST", "/api/v1/appraisal-objections/{objection_id}/answer", _objection, allowed=MANAGERS,
         json={"text": "答复"}),
    Case("GET", "/api/v1/appraisals/{campaign_id}/rectifications", _in("followup"), allowed=READERS),
    Case("POST", "/api/v1/appraisals/{campaign_id}/rectifications", _rectification_json, allowed=MANAGERS),
    Case("GET", "/api/v1/appraisal-rectifications/{item_id}", _item, allowed=READERS),
    Case("POST", "/api/v1/appraisal-rectifications/{item_id}/notes", _item, allowed=MANAGERS, json={"text": "进展"}),
    Case("POST", "/api/v1/appraisal-rectifications/{item_id}/close", _item, allowed=MANAGERS,
         json={"evidence": "会议记录"}),
    Case("POST", "/api/v1/appraisals/{campaign_id}/branch-reviews", _branch_review, allowed=MANAGERS),
]
