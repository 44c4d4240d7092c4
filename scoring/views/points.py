"""Pages: my points (balance, today's progress, history), rankings, rules admin."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import DomainError, Invalid
from learning.extensions import db
from learning.fields import db_int
from learning.services import scope

from ..models import RULE_KINDS, PointsRule
from ..services import queries, rankings as ranking_service, rules
from learning.services.period import KINDS as PERIOD_KINDS, from_query
from ..services.presets import PRESETS
from . import bp
from .common import arg_date, chosen_org, flash_error

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def home_panel(member) -> dict:
    """Today's points on the home page."""
    today = queries.today_progress(member)
    return {"today": today}


def _period_from_args(default: str | None):
    return from_query(request.args, default)


@bp.route("/points")
@login_required
def my_points():
    """My points: balance, today's progress per rule against its cap, history with reasons."""
    member = actor()
    error = None
    try:
        period = _period_from_args(None)
    except DomainError as exc:
        error, period = _(exc.message), None
    page = max(1, request.args.get("page", 1, type=db_int))
    history = queries.history(member, period, limit=30, offset=(page - 1) * 30)
    status = 422 if error else 200
    return render_template("scoring/my_points.html", today=queries.today_progress(member), history=history,
                           period=period, periods=PERIOD_KINDS, error=error, page=page,
                           pager_args={k: v for k, v in request.args.items() if k != "page"}), status


@bp.route("/rankings")
@login_required
def rankings():
    """Rankings of members or branches, with the fairness method explained."""
    org, options = chosen_org("ranking.read")
    if org is None:
        abort(404)
    of = request.args.get("of", "members")
    error = board = None
    try:
        period = _period_from_args("month")
        if of == "branches":
            board = ranking_service.branch_ranking(actor(), org, period)
        else:
            board = ranking_service.member_ranking(actor(), org, period, per_page=100)
    except DomainError as exc:
        error, period = _(exc.message), None
    return render_template("scoring/rankings.html", org=org, options=options, of=of, board=board,
                           period=period, periods=PERIOD_KINDS, error=error), (422 if error and not board else 200)


@bp.route("/points/rules", methods=["GET", "POST"])
@login_required
def rules_admin():
    """Rules in force at an org; admins add rules, apply presets and change rules (new versions)."""
    org, options = chosen_org("org.read")
    if org is None:
        abort(404)
    can_manage = scope.holds(actor(), "rules.manage", org)
    if request.method == "POST":
        if not can_manage:
            abort(403)
        try:
            action = request.form.get("action")
            if action == "preset":
                made = rules.apply_preset(org, request.form.get("preset", ""), by=actor())
                flash(_("%(n)d rules added.", n=len(made)), "success")
            elif action in ("create", "change"):
                data = _rule_form(request.form)
                if action == "create":
                    rules.create_rule(org, data, by=actor())
                else:
                    rule = db.session.get(PointsRule, request.form.get("rule_id", type=db_int))
                    if rule is None or rule.org_id != org.id:
                        abort(404)
                    data.pop("code", None)
                    rules.change_rule(rule, data, by=actor(), effective_from=_when(request.form.get("effective_from")))
                flash(_("The rule was saved."), "success")
            return redirect(url_for("scoring_views.rules_admin", org=org.id))
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
            return render_template("scoring/rules.html", org=org, options=options, can_manage=can_manage,
                                   rules=rules.rules_in_force(org, include_disabled=True), presets=PRESETS,
                                   kinds=RULE_KINDS, weekdays=WEEKDAYS, form=request.form), 422
    return render_template("scoring/rules.html", org=org, options=options, can_manage=can_manage,
                           rules=rules.rules_in_force(org, include_disabled=True), presets=PRESETS,
                           kinds=RULE_KINDS, weekdays=WEEKDAYS, form={})


def _when(value):
    from datetime import datetime

    from learning.timeutil import LOCAL_TZ

    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise DomainError("Not a valid time.") from None


def _int(value):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return db_int(value)
    except ValueError:
        raise Invalid("Numbers only, please.", {"number": [value]}) from None


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for part in (text or "").replace("，", ",").split(","):
        if part.strip():
            if ":" not in part:
                raise Invalid("Write pairs as key:value, separated by commas.", {"pairs": [part.strip()]})
            k, v = part.split(":", 1)
            out.append((k.strip(), v.strip()))
    return out


def _rule_form(form) -> dict:
    """A rule definition from the admin form."""
    data = {"code": (form.get("code") or "").strip(), "name": form.get("name", ""), "kind": form.get("kind"),
            "verb": (form.get("verb") or "").strip(), "object_type": (form.get("object_type") or "").strip(),
            "points": _int(form.get("points")) or 0, "minutes": _int(form.get("minutes")),
            "daily_cap": _int(form.get("daily_cap")), "weekly_cap": _int(form.get("weekly_cap")),
            "enabled": form.get("enabled", "on") == "on"}
    if form.get("match_field") and form.get("match_values"):
        data["match"] = {form["match_field"].strip(): [v.strip() for v in form["match_values"].replace("，", ",")
                                                       .split(",") if v.strip()]}
    if form.get("bands"):
        try:
            data["bands"] = [{"min": float(k), "points": int(v)} for k, v in _pairs(form["bands"])]
        except ValueError:
            raise Invalid("Bands are written as score:points, e.g. 0.9:10, 0.6:5.",
                                {"bands": ["format"]}) from None
    if form.get("placings"):
        try:
            data["placings"] = {k: int(v) for k, v in _pairs(form["placings"])}
        except ValueError:
            raise Invalid("Placings are written as place:points, e.g. 1:3, 2:2, *:1.",
                                {"placings": ["format"]}) from None
    days = [int(d) for d in form.getlist("days") if d.isdigit()]
    if days and len(days) < 7 or form.get("start") or form.get("end"):
        window = {"days": days or list(range(7))}
        if form.get("start"):
            window["start"] = form["start"]
        if form.get("end"):
            window["end"] = form["end"]
        data["schedule"] = [window]
    return data
