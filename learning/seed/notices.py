"""Demo notices (通知公告) with read receipts, and a few inbox messages for the demo member."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import Member, Notice, NoticeRecipient, Notification
from ..services import inbox, notices
from ..timeutil import utcnow

NOTICES = (  # (org key, title, body, pinned, days ago, share who read it in tenths)
    ("committee", "关于开展2026年度民主评议党员工作的通知",
     "各党（总）支部：\n根据党章和《关于建立民主评议党员制度的意见》，县委决定于12月开展年度民主评议党员工作。"
     "请各支部于12月20日前完成学习教育、自我评价、民主测评和组织评定各环节，并将结果报县委组织部。", True, 6, 8),
    ("committee", "关于做好岁末年初安全生产工作的通知",
     "各党（总）支部：\n岁末年初是安全生产的关键时期，请各支部组织党员带头落实安全生产责任，做好值班值守。", False, 3, 5),
    ("branch", "关于召开12月主题党日活动的通知",
     "全体党员：\n本月主题党日定于12月12日（周五）下午3点在学校党员活动室举行，内容为重温入党誓词、"
     "集中学习党的二十届四中全会精神，并开展志愿服务。请合理安排工作，准时参加。", False, 1, 6),
    ("branch", "关于按时缴纳第四季度党费的提醒",
     "全体党员：\n请于12月25日前通过线上渠道或向组织委员缴纳第四季度党费。", False, 0, 3),
)


def seed_notices(tree) -> None:
    """Publish the demo notices once each (by title and org) and mark a fixed share of recipients read."""
    organiser = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
    admin = db.session.scalar(select(Member).where(Member.username == "demo-admin"))
    if organiser is None or admin is None:
        return
    now = utcnow()
    for org_key, title, body, pinned, days_ago, tenths in NOTICES:
        org, author = (tree.committee, admin) if org_key == "committee" else (tree.demo_branch, organiser)
        if db.session.scalar(select(Notice.id).where(Notice.org_id == org.id, Notice.title == title)):
            continue
        notice = notices.publish(author, org, title, body, pinned)
        published = now - timedelta(days=days_ago, hours=2)
        notice.published_at = published
        db.session.execute(update(Notification).where(Notification.dedupe_key.like(f"notice:{notice.id}:%"))
                           .values(created_at=published))
        recipients = db.session.scalars(select(NoticeRecipient).where(NoticeRecipient.notice_id == notice.id)
                                        .order_by(NoticeRecipient.member_id)).all()
        demo_member = db.session.scalar(select(Member.id).where(Member.username == "demo-member"))
        for i, recipient in enumerate(recipients):
            if i % 10 < tenths and not (recipient.member_id == demo_member and days_ago <= 1):
                recipient.read_at = published + timedelta(hours=1 + i % 30)
                inbox.mark_read_by_key(recipient.member_id, f"notice:{notice.id}")
    db.session.flush()
