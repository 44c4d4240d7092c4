"""Scope cases of the arena endpoints (see tests/scope.py): live events, then quick matches.

Quick matches belong to their players: a ticket or a match of two members of branch1 is
answered as missing to everyone else, whatever their role.
"""
from arena.services import events, match as search, referee
from tests.arena.factories import make_bank
from tests.arena.match_factories import match_bank
from tests.factories import make_member
from tests.scope import Case

HOSTS = {"host", "organiser", "admin"}
EVERYONE = {"member", "organiser", "reviewer", "host", "admin"}


def _event(ctx, state="draft"):
    """An event in ctx.org between two of its members, run by a host of the org (never the caller)."""
    bank = make_bank(ctx.org, 2)
    people = [make_member(ctx.org), make_member(ctx.org)]
    host = make_member(ctx.org, roles=[("host", ctx.org)])
    event = events.create_event(host, {"org_id": ctx.org.id, "title": "知识竞赛", "member_ids": [p.id for p in people],
                                       "rounds": [{"kind": "speed", "question_ids": [q.id for q in bank]}]})
    if state in ("live", "finished"):
        referee.control(host, event, "start")
    if state == "finished":
        referee.control(host, event, "finish")
    slot = events.current_slot(event)
    return {"event_id": event.id, "ids": [event.id], "slot_id": slot.id if slot else 1,
            "contestant_id": event.contestants[0].id}


def _new(ctx):
    bank = make_bank(ctx.org, 1)
    people = [make_member(ctx.org), make_member(ctx.org)]
    return {"json": {"org_id": ctx.org.id, "title": "新竞赛", "member_ids": [p.id for p in people],
                     "rounds": [{"kind": "speed", "question_ids": [bank[0].id]}]}}


def _live(ctx):
    made = _event(ctx, "live")
    return made | {"json": {"slot_id": made["slot_id"], "response": ["A"], "stake": 20,
                            "contestant_id": made["contestant_id"], "kind": "like"}}


def _bank(ctx):
    """Questions at the top committee, so any caller's banks hold enough for a match."""
    match_bank(ctx.tree.committee)
    return {}


def _ticket(ctx):
    _bank(ctx)
    owner = make_member(ctx.org)
    ticket = search.start_search(owner, "four_player")
    return {"ticket_id": ticket.id, "ids": [ticket.id]}


def _match(ctx):
    _bank(ctx)
    a, b = make_member(ctx.org), make_member(ctx.org)
    search.start_search(a, "two_player")
    ticket = search.start_search(b, "two_player")
    return {"match_id": ticket.match_id, "ids": [ticket.match_id], "json": {"number": 1, "response": ["A"]}}


CASES = [
    Case("GET", "/api/v1/arenas", _event, allowed=EVERYONE, list_endpoint=True),
    Case("POST", "/api/v1/arenas", _new, allowed=HOSTS),
    Case("GET", "/api/v1/arenas/{event_id}", _event, allowed=EVERYONE),
    Case("GET", "/api/v1/arenas/{event_id}/contestants", _event, allowed=EVERYONE),
    Case("POST", "/api/v1/arenas/{event_id}/control", _event, allowed=HOSTS, json={"action": "start"}),
    # only contestants buzz, stake, pass and answer; a caller in scope who is not one gets 403
    Case("POST", "/api/v1/arenas/{event_id}/buzz", _live, allowed=set()),
    Case("POST", "/api/v1/arenas/{event_id}/stakes", _live, allowed=set()),
    Case("POST", "/api/v1/arenas/{event_id}/passes", _live, allowed=set()),
    Case("POST", "/api/v1/arenas/{event_id}/answers", _live, allowed=set()),
    Case("POST", "/api/v1/arenas/{event_id}/reactions", _live, allowed=EVERYONE),
    Case("GET", "/api/v1/arenas/{event_id}/events", lambda ctx: _event(ctx, "finished"), allowed=EVERYONE),
    Case("GET", "/api/v1/arenas/{event_id}/results", lambda ctx: _event(ctx, "finished"), allowed=EVERYONE),
]

CASES += [
    # no resource: any caller may search; out of scope there is nothing to leak
    Case("POST", "/api/v1/arena/match-tickets", _bank, allowed=EVERYONE, list_endpoint=True,
         json={"mode": "four_player"}),
    Case("GET", "/api/v1/arena/match-tickets/{ticket_id}", _ticket),
    Case("DELETE", "/api/v1/arena/match-tickets/{ticket_id}", _ticket),
    Case("GET", "/api/v1/arena/matches/{match_id}", _match),
    Case("POST", "/api/v1/arena/matches/{match_id}/answers", _match),
    Case("POST", "/api/v1/arena/matches/{match_id}/abandon", _match),
    Case("GET", "/api/v1/me/arena/matches", lambda ctx: {"ids": _match(ctx)["ids"]}, allowed=EVERYONE,
         list_endpoint=True),
]
