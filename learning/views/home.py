"""The home page and its panels per role: my learning, my branch, my subtree, the whole tree."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from ..auth import actor
from ..extensions import db
from ..models import LearningRecord, Member, MemberDayStats, Notification, Org
from ..services import orgs as org_service, scope
from ..services.records import unrevealed_correct
from ..timeutil import local_day, utcnow
from ..ui import home_panels
from . import bp
from .common import ACTIVE_DAY, active_counts, member_counts, week_start

MAX_PANEL_ORGS = 3


@bp.route("/")
@login_required
def home():
    """The home page: panels that fit the member's roles."""
    member = actor()
    return render_template("learning/home.html", member=member, panels=home_panels(member))


def _my_week(member) -> dict:
    today = local_day(utcnow())
    since = today - timedelta(days=6)
    row = db.session.execute(
        select(func.coalesce(func.sum(MemberDayStats.study_seconds), 0),
               func.coalesce(func.sum(MemberDayStats.lessons_completed), 0),
               func.coalesce(func.sum(MemberDayStats.questions_answered), 0),
               func.coalesce(func.sum(MemberDayStats.questions_correct), 0),
               func.coalesce(func.sum(MemberDayStats.points), 0))
        .where(MemberDayStats.member_id == member.id, MemberDayStats.day >= since)).one()
    days = dict(db.session.execute(
        select(MemberDayStats.day, func.sum(MemberDayStats.study_seconds))
        .where(MemberDayStats.member_id == member.id, MemberDayStats.day >= since)
        .group_by(MemberDayStats.day)).all())
    notes = db.session.scalars(select(Notification).where(Notification.member_id == member.id)
                               .order_by(Notification.created_at.desc()).limit(5)).all()
    week = [(since + timedelta(days=i), int(days.get(since + timedelta(days=i), 0) or 0)) for i in range(7)]
    peak = max([s for _, s in week] + [1])
    hidden = sum(unrevealed_correct(member.id, since, today).values())  # right answers not yet revealed
    return {"minutes": int(row[0]) // 60, "lessons": row[1], "answered": row[2], "correct": row[3] - hidden,
            "points": row[4], "week": week, "peak": peak, "notifications": notes}


def _guidance(member) -> dict | None:
    """What to study next, each with its reason (learning.services.guidance); None when nothing to offer."""
    from ..services import guidance

    result = guidance.suggest(member)
    return {"guidance": result} if result.suggestions else None


def _granted_orgs(member: Member, role: str) -> list[Org]:
    """Open orgs where the member holds a role by an explicit grant, outermost first, at most a few."""
    orgs = sorted({g.org.id: g.org for g in member.grants if g.role == role and g.org.closed_at is None}.values(),
                  key=lambda o: o.path)
    kept: list[Org] = []
    for org in orgs:
        if not any(org.path.startswith(k.path) for k in kept):
            kept.append(org)
    return kept[:MAX_PANEL_ORGS]


def _branch_overview(member: Member, org: Org) -> dict:
    """An organiser's view of one branch: members, who studied this week, recent records."""
    since = week_start()
    in_branch = (scope.member_clause(member, "member.read", allow_self=False),
                 Org.path.startswith(org.path, autoescape=True), Member.status == "active")
    total = db.session.scalar(select(func.count(Member.id)).select_from(Member)
                              .join(Org, Member.org_id == Org.id).where(*in_branch))
    # ordered by active days, never by minutes: whether minutes may compare members is the org's policy
    # (online-time statistics), and this list is not the place that decides it
    days = func.count(MemberDayStats.day)
    studied = db.session.execute(
        select(Member.id, Member.name, days, func.sum(MemberDayStats.questions_answered))
        .select_from(Member).join(Org, Member.org_id == Org.id)
        .join(MemberDayStats, MemberDayStats.member_id == Member.id)
        .where(*in_branch, MemberDayStats.day >= since, ACTIVE_DAY)
        .group_by(Member.id, Member.name).order_by(days.desc(), Member.name)).all()
    recent = db.session.execute(
        select(LearningRecord, Member.name).join(Member, LearningRecord.member_id == Member.id)
        .join(Org, LearningRecord.org_id == Org.id)
        .where(scope.org_clause(member, "record.read"), Org.path.startswith(org.path, autoescape=True),
               LearningRecord.verb != "logged_in")
        .order_by(LearningRecord.occurred_at.desc(), LearningRecord.id.desc()).limit(8)).all()
    return {"org": org, "total": total, "studied": [
        {"id": r[0], "name": r[1], "days": int(r[2]), "answered": int(r[3] or 0)} for r in studied],
        "recent": [{"record": rec, "name": name} for rec, name in recent]}


def _organiser_panel(member: Member) -> dict | None:
    orgs = _granted_orgs(member, "organiser")
    if not orgs:
        return None
    return {"branches": [_branch_overview(member, org) for org in orgs]}


def _subtree_overview(member: Member, org: Org) -> dict:
    """A reviewer's view of a subtree: each child org with members and this week's participation."""
    counts = member_counts(member, org)
    active = active_counts(member, org, week_start())
    rows = []
    for child in org_service.children(org):
        if child.closed_at is not None:
            continue
        total = counts.get(child.id, 0)
        rows.append({"org": child, "members": total, "active": active.get(child.id, 0),
                     "share": round(100 * active.get(child.id, 0) / total) if total else 0})
    total = counts.get(org.id, 0)
    return {"org": org, "children": rows, "members": total, "active": active.get(org.id, 0),
            "share": round(100 * active.get(org.id, 0) / total) if total else 0}


def _reviewer_panel(member: Member) -> dict | None:
    orgs = _granted_orgs(member, "reviewer")
    if not orgs:
        return None
    return {"subtrees": [_subtree_overview(member, org) for org in orgs]}


def _admin_panel(member: Member) -> dict | None:
    orgs = _granted_orgs(member, "admin")
    if not orgs:
        return None
    trees = []
    for root in orgs:
        counts = member_counts(member, root)
        nodes = list(db.session.scalars(
            select(Org).where(scope.org_clause(member, "org.manage"), Org.path.startswith(root.path, autoescape=True),
                              Org.depth <= root.depth + 2, Org.closed_at.is_(None)).order_by(Org.path)))
        trees.append({"root": root, "nodes": nodes, "counts": counts, "members": counts.get(root.id, 0)})
    return {"trees": trees}
