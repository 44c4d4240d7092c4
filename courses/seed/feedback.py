"""Demo course feedback (双向评价) and topic requests (点单式学习) for `flask seed-demo`.

Ratings go through the real service (`feedback.rate`), so only members who finished a course rate it and each
rates once; topic requests are found by title and branch. Idempotent: a second run adds nothing.
"""
from __future__ import annotations

import random

from sqlalchemy import select

from learning.errors import DomainError
from learning.extensions import db
from learning.models import Member

from ..models import Course, CourseProgress, TopicRequest
from ..services import feedback

RANDOM_SEED = 15
COMMENTS = {
    5: ["内容紧扣实际，讲得深入浅出，受益匪浅。", "案例鲜活，回去就能用在支部工作里。", "视频清晰，时长合适，适合碎片时间学习。"],
    4: ["总体很好，希望多一些本地的案例。", "理论讲得透，建议配上思考题。", ""],
    3: ["内容偏长，手机上看有些吃力。", "希望字体再大一些，方便老党员学习。", ""],
    2: ["部分内容和去年的课程重复。"],
}
TOPICS = [  # title, detail, how many backers (among the branch's other members)
    ("乡村振兴政策解读", "想系统了解今年中央一号文件和本县的配套政策。", 9),
    ("党纪处分条例案例讲解", "希望用身边的典型案例讲清楚新修订的条例。", 7),
    ("网络意识形态与舆情应对", "学校里学生上网多，想学习怎样正面引导。", 4),
    ("老党员智能手机使用入门", "家里老党员不会用手机学习，希望有专门的辅导课。", 3),
    ("基层减负政策问答", "", 1),
]


def _rate_finished() -> int:
    """About two in three finishers rate a course; who does and how depends only on the pair (idempotent)."""
    rated = 0
    rows = db.session.execute(select(CourseProgress, Member).join(Member, Member.id == CourseProgress.member_id)
                              .where(CourseProgress.completed_at.is_not(None))
                              .order_by(CourseProgress.course_id, CourseProgress.member_id)).all()
    for progress, member in rows:
        course = db.session.get(Course, progress.course_id)
        rnd = random.Random(f"{RANDOM_SEED}:{member.id}:{course.id}")
        if rnd.random() > 0.7 or feedback.my_rating(member, course) is not None:
            continue
        stars = rnd.choice([5, 5, 5, 4, 4, 4, 3, 2])
        try:
            with db.session.begin_nested():
                feedback.rate(member, course.id, stars, rnd.choice(COMMENTS[stars]))
        except DomainError:  # the publisher of the course, or a course no longer visible: no rating
            continue
        rated += 1
    return rated


def _topics(tree, rnd: random.Random) -> None:
    from learning.seed import demo_members

    members = [m for m in demo_members(tree.demo_branch) if m.username != "demo-organiser"]
    if len(members) < 2:
        return
    for n, (title, detail, backers) in enumerate(TOPICS):
        if db.session.scalar(select(TopicRequest.id).where(TopicRequest.org_id == tree.demo_branch.id,
                                                           TopicRequest.title == title)):
            continue
        asker = members[(n * 3) % len(members)]
        req = feedback.request_topic(asker, title, detail)
        for backer in rnd.sample([m for m in members if m.id != asker.id], min(backers, len(members) - 1)):
            feedback.back(backer, req.id)
    db.session.flush()


def _answer_one(tree) -> None:
    organiser = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
    req = db.session.scalar(select(TopicRequest).where(TopicRequest.org_id == tree.demo_branch.id,
                                                       TopicRequest.title == "党纪处分条例案例讲解"))
    course = db.session.scalar(select(Course).where(Course.title == "党章党规学习"))
    if organiser is None or req is None or course is None or req.status != "open":
        return
    feedback.answer(organiser, req.id, course_id=course.id, note="课程“党章党规学习”已包含条例解读，本月主题党日再作专题辅导。")


def seed_feedback(tree) -> None:
    """Ratings of finished courses with comments, topic requests with backers, one answered (idempotent)."""
    rnd = random.Random(RANDOM_SEED)
    _rate_finished()
    _topics(tree, rnd)
    _answer_one(tree)
    db.session.flush()


