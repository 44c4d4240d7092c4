"""Demo data of appraisal: last year's finished campaign of the demo branch (results, analysis,
rectification in progress) and this year's campaign open for peer rating, so demo-member can vote
on a phone at once. Idempotent: campaigns are keyed by (branch, year, kind); a second run writes nothing."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.seed import demo_members, demo_tree
from learning.timeutil import LOCAL_TZ, local_day, utcnow

from .models import LEVELS, Campaign, SelfEvaluation
from .services import ballots, campaigns, determination, rectification
from .services.campaigns import SCHEDULED

TITLE = "%d年度民主评议党员"
SUMMARIES = ["认真学习党的创新理论，按时参加组织生活，完成岗位工作任务。",
             "积极参加主题党日活动，学习积分稳步提高，联系服务群众还需加强。",
             "带头完成学习任务，在教学工作中发挥先锋模范作用，理论学习深度有待提高。"]
COMMITMENTS = ["坚持每周学习不少于三次，主动联系两户群众。", "加强业务学习，带头参加志愿服务。"]
ITEMS = [("部分党员参加集体学习不够经常", 40, "已建立学习提醒和补学制度，三季度参学率达到95%"),
         ("联系服务群众的实事办得不多", -10, None), ("党小组会记录不够规范", 60, None)]


def _member(username: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.username == username))


def _exists(branch, year: int) -> bool:
    return db.session.scalar(select(Campaign.id).where(Campaign.org_id == branch.id, Campaign.year == year,
                                                       Campaign.kind == "members")) is not None


def _campaign(branch, year: int, start, phase: str, by: Member) -> Campaign:
    gaps = (0, 6, 12, 19, 26, 33, 40)
    campaign = Campaign(org_id=branch.id, kind="members", year=year, title=TITLE % year, phase=phase,
                        schedule={p: (start + timedelta(days=g)).isoformat() for p, g in zip(SCHEDULED, gaps)},
                        criteria=["政治品格", "发挥作用", "遵规守纪"], created_by_id=by.id,
                        seal_salt=secrets.token_hex(32))
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _selves(campaign: Campaign, members: list[Member], rng: random.Random, skip: set[int] = frozenset()) -> None:
    for m in members:
        if m.id in skip:
            continue
        db.session.add(SelfEvaluation(campaign_id=campaign.id, member_id=m.id, summary=rng.choice(SUMMARIES),
                                      self_level=rng.choices(LEVELS[:3], (3, 6, 1))[0],
                                      commitments=rng.choice(COMMITMENTS)))


def _vote(campaign: Campaign, voters: list[Member], rng: random.Random, stars: set[int]) -> None:
    for voter in voters:
        ratings = [{"subject_id": s["id"], "criteria": None, "comment": None,
                    "level": "优秀" if s["id"] in stars and rng.random() < .7 else rng.choices(LEVELS, (2, 7, 1, .1))[0]}
                   for s in ballots.subjects_for(campaign, voter)]
        ballots.cast(campaign, voter, ratings)


def _last_year(branch, members: list[Member], organiser: Member, reviewer: Member, rng: random.Random) -> None:
    year = local_day(utcnow()).year - 1
    if _exists(branch, year):
        return
    start = datetime(year, 12, 1).date()
    campaign = _campaign(branch, year, start, "peer", organiser)
    _selves(campaign, members, rng)
    stars = {m.id for m in rng.sample(members, max(1, len(members) // 5))}
    _vote(campaign, [m for m in members if rng.random() < .93], rng, stars)
    moment = datetime.combine(start + timedelta(days=19), time(10), LOCAL_TZ).astimezone(timezone.utc)
    campaigns.advance(campaign, "test", moment=moment)
    _vote(campaign, [m for m in members if rng.random() < .85], rng, stars)
    campaigns.advance(campaign, "determination", moment=moment + timedelta(days=7))
    rows = sorted(determination.results(campaign), key=lambda r: -(r["tally"]["all"].get("score") or 0))
    limit = len(rows) // 3
    items = [{"subject_id": r["subject_id"], "level": "优秀" if i < min(limit, 6) else "合格"}
             for i, r in enumerate(rows)]
    items[-1]["level"] = "基本合格"
    determination.determine(campaign, reviewer, items)
    campaign.objection_until = start + timedelta(days=40)
    campaigns.advance(campaign, "followup", moment=moment + timedelta(days=14))
    owners = [m for m in members if m.id != organiser.id]  # the branch closes items; nobody closes their own
    for title, days, evidence in ITEMS:
        owner = owners[rng.randrange(len(owners))]
        item = rectification.create_item(campaign, organiser, title=title, owner_id=owner.id,
                                         deadline=local_day(utcnow()) + timedelta(days=days))
        rectification.add_note(item, owner, "已制定整改措施，正在推进。")
        if evidence:
            rectification.add_note(item, owner, f"整改完成：{evidence}")
            rectification.close_item(item, organiser, evidence)


def _this_year(branch, members: list[Member], organiser: Member, demo: Member | None, rng: random.Random) -> None:
    today = local_day(utcnow())
    if _exists(branch, today.year):
        return
    campaign = _campaign(branch, today.year, today - timedelta(days=12), "peer", organiser)
    skip = {demo.id} if demo else set()
    _selves(campaign, members, rng)
    voters = [m for m in members if m.id not in skip and rng.random() < .55]
    _vote(campaign, voters, rng, set())


def seed_demo(password: str) -> None:
    """Last year's finished appraisal and this year's open peer rating in the demo branch."""
    tree = demo_tree()
    if tree is None:
        return
    branch = tree.demo_branch
    organiser, reviewer, demo = _member("demo-organiser"), _member("demo-reviewer"), _member("demo-member")
    members = [m for m in demo_members(branch) if campaigns.is_participant_of_branch(branch, m)]
    if organiser is None or reviewer is None or len(members) < 3:
        return
    rng = random.Random(13)
    _last_year(branch, members, organiser, reviewer, rng)
    _this_year(branch, members, organiser, demo, rng)
    db.session.flush()
