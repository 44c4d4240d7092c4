"""Demo data (`flask seed-demo`): in the demo branch, a finished contest with its replay, a scheduled one,
and a ready-to-run event with every round kind that demo-organiser can host (console + big screen) and
demo-member can play or watch from a second browser. The finished contest is run through the real
referee, so its records, points and replay are what a live event would leave. Idempotent by title.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.seed import demo_members, demo_tree
from learning.timeutil import utcnow
from scoring.services import rules

from .models import ArenaEvent
from .services import audience, events, referee
from .services.events import current_slot
from .services.match_seed import seed_matches

FINISHED = "2026年“学党史、知党情”知识竞赛（决赛）"
SCHEDULED = "党章党规知识擂台赛（下周五）"
READY = "支部知识擂台（演示，可直接主持）"
#: a live event pays by placing, like the 四人赛 preset (verb submitted, object arena, mode live_event)
LIVE_RULE = dict(code="arena_live", name="先锋擂台竞赛", kind="placing", verb="submitted", object_type="arena",
                 match={"mode": ["live_event"]}, placings={"1": 10, "2": 6, "3": 4, "*": 2}, daily_cap=10)


def _members(branch, organiser, member):
    others = [m for m in demo_members(branch) if m.id not in (organiser.id, member.id)]
    return others


def _exists(branch, title) -> bool:
    return db.session.scalar(select(ArenaEvent.id).where(ArenaEvent.org_id == branch.id,
                                                          ArenaEvent.title == title)) is not None


def _run_finished(host: Member, event: ArenaEvent, people: dict[int, Member], rng: random.Random) -> None:
    """Play the whole event through the referee with simulated contestants."""
    by_contestant = {c.id: people[c.member_id] for c in event.contestants}
    referee.control(host, event, "start")
    while True:
        slot = current_slot(event)
        kind = slot.round.kind
        if kind == "risk":
            referee.choose_stake(by_contestant[slot.target_id], event, slot.id, rng.choice([20, 30, 40]))
        if kind == "buzz":
            referee.control(host, event, "show")
        referee.control(host, event, "open")
        db.session.refresh(slot)
        answerers = []
        if kind in ("required", "risk"):
            answerers = [slot.target_id]
        elif kind == "buzz":
            first = rng.choice(list(by_contestant))
            referee.buzz(by_contestant[first], event, slot.id)
            answerers = [first]
        elif kind == "speed":
            answerers = list(by_contestant)
        elif kind == "knockout":
            answerers = [slot.defender_id, slot.target_id]
        from quizzes.models import QuestionVersion

        version = db.session.get(QuestionVersion, slot.version_id)
        for cid in answerers:
            right = rng.random() < 0.7
            response = version.answer if right or not version.options else [
                next(o["key"] for o in version.options if [o["key"]] != version.answer)]
            if version.type == "fill_blank":
                response = [a[0] for a in version.answer] if right else ["不知道"] * len(version.answer)
            referee.answer(by_contestant[cid], event, slot.id, response)
        referee.control(host, event, "lock")
        referee.control(host, event, "reveal")
        if slot.position == len(events.slots_of(event)) - 1:
            break
        referee.control(host, event, "next")
    viewers = [m for m in people.values()]
    for viewer in viewers:
        for _ in range(rng.randint(1, 4)):
            audience.react(event, f"m{viewer.id}", rng.choice(list(by_contestant)), rng.choice(["like", "like", "boo"]))
    referee.control(host, event, "finish")


def seed_demo(password: str) -> None:
    """Add the three demo events and the quick-match history (idempotent)."""
    tree = demo_tree()
    if tree is None:
        return
    seed_matches(tree)
    branch = tree.demo_branch
    organiser = db.session.scalar(select(Member).where(Member.username == "demo-organiser"))
    member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    if organiser is None or member is None:
        return
    if rules.live_rule(tree.committee, LIVE_RULE["code"]) is None:
        rules.create_rule(tree.committee, LIVE_RULE, effective_from=utcnow() - timedelta(days=400))
    others = _members(branch, organiser, member)
    rng = random.Random(12)
    full = [{"kind": "required"}, {"kind": "buzz", "count": 3}, {"kind": "risk"}, {"kind": "speed", "count": 3},
            {"kind": "knockout", "count": 3}]
    if not _exists(branch, FINISHED):
        players = others[:4]
        event = events.create_event(organiser, {"org_id": branch.id, "title": FINISHED, "rounds": full,
                                                "member_ids": [p.id for p in players], "seed": 1})
        _run_finished(organiser, event, {p.id: p for p in players}, rng)
    if not _exists(branch, SCHEDULED):
        events.create_event(organiser, {"org_id": branch.id, "title": SCHEDULED,
                                        "member_ids": [p.id for p in others[4:10]], "seed": 2,
                                        "scheduled_at": utcnow() + timedelta(days=7),
                                        "rounds": [{"kind": "required"}, {"kind": "buzz", "count": 5},
                                                   {"kind": "speed", "count": 5}]})
    if not _exists(branch, READY):
        events.create_event(organiser, {"org_id": branch.id, "title": READY, "allow_guests": True, "seed": 3,
                                        "member_ids": [member.id] + [p.id for p in others[10:13]], "rounds": full})
    db.session.flush()
