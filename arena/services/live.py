"""What every screen is told: the stream log (one row per change, numbered per event), the public state
that each stream event carries, and delivery through learning's bus once the transaction commits.

Two kinds of message:
- numbered stream events (host actions, buzzes, fouls, stakes, passes): stored, replayed after
  `Last-Event-ID`, each carrying the public state. The scoreboard (the bulk: a row per contestant,
  ~70 KB for 500) rides only on the kinds that can change it (BOARD_KINDS); the others leave it out and
  screens keep the one they have;
- ticks: answer counts and reaction totals, not numbered and not stored, coalesced per process and event
  into at most one small message every TICK_S (500 answers in 10 s make ~100 ticks, not 500 full states).
  A screen that misses one loses nothing: the next numbered event, or a reconnect, carries the truth.

The state never holds a correct answer before the question is revealed (DESIGN §2.2).
"""
from __future__ import annotations

import logging
import threading

from flask import current_app
from sqlalchemy import event as sa_event, func, or_, select, update
from sqlalchemy.orm import Session

from learning.events import bus
from learning.extensions import db
from learning.timeutil import as_utc, utcnow
from quizzes.models import QuestionVersion
from quizzes.services.grading import correct_answer_view

from ..models import (ArenaAction, ArenaAnswer, ArenaContestant, ArenaEvent, ArenaReaction, ArenaRound, ArenaScore,
                      ArenaSlot, ArenaStreamEvent)

PENDING = "arena_publish"
PENDING_TICKS = "arena_ticks"
VISIBLE_PHASES = ("shown", "open", "locked", "revealed")
#: the stream events that can change scores, fouls or the winner: only these carry the scoreboard
BOARD_KINDS = frozenset({"snapshot", "start", "reveal", "undo", "foul", "finish"})
TICK_S = 0.1
log = logging.getLogger(__name__)


def channel(event_id: int) -> str:
    """The bus channel of one event (the bus puts it under the installation's namespace)."""
    return f"arena:{event_id}"


def _iso(value):
    return as_utc(value).isoformat() if value else None


def append(event: ArenaEvent, kind: str, detail: dict | None = None) -> int:
    """Number the change, store it with the state every screen should now show, publish after commit."""
    seq = db.session.execute(update(ArenaEvent).where(ArenaEvent.id == event.id).values(seq=ArenaEvent.seq + 1)
                             .returning(ArenaEvent.seq).execution_options(synchronize_session=False)).scalar_one()
    event.seq = seq
    db.session.flush()
    message = {"type": kind, "seq": seq, "detail": detail or {},
               "state": public_state(event, board=kind in BOARD_KINDS)}
    db.session.add(ArenaStreamEvent(event_id=event.id, seq=seq, kind=kind, data=message))
    db.session.flush()
    publish_after_commit(event.id, message)
    return seq


def publish_after_commit(event_id: int, message: dict) -> None:
    """Send a message to the event's channel once (and only if) the transaction commits."""
    db.session.info.setdefault(PENDING, []).append((channel(event_id), message))


def tick_after_commit(event_id: int, *, answered: dict | None = None, reaction: dict | None = None) -> None:
    """Count an answer ({slot_id, opening, contestant_id, count}) or a reaction ({contestant_id, kind, likes,
    boos}) into the event's next tick, once (and only if) the transaction commits."""
    db.session.info.setdefault(PENDING_TICKS, []).append((event_id, answered, reaction))


class Ticks:
    """One process's pending ticks, per bus and event; the first addition schedules the send TICK_S later,
    the ones that follow within that time join it."""

    def __init__(self, schedule=None):
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], dict] = {}
        self._schedule = schedule or _later  # tests pass their own, to send when they say

    def add(self, the_bus, event_id: int, answered: dict | None = None, reaction: dict | None = None) -> None:
        key = (id(the_bus), event_id)
        with self._lock:
            message = self._pending.get(key)
            fresh = message is None
            if fresh:
                message = self._pending[key] = {"type": "tick", "answered": None, "reactions": {}}
            if answered is not None:
                _merge_answered(message, answered)
            if reaction is not None:
                _merge_reaction(message, reaction)
        if fresh:
            self._schedule(TICK_S, self._send, (the_bus, key, event_id))

    def _send(self, the_bus, key: tuple[int, int], event_id: int) -> None:
        with self._lock:
            message = self._pending.pop(key, None)
        if message is None:
            return
        try:
            the_bus.publish(channel(event_id), message)
        except Exception:  # a lost tick costs a count for a moment; the next stream event carries the truth
            log.warning("arena: publishing a tick for event %s failed", event_id, exc_info=True)


def _later(delay: float, function, args: tuple) -> None:
    timer = threading.Timer(delay, function, args=args)
    timer.daemon = True
    timer.start()


def _merge_answered(message: dict, answered: dict) -> None:
    current = message["answered"]
    if current is None or (current["slot_id"], current["opening"]) != (answered["slot_id"], answered["opening"]):
        current = message["answered"] = {"slot_id": answered["slot_id"], "opening": answered["opening"],
                                         "count": 0, "contestant_ids": []}
    current["contestant_ids"].append(answered["contestant_id"])
    current["count"] = max(current["count"], answered["count"], len(current["contestant_ids"]))


def _merge_reaction(message: dict, reaction: dict) -> None:
    key = str(reaction["contestant_id"])
    row = message["reactions"].setdefault(key, {"likes": 0, "boos": 0, "new_likes": 0, "new_boos": 0})
    row["likes"], row["boos"] = max(row["likes"], reaction["likes"]), max(row["boos"], reaction["boos"])
    row["new_likes" if reaction["kind"] == "like" else "new_boos"] += 1


def merge_ticks(first: dict, then: dict) -> dict:
    """Two ticks of one event as one, as if their answers and reactions had come in one (a hub holds ticks back
    while thousands of streams are open, `stream.TICK_WRITES_PER_S`)."""
    merged = {"type": "tick", "answered": None, "reactions": {}}
    for tick in (first, then):
        answered = tick.get("answered")
        if answered:
            for contestant_id in answered["contestant_ids"] or [None]:
                _merge_answered(merged, {**answered, "contestant_id": contestant_id})
            merged["answered"]["contestant_ids"] = [c for c in merged["answered"]["contestant_ids"] if c is not None]
        for key, row in (tick.get("reactions") or {}).items():
            mine = merged["reactions"].setdefault(key, {"likes": 0, "boos": 0, "new_likes": 0, "new_boos": 0})
            mine["likes"], mine["boos"] = max(mine["likes"], row["likes"]), max(mine["boos"], row["boos"])
            mine["new_likes"] += row["new_likes"]
            mine["new_boos"] += row["new_boos"]
    return merged


ticks = Ticks()


@sa_event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    items = session.info.pop(PENDING, None)
    for name, message in items or ():
        try:
            bus().publish(name, message)
        except Exception:  # the database holds the truth; screens catch up from the stream log
            current_app.logger.warning("arena: publishing to %s failed", name, exc_info=True)
    for event_id, answered, reaction in session.info.pop(PENDING_TICKS, None) or ():
        ticks.add(bus(), event_id, answered, reaction)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(PENDING, None)
        session.info.pop(PENDING_TICKS, None)


def in_force():
    """A clause keeping score changes whose host action was not undone."""
    return or_(ArenaScore.action_id.is_(None), ~ArenaScore.action_id.in_(
        select(ArenaAction.id).where(ArenaAction.undone_at.is_not(None))))


def reaction_totals(event_id: int) -> dict[int, tuple[int, int]]:
    """contestant id → (likes, boos)."""
    rows = db.session.execute(select(ArenaReaction.contestant_id, func.sum(ArenaReaction.likes),
                                     func.sum(ArenaReaction.boos))
                              .where(ArenaReaction.event_id == event_id).group_by(ArenaReaction.contestant_id))
    return {cid: (int(likes or 0), int(boos or 0)) for cid, likes, boos in rows}


def scoreboard(event: ArenaEvent) -> list[dict]:
    """Contestants by score (base score plus every change in force), then by their order."""
    sums = dict(db.session.execute(select(ArenaScore.contestant_id, func.sum(ArenaScore.delta))
                                   .where(ArenaScore.event_id == event.id, in_force())
                                   .group_by(ArenaScore.contestant_id)).all())
    reactions = reaction_totals(event.id)
    base = event.settings.get("base_score", 0)
    rows = [{"id": c.id, "name": c.name, "score": base + int(sums.get(c.id) or 0), "fouls": c.fouls,
             "disqualified": c.disqualified_at is not None, "team": c.team_org_id is not None,
             "likes": reactions.get(c.id, (0, 0))[0], "boos": reactions.get(c.id, (0, 0))[1], "position": c.position}
            for c in db.session.scalars(select(ArenaContestant).where(ArenaContestant.event_id == event.id))]
    rows.sort(key=lambda r: (r["disqualified"], -r["score"], r["position"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def question_view(version: QuestionVersion, revealed: bool) -> dict:
    """The question as screens show it; the correct answer only once revealed."""
    view = {"type": version.type, "stem": version.stem, "options": version.options,
            "blanks": len(version.answer) if version.type == "fill_blank" else None}
    if revealed:
        view["answer"] = correct_answer_view(version)
        view["explanation"] = version.explanation
    return view


def slot_view(event: ArenaEvent, slot: ArenaSlot) -> dict:
    """The current question's public state."""
    rnd = slot.round
    from .events import pass_available, round_limit_s, round_points

    answers = list(db.session.scalars(select(ArenaAnswer).where(ArenaAnswer.slot_id == slot.id,
                                                                ArenaAnswer.opening == slot.opening)
                                      .order_by(ArenaAnswer.answered_at, ArenaAnswer.id)))
    view = {"id": slot.id, "position": slot.position, "phase": slot.phase, "opening": slot.opening,
            "round": {"id": rnd.id, "position": rnd.position, "kind": rnd.kind, "title": rnd.title,
                      "points": round_points(event, rnd), "time_limit_s": round_limit_s(event, rnd)},
            "shown_at": _iso(slot.shown_at), "opened_at": _iso(slot.opened_at), "closes_at": _iso(slot.closes_at),
            "buzz_winner_id": slot.buzz_winner_id, "buzzed_at": _iso(slot.buzzed_at),
            "target_id": slot.target_id, "defender_id": slot.defender_id, "stake": slot.stake,
            "passed_by_id": slot.passed_by_id,
            "pass_available": slot.phase == "open" and pass_available(slot),
            "answered": [a.contestant_id for a in answers],
            "waiting_ruling": [a.id for a in answers if a.fraction is None],
            "question": None}
    visible = slot.phase in VISIBLE_PHASES and not (rnd.kind == "risk" and slot.phase == "shown")
    if visible:
        revealed = slot.phase == "revealed"
        view["question"] = question_view(db.session.get(QuestionVersion, slot.version_id), revealed)
        if revealed:
            view["results"] = [{"contestant_id": a.contestant_id, "response": a.response, "fraction": a.fraction,
                                "elapsed_ms": a.elapsed_ms} for a in answers]
    return view


def public_state(event: ArenaEvent, board: bool = True) -> dict:
    """Everything a screen shows, the same for every viewer (without the scoreboard if not `board`)."""
    from .events import current_slot

    slot = current_slot(event)
    total = db.session.scalar(select(func.count(ArenaSlot.id)).where(ArenaSlot.event_id == event.id))
    rounds = [{"position": r.position, "kind": r.kind, "title": r.title}
              for r in db.session.scalars(select(ArenaRound).where(ArenaRound.event_id == event.id)
                                          .order_by(ArenaRound.position))]
    state = {"event": {"id": event.id, "title": event.title, "status": event.status, "paused": event.paused,
                       "cursor": event.cursor, "questions": total, "team_mode": event.team_mode,
                       "allow_guests": event.allow_guests, "risk_stakes": event.settings.get("risk_stakes"),
                       "started_at": _iso(event.started_at), "finished_at": _iso(event.finished_at)},
             "seq": event.seq, "server_now": utcnow().isoformat(), "rounds": rounds,
             "slot": slot_view(event, slot) if slot is not None else None}
    if not board:
        return state
    board = state["scoreboard"] = scoreboard(event)
    if event.status == "finished":
        in_play = [r for r in board if not r["disqualified"]]
        state["winner_id"] = in_play[0]["id"] if in_play else None
        liked = sorted(board, key=lambda r: (-(r["likes"] - r["boos"]), r["position"]))
        state["popularity_id"] = liked[0]["id"] if liked and liked[0]["likes"] else None
    return state


def answered_tick(event: ArenaEvent) -> dict | None:
    """A tick with every answer to the current question so far (for a screen that has just caught up)."""
    from .events import current_slot

    slot = current_slot(event)
    if slot is None or slot.phase not in ("open", "locked"):
        return None
    ids = list(db.session.scalars(select(ArenaAnswer.contestant_id).where(ArenaAnswer.slot_id == slot.id,
                                                                          ArenaAnswer.opening == slot.opening)
                                  .order_by(ArenaAnswer.answered_at, ArenaAnswer.id)))
    return {"type": "tick", "answered": {"slot_id": slot.id, "opening": slot.opening, "count": len(ids),
                                         "contestant_ids": ids}, "reactions": {}}


def events_after(event_id: int, last_seq: int, limit: int) -> list[dict]:
    """Stored stream events after `last_seq`, oldest first (at most `limit`)."""
    rows = db.session.scalars(select(ArenaStreamEvent.data).where(ArenaStreamEvent.event_id == event_id,
                                                                 ArenaStreamEvent.seq > last_seq)
                              .order_by(ArenaStreamEvent.seq).limit(limit))
    return list(rows)
