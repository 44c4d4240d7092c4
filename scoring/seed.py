"""Demo data of scoring: the default rules at each top committee, points for the demo history
(through the real award path), daily logins, and offline sessions with attendance.

Runs after the learning/courses/quizzes seeds; idempotent (a second run changes nothing).
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

import click
from sqlalchemy import select

from learning.extensions import db
from learning.models import LearningRecord, Member, Org, RoleGrant
from learning.services.records import Act, record_many
from learning.timeutil import LOCAL_TZ, local_day, utcnow

from .models import OfflineAttendance, OfflineSession, PointsAwardMark
from .services import offline, rules
from .seed_sessions import seed_sessions_demo
from .services.ledger import award_for_records

RULES_FROM = datetime(2020, 1, 1, tzinfo=timezone.utc)
LOGIN_DAYS = 14
SESSION_MONTHS = 4


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def seed_demo(password: str) -> None:
    """Apply the default rules, score the demo history, add logins and offline sessions."""
    tops = db.session.scalars(select(Org).where(Org.parent_id.is_(None), Org.closed_at.is_(None))).all()
    if not tops:
        click.echo("  scoring: no organisations yet, nothing to seed")
        return
    for top in tops:
        rules.apply_preset(top, "xuexi_default", effective_from=RULES_FROM)
        rules.apply_preset(top, "organisation_life", effective_from=RULES_FROM)
    db.session.flush()
    scored = _score_history()
    logins = _seed_logins()
    sessions, attended = _seed_sessions()
    seed_sessions_demo()
    click.echo(f"  scoring: {scored} earlier records scored, {logins} logins, {sessions} sessions, "
               f"{attended} attendances")


def _score_history() -> int:
    """Score the records other packages seeded before the rules existed (oldest first)."""
    marked = select(PointsAwardMark.record_id)
    records = db.session.scalars(select(LearningRecord).where(LearningRecord.id.not_in(marked))
                                 .order_by(LearningRecord.occurred_at, LearningRecord.id)).all()
    count = 0
    for start in range(0, len(records), 2000):  # in order: each member's chain grows oldest first
        count += len({entry.record_id for entry in award_for_records(records[start:start + 2000])})
    return count


def _members() -> list[Member]:
    return list(db.session.scalars(select(Member).where(Member.status == "active").order_by(Member.id)))


def _seed_logins() -> int:
    """Daily logins over the last weeks, most members most days (one of the default rules)."""
    today = local_day(utcnow())
    acts = []
    for member in _members():
        rng = random.Random(f"login-{member.id}")
        habit = rng.choice((0.95, 0.85, 0.7, 0.5, 0.3))
        for back in range(LOGIN_DAYS, -1, -1):
            day = today - timedelta(days=back)
            if back and rng.random() > habit:
                continue
            moment = min(_at(day, rng.choice((7, 8, 12, 20, 21)), rng.randrange(60)), utcnow())
            if moment < member.created_at - timedelta(days=400):
                continue
            acts.append(Act(member, "logged_in", "app", None, idempotency_key=f"demo-login:{member.id}:{day}",
                            occurred_at=moment, source="seed"))
    return sum(w.created for w in record_many(acts))


def _organiser_of(org: Org) -> Member | None:
    return db.session.scalar(select(Member).join(RoleGrant, RoleGrant.member_id == Member.id).where(
        RoleGrant.role == "organiser", RoleGrant.org_id.in_(org.ancestor_ids)).order_by(Member.id).limit(1))


def _plan(today: date) -> list[tuple[str, str, datetime, int]]:
    """(kind, title, start, minutes) of the demo sessions of one branch."""
    plan = []
    for back in range(SESSION_MONTHS - 1, -1, -1):
        month = (today.replace(day=1) - timedelta(days=30 * back)).replace(day=1)
        label = f"{month.month}月"
        plan.append(("theme_day", f"{label}主题党日：重温入党誓词", _at(month.replace(day=8), 9), 120))
        plan.append(("party_lecture", f"{label}党课：学习贯彻党的创新理论", _at(month.replace(day=20), 14, 30), 90))
        if month.month in (1, 4, 7, 10) or back == SESSION_MONTHS - 1:
            plan.append(("branch_meeting", f"{label}支部党员大会", _at(month.replace(day=15), 15), 90))
    plan.append(("group_meeting", "党小组学习会（现场签到演示）", utcnow() - timedelta(minutes=15), 120))
    plan.append(("theme_day", "下月主题党日：走访慰问老党员", _at(today + timedelta(days=7), 9), 180))
    return plan


def _seed_sessions() -> tuple[int, int]:
    today = local_day(utcnow())
    made = attended = 0
    branches = db.session.scalars(select(Org).where(Org.kind == "branch", Org.closed_at.is_(None))
                                  .order_by(Org.id)).all()
    for branch in branches:
        members = db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
            Org.path.startswith(branch.path), Member.status == "active", Member.org_id == branch.id)
            .order_by(Member.id)).all()
        if not members:
            continue
        organiser = _organiser_of(branch)
        for kind, title, start, minutes in _plan(today):
            if start > utcnow() + timedelta(days=30):
                continue
            session = db.session.scalar(select(OfflineSession).where(OfflineSession.org_id == branch.id,
                                                                     OfflineSession.title == title))
            if session is None:
                session = offline.schedule_session(branch, kind=kind, title=title, place=_place(branch, kind),
                                                   starts_at=start, ends_at=start + timedelta(minutes=minutes),
                                                   by=organiser, now=start - timedelta(days=7))
                made += 1
            if session.starts_at > utcnow():
                continue
            attended += _attend_demo(session, members, organiser)
    return made, attended


def _place(branch: Org, kind: str) -> str:
    return {"party_lecture": "党员活动中心报告厅", "branch_meeting": f"{branch.name}会议室"}.get(kind, "党员活动室")


def _attend_demo(session: OfflineSession, members: list[Member], organiser: Member | None) -> int:
    present = set(db.session.scalars(select(OfflineAttendance.member_id).where(
        OfflineAttendance.session_id == session.id)))
    live = session.ends_at > utcnow()
    people = []
    for member in members:
        rng = random.Random(f"attend-{session.id}-{member.id}")
        if member.id in present or rng.random() > (0.45 if live else 0.82):
            continue
        proxy = organiser is not None and organiser.id != member.id and rng.random() < 0.15
        people.append((member, "proxy" if proxy else "qr", organiser if proxy else None))
    return len(offline._attend_many(session, people)) if people else 0
