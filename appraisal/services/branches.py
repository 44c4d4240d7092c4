"""评议党支部: the committee rates each branch on the branch criteria; figures come from reports."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from learning.errors import Conflict, Forbidden, Invalid
from learning.extensions import db
from learning.models import Member, Org

from ..models import LEVEL_SCORES, LEVELS, BranchReview, Campaign
from .campaigns import branches_below


def branch_figures(campaign: Campaign) -> dict[int, dict]:
    """Each branch's learning figures for the year (reports' rollup sums) and the committee's review."""
    from reports.services.org_report import member_counts, per_org_sums
    from learning.services.period import Period

    org = db.session.get(Org, campaign.org_id)
    period = Period(date(campaign.year, 1, 1), date(campaign.year, 12, 31))
    sums, counts = per_org_sums(org, period), member_counts(org)
    reviews = {r.branch_id: r for r in db.session.scalars(select(BranchReview).where(
        BranchReview.campaign_id == campaign.id))}
    out = {}
    for branch in branches_below(org):
        if branch.id == org.id:
            continue
        ids = [o for o in sums if o == branch.id] + [o.id for o in db.session.scalars(
            select(Org).where(Org.parent_id == branch.id, Org.kind == "group"))]
        total = {k: sum(sums.get(i, {}).get(k, 0) for i in ids) for k in ("points", "answered", "correct",
                                                                        "offline_attended", "active")}
        members = sum(counts.get(i, 0) for i in {branch.id, *ids})
        review = reviews.get(branch.id)
        out[branch.id] = {"members": members, "points_per_member": round(total["points"] / members, 1) if members else 0,
                          "accuracy": round(total["correct"] / total["answered"], 3) if total["answered"] else None,
                          "offline_attended": total["offline_attended"],
                          "review": None if review is None else review.scores,
                          "review_score": None if review is None else
                          round(sum(LEVEL_SCORES[v] for v in review.scores.values()) / len(review.scores), 3)}
    return out


def review_branch(campaign: Campaign, by: Member, branch_id: int, scores: dict, comment: str | None) -> BranchReview:
    """The committee's rating of one branch on every criterion (replaced until determination)."""
    if campaign.kind != "branches":
        raise Invalid("Only a branch appraisal rates branches.")
    if campaign.phase in ("publication", "followup", "done"):
        raise Conflict("Branch reviews are closed.")
    org = db.session.get(Org, campaign.org_id)
    if branch_id not in {b.id for b in branches_below(org) if b.id != org.id}:
        raise Invalid("Not a branch of this campaign.", {"branch_id": ["unknown"]})
    if by.org_id == branch_id or (by.org and by.org.parent_id == branch_id):
        raise Forbidden("Nobody reviews their own branch for the committee.")
    bad = sorted(k for k, v in scores.items() if k not in campaign.criteria or v not in LEVELS)
    missing = sorted(set(campaign.criteria) - set(scores))
    if bad or missing:
        raise Invalid("Rate every criterion on the four levels.", {"scores": [f"bad: {bad}", f"missing: {missing}"]})
    review = db.session.scalar(select(BranchReview).where(BranchReview.campaign_id == campaign.id,
                                                          BranchReview.branch_id == branch_id))
    if review is None:
        review = BranchReview(campaign_id=campaign.id, branch_id=branch_id, reviewer_id=by.id, scores=scores)
        db.session.add(review)
    review.scores, review.comment, review.reviewer_id = scores, (comment or "").strip() or None, by.id
    db.session.flush()
    return review
