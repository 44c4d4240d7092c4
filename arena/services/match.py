"""Quick matches (双人对战 / 四人赛), part one: the search for opponents and the start of a match.

A member's search is a ticket. Each time a waiting ticket is looked at (its creation and every
poll), the server tries to fill a match with waiting members of the same top committee whose
rating lies within a window that widens the longer either of them waits. Nobody is invented: a
search that finds no one ends after `ARENA_MATCH_SEARCH_S` seconds and says so.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services.policy import effective_policy
from learning.timeutil import day_start_utc, local_day, utcnow
from quizzes.models import Question
from quizzes.services.quizzes import usable_questions

from ..models import MATCH_MODES, Match, MatchPlayer, MatchQuestion, MatchTicket
from . import rating as ratings

QUESTIONS_PER_MATCH = 5
MATCH_QUESTION_TYPES = ("single_choice", "multiple_choice", "true_false")  # graded at once, fair to time
DAILY_LIMIT_KEY = "arena_scored_matches_per_day"
DEFAULTS = {
    "ARENA_MATCH_QUESTION_S": 15,  # time limit of each question
    "ARENA_MATCH_SEARCH_S": 30,  # a search ends honestly after this long
    "ARENA_MATCH_LEAD_S": 3,  # "opponents found" before the first question opens
    "ARENA_MATCH_REVEAL_S": 3,  # the answer is shown this long before the next question opens
    "ARENA_MATCH_GRACE_S": 20,  # a player unheard of for longer has left the match
    "ARENA_MATCH_TICKET_STALE_S": 6,  # a waiting ticket not polled for this long is not matched
    "ARENA_RATING_WINDOW": 100,  # rating difference accepted at once ...
    "ARENA_RATING_WINDOW_GROWTH": 40,  # ... widened by this much per second of waiting ...
    "ARENA_RATING_WINDOW_MAX": 500,  # ... up to this
}


def setting(name: str) -> int:
    """A quick-match setting from the app config, or its default."""
    return int(current_app.config.get(name, DEFAULTS[name]))


def seconds(name: str) -> timedelta:
    """A quick-match duration setting as a timedelta."""
    return timedelta(seconds=setting(name))


class AlreadyPlaying(Conflict):
    """The member is in a running match and should go back to it."""

    code = "already_playing"


class NotEnoughQuestions(Conflict):
    """The member's banks do not hold five questions a match can ask."""

    code = "not_enough_questions"


def root_of(org: Org) -> int:
    """The id of the top committee above an org."""
    return org.ancestor_ids[0]


def match_pool(orgs: list[Org]):
    """A select of question ids every player may see: questions of banks above all of their orgs."""
    common = set(orgs[0].ancestor_ids)
    for org in orgs[1:]:
        common &= set(org.ancestor_ids)
    return (usable_questions(orgs[0]).where(Question.org_id.in_(common))
            .where(Question.type.in_(MATCH_QUESTION_TYPES)))


def window(ticket: MatchTicket, now: datetime) -> float:
    """The rating difference this ticket accepts now: it widens with waiting (wait-then-widen)."""
    waited = max((now - ticket.created_at).total_seconds(), 0.0)
    return min(setting("ARENA_RATING_WINDOW") + setting("ARENA_RATING_WINDOW_GROWTH") * waited,
               setting("ARENA_RATING_WINDOW_MAX"))


def running_seat(member: Member) -> MatchPlayer | None:
    """The member's seat in a running match where they still play, if any."""
    return db.session.scalars(
        select(MatchPlayer).join(Match, Match.id == MatchPlayer.match_id)
        .where(MatchPlayer.member_id == member.id, MatchPlayer.state == "playing", Match.state == "running")
        .order_by(Match.id.desc()).limit(1)).first()


def start_search(member: Member, mode: str, *, now: datetime | None = None) -> MatchTicket:
    """Begin (or resume) the member's search for a match of `mode`, and try to fill one at once."""
    from .match_play import advance  # the play module imports this one

    if mode not in MATCH_MODES:
        raise Invalid("Choose a two-player or a four-player match.", {"mode": [f"one of {', '.join(MATCH_MODES)}"]})
    now = now or utcnow()
    seat = running_seat(member)
    if seat is not None:
        advance(seat.match, now)  # a match nobody looked at may have ended, or left this member behind
        if seat.state == "playing" and seat.match.state == "running":
            raise AlreadyPlaying("You are in a match that is still running.", {"match_id": [str(seat.match_id)]})
    waiting = db.session.scalars(select(MatchTicket).where(
        MatchTicket.member_id == member.id, MatchTicket.state == "waiting")).all()
    for ticket in waiting:
        if ticket.mode == mode and not _expire_if_due(ticket, now):
            return poll_search(ticket, now=now)
        if ticket.state == "waiting":  # a search of the other mode ends when this one starts
            ticket.state, ticket.ended_at = "cancelled", now
    if db.session.scalar(select(func.count()).select_from(match_pool([member.org]).subquery())) \
            < QUESTIONS_PER_MATCH:
        raise NotEnoughQuestions("Your organisation's question banks do not hold enough choice questions "
                                 "for a match yet.")
    ticket = MatchTicket(member_id=member.id, mode=mode, root_org_id=root_of(member.org),
                         rating=ratings.current_rating(member.id), state="waiting", created_at=now, seen_at=now)
    db.session.add(ticket)
    db.session.flush()
    try_match(ticket, now)
    return ticket


def require_ticket(member: Member, ticket_id: int) -> MatchTicket:
    """The member's own ticket; anyone else's is answered as missing."""
    ticket = db.session.get(MatchTicket, ticket_id) if 0 < ticket_id < 2 ** 63 else None
    if ticket is None or ticket.member_id != member.id:
        raise NotFound("No such match search.")
    return ticket


def _expire_if_due(ticket: MatchTicket, now: datetime) -> bool:
    if ticket.state == "waiting" and now - ticket.created_at >= seconds("ARENA_MATCH_SEARCH_S"):
        ticket.state, ticket.ended_at = "expired", now
        return True
    return False


def poll_search(ticket: MatchTicket, *, now: datetime | None = None) -> MatchTicket:
    """Look at a search again: note that its member is still there, end it when its time is up, try to match."""
    now = now or utcnow()
    if ticket.state != "waiting" or _expire_if_due(ticket, now):
        return ticket
    ticket.seen_at = now
    db.session.flush()
    try_match(ticket, now)
    return ticket


def cancel_search(ticket: MatchTicket, *, now: datetime | None = None) -> MatchTicket:
    """Stop waiting; a ticket already matched or ended is returned as it is."""
    if ticket.state == "waiting":
        ticket.state, ticket.ended_at = "cancelled", now or utcnow()
        db.session.flush()
    return ticket


def _candidates(ticket: MatchTicket, now: datetime) -> list[MatchTicket]:
    """Waiting tickets that could join this one, nearest rating first."""
    rows = db.session.scalars(select(MatchTicket).where(
        MatchTicket.mode == ticket.mode, MatchTicket.state == "waiting",
        MatchTicket.root_org_id == ticket.root_org_id, MatchTicket.member_id != ticket.member_id,
        MatchTicket.seen_at >= now - seconds("ARENA_MATCH_TICKET_STALE_S"),
        MatchTicket.created_at > now - seconds("ARENA_MATCH_SEARCH_S"))).all()
    mine = window(ticket, now)
    fits = [t for t in rows if abs(t.rating - ticket.rating) <= max(mine, window(t, now))]
    fits.sort(key=lambda t: (abs(t.rating - ticket.rating), t.created_at, t.id))
    seen, unique = set(), []
    for t in fits:  # one seat per member, whatever stale duplicates exist
        if t.member_id not in seen:
            seen.add(t.member_id)
            unique.append(t)
    return unique


def try_match(ticket: MatchTicket, now: datetime) -> Match | None:
    """Fill a match around this waiting ticket if enough near-rated members wait; None otherwise."""
    need = MATCH_MODES[ticket.mode] - 1
    others = _candidates(ticket, now)[:need]
    if len(others) < need:
        return None
    group = [ticket, *others]
    members = [db.session.get(Member, t.member_id) for t in group]
    pool = list(db.session.scalars(match_pool([m.org for m in members])))
    if len(pool) < QUESTIONS_PER_MATCH:
        return None  # these players share too few questions; wait for others
    savepoint = db.session.begin_nested()
    match = _create_match(ticket.mode, group, members, random.sample(pool, QUESTIONS_PER_MATCH), now)
    taken = db.session.execute(
        update(MatchTicket).where(MatchTicket.id.in_([t.id for t in group]), MatchTicket.state == "waiting")
        .values(state="matched", match_id=match.id, ended_at=now).execution_options(synchronize_session=False))
    if taken.rowcount != len(group):  # another request matched one of them first
        savepoint.rollback()
        return None
    savepoint.commit()
    for t in group:
        db.session.refresh(t)
    return match


def scored_today(member: Member, mode: str, now: datetime) -> int:
    """How many matches of `mode` the member started today that earn points."""
    return db.session.scalar(
        select(func.count()).select_from(MatchPlayer).join(Match, Match.id == MatchPlayer.match_id)
        .where(MatchPlayer.member_id == member.id, MatchPlayer.scored.is_(True), Match.mode == mode,
               Match.created_at >= day_start_utc(local_day(now)))) or 0


def _create_match(mode: str, group: list[MatchTicket], members: list[Member], question_ids: list[int],
                  now: datetime) -> Match:
    starts = now + seconds("ARENA_MATCH_LEAD_S")
    limit = setting("ARENA_MATCH_QUESTION_S")
    match = Match(mode=mode, state="running", step=0, current=1, question_s=limit, points_possible=100,
                  created_at=now, starts_at=starts)
    db.session.add(match)
    db.session.flush()
    order = list(range(len(group)))
    random.shuffle(order)
    for seat, index in enumerate(order, start=1):
        member = members[index]
        limit_today = effective_policy(member.org)[DAILY_LIMIT_KEY]
        db.session.add(MatchPlayer(match_id=match.id, member_id=member.id, seat=seat, state="playing",
                                   scored=scored_today(member, mode, now) < limit_today,
                                   rating_before=group[index].rating, last_seen_at=now))
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))}
    for number, qid in enumerate(question_ids, start=1):
        first = number == 1
        db.session.add(MatchQuestion(match_id=match.id, number=number, question_id=qid,
                                     version_id=questions[qid].current_version_id,
                                     opens_at=starts if first else None,
                                     closes_at=starts + timedelta(seconds=limit) if first else None))
    db.session.flush()
    return match
