"""Every read of points in one place (DESIGN §2.1: reports read the ledger).

Points totals come from the `member_day_stats.points` rollup, which the scoring package keeps
in the same transaction as each ledger entry. Points *by rule* read the ledger itself
(`scoring.models.PointsEntry`): awards and their reversals carry the rule's code, manual
adjustments the code "adjustment"; an entry counts on the day its act happened (`occurred_at`).
"""
from __future__ import annotations

from sqlalchemy import func, select

from learning.errors import Forbidden
from learning.extensions import db
from learning.models import MemberDayStats
from scoring.models import PointsEntry, PointsRule
from scoring.services import rankings

from learning.services.period import Period

ADJUSTMENT = "adjustment"


def points_total(member_id: int, period: Period) -> int:
    """A member's points earned in the period (all orgs)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(MemberDayStats.points), 0)).where(
        MemberDayStats.member_id == member_id, MemberDayStats.day >= period.start,
        MemberDayStats.day <= period.end)) or 0)


def rule_names(codes: set[str]) -> dict[str, str]:
    """The display name of each rule code (its newest version's name)."""
    rows = db.session.execute(select(PointsRule.code, PointsRule.name).where(PointsRule.code.in_(codes))
                              .order_by(PointsRule.version, PointsRule.id)).all() if codes else []
    return {code: name for code, name in rows}


def points_by_rule(member_id: int, period: Period) -> tuple[list[dict], bool]:
    """[{rule, name, points}] net of reversals for the period, largest first; and True (read from the ledger)."""
    rule = func.coalesce(PointsEntry.rule_code, PointsEntry.kind)
    total = func.sum(PointsEntry.delta)
    rows = db.session.execute(select(rule, total).where(
        PointsEntry.member_id == member_id, PointsEntry.occurred_at >= period.since,
        PointsEntry.occurred_at < period.until).group_by(rule).order_by(total.desc(), rule)).all()
    names = rule_names({code for code, _ in rows})
    return [{"rule": code, "name": names.get(code, code), "points": int(points or 0)}
            for code, points in rows if points], True


def fair_places(viewer, org, period: Period) -> dict[int, dict] | None:
    """The points issue's fair ranking of the org's children (scoring's `branch_ranking`) as the viewer
    may see it: {child org id: {place, score}}; None when the viewer may not see the full ranking."""
    try:
        ranking = rankings.branch_ranking(viewer, org, period)
    except Forbidden:
        return None
    if ranking["visibility"] != "full":
        return None
    return {item["org_id"]: {"place": item["rank"], "score": item["score"]} for item in ranking["items"]}
