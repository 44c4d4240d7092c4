"""Every read of points in one place (DESIGN §2.1: reports read the ledger).

Points totals come from the `member_day_stats.points` rollup, which the scoring package keeps
in the same transaction as each ledger entry. Points *by rule* need the ledger itself
(`scoring.models.PointsEntry`: `rule_code`, `delta`, `occurred_at`); until that model is
installed this module falls back to the total and says so.
"""
from __future__ import annotations

import importlib

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import MemberDayStats

from .period import Period


def _entry_model():
    """The ledger entry model of the scoring package, or None while it is not installed."""
    try:
        module = importlib.import_module("scoring.models")
    except ModuleNotFoundError:
        return None
    model = getattr(module, "PointsEntry", None)
    if model is None or not hasattr(model, "member_id") or not hasattr(model, "delta"):
        return None
    return model


def points_total(member_id: int, period: Period) -> int:
    """A member's points earned in the period (all orgs)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(MemberDayStats.points), 0)).where(
        MemberDayStats.member_id == member_id, MemberDayStats.day >= period.start,
        MemberDayStats.day <= period.end)) or 0)


def points_by_rule(member_id: int, period: Period) -> tuple[list[dict], bool]:
    """[(rule, points)] for the period from the ledger, and whether the ledger could be read."""
    model = _entry_model()
    rule_col = when_col = None
    if model is not None:
        rule_col = getattr(model, "rule_code", None) or getattr(model, "rule", None)
        if rule_col is not None and hasattr(model, "kind"):  # manual adjustments carry no rule
            rule_col = func.coalesce(rule_col, model.kind)
        when_col = getattr(model, "occurred_at", None) or getattr(model, "created_at", None)
    if model is None or rule_col is None or when_col is None:
        total = points_total(member_id, period)
        return ([{"rule": "total", "points": total}] if total else []), False
    rows = db.session.execute(
        select(rule_col, func.sum(model.delta)).where(model.member_id == member_id, when_col >= period.since,
                                                      when_col < period.until)
        .group_by(rule_col).order_by(func.sum(model.delta).desc())).all()
    return [{"rule": str(getattr(rule, "name", rule)), "points": int(points or 0)} for rule, points in rows], True
