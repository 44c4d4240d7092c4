"""Member endpoints: list, create, edit, (de)activate, transfer, history, learning records."""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import schemas as s
from ..auth import actor
from ..errors import Invalid
from ..extensions import db
from ..models import LearningRecord, Member, Org
from ..services import members as member_service, scope
from ..timeutil import as_utc
from .base import ApiBlueprint

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
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(Member.id).offset((query["page"] - 1) * query["per_page"])
                               .limit(query["per_page"])).all()
    return {"items": items, "total": total, "page": query["page"], "per_page": query["per_page"]}


@members_blp.route("")
class MemberList(MethodView):
    @members_blp.arguments(s.MemberQuerySchema, location="query")
    @members_blp.response(200, s.MemberPageSchema)
    def get(self, query):
        """Members in the caller's scope (a member sees only themself)."""
        me_ = actor()
        org = scope.require_org(me_, query["org_id"], "member.read") if query.get("org_id") else None
        return member_page(me_, query, org)

    @members_blp.arguments(s.MemberCreateSchema)
    @members_blp.response(201, s.MemberSchema)
    def post(self, data):
        """Add a member to a branch in the caller's scope; they must change the initial password."""
        me_ = actor()
        org = scope.require_org(me_, data.pop("org_id"), "member.manage")
        password = data.pop("initial_password")
        member = member_service.create_member(org, password=password, must_change_password=True,
                                              recorded_by=me_, **data)
        db.session.commit()
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
        member_service.update_member(member, **data)
        if status:
            member_service.set_status(member, status, by=me_)
        db.session.commit()
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
    db.session.commit()
    return member_service.history(member)


@members_blp.route("/<int:member_id>/history")
@members_blp.response(200, s.HistorySchema(many=True))
def member_history(member_id):
    """Where a member belonged, and when."""
    return member_service.history(scope.require_member(actor(), member_id))


@members_blp.route("/<int:member_id>/records")
@members_blp.arguments(s.PeriodQuerySchema, location="query")
@members_blp.response(200, s.RecordSchema(many=True))
def member_records(query, member_id):
    """A member's learning records, newest first, optionally between `from` and `to`."""
    member = scope.require_member(actor(), member_id, "record.read")
    start, end = (as_utc(query[k]) if query[k] else None for k in ("start", "end"))  # naive means UTC
    if start and end and start > end:
        raise Invalid(_l("'from' must not be after 'to'."), {"from": ["after_to"]})
    stmt = select(LearningRecord).where(LearningRecord.member_id == member.id)
    if start:
        stmt = stmt.where(LearningRecord.occurred_at >= start)
    if end:
        stmt = stmt.where(LearningRecord.occurred_at <= end)
    return db.session.scalars(stmt.order_by(LearningRecord.occurred_at.desc()).limit(query["limit"])).all()
