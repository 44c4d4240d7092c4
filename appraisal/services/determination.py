"""组织评定 and 公示: results side by side, determinations under the 优秀 limit, 不合格 approved by the
committee above, each member's private result, the published list and objections."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import case, func, or_, select

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.services.policy import policy_value
from learning.services.records import Act, record_many
from learning.timeutil import local_day, utcnow

from ..models import BALLOT_PHASES, LEVEL_SCORES, LEVELS, PHASES, Campaign, Determination, Objection, PhaseTally, \
    Rating, SelfEvaluation
from .campaigns import branches_below, eligible_members, is_participant


class ResultsNotOpen(Conflict):
    """Tallies before the ballot phases have closed."""

    code = "results_not_open"


class OverExcellentLimit(Invalid):
    """More 优秀 than the policy allows."""

    code = "over_excellent_limit"


def _phase_at_least(campaign: Campaign, phase: str) -> bool:
    return PHASES.index(campaign.phase) >= PHASES.index(phase)


def breakdown(levels, minimum: int) -> dict:
    """Counts and shares of each level (a list of levels or a Counter), or only the number of votes
    when fewer than `minimum` voted."""
    counts = levels if isinstance(levels, Counter) else Counter(levels)
    n = sum(counts.values())
    if n == 0 or n < minimum:
        return {"n": n, "suppressed": n > 0}
    return {"n": n, "suppressed": False, "counts": {lv: counts.get(lv, 0) for lv in LEVELS},
            "shares": {lv: round(counts.get(lv, 0) / n, 4) for lv in LEVELS},
            "score": round(sum(LEVEL_SCORES[lv] * c for lv, c in counts.items()) / n, 4)}


def subjects(campaign: Campaign) -> list[dict]:
    """The appraised: the branch's members, or the branches under the committee."""
    if campaign.kind == "branches":
        org = db.session.get(Org, campaign.org_id)
        return [{"id": b.id, "name": b.name} for b in branches_below(org) if b.id != org.id]
    return [{"id": m.id, "name": m.name} for m in eligible_members(campaign)]


def member_subjects(branch_ids: list[int]) -> dict[int, list[dict]]:
    """The appraised of many member campaigns at once: each branch's active members, its groups'
    included (groups stand directly under a branch), in one query."""
    if not branch_ids:
        return {}
    home = case((Org.kind == "group", Org.parent_id), else_=Org.id)
    rows = db.session.execute(
        select(home, Member.id, Member.name).join(Org, Org.id == Member.org_id)
        .where(Member.status == "active", or_(Org.id.in_(branch_ids),
                                              (Org.kind == "group") & Org.parent_id.in_(branch_ids)))
        .order_by(Member.id)).all()
    out: dict[int, list[dict]] = {b: [] for b in branch_ids}
    for branch_id, member_id, name in rows:
        out[branch_id].append({"id": member_id, "name": name})
    return out


def min_groups(orgs: list[Org]) -> dict[int, int]:
    """`min_breakdown_group` in force at each org, from one read of the settings along their paths."""
    from learning.models import PolicySetting
    from learning.services.policy.settings import resolve

    along = {i for o in orgs for i in o.ancestor_ids}
    rows = db.session.scalars(select(PolicySetting).where(PolicySetting.org_id.in_(along))).all() if along else []
    out = {}
    for org in orgs:
        depth = {org_id: i for i, org_id in enumerate(org.ancestor_ids)}
        mine = sorted((r for r in rows if r.org_id in depth), key=lambda r: (depth[r.org_id], r.key))
        out[org.id] = resolve(org, mine)["min_breakdown_group"]["value"]
    return out


TALLY_KEYS = ("all", *BALLOT_PHASES, "test_member", "test_outside")


def tallies_for(campaigns: list[Campaign]) -> dict[int, dict[int, dict]]:
    """Per campaign and subject, the breakdown of each closed ballot phase and of all of them, counted
    in the database (one grouped query for every campaign, one for their subjects, one for the policy);
    refused while any of them is still voting."""
    if any(not _phase_at_least(c, "determination") for c in campaigns):
        raise ResultsNotOpen("Results are shown only after the ballot phases have closed.")
    if not campaigns:
        return {}
    ids = [c.id for c in campaigns]
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_({c.org_id for c in campaigns})))}
    minimum = min_groups(list(orgs.values()))
    counts: dict[tuple[int, int], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for cid, subject_id, phase, kind, level, n in db.session.execute(
            select(Rating.campaign_id, Rating.subject_id, Rating.phase, Rating.voter_kind, Rating.level, func.count())
            .where(Rating.campaign_id.in_(ids))
            .group_by(Rating.campaign_id, Rating.subject_id, Rating.phase, Rating.voter_kind, Rating.level)):
        groups = counts[(cid, subject_id)]
        groups[phase][level] += n
        groups[f"{phase}_{kind}"][level] += n
        groups["all"][level] += n
    members = member_subjects([c.org_id for c in campaigns if c.kind == "members"])
    out: dict[int, dict[int, dict]] = {}
    for c in campaigns:
        people = members[c.org_id] if c.kind == "members" else subjects(c)
        out[c.id] = {s["id"]: {key: breakdown(counts.get((c.id, s["id"]), {}).get(key, Counter()),
                                              minimum[c.org_id]) for key in TALLY_KEYS} for s in people}
    return out


def tallies(campaign: Campaign) -> dict[int, dict]:
    """Per subject, the breakdown of each closed ballot phase and of all of them; refused while voting is open."""
    return tallies_for([campaign])[campaign.id]


def learning_summaries(campaign: Campaign) -> dict[int, dict]:
    """Each member's learning figures for the campaign's year, from reports."""
    from reports.services.org_report import member_rows
    from learning.services.period import Period

    org = db.session.get(Org, campaign.org_id)
    period = Period(date(campaign.year, 1, 1), date(campaign.year, 12, 31))
    return {row["id"]: {k: row[k] for k in ("points", "active_days", "answered", "accuracy", "tasks",
                                              "tasks_on_time", "study_seconds")}
            for row in member_rows(org, period)}


def results(campaign: Campaign) -> list[dict]:
    """Per subject side by side: tally, shares, self-rating, learning summary, determination."""
    counts = tallies(campaign)
    dets = {d.subject_id: d for d in db.session.scalars(select(Determination).where(
        Determination.campaign_id == campaign.id))}
    rows = []
    if campaign.kind == "members":
        selfs = {e.member_id: e.self_level for e in db.session.scalars(select(SelfEvaluation).where(
            SelfEvaluation.campaign_id == campaign.id))}
        learning = learning_summaries(campaign)
    else:
        from .branches import branch_figures

        selfs, learning = {}, branch_figures(campaign)
    for s in subjects(campaign):
        det = dets.get(s["id"])
        rows.append({"subject_id": s["id"], "name": s["name"], "tally": counts[s["id"]],
                     "self_level": selfs.get(s["id"]), "learning": learning.get(s["id"], {}),
                     "determination": None if det is None else
                     {"level": det.level, "status": det.status, "reason": det.reason}})
    return rows


def _limit(campaign: Campaign, total: int) -> int:
    share = policy_value(db.session.get(Org, campaign.org_id), "excellent_share_limit")
    return math.floor(share * total + 1e-9)


def determine(campaign: Campaign, by: Member, items: list[dict]) -> list[Determination]:
    """Propose levels; checks everything first, so a refused request changes nothing."""
    if campaign.phase != "determination":
        raise Conflict("Levels are determined in the determination phase.")
    if not items:
        raise Invalid("Give at least one determination.", {"items": ["empty"]})
    known = {s["id"] for s in subjects(campaign)}
    errors: dict[str, list[str]] = {}
    seen = set()
    for i, item in enumerate(items):
        sid = item["subject_id"]
        if sid not in known:
            errors[f"items.{i}.subject_id"] = ["not appraised in this campaign"]
        if sid in seen:
            errors[f"items.{i}.subject_id"] = ["given twice"]
        seen.add(sid)
        if item["level"] not in LEVELS:
            errors[f"items.{i}.level"] = [f"one of {', '.join(LEVELS)}"]
        if item["level"] == "不合格" and not (item.get("reason") or "").strip():
            errors[f"items.{i}.reason"] = ["不合格 needs a written reason"]
    if errors:
        raise Invalid("Some determinations are not valid; nothing was changed.", errors)
    if campaign.kind == "members" and by.id in seen:
        raise Forbidden("Nobody determines their own level.")
    existing = {d.subject_id: d for d in db.session.scalars(select(Determination).where(
        Determination.campaign_id == campaign.id))}
    levels = {sid: d.level for sid, d in existing.items() if d.status != "rejected"}
    levels.update({item["subject_id"]: item["level"] for item in items})
    excellent, limit = sum(1 for lv in levels.values() if lv == "优秀"), _limit(campaign, len(known))
    if excellent > limit:
        raise OverExcellentLimit(gettext("优秀 would be %(n)s of %(total)s; the policy allows at most %(limit)s.",
                                         n=excellent, total=len(known), limit=limit),
                                 {"items": [f"at most {limit} 优秀"]})
    out = []
    subject_type = "branch" if campaign.kind == "branches" else "member"
    for item in items:
        det = existing.get(item["subject_id"]) or Determination(campaign_id=campaign.id, subject_type=subject_type,
                                                                subject_id=item["subject_id"])
        det.level, det.reason = item["level"], (item.get("reason") or "").strip() or None
        det.status = "pending" if det.level == "不合格" else "approved"
        det.decided_by_id, det.decided_at = by.id, utcnow()
        det.approved_by_id = det.approval_note = None
        db.session.add(det)
        out.append(det)
    db.session.flush()
    return out


def approval_org(campaign: Campaign) -> Org:
    """The committee above the campaign's org, which approves 不合格."""
    org = db.session.get(Org, campaign.org_id)
    return db.session.get(Org, org.parent_id) if org.parent_id else org


def approve(det: Determination, by: Member, approve_it: bool, note: str | None) -> Determination:
    """The committee above approves or rejects a 不合格; never the proposer, never the member concerned."""
    campaign = db.session.get(Campaign, det.campaign_id)
    if not scope.holds(by, "appraisal.approve", approval_org(campaign)):
        raise Forbidden("Only the committee above approves this.")
    if by.id in (det.decided_by_id, det.subject_id if det.subject_type == "member" else None):
        raise Forbidden("Nobody approves their own request or their own level.")
    if det.status != "pending":
        raise Conflict("This determination is not waiting for approval.")
    if not approve_it and not (note or "").strip():
        raise Invalid("A rejection needs a note.", {"note": ["required"]})
    det.status = "approved" if approve_it else "rejected"
    det.approved_by_id, det.approval_note = by.id, (note or "").strip() or None
    db.session.flush()
    return det


def publishable(campaign: Campaign) -> bool:
    """Whether every subject has a level in force."""
    approved = set(db.session.scalars(select(Determination.subject_id).where(
        Determination.campaign_id == campaign.id, Determination.status == "approved")))
    return all(s["id"] in approved for s in subjects(campaign))


def check_publishable(campaign: Campaign, moment: datetime | None = None) -> None:
    """Refuse publication while a level is missing or awaits approval; write the level records."""
    if not publishable(campaign):
        raise Conflict("Every subject needs a level in force (不合格 approved) before publication.")
    if campaign.kind != "members":
        return
    moment = (moment or utcnow()).replace(second=0, microsecond=0)
    members = {m.id: m for m in eligible_members(campaign)}
    record_many([  # the level is an input of the annual evaluation (scoring)
        Act(members[det.subject_id], "appraised", "appraisal", campaign.id, object_name=campaign.title,
            result={"level": det.level, "score": LEVEL_SCORES[det.level], "year": campaign.year},
            occurred_at=moment, idempotency_key=f"appraisal:{campaign.id}:appraised:{det.subject_id}")
        for det in db.session.scalars(select(Determination).where(Determination.campaign_id == campaign.id))
        if det.subject_id in members])


def my_result(campaign: Campaign, member: Member) -> dict:
    """A member's own result, privately, once published."""
    if not _phase_at_least(campaign, "publication"):
        raise Conflict("Results are not published yet.")
    if not is_participant(campaign, member):
        raise Forbidden("You are not appraised in this campaign.")
    det = db.session.scalar(select(Determination).where(Determination.campaign_id == campaign.id,
                                                        Determination.subject_type == "member",
                                                        Determination.subject_id == member.id))
    if det is None:
        raise NotFound("You have no result in this campaign.")
    own = db.session.scalar(select(SelfEvaluation.self_level).where(SelfEvaluation.campaign_id == campaign.id,
                                                                    SelfEvaluation.member_id == member.id))
    tally = tallies(campaign).get(member.id, {}).get("all")
    return {"level": det.level, "self_level": own, "tally": tally, "objection_until": campaign.objection_until}


def in_objection_period(campaign: Campaign) -> bool:
    """Publication and not past the objection date."""
    return campaign.phase == "publication" and (campaign.objection_until is None
                                                or local_day(utcnow()) <= campaign.objection_until)


def published_list(campaign: Campaign, viewer: Member, manager: bool) -> list[dict]:
    """The published levels: for the branch during the objection period, for its managers afterwards too."""
    if not _phase_at_least(campaign, "publication"):
        raise Conflict("Results are not published yet.")
    if not manager and not in_objection_period(campaign):
        raise Conflict("The publication period is over.")
    names = {s["id"]: s["name"] for s in subjects(campaign)}
    return [{"subject_id": d.subject_id, "name": names.get(d.subject_id, ""), "level": d.level}
            for d in db.session.scalars(select(Determination).where(Determination.campaign_id == campaign.id,
                                                                    Determination.status == "approved")
                                        .order_by(Determination.subject_id))]


def object_to(campaign: Campaign, member: Member, text: str, subject_id: int | None) -> Objection:
    """Record an objection during the objection period."""
    if not in_objection_period(campaign):
        raise Conflict("Objections are accepted only during the publication period.")
    if not is_participant(campaign, member):
        raise Forbidden("Only participants of the campaign may object.")
    if not (text or "").strip():
        raise Invalid("Write the objection.", {"text": ["required"]})
    if subject_id is not None and subject_id not in {s["id"] for s in subjects(campaign)}:
        raise Invalid("Not appraised in this campaign.", {"subject_id": ["unknown"]})
    objection = Objection(campaign_id=campaign.id, member_id=member.id, subject_id=subject_id, text=text.strip())
    db.session.add(objection)
    db.session.flush()
    return objection


def answer(objection: Objection, by: Member, text: str) -> Objection:
    """The branch answers an objection (not the objector)."""
    if by.id == objection.member_id:
        raise Forbidden("Nobody answers their own objection.")
    if objection.answer is not None:
        raise Conflict("This objection has been answered.")
    if not (text or "").strip():
        raise Invalid("Write the answer.", {"text": ["required"]})
    objection.answer, objection.answered_by_id, objection.answered_at = text.strip(), by.id, utcnow()
    db.session.flush()
    return objection


def phase_tallies(campaign: Campaign) -> dict[str, PhaseTally]:
    """The closed phases' whole-ballot counts."""
    return {t.phase: t for t in db.session.scalars(select(PhaseTally).where(PhaseTally.campaign_id == campaign.id))}
