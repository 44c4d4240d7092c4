"""Demo of the complete offline sessions and points corrections (issue 15): minutes of past meetings,
a 集体学习 and an 组织生活会 ahead, a cancelled 主题党日, a 民主生活会 of the committee, and a points
correction the demo member finds in the inbox. Idempotent: rows are found by title or key."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.seed import demo_tree
from learning.timeutil import LOCAL_TZ, local_day, utcnow

from .models import OfflineSession, PointsEntry
from .services import corrections, offline, sessions

MINUTES = {
    "committee_meeting": ("一、研究本月发展党员工作\n二、部署民主评议党员准备工作",
                          "王海燕（书记）、赵建国（组织委员）、孙丽（宣传委员）",
                          "同意将入党积极分子陈思远列为发展对象，报上级党委预审。"),
    "branch_meeting": ("一、传达学习党的二十届四中全会精神\n二、通报本季度党费收缴情况",
                       "王海燕（书记）、李卫东、张秀兰",
                       "全体党员于月底前完成专题学习任务；党费按时足额缴纳。"),
}


def _at(days: int, hour: int) -> datetime:
    day = local_day(utcnow()) + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def _ensure(org, kind: str, title: str, start: datetime, minutes: int, by) -> OfflineSession:
    session = db.session.scalar(select(OfflineSession).where(OfflineSession.org_id == org.id,
                                                             OfflineSession.title == title))
    return session or offline.schedule_session(org, kind=kind, title=title, place="党员活动室", starts_at=start,
                                               ends_at=start + timedelta(minutes=minutes), by=by)


def seed_sessions_demo() -> None:
    """Add the issue-15 demo rows to the demo branch and committee."""
    tree = demo_tree()
    organiser = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
    admin = db.session.scalar(select(Member).where(Member.username == "demo-admin"))
    member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    if tree is None or organiser is None or admin is None or member is None:
        return
    branch = tree.demo_branch
    past = db.session.scalars(select(OfflineSession).where(
        OfflineSession.org_id == branch.id, OfflineSession.kind.in_(list(MINUTES)),
        OfflineSession.starts_at < utcnow(), OfflineSession.cancelled_at.is_(None), OfflineSession.topics.is_(None))
        .order_by(OfflineSession.starts_at.desc()).limit(4)).all()
    for session in past:
        sessions.save_minutes(session, *MINUTES[session.kind], by=organiser)
    _ensure(branch, "collective_study", "集体学习：《习近平谈治国理政》第五卷", _at(5, 15), 120, organiser)
    _ensure(branch, "org_life_meeting", "2026年度组织生活会暨民主评议党员", _at(12, 14), 180, organiser)
    _ensure(tree.committee, "democratic_life_meeting", "县委常委班子2026年度民主生活会", _at(20, 9), 240, admin)
    cancelled = _ensure(branch, "theme_day", "主题党日：参观县革命纪念馆", _at(3, 9), 180, organiser)
    if cancelled.cancelled_at is None:
        sessions.cancel(cancelled, "纪念馆闭馆维护，改期另行通知", organiser)
    key = "demo-correction-1"
    if db.session.scalar(select(PointsEntry.id).where(PointsEntry.idempotency_key == f"adjust:{organiser.id}:{key}")) \
            is None:
        corrections.adjust(organiser, member.id, 5, "参加社区志愿服务，补录积分", idempotency_key=key)
    db.session.flush()
