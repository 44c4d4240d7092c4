"""What a player's phone sees of a match, and of their history: nothing before it may be shown.

The open question goes out without its answer; a question's correct answer, explanation and
everyone's points go out only once it has closed for every player; the next question's text only
once it has opened.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select

from learning.extensions import db
from learning.models import Member
from learning.timeutil import utcnow
from quizzes.services.grading import correct_answer_view

from ..models import ArenaRating, Match, MatchAnswer, MatchPlayer, MatchTicket
from . import match as search
from .match import QUESTIONS_PER_MATCH
from .match_play import earns_points
from .rating import INITIAL_RATING


def _ms(later: datetime | None, now: datetime) -> int | None:
    return None if later is None else int((later - now).total_seconds() * 1000)


def ticket_view(ticket: MatchTicket, now: datetime | None = None) -> dict:
    """A search as its member sees it: how long it has waited, the rating window, the match once found."""
    now = now or utcnow()
    waited = (min(now, ticket.ended_at or now) - ticket.created_at).total_seconds()
    return {"id": ticket.id, "mode": ticket.mode, "state": ticket.state, "rating": round(ticket.rating),
            "waited_s": round(max(waited, 0.0), 1), "window": round(search.window(ticket, now)),
            "search_s": search.setting("ARENA_MATCH_SEARCH_S"),
            "waiting_now": _waiting_count(ticket, now) if ticket.state == "waiting" else 0,
            "match_id": ticket.match_id}


def _waiting_count(ticket: MatchTicket, now: datetime) -> int:
    """Other members searching the same mode in the same tree right now (honest progress, no names)."""
    return db.session.scalar(select(func.count(distinct(MatchTicket.member_id))).where(
        MatchTicket.mode == ticket.mode, MatchTicket.state == "waiting",
        MatchTicket.root_org_id == ticket.root_org_id, MatchTicket.member_id != ticket.member_id,
        MatchTicket.seen_at >= now - search.seconds("ARENA_MATCH_TICKET_STALE_S")))


def _question_text(q) -> dict:
    version = q.version
    return {"number": q.number, "type": version.type, "stem": version.stem,
            "options": [{"key": o["key"], "text": o["text"]} for o in version.options or []]}


def match_view(seat: MatchPlayer, now: datetime | None = None) -> dict:
    """The match as `seat`'s member sees it now."""
    now = now or utcnow()
    match = seat.match
    answers = list(db.session.scalars(select(MatchAnswer).where(MatchAnswer.match_id == match.id)))
    closed = {q.number for q in match.questions if q.closed_at is not None}
    by_player: dict[int, dict[int, MatchAnswer]] = {}
    for a in answers:
        by_player.setdefault(a.player_id, {})[a.number] = a
    current = match.questions[match.current - 1]
    players = []
    for p in match.players:
        mine = by_player.get(p.id, {})
        players.append({
            "seat": p.seat, "name": p.member.name, "me": p.id == seat.id, "state": p.state,
            "score": sum(a.points for n, a in mine.items() if n in closed),
            "answered_current": current.number in mine, "placing": p.placing,
            "rating_before": round(p.rating_before),
            "rating_after": None if p.rating_after is None else round(p.rating_after),
            "rating_change": None if p.rating_after is None else round(p.rating_after - p.rating_before)})
    view = {"id": match.id, "mode": match.mode, "state": match.state, "total": QUESTIONS_PER_MATCH,
            "current": match.current, "question_s": match.question_s, "points_possible": match.points_possible,
            "server_now": now.isoformat(), "starts_in_ms": _ms(match.starts_at, now), "players": players,
            "me": {"seat": seat.seat, "state": seat.state, "left_reason": seat.left_reason,
                   "scored": seat.scored},
            "question": None, "revealed": []}
    if match.state == "running" and current.opens_at is not None and current.closed_at is None:
        phase = "open" if now >= current.opens_at else "upcoming"
        question = {"number": current.number, "phase": phase, "opens_in_ms": _ms(current.opens_at, now),
                    "closes_in_ms": _ms(current.closes_at, now)}
        if phase == "open":
            question |= _question_text(current)
            mine = by_player.get(seat.id, {}).get(current.number)
            question["my_response"] = mine.response if mine else None
        view["question"] = question
    for q in match.questions:
        if q.closed_at is None:
            continue
        view["revealed"].append(_question_text(q) | {
            "correct": correct_answer_view(q.version), "explanation": q.version.explanation,
            "results": [{"seat": p.seat, "response": by_player.get(p.id, {}).get(q.number).response
                         if q.number in by_player.get(p.id, {}) else None,
                         "points": by_player.get(p.id, {}).get(q.number).points
                         if q.number in by_player.get(p.id, {}) else 0}
                        for p in match.players]})
    if match.state == "finished":
        view["result"] = {"placing": seat.placing, "score": seat.score, "correct": seat.correct,
                          "rating_before": round(seat.rating_before), "rating_after": round(seat.rating_after),
                          "rating_change": round(seat.rating_after - seat.rating_before),
                          "earned_points": earns_points(seat), "left_reason": seat.left_reason}
    return view


def rating_view(member: Member) -> dict:
    """A member's rating, games and wins."""
    row = db.session.get(ArenaRating, member.id)
    if row is None:
        return {"rating": round(INITIAL_RATING), "games": 0, "wins": 0}
    return {"rating": round(row.rating), "games": row.games, "wins": row.wins}


def finished_seats(member: Member):
    """The member's seats in finished matches, newest first (a statement, for a page or a limit)."""
    return (select(MatchPlayer).join(Match, Match.id == MatchPlayer.match_id)
            .where(MatchPlayer.member_id == member.id, Match.state == "finished")
            .order_by(Match.finished_at.desc(), Match.id.desc()))


def history_row(seat: MatchPlayer) -> dict:
    """One finished match as its player sees it: placing, score and rating change."""
    return {"id": seat.match_id, "mode": seat.match.mode, "finished_at": seat.match.finished_at,
            "players": len(seat.match.players), "placing": seat.placing, "score": seat.score,
            "correct": seat.correct, "rating_change": round(seat.rating_after - seat.rating_before),
            "left_reason": seat.left_reason, "earned_points": earns_points(seat)}


def history(member: Member, limit: int = 30) -> list[dict]:
    """The member's last finished matches, newest first (the match page's list)."""
    return [history_row(s) for s in db.session.scalars(finished_seats(member).limit(limit))]
