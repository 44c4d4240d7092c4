"""Pages of the daily check-in (签到): the home prompt, the check-in itself, and who has not checked in.
All of it exists only where the org's policy turns check-in on (scoring.services.checkin)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.timeutil import local_day, utcnow

from ..services import checkin
from . import bp
from .common import chosen_org


def checkin_panel(member) -> dict | None:
    """The home prompt: only where check-in is on and the member has not checked in today."""
    state = checkin.status(member)
    return {"checkin": state} if state["enabled"] and not state["checked_in"] else None


@bp.route("/checkin", methods=["POST"])
@login_required
def check_in():
    """Check in for today (the form on the home prompt)."""
    checkin.check_in(actor())
    flash(_("Checked in for today."), "success")
    return redirect(url_for("views.home"))


@bp.route("/checkins/missing")
@login_required
def missing_checkins():
    """Who in an org has not checked in today (organisers; only where check-in is on)."""
    org, options = chosen_org("checkin.read")
    if org is None:
        abort(404)
    day = local_day(utcnow())
    members = checkin.not_checked_in(org, day)
    return render_template("scoring/checkins_missing.html", org=org, options=options, day=day, members=members)
