"""Appraisal pages: my campaigns, a campaign's page (what I still have to do), the phone ballot,
the one-time-link ballot for outside participants, and the branch's results."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from learning.errors import DomainError, NotFound
from learning.extensions import db
from learning.models import Org
from learning.services import scope

from .models import BALLOT_PHASES, LEVELS, PHASES
from .services import analysis, ballots, campaigns, determination, participation, rectification

bp = Blueprint("appraisal", __name__, url_prefix="/appraisal", template_folder="templates",
               static_folder="static", static_url_path="/static")
blueprints = [bp]

PHASE_LABELS = {"study": _l("Study"), "self": _l("Self-evaluation"), "peer": _l("Peer rating"),
                "test": _l("Democratic test"), "determination": _l("Determination"),
                "publication": _l("Publication"), "followup": _l("Follow-up"), "done": _l("Done")}
TODO_LABELS = {"study": _l("Study the linked courses"), "self_evaluation": _l("Write your self-evaluation"),
               "ballot": _l("Cast your ballot"), "result": _l("Read your result"),
               "rectification": _l("Report progress on your rectification items")}


@bp.app_template_filter("appraisal_phase")
def phase_label(phase: str) -> str:
    """Jinja filter: a phase's translated name."""
    return str(PHASE_LABELS.get(phase, phase))


def _me():
    return current_user._get_current_object()


def _campaign(campaign_id: int, capability=("appraisal.take", "appraisal.read")):
    try:
        return campaigns.get_campaign(_me(), campaign_id, capability)
    except NotFound:
        abort(404)


def _ratings_from_form(subjects: list[dict]) -> list[dict]:
    """The ballot form's radio groups as ratings (missing ones are left out, so the service refuses them)."""
    out = []
    for s in subjects:
        level = request.form.get(f"level-{s['id']}")
        if level is None:
            continue
        comment = (request.form.get(f"comment-{s['id']}") or "").strip()
        out.append({"subject_id": s["id"], "level": level, "criteria": None, "comment": comment or None})
    return out


@bp.route("/")
@login_required
def index():
    """The campaigns I take part in or read, with what I still have to do."""
    me = _me()
    rows = [(c, campaigns.todo(c, me)) for c in campaigns.campaigns_for(me)]
    return render_template("appraisal/index.html", rows=rows, todo_labels=TODO_LABELS,
                           committee=scope.holds_anywhere(me, "appraisal.read"))


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@login_required
def campaign_page(campaign_id: int):
    """A campaign: phases, my to-do list, my self-evaluation, my result; for the branch, progress and results."""
    me, campaign = _me(), _campaign(campaign_id)
    org = db.session.get(Org, campaign.org_id)
    manager = scope.holds(me, "appraisal.manage", org)
    reader = scope.holds(me, "appraisal.read", org)
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "self":
                participation.submit_self(campaign, me, summary=request.form.get("summary", ""),
                                          self_level=request.form.get("self_level", ""),
                                          commitments=request.form.get("commitments", ""))
                flash(_("Your self-evaluation is saved."), "success")
            elif action == "advance" and manager:
                campaigns.advance(campaign, by=me)
                flash(_("The campaign moved on to %(phase)s.", phase=phase_label(campaign.phase)), "success")
            elif action == "objection":
                determination.object_to(campaign, me, request.form.get("text", ""), None)
                flash(_("Your objection is recorded."), "success")
            else:
                abort(400)
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
        return redirect(url_for("appraisal.campaign_page", campaign_id=campaign.id))
    context = {"campaign": campaign, "org": org, "phases": PHASES, "todo": campaigns.todo(campaign, me),
               "todo_labels": TODO_LABELS, "manager": manager, "reader": reader, "levels": LEVELS,
               "own_self": participation.own_self(campaign, me),
               "participant": campaigns.is_participant(campaign, me),
               "participation": [ballots.participation(campaign, p) for p in BALLOT_PHASES] if reader else [],
               "results": None, "analysis": None, "chart": None, "mine": None, "published": None,
               "items": rectification.progress(org) if reader else [],
               "own_items": len(rectification.items_of(campaign, me))}
    after = PHASES.index(campaign.phase) >= PHASES.index("determination")
    if reader and after:
        context["results"] = determination.results(campaign)
        context["analysis"] = analysis.analyse(campaign)
        series = {str(campaign.year): context["analysis"]["levels"]}
        if context["analysis"]["last_year"]:
            series = {str(campaign.year - 1): context["analysis"]["last_year"]["levels"], **series}
        context["chart"] = analysis.bar_chart(series)
    if PHASES.index(campaign.phase) >= PHASES.index("publication"):
        if context["participant"] and campaign.kind == "members":
            try:
                context["mine"] = determination.my_result(campaign, me)
            except DomainError:
                context["mine"] = None
        if reader or determination.in_objection_period(campaign):
            context["published"] = determination.published_list(campaign, me, reader)
    context["can_object"] = context["participant"] and determination.in_objection_period(campaign)
    return render_template("appraisal/campaign.html", **context)


@bp.route("/<int:campaign_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(campaign_id: int):
    """The secret ballot, one card per person, four large choices each (phone first)."""
    me, campaign = _me(), _campaign(campaign_id, "appraisal.take")
    status = 200
    subjects = ballots.subjects_for(campaign, me) if campaigns.is_participant(campaign, me) else []
    if request.method == "POST":
        try:
            ballots.cast(campaign, me, _ratings_from_form(subjects))
            flash(_("Your ballot is cast. Thank you."), "success")
            return redirect(url_for("appraisal.campaign_page", campaign_id=campaign.id))
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
            status = 422
    is_open = campaign.phase in BALLOT_PHASES
    voted = is_open and ballots.has_voted(campaign, me)
    return render_template("appraisal/ballot.html", campaign=campaign, subjects=subjects, levels=LEVELS,
                           is_open=is_open, voted=voted, chosen=request.form, link_token=None), status


@bp.route("/link", methods=["GET", "POST"])
def link_ballot():
    """The democratic test for an outside participant (群众代表), through a one-time link; no login."""
    token = request.values.get("token", "")
    try:
        link, campaign = ballots.link_campaign(token)
    except NotFound:
        abort(404)
    if link.used:  # refused clearly, on the page and to a second submission alike
        return render_template("appraisal/link_used.html", campaign=campaign), 409
    subjects, status = ballots.subjects_for(campaign, None), 200
    if request.method == "POST":
        try:
            ballots.cast_by_link(token, _ratings_from_form(subjects))
            return render_template("appraisal/thanks.html", campaign=campaign)
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
            status = 422
    return render_template("appraisal/ballot.html", campaign=campaign, subjects=subjects, levels=LEVELS,
                           is_open=campaign.phase == "test", voted=False, chosen=request.form,
                           link_token=token), status


def _visible(member) -> bool:
    return bool(campaigns.campaigns_for(member))


def register_ui() -> None:
    """Navigation and the home panel (called from appraisal.register)."""
    from learning.ui import register_home_panel, register_nav

    register_nav("appraisal.index", lambda: str(_l("Appraisal")), visible=_visible, order=70)
    register_home_panel("appraisal/panel_home.html", _home_panel, order=25)


def _home_panel(member) -> dict | None:
    rows = [(c, campaigns.todo(c, member)) for c in campaigns.campaigns_for(member) if c.phase != "done"]
    rows = [(c, t) for c, t in rows if t]
    return {"appraisal_rows": rows, "appraisal_todo_labels": TODO_LABELS} if rows else None


from . import views_followup  # noqa: E402,F401  (its routes join this blueprint)
