"""Quick-match endpoints: search, poll, play, leave; the caller's matches and rating (issue 12, point 5).

Players follow a match by polling `GET /arena/matches/{id}` about once a second: each poll
brings the match up to the server's time and tells the server the player is still there.
"""
from __future__ import annotations

from flask_smorest import Blueprint

from learning.auth import actor
from learning.extensions import db
from learning.schemas import PageQuerySchema
from learning.services.pagination import paginate

from ..services import match as search, match_play as play, match_state as state
from . import match_schemas as s

matches_blp = Blueprint("ArenaMatches", __name__, url_prefix="/api/v1/arena",
                        description="Quick matches (双人对战 / 四人赛)")
my_matches_blp = Blueprint("MyArenaMatches", __name__, url_prefix="/api/v1/me/arena",
                           description="The caller's quick matches and rating")
RETRIES = 5


def _retrying(act):
    """Run `act`; when another request changed the match first, roll back and start again from fresh rows
    (the request's unit of work commits what the successful run wrote)."""
    for attempt in range(RETRIES):
        try:
            return act()
        except play.StaleMatch:
            db.session.rollback()
            if attempt == RETRIES - 1:
                raise
    return None


@matches_blp.route("/match-tickets", methods=["POST"])
@matches_blp.arguments(s.MatchSearchInSchema)
@matches_blp.response(201, s.MatchTicketSchema)
def start_search(data):
    """Search for a two- or four-player match with members of a similar rating."""
    me_ = actor()
    return _retrying(lambda: state.ticket_view(search.start_search(me_, data["mode"])))


@matches_blp.route("/match-tickets/<int:ticket_id>")
@matches_blp.response(200, s.MatchTicketSchema)
def poll_search(ticket_id):
    """The search now: still waiting (and trying again), matched (with the match id), or ended."""
    me_ = actor()
    return _retrying(lambda: state.ticket_view(search.poll_search(search.require_ticket(me_, ticket_id))))


@matches_blp.route("/match-tickets/<int:ticket_id>", methods=["DELETE"])
@matches_blp.response(200, s.MatchTicketSchema)
def cancel_search(ticket_id):
    """Stop searching."""
    me_ = actor()
    return _retrying(lambda: state.ticket_view(search.cancel_search(search.require_ticket(me_, ticket_id))))


def _look(ticket_me, match_id):
    seat = play.require_seat(ticket_me, match_id)
    play.look(seat)
    return state.match_view(seat)


@matches_blp.route("/matches/<int:match_id>")
@matches_blp.response(200, s.MatchSchema)
def get_match(match_id):
    """The match as the caller sees it now (players poll this; it also keeps them in the match)."""
    me_ = actor()
    return _retrying(lambda: _look(me_, match_id))


@matches_blp.route("/matches/<int:match_id>/answers", methods=["POST"])
@matches_blp.arguments(s.MatchAnswerInSchema)
@matches_blp.response(201, s.MatchAnswerOutSchema)
def post_answer(data, match_id):
    """Answer the open question; the server's clock times it, late or repeated answers are refused."""
    me_ = actor()

    def act():
        row = play.answer(play.require_seat(me_, match_id), data["number"], data["response"])
        return {"number": row.number, "accepted": True, "elapsed_ms": row.elapsed_ms}

    return _retrying(act)


@matches_blp.route("/matches/<int:match_id>/abandon", methods=["POST"])
@matches_blp.response(200, s.MatchSchema)
def abandon(match_id):
    """Leave the match: it counts as lost."""
    me_ = actor()

    def act():
        seat = play.abandon(play.require_seat(me_, match_id))
        return state.match_view(seat)

    return _retrying(act)


@my_matches_blp.route("/matches")
@my_matches_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@my_matches_blp.response(200, s.MatchMyMatchesSchema)
def my_matches(query):
    """A page of the caller's finished matches, newest first, and their rating."""
    me_ = actor()
    page = paginate(state.finished_seats(me_), query)
    return {**page, "items": [state.history_row(seat) for seat in page["items"]], "rating": state.rating_view(me_)}


blueprints = [matches_blp, my_matches_blp]
