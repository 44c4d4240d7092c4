"""Member endpoints: list, create, edit, (de)activate, transfer, history, learning records."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import schemas as s
from ..auth import actor
from ..errors import Invalid
from ..models import LearningRecord, Member, Org
from ..services import activation, members as member_service, scope
from ..services.pagination import paginate, refuse_old_paging
from ..services.records import shown_result
from ..timeutil import as_utc
from .base import ApiBlueprint

RECORD_FIELDS = ("id", "member_id", "org_id", "verb", "object_type", "object_id", "object_name", "duration_s",
                 "occurred_at", "source")
members_blp = ApiBlueprint("Members", __name__, url_prefix="/api/v1/members", description="Members")


def member_page(me_: Member, query: dict, org: Org | None) -> dict:
    """One page of the members the caller may read, optionally within an org's subtree."""
    stmt = scope.scoped_members(me_, "member.read", allow_self=org is None)
    if org is not None:
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    if query.get("q"):
        like = f"%{query['q']}%"
        stmt = stmt.where(or_(Member.name.like(like), Member.username.like(like), Member.mobile.like(like)))
    if query.get("status"):
        stmt = stmt.where(Member.status == query["status"])
    return paginate(stmt.order_by(Member.id), query)


@members_blp.route("")
class MemberList(MethodView):
    @members_blp.arguments(s.MemberQuerySchema, location="query", error_status_code=400)
    @members_blp.response(200, s.MemberPageSchema)
    def get(self, query):
        """Members in the caller's scope (a member sees only themself)."""
        me_ = actor()
        org = scope.require_org(me_, query["org_id"], "member.read") if query.get("org_id") else None
        return member_page(me_, query, org)

    @members_blp.arguments(s.MemberCreateSchema)
    @members_blp.response(201, s.MemberCreateSchema)
    def post(self, data):
        """Add a member to a branch in the caller's scope; the response carries their one-time activation code."""
        me_ = actor()
        org = scope.require_org(me_, data.pop("org_id"), "member.manage")
        member = member_service.create_member(org, must_change_password=True, recorded_by=me_, **data)
        member.activation_code, member.activation_expires_at = activation.issue_code(member, me_)
        return member


@members_blp.route("/<int:member_id>")
class MemberItem(MethodView):
    @members_blp.response(200, s.MemberSchema)
    def get(self, member_id):
        """One member (oneself, or within scope)."""
        return scope.require_member(actor(), member_id)

    @members_blp.arguments(s.MemberUpdateSchema)
    @members_blp.response(200, s.MemberSchema)
    def patch(self, data, member_id):
        """Edit a member's record, or (de)activate the account (deactivation revokes its tokens)."""
        me_ = actor()
        member = scope.require_member(me_, member_id, "member.manage", allow_self=False)
        status = data.pop("status", None)
        member_service.update_member(member, by=me_, **data)
        if status:
            member_service.set_status(member, status, by=me_)
        return member


@members_blp.route("/<int:member_id>/transfer", methods=["POST"])
@members_blp.arguments(s.TransferSchema)
@members_blp.response(200, s.HistorySchema(many=True))
def transfer_member(data, member_id):
    """Transfer a member to another branch (组织关系接转); both ends must be in scope."""
    me_ = actor()
    member = scope.require_member(me_, member_id, "member.manage", allow_self=False)
    to_org = scope.require_org(me_, data["to_org_id"], "member.manage")
    member_service.transfer(member, to_org, reason=data["reason"], by=me_)
    return member_service.history(member)


@members_blp.route("/<int:member_id>/history")
@members_blp.arguments(s.PageQuerySchema, location="query", error_status_code=400)
@members_blp.response(200, s.HistoryPageSchema)
def member_history(query, member_id):
    """Where a member belonged, and when, oldest first; a page."""
    refuse_old_paging(request.args)
    return paginate(member_service.history_select(scope.require_member(actor(), member_id)), query)


@members_blp.route("/<int:member_id>/records")
@members_blp.arguments(s.RecordQuerySchema, location="query", error_status_code=400)
@members_blp.response(200, s.RecordPageSchema)
def member_records(query, member_id):
    """A member's learning records, newest first, optionally between `from` and `to`; a page (`limit` is
    refused: use page and per_page)."""
    refuse_old_paging(request.args)
    me_ = actor()
    member = scope.require_member(me_, member_id, "record.read")
    start, end = (as_utc(query[k]) if query[k] else None for k in ("start", "end"))  # naive means UTC
    if start and end and start > end:
        raise Invalid(_l("'from' must not be after 'to'."), {"from": ["after_to"]})
    stmt = select(LearningRecord).where(LearningRecord.member_id == member.id)
    if start:
        stmt = stmt.where(LearningRecord.occurred_at >= start)
    if end:
        stmt = stmt.where(LearningRecord.occurred_at <= end)
    page = paginate(stmt.order_by(LearningRecord.occurred_at.desc(), LearningRecord.id.desc()), query)
    return {**page, "items": [{c: getattr(rec, c) for c in RECORD_FIELDS} | {"result": shown_result(rec, me_)}
                              for rec in page["items"]]}


@members_blp.route("/<int:member_id>/activation-code", methods=["POST"])
@members_blp.response(201, s.ActivationIssuedSchema)
def issue_activation_code(member_id):
    """A new one-time activation code (the reset flow): the member's password, sessions and tokens end."""
    me_ = actor()
    member = scope.require_member(me_, member_id, "member.manage", allow_self=False)
    member_service.check_may_reset(me_, member)
    code, expires_at = activation.issue_code(member, me_)
    return {"member_id": member.id, "username": member.username, "name": member.name, "code": code,
            "expires_at": expires_at}
