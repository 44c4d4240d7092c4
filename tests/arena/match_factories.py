"""Builders for quick-match tests: a question bank, players, and moving a match's stored times into the past.

Moving stored times back is how a test lets time pass without sleeping: the server compares
them with its clock exactly as it would after real seconds.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from arena.models import Match, MatchAnswer, MatchPlayer, MatchTicket
from learning.extensions import db
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question

TICKETS = "/api/v1/arena/match-tickets"


def match_bank(org, n: int = 6):
    """`n` single-choice questions (answer A) in an org's bank, committed."""
    questions = [make_question(org, "single_choice") for _ in range(n)]
    db.session.commit()
    return questions


def players(org, n: int) -> list[tuple]:
    """`n` members of an org with their bearer headers, committed."""
    made = [make_member(org) for _ in range(n)]
    db.session.commit()
    return [(m, bearer(m)) for m in made]


def shift(match_id: int, seconds: float) -> None:
    """Let `seconds` pass for a match: every stored time of it moves that far into the past."""
    delta = timedelta(seconds=seconds)
    match = db.session.get(Match, match_id)
    match.starts_at -= delta
    for q in match.questions:
        for field in ("opens_at", "closes_at", "closed_at"):
            if getattr(q, field) is not None:
                setattr(q, field, getattr(q, field) - delta)
    for p in match.players:
        p.last_seen_at -= delta
    for a in db.session.scalars(select(MatchAnswer).where(MatchAnswer.match_id == match_id)):
        a.answered_at -= delta
    db.session.commit()


def away(member, match_id: int, seconds: float) -> None:
    """The server last heard from `member` `seconds` earlier than it did."""
    seat = db.session.scalar(select(MatchPlayer).where(MatchPlayer.match_id == match_id,
                                                       MatchPlayer.member_id == member.id))
    seat.last_seen_at -= timedelta(seconds=seconds)
    db.session.commit()


def age_ticket(ticket_id: int, seconds: float) -> None:
    """A search began `seconds` earlier than it did (its member still polls)."""
    ticket = db.session.get(MatchTicket, ticket_id)
    ticket.created_at -= timedelta(seconds=seconds)
    db.session.commit()


def start_match(client, group, mode: str) -> int:
    """Each member of `group` searches in turn; returns the match they were put in (all the same)."""
    tickets = [client.post(TICKETS, json={"mode": mode}, headers=h) for _, h in group]
    assert all(r.status_code == 201 for r in tickets), [r.get_json() for r in tickets]
    ids = {client.get(f"{TICKETS}/{r.get_json()['id']}", headers=h).get_json()["match_id"]
           for r, (_, h) in zip(tickets, group)}
    assert len(ids) == 1 and None not in ids, ids
    return ids.pop()


def open_first_question(match_id: int, lead_s: int = 3) -> None:
    """Skip the lead-in before question 1."""
    shift(match_id, lead_s)


def answer(client, headers, match_id: int, number: int, keys=("A",)):
    """POST an answer."""
    return client.post(f"/api/v1/arena/matches/{match_id}/answers", json={"number": number, "response": list(keys)},
                       headers=headers)


def look(client, headers, match_id: int) -> dict:
    """GET the match as one player sees it."""
    resp = client.get(f"/api/v1/arena/matches/{match_id}", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def play_out(client, group, match_id: int, keys_by_seat=None, reveal_s: int = 3) -> dict:
    """Play all five questions: every player answers in turn (A unless told otherwise); returns the last view."""
    view = look(client, group[0][1], match_id)
    while view["state"] == "running":
        number = view["current"]
        if view["question"] and view["question"]["phase"] == "upcoming":
            shift(match_id, reveal_s)
        for i, (_, headers) in enumerate(group):
            keys = (keys_by_seat or {}).get(i, ("A",))
            resp = answer(client, headers, match_id, number, keys)
            assert resp.status_code in (201, 409), resp.get_data(as_text=True)
        view = look(client, group[0][1], match_id)
    return view
