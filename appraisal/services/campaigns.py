"""Campaigns (民主评议) and their phases: open, move on by date or by the host, what each participant still has to do."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import or_, select

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.timeutil import local_day, utcnow

from ..models import BALLOT_PHASES, BRANCH_CRITERIA, KINDS, PHASES, Campaign, Determination, Rectification, \
    SelfEvaluation, Voted

SCHEDULED = PHASES[:-1]  # every phase but `done` has a start date; `done` is the host's word


def _check_schedule(schedule: dict, year: int) -> dict[str, date]:
    """Each scheduled phase's start date, in phase order, within a sane range of the year."""
    errors: dict[str, list[str]] = {}
    dates: dict[str, date] = {}
    for phase in SCHEDULED:
        value = schedule.get(phase)
        if value is None:
            errors[phase] = ["required"]
            continue
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                errors[phase] = ["not a date"]
                continue
        if abs(value.year - year) > 1:
            errors[phase] = ["must fall within a year of the campaign's year"]
            continue
        dates[phase] = value
    unknown = set(schedule) - set(SCHEDULED)
    for phase in unknown:
        errors[str(phase)[:40]] = ["not a phase"]
    ordered = [dates[p] for p in SCHEDULED if p in dates]
    if not errors and any(b < a for a, b in zip(ordered, ordered[1:])):
        errors["schedule"] = ["phases must start in order"]
    if errors:
        raise Invalid("The schedule is not valid.", errors)
    return dates


def branches_below(org: Org) -> list[Org]:
    """The open branches (党支部) of an org's subtree, the org itself included."""
    return list(db.session.scalars(select(Org).where(Org.path.startswith(org.path, autoescape=True),
                                                     Org.kind == "branch", Org.closed_at.is_(None))
                                   .order_by(Org.path)))


def open_campaign(org: Org, by: Member, *, year: int, title: str, schedule: dict, kind: str = "members",
                  course_ids: list[int] = (), criteria: list[str] = (), by_group: bool = False) -> list[Campaign]:
    """Open a campaign: a branch for itself, a committee for every branch below it (kind members),
    or a committee for its branches as subjects (kind branches)."""
    if kind not in KINDS:
        raise Invalid("Unknown campaign kind.", {"kind": [f"one of {', '.join(KINDS)}"]})
    if not 2000 <= year <= 2100:
        raise Invalid("The year is out of range.", {"year": ["2000..2100"]})
    if not (title or "").strip():
        raise Invalid("A title is required.", {"title": ["required"]})
    dates = _check_schedule(schedule or {}, year)
    criteria = list(criteria) or (list(BRANCH_CRITERIA) if kind == "branches" else [])
    if kind == "branches":
        if org.kind == "branch" or not branches_below(org):
            raise Invalid("A branch appraisal is opened by a committee with branches below it.", {"org_id": ["no branches"]})
        targets = [org]
    elif org.kind == "branch":
        targets = [org]
    else:
        targets = branches_below(org)
        if not targets:
            raise Invalid("There is no branch below this organisation.", {"org_id": ["no branches"]})
    made = []
    for target in targets:
        exists = db.session.scalar(select(Campaign.id).where(Campaign.org_id == target.id, Campaign.year == year,
                                                            Campaign.kind == kind))
        if exists is not None:
            raise Conflict("This organisation already has a campaign of this kind for the year.",
                           {"org_id": [str(target.id)]})
        campaign = Campaign(org_id=target.id, kind=kind, year=year, title=title.strip()[:120],
                            schedule={p: d.isoformat() for p, d in dates.items()}, course_ids=list(course_ids),
                            criteria=criteria, by_group=bool(by_group), created_by_id=by.id,
                            seal_salt=secrets.token_hex(32))
        campaign.phase = phase_on(campaign, local_day(utcnow()))
        if PHASES.index(campaign.phase) > PHASES.index("self"):
            raise Invalid("The ballot phases must still lie ahead when a campaign opens.",
                          {"peer": ["already started"]})
        db.session.add(campaign)
        db.session.flush()
        made.append(campaign)
    for campaign in made[1:] if len(made) > 1 else ():
        campaign.batch_id = made[0].id
    if len(made) > 1:
        made[0].batch_id = made[0].id
    db.session.flush()
    return made


def phase_on(campaign: Campaign, day: date) -> str:
    """The scheduled phase on a day (the first one before the campaign starts)."""
    current = SCHEDULED[0]
    for phase in SCHEDULED:
        if date.fromisoformat(campaign.schedule[phase]) <= day:
            current = phase
    return current


def get_campaign(actor: Member, campaign_id: int, capability: str | tuple[str, ...] = "appraisal.take") -> Campaign:
    """The campaign if the actor holds the capability (one of them) at its org; otherwise not found
    (or 403 when the actor takes part or reads but may not do this)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campaign not found.")
    org = db.session.get(Org, campaign.org_id)
    wanted = (capability,) if isinstance(capability, str) else capability
    if any(scope.holds(actor, c, org) for c in wanted):
        return campaign
    if campaign.kind == "branches" and "appraisal.take" in wanted and is_participant(campaign, actor):
        return campaign  # a branch campaign is held above; members of the branches below take part
    if any(scope.holds(actor, c, org) for c in ("appraisal.take", "appraisal.read")):
        raise Forbidden("Your role does not allow this here.")
    raise NotFound("Campaign not found.")


def campaigns_for(actor: Member) -> list[Campaign]:
    """Campaigns the actor takes part in or may read."""
    clauses = [scope.org_clause(actor, c) for c in ("appraisal.take", "appraisal.read")]
    home = scope.membership_org(actor)
    if home is not None:  # branch campaigns held by an org above the member's branch
        above = [int(i) for i in home.path.strip("/").split("/") if i]
        clauses.append((Campaign.kind == "branches") & Campaign.org_id.in_(above) & (Campaign.org_id != home.id))
    return list(db.session.scalars(select(Campaign).join(Org, Org.id == Campaign.org_id).where(or_(*clauses))
                                   .order_by(Campaign.year.desc(), Campaign.id.desc())))


def eligible_members(campaign_or_org) -> list[Member]:
    """The active members of a branch (its groups included): the appraised and the voters."""
    org = campaign_or_org if isinstance(campaign_or_org, Org) else db.session.get(Org, campaign_or_org.org_id)
    return list(db.session.scalars(
        select(Member).join(Org, Org.id == Member.org_id)
        .where(Org.path.startswith(org.path, autoescape=True), or_(Org.id == org.id, Org.kind == "group"),
               Member.status == "active").order_by(Member.id)))


def eligible_people(campaign_or_org) -> list[tuple[int, str, int]]:
    """(id, name, org id) of the eligible members of a campaign (or branch), without loading whole rows."""
    org = campaign_or_org if isinstance(campaign_or_org, Org) else db.session.get(Org, campaign_or_org.org_id)
    return [tuple(r) for r in db.session.execute(
        select(Member.id, Member.name, Member.org_id).join(Org, Org.id == Member.org_id)
        .where(Org.path.startswith(org.path, autoescape=True), or_(Org.id == org.id, Org.kind == "group"),
               Member.status == "active").order_by(Member.id))]


def is_participant(campaign: Campaign, member: Member) -> bool:
    """Whether the member belongs to the campaign's branch (or, for a branch campaign, to a branch below)."""
    home = scope.membership_org(member)
    if home is None:
        return False
    org = db.session.get(Org, campaign.org_id)
    if campaign.kind == "branches":
        return home.kind == "branch" and home.path.startswith(org.path) and home.id != org.id
    return home.id == org.id and member.status == "active"


def is_participant_of_branch(branch: Org, member: Member) -> bool:
    """Whether the member is appraised in a member campaign of this branch."""
    home = scope.membership_org(member)
    return home is not None and home.id == branch.id and member.status == "active"


def advance(campaign: Campaign, to: str | None = None, by: Member | None = None,
            moment: datetime | None = None) -> Campaign:
    """Move to the next phase (or on to `to`), closing each ballot phase left behind."""
    from .ballots import close_ballot_phase
    from .determination import check_publishable

    index = PHASES.index(campaign.phase)
    target = PHASES.index(to) if to else index + 1
    if target <= index or target >= len(PHASES):
        raise Conflict("The campaign cannot move to that phase.", {"to": [str(to or "next")]})
    while PHASES.index(campaign.phase) < target:
        leaving = campaign.phase
        entering = PHASES[PHASES.index(leaving) + 1]
        if entering == "publication":
            check_publishable(campaign, moment)
        if leaving in BALLOT_PHASES:
            close_ballot_phase(campaign, leaving, moment)
        campaign.phase = entering
        if entering == "publication" and campaign.objection_until is None:
            campaign.objection_until = date.fromisoformat(campaign.schedule["followup"])
    db.session.flush()
    return campaign


def advance_by_date(campaign: Campaign, today: date) -> bool:
    """Move a campaign on to the phase its schedule says; stops before publication while
    determinations are unfinished. True when it moved."""
    due = phase_on(campaign, today)
    if campaign.phase == "done" or PHASES.index(due) <= PHASES.index(campaign.phase):
        return False
    if PHASES.index(due) >= PHASES.index("publication"):
        from .determination import publishable

        if not publishable(campaign):
            due = "determination" if PHASES.index(campaign.phase) < PHASES.index("determination") else campaign.phase
            if due == campaign.phase:
                return False
    advance(campaign, due)
    return True


def todo(campaign: Campaign, member: Member) -> list[dict]:
    """What this participant still has to do in the current phase (codes plus words for the page)."""
    items: list[dict] = []
    if not is_participant(campaign, member):
        return items
    phase = campaign.phase
    if phase == "study" and campaign.course_ids:
        items.append({"code": "study", "course_ids": campaign.course_ids})
    if campaign.kind == "members" and phase in ("study", "self"):
        if not _has_self(campaign, member):
            items.append({"code": "self_evaluation"})
    if phase in BALLOT_PHASES and db.session.get(Voted, (campaign.id, phase, member.id)) is None:
        items.append({"code": "ballot", "phase": phase})
    if phase in ("publication", "followup", "done") and campaign.kind == "members":
        det = db.session.scalar(select(Determination).where(Determination.campaign_id == campaign.id,
                                                            Determination.subject_id == member.id))
        if det is not None:
            items.append({"code": "result", "level": det.level})
    if phase in ("followup", "done"):
        open_items = db.session.scalar(select(db.func.count(Rectification.id)).where(
            Rectification.campaign_id == campaign.id, Rectification.owner_id == member.id,
            Rectification.status == "open"))
        if open_items:
            items.append({"code": "rectification", "count": open_items})
    return items


def _has_self(campaign: Campaign, member: Member) -> bool:
    return db.session.scalar(select(SelfEvaluation.id).where(SelfEvaluation.campaign_id == campaign.id,
                                                             SelfEvaluation.member_id == member.id)) is not None
