"""Org tree endpoints: list, create, rename, move, close, children, subtree, members."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from .. import schemas as s
from ..auth import actor
from ..errors import Invalid
from ..extensions import db
from ..models import Org
from ..services import orgs as org_service, scope
from ..services.pagination import paginate, refuse_old_paging
from .base import ApiBlueprint
from .members import member_page

orgs_blp = ApiBlueprint("Orgs", __name__, url_prefix="/api/v1/orgs", description="The org tree")


@orgs_blp.route("")
class OrgList(MethodView):
    @orgs_blp.arguments(s.PageQuerySchema, location="query", error_status_code=400)
    @orgs_blp.response(200, s.OrgPageSchema)
    def get(self, query):
        """Orgs in the caller's scope, top-down; a page."""
        refuse_old_paging(request.args)
        return paginate(scope.scoped_orgs(actor(), "org.read").order_by(Org.path, Org.id), query)

    @orgs_blp.arguments(s.OrgSchema)
    @orgs_blp.response(201, s.OrgSchema)
    def post(self, data):
        """Create an org under a parent in the caller's admin scope."""
        if data["parent_id"] is None:
            raise Invalid(_l("A new organisation needs a parent."), {"parent_id": ["required"]})
        parent = scope.require_org(actor(), data["parent_id"], "org.manage")
        org = org_service.create_org(data["name"], data["kind"], parent)
        return org


def _move(me_, org: Org, parent_id: int) -> Org:
    parent = db.session.get(Org, org.parent_id) if org.parent_id else None
    if parent is None or not scope.holds(me_, "org.manage", parent):
        raise Invalid(_l("Only an admin above this organisation can move it."), {"parent_id": ["scope"]})
    return org_service.move_org(org, scope.require_org(me_, parent_id, "org.manage"))


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
            org = _move(me_, org, data["parent_id"])
        return org

    @orgs_blp.response(200, s.OrgSchema)
    def delete(self, org_id):
        """Close an org (refused while it has members)."""
        org = org_service.close_org(scope.require_org(actor(), org_id, "org.manage"))
        return org


@orgs_blp.route("/<int:org_id>/children")
@orgs_blp.arguments(s.PageQuerySchema, location="query", error_status_code=400)
@orgs_blp.response(200, s.OrgPageSchema)
def org_children(query, org_id):
    """Direct children of an org, open ones first; a page."""
    refuse_old_paging(request.args)
    return paginate(org_service.children_select(scope.require_org(actor(), org_id, "org.read")), query)


@orgs_blp.route("/<int:org_id>/tree")
@orgs_blp.arguments(s.TreeQuerySchema, location="query")
@orgs_blp.response(200, s.OrgNodeSchema)
def org_tree(query, org_id):
    """An org's whole subtree, nested, with active member counts (own and subtree)."""
    org = scope.require_org(actor(), org_id, "org.read")
    return org_service.subtree(org, include_closed=query["include_closed"])


@orgs_blp.route("/<int:org_id>/members")
@orgs_blp.arguments(s.MemberQuerySchema, location="query", error_status_code=400)
@orgs_blp.response(200, s.MemberPageSchema)
def org_members(query, org_id):
    """Members of an org's subtree, searchable and paginated."""
    me_ = actor()
    return member_page(me_, query, scope.require_org(me_, org_id, "member.read"))
