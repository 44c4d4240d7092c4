"""JSON API of reports: member and org reports (JSON, PDF, XLSX), dashboards, packs, analytics."""
from __future__ import annotations

import io

from flask import request, send_file, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from learning.auth import actor
from learning.errors import NotFound
from learning.extensions import db
from learning.models import Member
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import BadListParameter, paginate, refuse_old_paging
from learning.uow import commit_before_handoff

from . import schemas as s
from .analytics import store
from .models import ReportPack
from .services.member_report import build_member_report, rank_visible
from .services.org_report import build_dashboard, build_org_report, member_table, report_policy
from .services.packs import create_pack, pack_file
from .services.period import make_period

blp = Blueprint("api-reports", __name__, url_prefix="/api/v1", description="Reports, dashboards, packs, analytics")
blueprints = [blp]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(data: bytes, fmt: str, name: str):
    mimetype = "application/pdf" if fmt == "pdf" else XLSX
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{name}.{fmt}")


def member_report_for(viewer: Member, member: Member, period) -> dict:
    """A member's report as the viewer may see it: rank by policy, flags for readers only."""
    is_reader = viewer.id != member.id and scope.holds(viewer, "report.read", member.org)
    show_flags = scope.holds(viewer, "report.analytics", member.org)
    return build_member_report(member, period, show_rank=rank_visible(viewer, member, is_reader),
                               show_flags=show_flags, viewer=viewer)


@blp.route("/members/<int:member_id>/report")
@blp.arguments(s.ReportQuerySchema, location="query")
@blp.response(200, s.MemberReportSchema)
def member_report(query, member_id):
    """A member's learning and examination evaluation report (own report, or within scope); ?format=pdf|xlsx."""
    me_ = actor()
    member = scope.require_member(me_, member_id, "report.read")
    period = make_period(query["start"], query["end"])
    report = member_report_for(me_, member, period)
    name = f"{member.name}-{period.start}-{period.end}"
    if query["format"] == "pdf":
        from .exports.pdf import render_pdf

        return _file(render_pdf(title=member.name, org_name=member.org.name, period=period,
                                member_reports=[report]), "pdf", name)
    if query["format"] == "xlsx":
        from .exports.xlsx import member_workbook

        return _file(member_workbook(report), "xlsx", name)
    return report


def _with_links(report: dict) -> dict:
    for child in report.get("children", []):
        child["url"] = url_for("api-reports.org_report", org_id=child["id"])
    for row in report.get("members", []) + report.get("attention", []):
        row["url"] = url_for("api-reports.member_report", member_id=row["id"])
    return report


@blp.route("/orgs/<int:org_id>/report")
@blp.arguments(s.ReportQuerySchema, location="query")
@blp.response(200, s.OrgReportSchema)
def org_report(query, org_id):
    """An org's report: figures, trend, children, weak points, members and who needs attention; ?format=pdf|xlsx."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "report.read")
    period = make_period(query["start"], query["end"])
    report = build_org_report(org, period, show_flags=scope.holds(me_, "report.analytics", org), viewer=me_)
    if query["format"] != "json":
        return _org_file(org, period, report, query["format"])
    return _with_links(report)


@blp.route("/orgs/<int:org_id>/report/members")
@blp.arguments(s.MemberTableQuerySchema, location="query", error_status_code=400)
@blp.response(200, s.MemberTablePageSchema)
def org_report_members(query, org_id):
    """The org report's member table, one page at a time: ?page&per_page&q (name)&sort (org, name, points,
    study, active_days, accuracy; `-` for descending) and the report's from/to."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "report.read")
    period = make_period(query["start"], query["end"])
    policy = report_policy(org)
    if not policy["online_time_statistics"] and query["sort"].lstrip("-") == "study":
        raise BadListParameter("This list cannot be sorted that way.", {"sort": ["study_time_not_compared"]})
    table = member_table(org, period, query)
    for row in table["items"]:
        row["url"] = url_for("api-reports.member_report", member_id=row["id"])
        if not policy["online_time_statistics"]:
            row["study_seconds"] = None
    return table


def _org_file(org, period, report: dict, fmt: str):
    name = f"{org.name}-{period.start}-{period.end}"
    if fmt == "pdf":
        from .exports.pdf import render_pdf

        return _file(render_pdf(title=org.name, org_name=org.name, period=period, org_report=report), "pdf", name)
    from .exports.xlsx import org_workbook

    return _file(org_workbook(report), "xlsx", name)


@blp.route("/orgs/<int:org_id>/dashboard")
@blp.arguments(s.ReportQuerySchema, location="query")
@blp.response(200, s.DashboardSchema)
def org_dashboard(query, org_id):
    """The dashboard's headline figures, trend and children side by side; ?format=pdf|xlsx gives the report."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "report.read")
    period = make_period(query["start"], query["end"])
    if query["format"] != "json":
        report = build_org_report(org, period, show_flags=scope.holds(me_, "report.analytics", org), viewer=me_)
        return _org_file(org, period, report, query["format"])
    report = build_dashboard(org, period, me_)
    return _with_links(report)


def _pack_out(pack: ReportPack) -> ReportPack:
    pack.url = url_for("api-reports.pack_item", pack_id=pack.id)
    pack.file_url = url_for("api-reports.pack_file", pack_id=pack.id) if pack.status == "done" else None
    return pack


@blp.route("/orgs/<int:org_id>/report-packs")
class PackList(MethodView):
    @blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.PackPageSchema)
    def get(self, query, org_id):
        """Packs made for an org, newest first, a page."""
        org = scope.require_org(actor(), org_id, "report.pack")
        page = paginate(db.select(ReportPack).where(ReportPack.org_id == org.id).order_by(ReportPack.id.desc()), query)
        return {**page, "items": [_pack_out(p) for p in page["items"]]}

    @blp.arguments(s.PeriodBodySchema)
    @blp.response(202, s.PackSchema)
    def post(self, data, org_id):
        """Start a pack (every branch, every member) for a period on the `reports` queue."""
        from .tasks import build_pack

        me_ = actor()
        org = scope.require_org(me_, org_id, "report.pack")
        pack = create_pack(org, make_period(data["start"], data["end"]), by=me_)
        commit_before_handoff()
        build_pack.delay(pack.id)
        db.session.refresh(pack)
        return _pack_out(pack)


def _pack(pack_id: int) -> ReportPack:
    pack = db.session.get(ReportPack, pack_id)
    if pack is None:
        raise NotFound("Pack not found.")
    scope.require_org(actor(), pack.org_id, "report.pack")
    return pack


@blp.route("/report-packs/<int:pack_id>")
@blp.response(200, s.PackSchema)
def pack_item(pack_id):
    """A pack's state and progress."""
    return _pack_out(_pack(pack_id))


@blp.route("/report-packs/<int:pack_id>/file", endpoint="pack_file")
@blp.response(200)
def pack_file_download(pack_id):
    """The finished pack as a zip file."""
    pack = _pack(pack_id)
    path = pack_file(pack)
    if path is None:
        raise NotFound("The pack has no file yet.")
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=path.name)


@blp.route("/orgs/<int:org_id>/analytics")
@blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@blp.response(200, s.ModelPageSchema)
def analytics_models(query, org_id):
    """Every analytics model version trained for this org, with its evaluation, newest first; a page."""
    refuse_old_paging(request.args)
    return paginate(store.history_select(scope.require_org(actor(), org_id, "report.analytics")), query)


@blp.route("/orgs/<int:org_id>/analytics/train", methods=["POST"])
@blp.response(202, s.TrainResultSchema)
def analytics_train(org_id):
    """Queue training of new model versions for this org on the `reports` queue."""
    from .tasks import train_models

    org = scope.require_org(actor(), org_id, "report.pack")
    train_models.delay(org.id)
    return {"org_id": org.id, "queued": True}
