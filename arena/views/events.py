"""Live-event pages: the list, the host console (PC), the big screen (projector, 1920×1080), the contestant
page (phone), the audience page (members, or guests through the public link) and the results with replay.

The pages are shells: static/live.js fills them from the SSE stream, so every screen shows the same state.
"""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import login_required

from learning.auth import actor
from learning.errors import NotFound
from learning.extensions import db

from ..services import audience, events, results
from ..services.live import public_state
from . import bp


def _event_or_404(event_id: int, host: bool = False):
    try:
        return events.require_event(actor(), event_id, host=host)
    except NotFound:
        abort(404)


def _links(event) -> dict:
    links = {"screen": url_for("arena_views.screen", event_id=event.id),
             "watch": url_for("arena_views.watch", event_id=event.id),
             "results": url_for("arena_views.results_page", event_id=event.id)}
    if event.allow_guests and event.guest_token:
        links["guest"] = url_for("arena_views.guest", event_id=event.id, token=event.guest_token, _external=True)
    return links


@bp.route("/arena/")
@login_required
def index():
    """Events the member may see, with the screens they may open."""
    me = actor()
    rows = []
    for event in events.events_for(me):
        rows.append({"event": event, "host": events.can_host(me, event),
                     "playing": events.contestant_of(event, me) is not None, "links": _links(event)})
    return render_template("arena/index.html", rows=rows)


def _live_page(template: str, event, role: str, **extra):
    return render_template(template, event=event, role=role, links=_links(event),
                           stream_url=url_for("Arenas.event_stream", event_id=event.id),
                           api_url=url_for("Arenas.get_event", event_id=event.id), **extra)


@bp.route("/arena/<int:event_id>/host")
@login_required
def host(event_id):
    """The host console: open, lock, reveal, next, rulings, undo, pause."""
    event = _event_or_404(event_id, host=True)
    return _live_page("arena/host.html", event, "host")


@bp.route("/arena/<int:event_id>/screen")
@login_required
def screen(event_id):
    """The big screen for the projector."""
    return _live_page("arena/screen.html", _event_or_404(event_id), "screen")


@bp.route("/arena/<int:event_id>/play")
@login_required
def play(event_id):
    """The contestant's phone: buzzer, answers, own score."""
    event = _event_or_404(event_id)
    if events.contestant_of(event, actor()) is None:
        return _live_page("arena/watch.html", event, "audience")
    return _live_page("arena/play.html", event, "contestant")


@bp.route("/arena/<int:event_id>/watch")
@login_required
def watch(event_id):
    """The audience page: follow the contest and like or boo."""
    return _live_page("arena/watch.html", _event_or_404(event_id), "audience")


@bp.route("/arena/guest/<int:event_id>/<token>")
def guest(event_id, token):
    """The audience page for guests through the host's public link (when the host allows guests)."""
    try:
        event = audience.guest_event(event_id, token)
    except NotFound:
        abort(404)
    return render_template("arena/watch.html", event=event, role="guest", links={}, guest_token=token,
                           stream_url=url_for("Arenas.event_stream", event_id=event.id, guest=token), api_url="")


@bp.route("/arena/<int:event_id>/results")
@login_required
def results_page(event_id):
    """Final table, winner, popularity award and the replay timeline."""
    event = _event_or_404(event_id)
    if event.status != "finished":
        return render_template("arena/results.html", event=event, data=None, state=public_state(event),
                               links=_links(event))
    data = results.results(event)
    names = {row["id"]: row["name"] for row in data["scoreboard"]}
    db.session.rollback()
    return render_template("arena/results.html", event=event, data=data, names=names, links=_links(event),
                           xlsx=url_for("Arenas.get_results", event_id=event.id, format="xlsx"),
                           lang=request.args.get("lang"))
