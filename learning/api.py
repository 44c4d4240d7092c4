"""JSON API of the core package: auth, orgs, members, policy, records (DESIGN §7)."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_login import login_user, logout_user
from flask_smorest import Blueprint
from sqlalchemy import func, or_, select

from . import schemas as s
from .auth import actor
from .errors import Invalid, NotFound
from .extensions import db, limiter
from .models import LearningRecord, Member, Org
from .services import accounts, members as member_service, orgs as org_service, policy as policy_service, scope

auth_blp = Blueprint("Auth", __name__, url_prefix="/api/v1", description="Login, tokens and the caller")
orgs_blp = Blueprint("Orgs", __name__, url_prefix="/api/v1/orgs", description="The org tree")
members_blp = Blueprint("Members", __name__, url_prefix="/api/v1/members", description="Members")
blueprints = [auth_blp, orgs_blp, members_blp]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_key() -> str:
    data = request.get_json(silent=True)
    who = data.get("username", "") if isinstance(data, dict) else ""
    return f"{request.remote_addr}|{str(who).strip().lower()}"


@auth_blp.route("/auth/login", methods=["POST"])
@limiter.limit(_login_limit, key_func=_login_key)
@auth_blp.arguments(s.LoginSchema)
@auth_blp.response(200, s.TokenSchema)
def login(data):
    """Exchange username (or mobile) and password for a bearer token."""
    member = accounts.authenticate(data["username"], data["password"])
    token, row = accounts.issue_token(member)
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at, "must_change_password": member.must_change_password}


@auth_blp.route("/auth/logout", methods=["POST"])
@auth_blp.response(204)
def logout():
    """Revoke the bearer token used for this call, or end the cookie session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        accounts.revoke_token(header[7:].strip())
        db.session.commit()
    logout_user()


@auth_blp.route("/me", methods=["GET"])
@auth_blp.response(200, s.MeSchema)
def me():
    """The calling member with their roles."""
    return actor()


@auth_blp.route("/me/password", methods=["POST"])
@auth_blp.arguments(s.PasswordChangeSchema)
@auth_blp.response(204)
def change_password(data):
    """Replace one's password (required first for imported accounts)."""
    member = actor()
    accounts.authenticate(member.username, data["current_password"])
    if data["new_password"] == data["current_password"]:
        raise Invalid("The new password must differ from the current one.", {"new_password": ["unchanged"]})
    accounts.set_password(member, data["new_password"])
    db.session.commit()


@orgs_blp.route("")
class OrgList(MethodView):
    @orgs_blp.response(200, s.OrgSchema(many=True))
    def get(self):
        """Orgs in the caller's scope, top-down."""
        me_ = actor()
        return db.session.scalars(scope.scoped_orgs(me_, "org.read").order_by(Org.path)).all()

    @orgs_blp.arguments(s.OrgSchema)
    @orgs_blp.response(201, s.OrgSchema)
    def post(self, data):
        """Create an org under a parent in the caller's admin scope."""
        me_ = actor()
        if data["parent_id"] is None:
            raise Invalid("A new organisation needs a parent.", {"parent_id": ["required"]})
        parent = scope.require_org(me_, data["parent_id"], "org.manage")
        org = org_service.create_org(data["name"], data["kind"], parent)
        db.session.commit()
        return org


@orgs_blp.route("/<int:org_id>")
class OrgItem(MethodView):
    @orgs_blp.response(200, s.OrgSchema)
    def get(self, org_id):
        """One org."""
        return scope.require_org(actor(), org_id, "org.read")

    @orgs_blp.arguments(s.OrgUpdateSchema)
    @orgs_blp.response(200, s.OrgSchema)
    def patch(self, data, org_id):
        """Rename an org and/or move it with its subtree under another parent."""
        me_ = actor()
        org = scope.require_org(me_, org_id, "org.manage")
        if "name" in data:
            org_service.rename_org(org, data["name"])
        if "parent_id" in data and data["parent_id"] != org.parent_id:
            if org.parent_id is None or not scope.holds(me_, "org.manage", db.session.get(Org, org.parent_id)):
                raise Invalid("Only an admin above this organisation can move it.", {"parent_id": ["scope"]})
            org = org_service.move_org(org, scope.require_org(me_, data["parent_id"], "org.manage"))
        db.session.commit()
        return org

    @orgs_blp.response(200, s.OrgSchema)
    def delete(self, org_id):
        """Close an org (refused while it has members)."""
        org = org_service.close_org(scope.require_org(actor(), org_id, "org.manage"))
        db.session.commit()
        return org


@orgs_blp.route("/<int:org_id>/children")
@orgs_blp.response(200, s.OrgSchema(many=True))
def org_children(org_id):
    """Direct children of an org."""
    return org_service.children(scope.require_org(actor(), org_id, "org.read"))


@orgs_blp.route("/<int:org_id>/members")
@orgs_blp.arguments(s.MemberQuerySchema, location="query")
@orgs_blp.response(200, s.MemberPageSchema)
def org_members(query, org_id):
    """Members of an org's subtree, searchable and paginated."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "member.read")
    return _member_page(me_, query, org)


def _member_page(me_: Member, query: dict, org: Org | None) -> dict:
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
        return _member_page(me_, query, org)

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
        """Edit a member's record, or (de)activate the account."""
        member = scope.require_member(actor(), member_id, "member.manage", allow_self=False)
        status = data.pop("status", None)
        member_service.update_member(member, **data)
        if status:
            member_service.set_status(member, status)
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
    """A member's learning records, newest first."""
    member = scope.require_member(actor(), member_id, "record.read")
    if query["start"] and query["end"] and query["start"] > query["end"]:
        raise Invalid("'from' must not be after 'to'.", {"from": ["after_to"]})
    stmt = select(LearningRecord).where(LearningRecord.member_id == member.id)
    if query["start"]:
        stmt = stmt.where(LearningRecord.occurred_at >= query["start"])
    if query["end"]:
        stmt = stmt.where(LearningRecord.occurred_at <= query["end"])
    return db.session.scalars(stmt.order_by(LearningRecord.occurred_at.desc()).limit(query["limit"])).all()
