"""Builders for appraisal tests: a generated branch, a campaign opened through the API, ballots."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import local_day, utcnow
from tests.factories import bearer, make_member, make_org

from appraisal.models import LEVELS
from appraisal.services.campaigns import SCHEDULED


def schedule(start_offset: int = 0) -> dict:
    """A schedule whose first phase starts today (+offset) and each later phase a week after."""
    today = local_day(utcnow())
    return {p: (today + timedelta(days=start_offset + 7 * i)).isoformat() for i, p in enumerate(SCHEDULED)}


@dataclass
class Branch:
    """A generated branch with its members, an organiser (a member too) and a committee reviewer above."""

    org: Org
    committee: Org
    members: list[Member]
    organiser: Member
    reviewer: Member
    headers: dict[int, dict] = field(default_factory=dict)

    def h(self, member: Member) -> dict:
        if member.id not in self.headers:
            self.headers[member.id] = bearer(member)
        return self.headers[member.id]


def make_branch(size: int, name: str = "测评党支部", committee: Org | None = None) -> Branch:
    """A committee > branch with `size` members; the first member is the branch organiser."""
    committee = committee or make_org("测评县委", "committee")
    org = make_org(name, "branch", committee)
    members = [make_member(org, name=f"党员{i:02d}") for i in range(size)]
    organiser = members[0]
    from learning.services import members as member_service

    member_service.grant_role(organiser, "organiser", org)
    office = make_org(f"{committee.name}机关支部", "branch", make_org(f"{committee.name}上级", "committee"))
    reviewer = make_member(office, name="县委审核人", roles=[("reviewer", committee)])  # not a voter of the branch
    db.session.commit()
    return Branch(org, committee, members, organiser, reviewer)


def open_campaign(client, branch: Branch, **extra) -> dict:
    """Open a member appraisal of the branch through the API."""
    body = {"org_id": branch.org.id, "year": local_day(utcnow()).year, "title": "2026年度民主评议党员",
            "schedule": schedule(), **extra}
    resp = client.post("/api/v1/appraisals", json=body, headers=branch.h(branch.organiser))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()[0]


def advance(client, branch: Branch, campaign_id: int, to: str | None = None, **extra) -> dict:
    """The host moves the campaign on."""
    resp = client.post(f"/api/v1/appraisals/{campaign_id}/advance", json={"to": to, **extra},
                       headers=branch.h(branch.organiser))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def ballot_for(client, headers: dict, campaign_id: int, rng: random.Random, comment: str | None = None,
               weights=(3, 6, 1, 0.2)) -> list[dict]:
    """Ratings for every subject of the caller's ballot form, drawn at random."""
    form = client.get(f"/api/v1/appraisals/{campaign_id}/ballot", headers=headers).get_json()
    ratings = [{"subject_id": s["id"], "level": rng.choices(LEVELS, weights)[0]} for s in form["subjects"]]
    if comment and ratings:
        ratings[0]["comment"] = comment
    return ratings
