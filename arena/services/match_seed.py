"""Demo quick matches: a fortnight of 双人对战 and 四人赛 in the demo branch, played through the real
services at past server times, so demo-member sees a rating and past matches at once (idempotent).
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

import click
from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.timeutil import LOCAL_TZ, local_day, utcnow

from ..models import Match, MatchPlayer
from . import match as search, match_play as play

DAYS = 14
SKILL = (0.55, 0.9)  # chance of a right answer, per demo player


def _moment(day, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def _response(version, right: bool) -> list[str]:
    """A right response, or a wrong one (a wrong option; for an all-correct question, too few options)."""
    correct = list(version.answer)
    if right:
        return correct
    wrong = [o["key"] for o in version.options if o["key"] not in correct]
    if wrong:
        return wrong[:1]
    return correct[:1] if len(correct) > 1 else correct


def _play(mode: str, members: list[Member], t0: datetime, rng: random.Random, skill: dict[int, float]) -> Match | None:
    """Members search at t0 and poll each second until matched; then each answers every question."""
    tickets = [search.start_search(m, mode, now=t0 + timedelta(seconds=i)) for i, m in enumerate(members)]
    for second in range(len(members), search.setting("ARENA_MATCH_SEARCH_S")):
        if all(t.state != "waiting" for t in tickets):
            break
        for t in tickets:
            search.poll_search(t, now=t0 + timedelta(seconds=second))
    match_ids = {t.match_id for t in tickets}
    if len(match_ids) != 1 or None in match_ids:
        for t in tickets:
            search.cancel_search(t, now=t0)
        return None
    match = db.session.get(Match, match_ids.pop())
    for q in match.questions:
        db.session.refresh(q)
        opens = q.opens_at
        for p in play.playing(match):
            play.touch(p, opens)
        timing = sorted((rng.uniform(0.4, match.question_s - 1), p) for p in play.playing(match))
        for delay, p in timing:
            keys = _response(q.version, rng.random() < skill[p.member_id])
            play.answer(p, q.number, keys, now=opens + timedelta(seconds=delay))
        if match.state != "running":
            break
    return match


def seed_matches(tree) -> None:
    """The demo branch's quick-match history (skipped when demo-member already has one)."""
    demo = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    if demo is None or db.session.scalar(select(MatchPlayer.id).where(MatchPlayer.member_id == demo.id).limit(1)):
        return
    from learning.seed import demo_members

    others = [m for m in demo_members(tree.demo_branch) if m.id != demo.id][:7]
    if len(others) < 3 or db.session.scalar(select(db.func.count()).select_from(
            search.match_pool([demo.org]).subquery())) < search.QUESTIONS_PER_MATCH:
        click.echo("  arena: too few members or questions for demo matches")
        return
    rng = random.Random(20261204)
    skill = {m.id: rng.uniform(*SKILL) for m in [demo, *others]}
    today = local_day(utcnow())
    played = 0
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        if back % 2 == 0:
            pair = [demo, rng.choice(others)]
            played += _play("two_player", pair, _moment(day, 12, rng.randint(5, 50)), rng, skill) is not None
        if back % 3 == 0:
            four = [demo, *rng.sample(others, 3)]
            played += _play("four_player", four, _moment(day, 20, rng.randint(5, 50)), rng, skill) is not None
        rest = rng.sample(others, 2)  # the others play among themselves, so ratings spread
        played += _play("two_player", rest, _moment(day, 19, rng.randint(0, 55)), rng, skill) is not None
        db.session.flush()
    click.echo(f"  arena: {played} demo quick matches")
