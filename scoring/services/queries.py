"""Reading the ledger: a member's history and balance, today's progress per rule, and
`points_by_rule` — the stable function reports use."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.timeutil import local_day, utcnow

from ..models import PointsBalance, PointsCounter, PointsEntry, PointsRule
from .ledger import day_period, week_period
from learning.services.period import Period
from .presets import ORGANISATION_LIFE, XUEXI_DEFAULT
from ..policy import rules_offered
from .rules import _windows as windows

DISPLAY_ORDER = {spec["code"]: i for i, spec in enumerate(XUEXI_DEFAULT + ORGANISATION_LIFE)}


def points_by_rule(member_ids=None, *, start: datetime | None = None, end: datetime | None = None,
                   org: Org | None = None) -> dict[int, dict[str, int]]:
    """Net points per member and rule code over [start, end) by when they were earned.

    Stable API for reports: `member_ids` (iterable or None for all), optional `org` (entries
    earned in its subtree), UTC bounds. Reversals count against the rule they cancel;
    manual adjustments appear under the code "adjustment".
    """
    stmt = select(PointsEntry.member_id, PointsEntry.rule_code, func.sum(PointsEntry.delta))
    if member_ids is not None:
        stmt = stmt.where(PointsEntry.member_id.in_(list(member_ids)))
    if org is not None:
        stmt = stmt.join(Org, Org.id == PointsEntry.org_id).where(Org.path.startswith(org.path, autoescape=True))
    if start is not None:
        stmt = stmt.where(PointsEntry.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(PointsEntry.occurred_at < end)
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, code, total in db.session.execute(stmt.group_by(PointsEntry.member_id, PointsEntry.rule_code)):
        out[member_id][code or "other"] = int(total or 0)
    return dict(out)


def balance_row(member: Member) -> dict:
    """Balance and chain length of a member."""
    row = db.session.get(PointsBalance, member.id)
    return {"balance": row.balance if row else 0, "entries": row.seq if row else 0}


def history(member: Member, period: Period | None = None, limit: int = 100, offset: int = 0) -> dict:
    """A member's ledger entries, newest first, each with the reason it exists."""
    stmt = (select(PointsEntry, PointsRule.name, LearningRecord.object_name, Member.name)
            .outerjoin(PointsRule, PointsRule.id == PointsEntry.rule_id)
            .outerjoin(LearningRecord, LearningRecord.id == PointsEntry.record_id)
            .outerjoin(Member, Member.id == PointsEntry.actor_id)
            .where(PointsEntry.member_id == member.id))
    total_q = select(func.coalesce(func.sum(PointsEntry.delta), 0), func.count(PointsEntry.id)).where(
        PointsEntry.member_id == member.id)
    if period is not None:
        stmt = stmt.where(PointsEntry.occurred_at >= period.since, PointsEntry.occurred_at < period.until)
        total_q = total_q.where(PointsEntry.occurred_at >= period.since, PointsEntry.occurred_at < period.until)
    earned, count = db.session.execute(total_q).one()
    items = []
    for entry, rule_name, object_name, actor_name in db.session.execute(
            stmt.order_by(PointsEntry.occurred_at.desc(), PointsEntry.seq.desc()).offset(offset).limit(limit)):
        items.append({"id": entry.id, "seq": entry.seq, "kind": entry.kind, "delta": entry.delta,
                      "rule_code": entry.rule_code, "rule_name": rule_name, "object_name": object_name,
                      "reason": describe(entry, rule_name, object_name), "note": entry.reason,
                      "actor_name": actor_name, "reverses_id": entry.reverses_id,
                      "occurred_at": entry.occurred_at, "created_at": entry.created_at})
    return {"member_id": member.id, **balance_row(member), "period_points": int(earned), "total": int(count),
            "items": items}


def describe(entry: PointsEntry, rule_name: str | None, object_name: str | None) -> str:
    """Why an entry exists, in words for the member."""
    if entry.kind == "award":
        return f"{rule_name or entry.rule_code}" + (f"：{object_name}" if object_name else "")
    if entry.kind == "reversal":
        return f"更正（冲销第{entry.reverses_id}条）：{entry.reason}"
    return f"人工调整：{entry.reason}"


def today_progress(member: Member, now: datetime | None = None) -> dict:
    """Today's points per rule against its cap, as 学习强国 shows it."""
    now = now or utcnow()
    today = local_day(now)
    rules = sorted(rules_offered(member.org, now), key=lambda r: (DISPLAY_ORDER.get(r.code, 99), r.id))
    codes = [r.code for r in rules]
    counters = {(c.rule_code, c.period): c for c in db.session.scalars(select(PointsCounter).where(
        PointsCounter.member_id == member.id, PointsCounter.rule_code.in_(codes),
        PointsCounter.period.in_([day_period(today), week_period(today)])))}
    items = []
    for rule in rules:
        day = counters.get((rule.code, day_period(today)))
        week = counters.get((rule.code, week_period(today)))
        scheduled_today = not rule.schedule or any(day_ == today.weekday() for day_, _s, _e in windows(rule.schedule))
        items.append({"code": rule.code, "name": rule.name, "kind": rule.kind, "points": rule.points,
                      "minutes": rule.minutes, "earned_today": day.points if day else 0,
                      "daily_cap": rule.daily_cap, "earned_week": week.points if week else 0,
                      "weekly_cap": rule.weekly_cap, "available_today": scheduled_today,
                      "done": bool((rule.daily_cap and day and day.points >= rule.daily_cap)
                                   or (rule.weekly_cap and week and week.points >= rule.weekly_cap))})
    earned = int(db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.member_id == member.id, PointsEntry.occurred_at >= _day_start(today),
        PointsEntry.occurred_at < _day_start(today, 1))))
    reachable = sum(r.daily_cap for r in rules if r.daily_cap and _today_ok(r, items))
    return {"member_id": member.id, "day": today, "earned_today": earned, "daily_max": reachable,
            "balance": balance_row(member)["balance"], "rules": items}


def _today_ok(rule, items) -> bool:
    return next(i for i in items if i["code"] == rule.code)["available_today"]


def _day_start(day: date, plus: int = 0):
    from datetime import timedelta

    from learning.timeutil import day_start_utc

    return day_start_utc(day + timedelta(days=plus))
