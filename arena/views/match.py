"""Quick-match pages (phone first): start, search and play (driven by static/match.js), history and rating."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import NotFound

from ..models import MATCH_MODES
from ..services import match_play as play, match_state as state

match_bp = Blueprint("arena_match", __name__, url_prefix="/arena/matches", template_folder="../templates",
                     static_folder="../static", static_url_path="/static")

MODE_LABELS = {"two_player": "2-player match", "four_player": "4-player match"}


@match_bp.app_template_filter("match_mode")
def match_mode_filter(mode: str) -> str:
    """Jinja filter: a match mode's translated name."""
    return _(MODE_LABELS.get(mode, mode))


@match_bp.route("/")
@login_required
def index():
    """Start a match, see my rating and my past matches."""
    me_ = actor()
    return render_template("arena/match_index.html", rating=state.rating_view(me_), history=state.history(me_),
                           modes=list(MATCH_MODES))


@match_bp.route("/search")
@login_required
def search():
    """The waiting page: searches for opponents, then moves to the match."""
    mode = request.args.get("mode", "")
    if mode not in MATCH_MODES:
        abort(404)
    return render_template("arena/match_play.html", mode=mode, match_id=None)


@match_bp.route("/<int:match_id>")
@login_required
def match_page(match_id: int):
    """A match: the question with its countdown while it runs, the result once it is over."""
    try:
        seat = play.require_seat(actor(), match_id)
    except NotFound:
        abort(404)
    view = state.match_view(seat) if seat.match.state == "finished" else None
    return render_template("arena/match_play.html", mode=seat.match.mode, match_id=match_id, finished=view)


def home_panel(member) -> dict | None:
    """The home page panel: my rating and a way into a match."""
    return {"rating": state.rating_view(member), "url": url_for("arena_match.index")}
