"""The audience: likes and boos (点赞/拍砖) for a contestant, rate-limited per viewer, counted apart from
scores; members react from their account, guests through the public link when the host allows it."""
from __future__ import annotations

from limits import RateLimitItemPerMinute
from sqlalchemy import func, select

from learning.errors import Conflict, DomainError, Invalid, NotFound
from learning.extensions import db, limiter
from learning.services.upsert import dialect_insert
from learning.timeutil import utcnow

from ..models import ArenaContestant, ArenaEvent, ArenaReaction
from . import live

KINDS = ("like", "boo")


class TooManyReactions(DomainError):
    """More reactions than the event allows one viewer per minute."""

    status = 429
    code = "rate_limited"


def guest_event(event_id: int, token: str | None) -> ArenaEvent:
    """The event a guest link opens, if the host allows guests; 404 otherwise (ids must not leak)."""
    event = db.session.get(ArenaEvent, event_id) if 0 < event_id < 2**63 else None
    if event is None or not event.allow_guests or not token or token != event.guest_token:
        raise NotFound("Arena event not found.")
    return event


def react(event: ArenaEvent, viewer: str, contestant_id: int, kind: str) -> dict:
    """Count one reaction, if the viewer is within the rate limit; returns the contestant's totals."""
    if kind not in KINDS:
        raise Invalid("kind is like or boo.", {"kind": ["unknown"]})
    if event.status != "live":
        raise Conflict("Reactions are open while the event runs.")
    contestant = db.session.get(ArenaContestant, contestant_id) if 0 < contestant_id < 2**63 else None
    if contestant is None or contestant.event_id != event.id:
        raise NotFound("Contestant not found in this event.")
    item = RateLimitItemPerMinute(event.settings.get("reactions_per_minute", 30))
    if not limiter.limiter.hit(item, "arena-react", str(event.id), viewer):
        raise TooManyReactions("Too many reactions; wait a moment.")
    column = "likes" if kind == "like" else "boos"
    table = ArenaReaction.__table__
    db.session.execute(dialect_insert(ArenaReaction).values(
        event_id=event.id, contestant_id=contestant.id, viewer=viewer, likes=int(kind == "like"),
        boos=int(kind == "boo"), updated_at=utcnow()).on_conflict_do_update(
        index_elements=[table.c.event_id, table.c.contestant_id, table.c.viewer],
        set_={column: table.c[column] + 1, "updated_at": utcnow()}))
    likes, boos = db.session.execute(select(func.coalesce(func.sum(ArenaReaction.likes), 0),
                                            func.coalesce(func.sum(ArenaReaction.boos), 0))
                                     .where(ArenaReaction.event_id == event.id,
                                            ArenaReaction.contestant_id == contestant.id)).one()
    totals = {"contestant_id": contestant.id, "likes": int(likes), "boos": int(boos)}
    live.tick_after_commit(event.id, reaction={"kind": kind, **totals})
    return totals
