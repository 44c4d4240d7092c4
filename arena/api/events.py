"""Live events: build, control (host actions are POSTs), buzz, stake, answer, react, results, and the SSE
stream GET /arenas/{id}/events (resumes after `Last-Event-ID`)."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import Response, current_app, jsonify, request, session
from flask_login import current_user
from flask_smorest import Blueprint

from learning.auth import actor
from learning.authcache import auth_cache
from learning.errors import Invalid
from learning.extensions import db
from learning.schemas import PageQuerySchema
from learning.services.pagination import page_of, refuse_old_paging

from ..schemas import event as s
from ..services import audience, events, referee, results, stream
from ..services.turns import received_at
from ..services.live import public_state

arenas_blp = Blueprint("Arenas", __name__, url_prefix="/api/v1/arenas", description="Live competitions (先锋擂台)")


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def my_place(member, event) -> dict:
    """The caller's role in the event and, as a contestant, their answer to the current question."""
    contestant = events.contestant_of(event, member)
    me = {"member_id": member.id, "is_host": events.can_host(member, event),
          "contestant_id": contestant.id if contestant else None, "answer": None}
    if contestant is not None:
        slot = events.current_slot(event)
        if slot is not None:
            answer = next((a for a in referee.slot_answers(slot) if a.contestant_id == contestant.id), None)
            if answer is not None:
                me["answer"] = {"id": answer.id, "response": answer.response, "elapsed_ms": answer.elapsed_ms}
    return me


@arenas_blp.route("")
@arenas_blp.arguments(s.ArenaEventQuerySchema, location="query", error_status_code=400)
@arenas_blp.response(200, s.ArenaEventSummaryPageSchema)
def list_events(query):
    """Events the caller may see (own branch and above, in scope, or as a contestant), newest first, a page."""
    return page_of(events.events_for(actor(), status=query["status"]), query)


@arenas_blp.route("", methods=["POST"])
@arenas_blp.arguments(s.ArenaEventInSchema)
@arenas_blp.response(201, s.ArenaEventSummarySchema)
def create_event(data):
    """Build an event with its contestants, rounds and questions (a draft until started)."""
    event = events.create_event(actor(), data)
    return event


@arenas_blp.route("/<int:event_id>")
@arenas_blp.response(200, s.ArenaEventStateSchema)
def get_event(event_id):
    """The event's current state (as every screen shows it) and the caller's place in it."""
    me_ = actor()
    event = events.require_event(me_, event_id)
    return {"state": public_state(event), "me": my_place(me_, event)}


@arenas_blp.route("/<int:event_id>/contestants")
@arenas_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@arenas_blp.response(200, s.ArenaContestantPageSchema)
def list_contestants(query, event_id):
    """The contestants, with the members who play as each; a page."""
    refuse_old_paging(request.args)
    page = page_of(events.require_event(actor(), event_id).contestants, query)
    return {**page, "items": [
        {"id": c.id, "name": c.name, "member_id": c.member_id, "team_org_id": c.team_org_id, "fouls": c.fouls,
         "disqualified": c.disqualified_at is not None, "member_ids": events.contestant_member_ids(c)}
        for c in page["items"]]}


@arenas_blp.route("/<int:event_id>/control", methods=["POST"])
@arenas_blp.arguments(s.ArenaControlInSchema)
@arenas_blp.response(200, s.ArenaActionOutSchema)
def control(data, event_id):
    """A host action: start, show, open, lock, reveal, next, adjudicate, pause, resume, undo, finish."""
    me_ = actor()
    event = events.require_event(me_, event_id, host=True)
    action = referee.control(me_, event, data.pop("action"), data)
    return {"id": action.id, "kind": action.kind, "seq": event.seq, "state": public_state(event)}


@arenas_blp.route("/<int:event_id>/buzz", methods=["POST"])
@arenas_blp.arguments(s.ArenaSlotRefSchema)
@arenas_blp.response(200, s.ArenaBuzzOutSchema)
def buzz(data, event_id):
    """Press the buzzer (抢答) on the current question."""
    me_ = actor()
    event = events.require_event(me_, event_id)
    outcome = referee.buzz(me_, event, data["slot_id"])
    return outcome


@arenas_blp.route("/<int:event_id>/stakes", methods=["POST"])
@arenas_blp.arguments(s.ArenaStakeInSchema)
@arenas_blp.response(200, s.ArenaStakeOutSchema)
def stake(data, event_id):
    """Choose the stake of one's risk question (风险题) before it opens."""
    me_ = actor()
    event = events.require_event(me_, event_id)
    chosen = referee.choose_stake(me_, event, data["slot_id"], data["stake"])
    return chosen


@arenas_blp.route("/<int:event_id>/passes", methods=["POST"])
@arenas_blp.arguments(s.ArenaSlotRefSchema)
@arenas_blp.response(200, s.ArenaPassOutSchema)
def pass_question(data, event_id):
    """擂台: the champion passes the open knockout question (once a round); the duel moves to the next one."""
    me_ = actor()
    event = events.require_event(me_, event_id)
    return referee.pass_question(me_, event, data["slot_id"])


@arenas_blp.route("/<int:event_id>/answers", methods=["POST"])
@arenas_blp.arguments(s.ArenaAnswerInSchema)
@arenas_blp.response(201, s.ArenaAnswerOutSchema)
def answer(data, event_id):
    """Answer the current question; refused when it is not open, not yours, twice, or late."""
    me_ = actor()
    event = events.require_event(me_, event_id)
    row = referee.answer(me_, event, data["slot_id"], data["response"], at=received_at())
    return row


def _viewer(event_id: int, token: str | None):
    """(event, viewer key) for a member in scope, or for a guest with the event's public link."""
    if current_user.is_authenticated:
        member = actor()
        return events.require_event(member, event_id), f"m{member.id}"
    event = audience.guest_event(event_id, token)
    guest = session.get("arena_guest")
    if not guest:
        guest = session["arena_guest"] = secrets.token_hex(8)
    return event, f"g{guest}"


@arenas_blp.route("/<int:event_id>/reactions", methods=["POST"])
@arenas_blp.arguments(s.ArenaReactionInSchema)
@arenas_blp.response(200, s.ArenaReactionOutSchema)
def react(data, event_id):
    """Like or boo (点赞/拍砖) a contestant; members, and guests through the public link if allowed."""
    event, viewer = _viewer(event_id, data.get("guest_token"))
    totals = audience.react(event, viewer, data["contestant_id"], data["kind"])
    return totals


@arenas_blp.route("/<int:event_id>/events")
@arenas_blp.response(200, description="text/event-stream of state changes; each numbered event carries "
                                      "the full public state", content_type="text/event-stream")
def event_stream(event_id):
    """The live stream; after a reconnect (`Last-Event-ID`) it replays what was missed, or one snapshot.

    Opening a stream holds no database connection while it streams, and a crowd opening streams needs none
    at all once warm: the caller from the auth cache, the scope check from the hub's passes (as fresh as
    the auth cache), the first frame from the channel's cached snapshot."""
    guest = request.args.get("guest")
    app = current_app._get_current_object()
    the_hub, cache = stream.hub(app), auth_cache()
    who = f"m{current_user.id}" if current_user.is_authenticated else f"g{guest}" if guest else None
    key = f"{who}:{event_id}" if who else None
    if not the_hub.has_pass(key, cache):
        generation = cache.generation
        event, _ = _viewer(event_id, guest)
        event_id = event.id
        the_hub.grant_pass(key, cache, generation)
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    last = None
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise Invalid("Last-Event-ID is a stream number.", {"Last-Event-ID": ["not_a_number"]})
        last = int(raw)
    db.session.remove()  # a stream must not hold a connection while it waits
    generator = stream.stream(app, event_id, last)
    return Response(generator, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@arenas_blp.route("/<int:event_id>/results")
@arenas_blp.response(200, s.ArenaResultsSchema)
@arenas_blp.alt_response(200, description="?format=xlsx: the results and replay as a workbook",
                         content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def get_results(event_id):
    """The final table, winner, popularity award and replay timeline of a finished event."""
    event = events.require_event(actor(), event_id)
    if event.status != "finished":
        from learning.errors import Conflict

        raise Conflict("Results are ready once the event is finished.")
    if request.args.get("format") == "xlsx":
        return Response(results.export_xlsx(event), headers={
            "Content-Disposition": f'attachment; filename="arena-{event.id}.xlsx"'},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return _jsonable(results.results(event))
