"""Results, determinations, publication, objections, rectification and branch reviews."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from learning.auth import actor
from learning.errors import NotFound
from learning.extensions import db
from learning.models import Org
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import page_of, paginate, refuse_old_paging
from learning.timeutil import local_day, utcnow

from .. import schemas as s
from ..models import Determination, Objection, Rectification
from ..services import analysis as analysis_service, branches, exports, determination as det_service, \
    rectification as rect_service
from .campaigns import MAX_ID, TAKE_OR_READ, load

blp = Blueprint("Appraisal results", __name__, url_prefix="/api/v1",
                description="Appraisal results, determination (组织评定), publication (公示), rectification (整改)")


def _row(model, row_id: int, what: str):
    row = db.session.get(model, row_id) if row_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


@blp.route("/appraisals/<int:campaign_id>/results")
@blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@blp.response(200, s.ResultRowPageSchema)
def results(query, campaign_id):
    """Per subject side by side (after the ballots close): tally, shares, self-rating, learning figures; a page."""
    refuse_old_paging(request.args)
    return page_of(det_service.results(load(campaign_id, "appraisal.read")), query)


@blp.route("/appraisals/<int:campaign_id>/determinations")
class Determinations(MethodView):
    @blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.DeterminationPageSchema)
    def get(self, query, campaign_id):
        """The levels determined so far, with their approval state; a page."""
        refuse_old_paging(request.args)
        campaign = load(campaign_id, "appraisal.read")
        return paginate(select(Determination).where(Determination.campaign_id == campaign.id)
                        .order_by(Determination.subject_id, Determination.id), query)

    @blp.arguments(s.DeterminationsInSchema)
    @blp.response(200, s.DeterminationSchema(many=True))
    def post(self, data, campaign_id):
        """Determine levels (优秀 within the policy limit; 不合格 with a reason goes to the committee above)."""
        made = det_service.determine(load(campaign_id, "appraisal.manage"), actor(), data["items"])
        return made


@blp.route("/appraisal-determinations/<int:determination_id>/approval", methods=["POST"])
@blp.arguments(s.ApprovalInSchema)
@blp.response(200, s.DeterminationSchema)
def approve(data, determination_id):
    """The committee above approves or rejects a 不合格."""
    det = _row(Determination, determination_id, "Determination")
    load(det.campaign_id, "appraisal.read")
    det = det_service.approve(det, actor(), data["approve"], data.get("note"))
    return det


@blp.route("/appraisals/<int:campaign_id>/my-result")
@blp.response(200, s.MyResultSchema)
def my_result(campaign_id):
    """The caller's own level, privately, once published."""
    return det_service.my_result(load(campaign_id), actor())


@blp.route("/appraisals/<int:campaign_id>/published")
@blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@blp.response(200, s.PublishedPageSchema)
def published(query, campaign_id):
    """The published list (公示): for the branch during the objection period; a page."""
    refuse_old_paging(request.args)
    campaign, me = load(campaign_id, TAKE_OR_READ), actor()
    manager = scope.holds(me, "appraisal.read", db.session.get(Org, campaign.org_id))
    return page_of(det_service.published_list(campaign, me, manager), query)


@blp.route("/appraisals/<int:campaign_id>/objections")
class Objections(MethodView):
    @blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.ObjectionPageSchema)
    def get(self, query, campaign_id):
        """Objections and answers (the branch sees all; a member sees their own); a page."""
        refuse_old_paging(request.args)
        campaign, me = load(campaign_id, TAKE_OR_READ), actor()
        stmt = select(Objection).where(Objection.campaign_id == campaign.id).order_by(Objection.id)
        if not scope.holds(me, "appraisal.read", db.session.get(Org, campaign.org_id)):
            stmt = stmt.where(Objection.member_id == me.id)
        return paginate(stmt, query)

    @blp.arguments(s.ObjectionInSchema)
    @blp.response(201, s.ObjectionSchema)
    def post(self, data, campaign_id):
        """Raise an objection during the publication period."""
        made = det_service.object_to(load(campaign_id), actor(), data["text"], data.get("subject_id"))
        return made


@blp.route("/appraisal-objections/<int:objection_id>/answer", methods=["POST"])
@blp.arguments(s.ObjectionAnswerInSchema)
@blp.response(200, s.ObjectionSchema)
def answer(data, objection_id):
    """The branch answers an objection."""
    objection = _row(Objection, objection_id, "Objection")
    load(objection.campaign_id, "appraisal.manage")
    made = det_service.answer(objection, actor(), data["text"])
    return made


@blp.route("/appraisals/<int:campaign_id>/rectifications")
class Rectifications(MethodView):
    @blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.RectificationPageSchema)
    def get(self, query, campaign_id):
        """The campaign's rectification items (整改事项), by deadline; a page."""
        refuse_old_paging(request.args)
        campaign = load(campaign_id, "appraisal.read")
        return paginate(select(Rectification).where(Rectification.campaign_id == campaign.id)
                        .order_by(Rectification.deadline, Rectification.id), query)

    @blp.arguments(s.RectificationInSchema)
    @blp.response(201, s.RectificationSchema)
    def post(self, data, campaign_id):
        """Add an item: a problem found, its owner and deadline."""
        made = rect_service.create_item(load(campaign_id, "appraisal.manage"), actor(), **data)
        return made


def _item(item_id: int) -> Rectification:
    item = _row(Rectification, item_id, "Rectification item")
    me = actor()
    if me.id != item.owner_id and not scope.holds(me, "appraisal.read", db.session.get(Org, item.org_id)):
        raise NotFound("Rectification item not found.")
    item.notes = rect_service.notes(item)
    return item


@blp.route("/appraisal-rectifications/<int:item_id>")
@blp.response(200, s.RectificationSchema)
def item_detail(item_id):
    """One item with its progress notes (its owner and the branch and above)."""
    return _item(item_id)


@blp.route("/appraisal-rectifications/<int:item_id>/notes", methods=["POST"])
@blp.arguments(s.NoteInSchema)
@blp.response(201, s.NoteSchema)
def add_note(data, item_id):
    """A progress note by the owner or the branch."""
    note = rect_service.add_note(_item(item_id), actor(), data["text"])
    return note


@blp.route("/appraisal-rectifications/<int:item_id>/close", methods=["POST"])
@blp.arguments(s.EvidenceInSchema)
@blp.response(200, s.RectificationSchema)
def close_item(data, item_id):
    """Close an item with evidence of what was done."""
    item = rect_service.close_item(_item(item_id), actor(), data["evidence"])
    return item


@blp.route("/appraisals/<int:campaign_id>/branch-reviews", methods=["POST"])
@blp.arguments(s.BranchReviewInSchema)
@blp.response(201, s.BranchReviewSchema)
def review_branch(data, campaign_id):
    """The committee rates one branch on the branch criteria (组织生活, 学习教育, 作用发挥, 作风建设)."""
    review = branches.review_branch(load(campaign_id, "appraisal.manage"), actor(), data["branch_id"],
                                    data["scores"], data.get("comment"))
    return review


@blp.route("/appraisals/<int:campaign_id>/analysis")
@blp.response(200, s.AnalysisSchema)
def analysis(campaign_id):
    """Aggregates only: level distribution, agreement, self against peers, outlier patterns (counted), last year."""
    return analysis_service.analyse(load(campaign_id, "appraisal.read"))


@blp.route("/appraisals/<int:campaign_id>/export")
@blp.arguments(s.ExportQuerySchema, location="query")
@blp.response(200, description="XLSX tallies or the PDF determination sheet")
def export(query, campaign_id):
    """The campaign's tallies (`format=xlsx`) or its determination sheet (`format=pdf`, in Chinese)."""
    campaign = load(campaign_id, "appraisal.read")
    if query["format"] == "xlsx":
        return _file(exports.tallies_xlsx(campaign), XLSX, f"appraisal-{campaign.id}.xlsx")
    return _file(exports.determination_pdf(campaign), "application/pdf", f"appraisal-{campaign.id}.pdf")


@blp.route("/orgs/<int:org_id>/appraisal-overview")
@blp.arguments(s.OverviewQuerySchema, location="query", error_status_code=400)
@blp.response(200, s.OverviewRowPageSchema)
def overview(query, org_id):
    """The committee's view: every campaign of the year below it, participation by phase, levels; a page of
    campaigns (`format=xlsx`: the whole year in one workbook, unpaged)."""
    refuse_old_paging(request.args)
    if org_id > MAX_ID:
        raise NotFound("Organisation not found.")
    org = scope.require_org(actor(), org_id, "appraisal.read")
    year = query["year"] or local_day(utcnow()).year
    if query["format"] == "xlsx":
        return _file(exports.overview_xlsx(exports.overview(org, year)), XLSX, f"appraisal-overview-{org.id}.xlsx")
    page = paginate(exports.overview_select(org, year), query)
    return {**page, "items": exports.overview_rows(page["items"])}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
