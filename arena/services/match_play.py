"""Quick matches, part two: playing. The server's clock opens and closes each question.

State changes only here, lazily: whenever a player looks at the match or answers, `advance`
brings the stored state up to the server's time (closing questions whose time is up or that
every player still in the match has answered, letting go of players unheard of for longer than
the grace period, finishing the match). Each change bumps `Match.step` with a conditional UPDATE,
so two requests advancing the same match at once cannot both apply it (`StaleMatch`: retry).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.models import Member
from learning.services.records import record
from learning.timeutil import utcnow
from quizzes.services.grading import check_response, grade

from ..models import Match, MatchAnswer, MatchPlayer, MatchQuestion
from . import rating as ratings
from .match import QUESTIONS_PER_MATCH, seconds
from .errors import Duplicate, NotOpen, too_late
from .speed import speed_points

MODE_NAMES = {"two_player": "双人对战", "four_player": "四人赛"}


class StaleMatch(Exception):
    """Another request changed the match first; reload and try again."""


class MatchOver(Conflict):
    """The match has ended: nothing more is accepted."""

    code = "match_over"


class LeftMatch(Conflict):
    """The player has left (abandoned, or away past the grace period)."""

    code = "left_match"


def require_seat(member: Member, match_id: int) -> MatchPlayer:
    """The member's seat in a match; a match they do not play in is answered as missing."""
    seat = None
    if 0 < match_id < 2 ** 63:
        seat = db.session.scalar(select(MatchPlayer).where(MatchPlayer.match_id == match_id,
                                                           MatchPlayer.member_id == member.id))
    if seat is None:
        raise NotFound("No such match.")
    return seat


def _bump(match: Match) -> None:
    """Claim the next step of the match, or raise StaleMatch if another request took it."""
    done = db.session.execute(update(Match).where(Match.id == match.id, Match.step == match.step)
                              .values(step=match.step + 1).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise StaleMatch(match.id)
    set_committed_value(match, "step", match.step + 1)


def _question(match: Match, number: int) -> MatchQuestion:
    return match.questions[number - 1]


def _answers(match: Match, number: int | None = None) -> list[MatchAnswer]:
    stmt = select(MatchAnswer).where(MatchAnswer.match_id == match.id)
    if number is not None:
        stmt = stmt.where(MatchAnswer.number == number)
    return list(db.session.scalars(stmt.order_by(MatchAnswer.id)))


def playing(match: Match) -> list[MatchPlayer]:
    """The players still in the match."""
    return [p for p in match.players if p.state == "playing"]


def advance(match: Match, now: datetime | None = None) -> None:
    """Bring the match's stored state up to the server's time `now` (see the module docstring)."""
    now = now or utcnow()
    if match.state != "running":
        return
    grace = seconds("ARENA_MATCH_GRACE_S")
    away = [p for p in playing(match) if p.last_seen_at + grace < now]
    if away:
        _bump(match)
        for p in away:
            p.state, p.left_reason, p.left_at = "abandoned", "disconnected", p.last_seen_at + grace
        db.session.flush()
    while match.state == "running":
        q = _question(match, match.current)
        active = playing(match)
        if len(active) < 2:
            _finish(match, min(now, q.closes_at))
            return
        answered = {a.player_id: a for a in _answers(match, q.number)}
        if all(p.id in answered for p in active):
            _close(match, q, max(a.answered_at for a in answered.values()))
        elif now >= q.closes_at:
            _close(match, q, q.closes_at)
        else:
            return


def _close(match: Match, q: MatchQuestion, at: datetime) -> None:
    """Close a question: count its answers, write them as learning records, open the next or finish."""
    _bump(match)
    q.closed_at = at
    players = {p.id: p for p in match.players}
    for answer in _answers(match, q.number):
        player = players[answer.player_id]
        player.score += answer.points
        player.correct += int(answer.fraction >= 1.0)
        _record_answer(match, q, player, answer)
    if q.number == QUESTIONS_PER_MATCH:
        _finish(match, at)
        return
    nxt = _question(match, q.number + 1)
    nxt.opens_at = at + seconds("ARENA_MATCH_REVEAL_S")
    nxt.closes_at = nxt.opens_at + timedelta(seconds=match.question_s)
    match.current = nxt.number
    db.session.flush()


def _record_answer(match: Match, q: MatchQuestion, player: MatchPlayer, answer: MatchAnswer) -> None:
    """The answer as a learning record, written once its question has closed for everyone."""
    version = q.version
    record(player.member, "answered", "arena_match", match.id,
           idempotency_key=f"arena:match:{match.id}:answer:{player.member_id}:{q.number}",
           object_name=MODE_NAMES[match.mode],
           result={"success": answer.fraction >= 1.0, "score": answer.points, "max_score": match.points_possible,
                   "response": answer.response, "time_s": round(answer.elapsed_ms / 1000, 3),
                   "match_id": match.id, "mode": match.mode, "number": q.number, "question_id": q.question_id,
                   "knowledge_points": list(version.knowledge_points or [])},
           duration_s=answer.elapsed_ms // 1000, occurred_at=answer.answered_at)


def placings(players: list[MatchPlayer]) -> dict[int, int]:
    """Place of each player id: those still playing by score (ties share a place), then those who left."""
    stayed = sorted((p for p in players if p.state == "playing"), key=lambda p: -p.score)
    left = sorted((p for p in players if p.state != "playing"), key=lambda p: -p.score)
    places, place, last = {}, 0, None
    for i, p in enumerate(stayed, start=1):
        if p.score != last:
            place, last = i, p.score
        places[p.id] = place
    for i, p in enumerate(left, start=len(stayed) + 1):
        places[p.id] = i  # leaving a match loses it: below everyone who stayed
    return places


def _finish(match: Match, at: datetime) -> None:
    """End the match: placings, new ratings, and each player's result as a learning record."""
    _bump(match)
    match.state, match.finished_at = "finished", at
    players = list(match.players)
    places = placings(players)
    before = [p.rating_before for p in players]
    after = ratings.new_ratings(before, [places[p.id] for p in players])
    for player, new in zip(players, after):
        player.placing = places[player.id]
        row = ratings.rating_of(player.member_id)
        row.rating = round(row.rating + (new - player.rating_before), 1)
        player.rating_after = row.rating
        row.games += 1
        row.wins += int(player.placing == 1 and player.state == "playing")
        row.updated_at = at
    db.session.flush()
    for player in players:
        _record_result(match, player, at)


def earns_points(player: MatchPlayer) -> bool:
    """A result earns points when the player stayed to the end of a match within the day's limit."""
    return player.scored and player.state == "playing"


def _record_result(match: Match, player: MatchPlayer, at: datetime) -> None:
    """The result: `submitted` on object type "arena" (the two_player/four_player rules score it) when it
    earns points, on "arena_unscored" otherwise, so no rule pays for it."""
    record(player.member, "submitted", "arena" if earns_points(player) else "arena_unscored", match.id,
           idempotency_key=f"arena:match:{match.id}:result:{player.member_id}",
           object_name=MODE_NAMES[match.mode],
           result={"mode": match.mode, "placing": player.placing, "players": len(match.players),
                   "score": player.score, "max_score": match.points_possible * QUESTIONS_PER_MATCH,
                   "correct": player.correct, "rating_before": player.rating_before,
                   "rating_after": player.rating_after, "left": player.left_reason,
                   "scored": earns_points(player)},
           duration_s=max(int((at - match.starts_at).total_seconds()), 0), occurred_at=at)


def touch(player: MatchPlayer, now: datetime | None = None) -> None:
    """Note that the server heard from a player still in the match (keeps them inside the grace period)."""
    if player.state == "playing" and player.match.state == "running":
        player.last_seen_at = now or utcnow()
        db.session.flush()


def look(player: MatchPlayer, now: datetime | None = None) -> None:
    """A player looks at the match: bring it up to time, then note them as present."""
    now = now or utcnow()
    advance(player.match, now)
    touch(player, now)


def answer(player: MatchPlayer, number: int, response, now: datetime | None = None) -> MatchAnswer:
    """Take a player's answer to question `number`, timed by the server; refused with a reason otherwise."""
    now = now or utcnow()
    match = player.match
    advance(match, now)
    if match.state != "running":
        raise MatchOver("This match has ended; answers are no longer accepted.")
    if player.state != "playing":
        raise LeftMatch("You have left this match.")
    if not 1 <= number <= QUESTIONS_PER_MATCH:
        raise Invalid(f"A match has questions 1 to {QUESTIONS_PER_MATCH}.", {"number": ["out_of_range"]})
    if db.session.scalar(select(MatchAnswer.id).where(MatchAnswer.player_id == player.id,
                                                      MatchAnswer.number == number)):
        raise Duplicate("You have already answered this question.")
    q = _question(match, number)
    if q.opens_at is None or now < q.opens_at:
        raise NotOpen("This question is not open yet.")
    if q.closed_at is not None or now >= q.closes_at:
        late = (now - q.closes_at).total_seconds()
        raise too_late(late)
    canonical = check_response(q.version, response)
    elapsed = (now - q.opens_at).total_seconds()
    fraction = grade(q.version, canonical) or 0.0
    _bump(match)
    row = MatchAnswer(match_id=match.id, player_id=player.id, number=number, response=canonical,
                      answered_at=now, elapsed_ms=int(elapsed * 1000), fraction=fraction,
                      points=speed_points(fraction, elapsed, match.question_s, match.points_possible))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Duplicate("You have already answered this question.") from None
    touch(player, now)
    advance(match, now)  # the last answer closes the question for everyone
    return row


def abandon(player: MatchPlayer, now: datetime | None = None) -> MatchPlayer:
    """The player leaves the match and loses it; leaving twice, or after the end, changes nothing."""
    now = now or utcnow()
    match = player.match
    advance(match, now)
    if match.state != "running":
        raise MatchOver("This match has ended.")
    if player.state == "playing":
        _bump(match)
        player.state, player.left_reason, player.left_at = "abandoned", "abandoned", now
        db.session.flush()
        advance(match, now)
    return player
