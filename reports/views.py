"""Report pages: member report, org report with drill-down, committee packs."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor
from learning.errors import Invalid
from learning.extensions import db
from learning.models import Org
from learning.services import orgs as org_service, scope
from learning.services.pagination import Listing, page_params, sort_keys

from . import presenters
from .api import member_report_for
from .models import ReportPack
from .services.org_report import MEMBER_SORTS, build_org_report
from .services.period import make_period

bp = Blueprint("reports", __name__, template_folder="templates", static_folder="static",
               static_url_path="/reports/static")
blueprints = [bp]


MEMBER_PAGE = 50
MEMBER_SORT_LABELS = {"org": lambda: _("By organisation"), "-org": lambda: _("By organisation, reversed"),
                      "name": lambda: _("Name A–Z"), "-name": lambda: _("Name Z–A"),
                      "points": lambda: _("Fewest points first"), "-points": lambda: _("Most points first"),
                      "study": lambda: _("Least study first"), "-study": lambda: _("Most study first"),
                      "active_days": lambda: _("Fewest active days first"),
                      "-active_days": lambda: _("Most active days first"),
                      "accuracy": lambda: _("Lowest accuracy first"), "-accuracy": lambda: _("Highest accuracy first")}


def _date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("Dates are written like 2026-10-01."), {name: ["bad_date"]}) from None


def _period():
    return make_period(_date_arg("from"), _date_arg("to"))


def _linker(period):
    args = {"from": period.start.isoformat(), "to": period.end.isoformat()}

    def link(kind: str, ident) -> str:
        if kind == "org":
            return url_for("reports.org_page", org_id=ident, **args)
        return url_for("reports.member_page", member_id=ident, **args)

    return link


@bp.route("/reports")
@login_required
def index():
    """Readers land on the top org they may read; members on their own report."""
    me_ = actor()
    paths = scope.grant_paths(me_, "report.read")
    if paths:
        org = db.session.scalar(select(Org).where(Org.path == paths[0]))
        return redirect(url_for("reports.org_page", org_id=org.id))
    return redirect(url_for("reports.member_page", member_id=me_.id))


@bp.route("/reports/members/<int:member_id>")
@login_required
def member_page(member_id: int):
    """A member's report page."""
    me_ = actor()
    member = scope.require_member(me_, member_id, "report.read")
    period = _period()
    report = member_report_for(me_, member, period)
    crumbs = []
    if scope.holds(me_, "report.read", member.org):
        crumbs = [o for o in org_service.breadcrumbs(member.org) if scope.holds(me_, "report.read", o)]
    return render_template("reports/member.html", r=report, c=presenters.member_charts(report), period=period,
                           crumbs=crumbs, **presenters.helpers(_linker(period)))


@bp.route("/reports/orgs/<int:org_id>")
@login_required
def org_page(org_id: int):
    """An org's report page: every figure drills down to the rows below it."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "report.read")
    period = _period()
    params = page_params(request.args, MEMBER_SORTS, "org", per_page=MEMBER_PAGE)
    report = build_org_report(org, period, show_flags=scope.holds(me_, "report.analytics", org), viewer=me_,
                              table=params)
    table = report["member_table"]
    table_page = Listing(table["items"], table["total"], table["page"], table["per_page"], params["q"],
                         params["sort"], {"from": period.start.isoformat(), "to": period.end.isoformat(),
                                          "org_id": org.id})
    crumbs = [o for o in org_service.breadcrumbs(org) if scope.holds(me_, "report.read", o)]
    return render_template("reports/org.html", r=report, c=presenters.org_charts(report), period=period,
                           table=table_page, member_sorts=[
                               (k, MEMBER_SORT_LABELS[k]()) for k in sort_keys(MEMBER_SORTS)
                               if report["policy"]["online_time_statistics"] or k.lstrip("-") != "study"],
                           crumbs=crumbs, **presenters.helpers(_linker(period)))


@bp.route("/reports/orgs/<int:org_id>/packs")
@login_required
def packs_page(org_id: int):
    """Committee packs of an org: start one, watch its progress, download it."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "report.pack")
    packs = db.session.scalars(select(ReportPack).where(ReportPack.org_id == org.id)
                               .order_by(ReportPack.id.desc()).limit(50)).all()
    return render_template("reports/packs.html", org=org, packs=packs, period=_period(),
                           status_text=presenters.pack_status_text())
