"""The referee: the server decides when a question opened, who buzzed first, which answers were in time
and what each answer scores. Host actions are logged with what they changed so the last one can be undone.

Every transition is a conditional UPDATE (… WHERE phase = 'open' …) or an insert under a unique
constraint, so two requests racing for the same change cannot both win, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member
from learning.timeutil import as_utc, utcnow
from quizzes.models import QuestionVersion
from quizzes.services.grading import check_response, grade

from ..models import ArenaAction, ArenaAnswer, ArenaBuzz, ArenaContestant, ArenaEvent, ArenaScore, ArenaSlot
from . import live
from .errors import Duplicate, NotContestant, NotOpen, too_late
from .events import contestant_member_ids, contestant_of, current_slot, pass_available, round_limit_s, round_points
from .speed import speed_points

HOST_ACTIONS = ("start", "show", "open", "lock", "reveal", "next", "adjudicate", "pause", "resume", "undo", "finish")


class OutOfOrder(Conflict):
    """A host action that does not fit the event's current state (reveal before open, …)."""

    code = "out_of_order"


class NoPass(Conflict):
    """擂台: the champion may not pass this question (pass used, already answered, or no question left)."""

    code = "no_pass"


def _ms(later: datetime, earlier: datetime) -> int:
    return int((as_utc(later) - as_utc(earlier)).total_seconds() * 1000)


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


SLOT_FIELDS = ("phase", "opening", "shown_at", "opened_at", "closes_at", "buzz_winner_id", "buzzed_at",
               "defender_id", "target_id", "stake", "passed_by_id")
TIME_FIELDS = {"shown_at", "opened_at", "closes_at", "buzzed_at"}


def _slot_state(slot: ArenaSlot) -> dict:
    return {f: _iso(getattr(slot, f)) if f in TIME_FIELDS else getattr(slot, f) for f in SLOT_FIELDS} | {"id": slot.id}


def _event_state(event: ArenaEvent) -> dict:
    return {"status": event.status, "paused": event.paused, "cursor": event.cursor,
            "started_at": _iso(event.started_at)}


def _transition(slot: ArenaSlot, allowed: tuple[str, ...], message: str, **values) -> None:
    """Move the slot on only if it is still in an allowed phase (the race-free check)."""
    done = db.session.execute(update(ArenaSlot).where(ArenaSlot.id == slot.id, ArenaSlot.phase.in_(allowed))
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise OutOfOrder(message)
    db.session.refresh(slot)


# --- host actions ------------------------------------------------------------------------------------

def control(actor: Member, event: ArenaEvent, action: str, payload: dict | None = None) -> ArenaAction:
    """Apply one host action, log it and tell every screen; OutOfOrder when it does not fit the state."""
    payload = payload or {}
    if action not in HOST_ACTIONS:
        raise Invalid(f"Unknown action; one of {', '.join(HOST_ACTIONS)}.", {"action": ["unknown"]})
    if event.status == "finished":
        raise OutOfOrder("The event is over.")
    if action != "start" and event.status != "live":
        raise OutOfOrder("Start the event first.")
    if event.paused and action not in ("resume", "undo"):
        raise OutOfOrder("The event is paused; resume it first.")
    expected = payload.get("seq")
    if expected is not None and expected != event.seq:
        raise OutOfOrder("The event has moved on since your screen was updated; look again.",
                         {"seq": [f"current is {event.seq}"]})
    slot = current_slot(event)
    record = ArenaAction(event_id=event.id, kind=action, actor_id=actor.id, at=utcnow(),
                         payload={k: v for k, v in payload.items() if k != "seq"},
                         before={"event": _event_state(event), "slot": _slot_state(slot) if slot else None})
    if action == "undo":
        return _undo(actor, event)
    db.session.add(record)
    db.session.flush()
    handler = globals()[f"_do_{action}"]
    detail = handler(actor, event, slot, record) or {}
    live.append(event, action, detail)
    return record


def _do_start(actor, event, slot, record):
    if event.status != "draft":
        raise OutOfOrder("The event has already started.")
    done = db.session.execute(update(ArenaEvent).where(ArenaEvent.id == event.id, ArenaEvent.status == "draft")
                              .values(status="live", cursor=0, started_at=record.at)
                              .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise OutOfOrder("The event has already started.")
    db.session.refresh(event)


def _need_slot(slot):
    if slot is None:
        raise OutOfOrder("There is no current question.")
    return slot


def _do_show(actor, event, slot, record):
    slot = _need_slot(slot)
    if slot.round.kind != "buzz":
        raise OutOfOrder("Only a buzz-in question is shown before it opens; open it instead.")
    _transition(slot, ("pending",), "The question is already on screen.", phase="shown", shown_at=record.at)


def _do_open(actor, event, slot, record):
    slot = _need_slot(slot)
    kind = slot.round.kind
    values = dict(phase="open", opening=_next_opening(slot), opened_at=record.at,
                  shown_at=slot.shown_at or record.at, buzz_winner_id=None, buzzed_at=None)
    if kind == "risk" and slot.stake is None:
        raise OutOfOrder("The contestant has not chosen a stake yet.")
    if kind != "buzz":  # buzz-in: the answer time starts when someone wins the buzz
        values["closes_at"] = record.at + timedelta(seconds=round_limit_s(event, slot.round))
    if kind == "knockout":
        values["defender_id"], values["target_id"] = knockout_pair(event, slot)
    _transition(slot, ("pending", "shown"), "The question is already open or over.", **values)
    return {"position": slot.position}


def _next_opening(slot: ArenaSlot) -> int:
    """A number no earlier opening of the slot used, even one taken back by undo (its answers stay out)."""
    used = [db.session.scalar(select(db.func.max(ArenaAnswer.opening)).where(ArenaAnswer.slot_id == slot.id)),
            db.session.scalar(select(db.func.max(ArenaBuzz.opening)).where(ArenaBuzz.slot_id == slot.id,
                                                                          ArenaBuzz.outcome != "foul"))]
    return max([slot.opening] + [u for u in used if u is not None]) + 1


def _do_lock(actor, event, slot, record):
    slot = _need_slot(slot)
    _transition(slot, ("open",), "Only an open question can be locked.", phase="locked")


def _do_reveal(actor, event, slot, record):
    slot = _need_slot(slot)
    if slot.phase == "open":
        late = slot.closes_at is not None and utcnow() >= as_utc(slot.closes_at)
        if not late and not (slot.round.kind == "buzz" and slot.buzz_winner_id is None):
            raise OutOfOrder("Lock the question (or wait for its time limit) before revealing.")
    elif slot.phase != "locked":
        raise OutOfOrder("Open the question before revealing its answer.")
    answers = slot_answers(slot)
    if slot.passed_by_id is None and any(a.fraction is None for a in answers):
        raise OutOfOrder("A short answer waits for your ruling.")
    _transition(slot, ("open", "locked"), "The question is not waiting for its answer.", phase="revealed")
    changes = score_slot(event, slot, answers)
    for contestant_id, delta, reason, answer_id in changes:
        db.session.add(ArenaScore(event_id=event.id, contestant_id=contestant_id, slot_id=slot.id,
                                  answer_id=answer_id, action_id=record.id, delta=delta, reason=reason,
                                  at=record.at))
    db.session.flush()
    return {"position": slot.position, "changes": [{"contestant_id": c, "delta": d, "reason": r}
                                                    for c, d, r, _ in changes]}


def _do_next(actor, event, slot, record):
    slot = _need_slot(slot)
    if slot.phase != "revealed":
        raise OutOfOrder("Reveal this question before moving on.")
    last = db.session.scalar(select(db.func.max(ArenaSlot.position)).where(ArenaSlot.event_id == event.id))
    if event.cursor >= last:
        raise OutOfOrder("That was the last question; finish the event.")
    done = db.session.execute(update(ArenaEvent).where(ArenaEvent.id == event.id, ArenaEvent.cursor == event.cursor)
                              .values(cursor=event.cursor + 1).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise OutOfOrder("Someone else moved the event on.")
    db.session.refresh(event)


def _do_adjudicate(actor, event, slot, record):
    slot = _need_slot(slot)
    if slot.phase not in ("open", "locked"):
        raise OutOfOrder("Answers are ruled on while the question is open or locked.")
    answer_id, correct = record.payload.get("answer_id"), record.payload.get("correct")
    if not isinstance(answer_id, int) or not isinstance(correct, bool):
        raise Invalid("Give answer_id and correct (true or false).", {"answer_id": ["required"]})
    answer = db.session.get(ArenaAnswer, answer_id) if 0 < answer_id < 2**63 else None
    if answer is None or answer.slot_id != slot.id or answer.opening != slot.opening:
        raise NotFound("Answer not found on the current question.")
    contestant = db.session.get(ArenaContestant, answer.contestant_id)
    if actor.id in contestant_member_ids(contestant):
        raise Forbidden("You cannot rule on your own (or your team's) answer.")
    record.before = {**record.before, "answer": {"id": answer.id, "fraction": answer.fraction,
                                                 "adjudicated_by_id": answer.adjudicated_by_id}}
    answer.fraction = 1.0 if correct else 0.0
    answer.adjudicated_by_id = actor.id
    db.session.flush()
    return {"contestant_id": answer.contestant_id}


def _do_pause(actor, event, slot, record):
    event.paused = True
    db.session.flush()


def _do_resume(actor, event, slot, record):
    if not event.paused:
        raise OutOfOrder("The event is not paused.")
    pause = db.session.scalar(select(ArenaAction).where(ArenaAction.event_id == event.id, ArenaAction.kind == "pause",
                                                        ArenaAction.undone_at.is_(None))
                              .order_by(ArenaAction.id.desc()).limit(1))
    event.paused = False
    if slot is not None and slot.phase == "open" and slot.closes_at is not None and pause is not None:
        slot.closes_at = as_utc(slot.closes_at) + (record.at - as_utc(pause.at))  # the clock stood still
    db.session.flush()


def _do_finish(actor, event, slot, record):
    if slot is not None and slot.phase in ("shown", "open", "locked"):
        raise OutOfOrder("Reveal the current question before finishing.")
    event.status, event.finished_at = "finished", record.at
    db.session.flush()
    from .results import write_records

    write_records(event)


def _undo(actor: Member, event: ArenaEvent) -> ArenaAction:
    """Take back the last host action still in force (start and finish excepted)."""
    last = db.session.scalar(select(ArenaAction).where(ArenaAction.event_id == event.id,
                                                       ArenaAction.undone_at.is_(None),
                                                       ArenaAction.kind != "undo")
                             .order_by(ArenaAction.id.desc()).limit(1))
    if last is None or last.kind == "start":
        raise OutOfOrder("There is nothing to undo.")
    now = utcnow()
    done = db.session.execute(update(ArenaAction).where(ArenaAction.id == last.id, ArenaAction.undone_at.is_(None))
                              .values(undone_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise OutOfOrder("That action was undone already.")
    before = last.before
    ev = before["event"]
    event.status, event.paused, event.cursor = ev["status"], ev["paused"], ev["cursor"]
    event.started_at = _dt(ev["started_at"])
    if before.get("slot"):
        slot = db.session.get(ArenaSlot, before["slot"]["id"])
        for field in SLOT_FIELDS:
            value = before["slot"][field]
            setattr(slot, field, _dt(value) if field in TIME_FIELDS else value)
    if before.get("answer"):
        answer = db.session.get(ArenaAnswer, before["answer"]["id"])
        answer.fraction, answer.adjudicated_by_id = before["answer"]["fraction"], before["answer"]["adjudicated_by_id"]
    record = ArenaAction(event_id=event.id, kind="undo", actor_id=actor.id, at=now, payload={"undid": last.id},
                         before={})
    db.session.add(record)
    db.session.flush()
    live.append(event, "undo", {"undid": last.kind})
    return record


# --- scoring -----------------------------------------------------------------------------------------

def slot_answers(slot: ArenaSlot) -> list[ArenaAnswer]:
    """The answers to the slot's current opening, first received first."""
    return list(db.session.scalars(select(ArenaAnswer).where(ArenaAnswer.slot_id == slot.id,
                                                             ArenaAnswer.opening == slot.opening)
                                   .order_by(ArenaAnswer.answered_at, ArenaAnswer.id)))


def score_slot(event: ArenaEvent, slot: ArenaSlot, answers: list[ArenaAnswer]) -> list[tuple]:
    """(contestant id, delta, reason, answer id) for each score change the revealed slot makes."""
    s, kind = event.settings, slot.round.kind
    points = round_points(event, slot.round)
    by_contestant = {a.contestant_id: a for a in answers}
    changes = []

    def verdict(contestant_id, win, lose):
        answer = by_contestant.get(contestant_id)
        right = answer is not None and answer.fraction >= 1.0
        delta = win if right else -lose
        if delta:
            changes.append((contestant_id, delta, "correct" if right else "wrong", answer.id if answer else None))

    if kind == "required":
        verdict(slot.target_id, points, s["required_penalty"])
    elif kind == "risk":
        verdict(slot.target_id, slot.stake, slot.stake)
    elif kind == "buzz":
        if slot.buzz_winner_id is not None:
            verdict(slot.buzz_winner_id, points, s["buzz_penalty"])
    elif kind == "speed":
        limit_s = round_limit_s(event, slot.round)
        for a in answers:
            if a.fraction > 0:  # past the limit only when a pause stretched closes_at: in time, scored as at the limit
                elapsed_s = min(a.elapsed_ms / 1000, limit_s)
                changes.append((a.contestant_id, speed_points(a.fraction, elapsed_s, limit_s, points), "correct", a.id))
    elif kind == "knockout" and slot.passed_by_id is None:  # a passed question is no duel
        winner = duel_winner(slot, by_contestant)
        changes.append((winner, points, "duel", by_contestant[winner].id if winner in by_contestant else None))
    return [c for c in changes if c[1]]


def duel_winner(slot: ArenaSlot, by_contestant: dict) -> int:
    """擂台: the challenger takes the title only by answering right and faster (or when the champion errs)."""
    def right(cid):
        a = by_contestant.get(cid)
        return a is not None and a.fraction >= 1.0

    champ, challenger = slot.defender_id, slot.target_id
    if right(challenger) and (not right(champ) or
                              by_contestant[challenger].elapsed_ms < by_contestant[champ].elapsed_ms):
        return challenger
    return champ


def knockout_pair(event: ArenaEvent, slot: ArenaSlot) -> tuple[int, int]:
    """(champion, next challenger) for a knockout question: the round starts with the leader as champion;
    challengers come in order of standing, one per duel, skipping the disqualified. A question the champion
    passed decided no duel: the same pair meets again on the next question."""
    from .live import scoreboard

    board = [row for row in scoreboard(event) if not row["disqualified"]]
    if len(board) < 2:
        raise OutOfOrder("A knockout needs two contestants still in the event.")
    earlier = list(db.session.scalars(select(ArenaSlot).where(ArenaSlot.round_id == slot.round_id,
                                                              ArenaSlot.position < slot.position,
                                                              ArenaSlot.phase == "revealed",
                                                              ArenaSlot.passed_by_id.is_(None))
                                      .order_by(ArenaSlot.position)))
    champion = board[0]["id"]
    if earlier:
        prev = earlier[-1]
        champion = duel_winner(prev, {a.contestant_id: a for a in slot_answers(prev)})
    challengers = [row["id"] for row in board if row["id"] != champion]
    return champion, challengers[len(earlier) % len(challengers)]


# --- contestants ---------------------------------------------------------------------------------------

def _playing(event: ArenaEvent, member: Member, slot_id) -> tuple[ArenaContestant, ArenaSlot]:
    contestant = contestant_of(event, member)
    if contestant is None:
        raise NotContestant("You are not a contestant in this event.")
    if contestant.disqualified_at is not None:
        raise NotContestant("You have been disqualified (three fouls).")
    if event.status != "live":
        raise NotOpen("The event is not running.")
    if event.paused:
        raise NotOpen("The event is paused.")
    slot = current_slot(event)
    if slot is None or slot.id != slot_id:
        raise NotOpen("That question is not the current one.", {"slot_id": ["not_current"]})
    return contestant, slot


def buzz(member: Member, event: ArenaEvent, slot_id: int) -> dict:
    """Press the buzzer: first valid press wins; a press before the question opens is a foul."""
    contestant, slot = _playing(event, member, slot_id)
    if slot.round.kind != "buzz":
        raise NotOpen("This question is not a buzz-in question.")
    now = utcnow()
    if slot.phase in ("pending", "shown"):
        _insert(ArenaBuzz(slot_id=slot.id, opening=slot.opening + 1, contestant_id=contestant.id,
                          member_id=member.id, at=now, outcome="foul"), "You have already buzzed on this question.")
        s = event.settings
        db.session.add(ArenaScore(event_id=event.id, contestant_id=contestant.id, slot_id=slot.id,
                                  delta=-s["foul_penalty"], reason="foul", at=now))
        contestant.fouls += 1
        if contestant.fouls >= s["fouls_to_disqualify"]:
            contestant.disqualified_at = now
        db.session.flush()
        live.append(event, "foul", {"contestant_id": contestant.id, "fouls": contestant.fouls,
                                    "disqualified": contestant.disqualified_at is not None})
        return {"outcome": "foul", "fouls": contestant.fouls, "penalty": s["foul_penalty"],
                "disqualified": contestant.disqualified_at is not None, "at": now}
    if slot.phase != "open":
        raise NotOpen("The question is closed.")
    _insert(ArenaBuzz(slot_id=slot.id, opening=slot.opening, contestant_id=contestant.id, member_id=member.id,
                      at=now, outcome="late"), "You have already buzzed on this question.")
    closes = now + timedelta(seconds=round_limit_s(event, slot.round))
    won = db.session.execute(update(ArenaSlot).where(
        ArenaSlot.id == slot.id, ArenaSlot.phase == "open", ArenaSlot.opening == slot.opening,
        ArenaSlot.buzz_winner_id.is_(None)).values(buzz_winner_id=contestant.id, buzzed_at=now, closes_at=closes)
        .execution_options(synchronize_session=False)).rowcount == 1
    if won:
        db.session.execute(update(ArenaBuzz).where(ArenaBuzz.slot_id == slot.id, ArenaBuzz.opening == slot.opening,
                                                   ArenaBuzz.contestant_id == contestant.id).values(outcome="won")
                           .execution_options(synchronize_session=False))
        db.session.refresh(slot)
        live.append(event, "buzz", {"contestant_id": contestant.id})
    return {"outcome": "won" if won else "late", "at": now, "closes_at": closes if won else None}


def choose_stake(member: Member, event: ArenaEvent, slot_id: int, stake: int) -> dict:
    """风险题: the contestant picks a stake before the question is shown."""
    contestant, slot = _playing(event, member, slot_id)
    if slot.round.kind != "risk":
        raise NotOpen("This question is not a risk question.")
    if slot.target_id != contestant.id:
        raise NotContestant("This risk question belongs to another contestant.")
    if stake not in event.settings["risk_stakes"]:
        raise Invalid(f"The stake is one of {event.settings['risk_stakes']}.", {"stake": ["not_offered"]})
    done = db.session.execute(update(ArenaSlot).where(ArenaSlot.id == slot.id, ArenaSlot.phase == "pending")
                              .values(stake=stake).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise NotOpen("The question is already open; the stake is fixed.")
    db.session.refresh(slot)
    live.append(event, "stake", {"contestant_id": contestant.id, "stake": stake})
    return {"stake": stake}


def answer(member: Member, event: ArenaEvent, slot_id: int, response, at: datetime | None = None) -> ArenaAnswer:
    """Take one answer if the question is open, the caller may answer it, and the time has not run out.

    `at`: when the server received it (an answer may wait its turn, `turns`); it is judged and scored by that
    time, and taken although the host locked the question meanwhile if it arrived before the lock."""
    contestant, slot = _playing(event, member, slot_id)
    now = at or utcnow()
    if slot.phase != "open" and not (slot.phase == "locked" and _arrived_before_lock(event, slot, now)):
        if slot.phase in ("pending", "shown"):
            raise NotOpen("The question is not open for answers.")
        raise NotOpen("The question is locked; answers are closed.")
    kind = slot.round.kind
    allowed = {"required": {slot.target_id}, "risk": {slot.target_id}, "buzz": {slot.buzz_winner_id},
               "knockout": {slot.defender_id, slot.target_id}}.get(kind)
    if allowed is not None and contestant.id not in allowed:
        reason = "Only the contestant who won the buzz answers." if kind == "buzz" else "This question is not yours."
        raise NotContestant(reason)
    if slot.closes_at is not None and now > as_utc(slot.closes_at):
        over = (now - as_utc(slot.closes_at)).total_seconds()
        raise too_late(over)
    version = db.session.get(QuestionVersion, slot.version_id)
    canonical = check_response(version, response)
    start = slot.buzzed_at if kind == "buzz" else slot.opened_at
    row = ArenaAnswer(event_id=event.id, slot_id=slot.id, opening=slot.opening, contestant_id=contestant.id,
                      member_id=member.id, response=canonical, answered_at=now, elapsed_ms=max(0, _ms(now, start)),
                      fraction=grade(version, canonical))
    _insert(row, "You (or your team) have already answered this question.")
    count = db.session.scalar(select(db.func.count(ArenaAnswer.id)).where(ArenaAnswer.slot_id == slot.id,
                                                                          ArenaAnswer.opening == slot.opening))
    live.tick_after_commit(event.id, answered={"slot_id": slot.id, "opening": slot.opening,
                                               "contestant_id": contestant.id, "count": count})
    return row


def _arrived_before_lock(event: ArenaEvent, slot: ArenaSlot, at: datetime) -> bool:
    """Whether the slot's current opening was locked by the host (not by a pass), and only after `at`."""
    if slot.passed_by_id is not None:
        return False
    lock = db.session.scalars(select(ArenaAction).where(
        ArenaAction.event_id == event.id, ArenaAction.kind == "lock", ArenaAction.undone_at.is_(None))
        .order_by(ArenaAction.id.desc()).limit(1)).first()
    if lock is None:
        return False
    before = (lock.before or {}).get("slot") or {}
    return before.get("id") == slot.id and before.get("opening") == slot.opening and at < as_utc(lock.at)


def pass_question(member: Member, event: ArenaEvent, slot_id: int) -> dict:
    """擂台: the champion passes the open question (once per round, before answering it). The question is
    locked and decides nothing; the same challenger meets the champion on the round's next question."""
    contestant, slot = _playing(event, member, slot_id)
    if slot.round.kind != "knockout":
        raise NotOpen("Only a knockout question can be passed.")
    if slot.phase != "open":
        raise NotOpen("The question is not open.")
    if contestant.id != slot.defender_id:
        raise NotContestant("Only the champion may pass.")
    now = utcnow()
    if slot.closes_at is not None and now > as_utc(slot.closes_at):
        over = (now - as_utc(slot.closes_at)).total_seconds()
        raise too_late(over)
    if any(a.contestant_id == contestant.id for a in slot_answers(slot)):
        raise NoPass("You have answered this question; it can no longer be passed.")
    if not pass_available(slot):
        raise NoPass("The champion passes at most once a round, and not on the round's last question.")
    done = db.session.execute(update(ArenaSlot).where(
        ArenaSlot.id == slot.id, ArenaSlot.phase == "open", ArenaSlot.opening == slot.opening,
        ArenaSlot.passed_by_id.is_(None)).values(passed_by_id=contestant.id, phase="locked")
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise NotOpen("The question is not open.")
    db.session.refresh(slot)
    live.append(event, "pass", {"contestant_id": contestant.id})
    return {"passed": True, "at": now}


def _insert(row, duplicate_message: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Duplicate(duplicate_message) from None
