"""Role grant endpoints: who holds which role at an org; grant and revoke (admins only)."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from .. import schemas as s
from ..auth import actor
from ..services import roles as role_service, scope
from ..services.pagination import paginate, refuse_old_paging
from .base import ApiBlueprint

roles_blp = ApiBlueprint("Roles", __name__, url_prefix="/api/v1", description="Roles granted on the org tree")


@roles_blp.route("/orgs/<int:org_id>/roles")
class OrgRoles(MethodView):
    @roles_blp.arguments(s.RoleQuerySchema, location="query", error_status_code=400)
    @roles_blp.response(200, s.GrantPageSchema)
    def get(self, query, org_id):
        """Role grants held at an org (or, with subtree=true, anywhere below it); a page."""
        refuse_old_paging(request.args)
        org = scope.require_org(actor(), org_id, "role.manage")
        return paginate(role_service.grants_select(org, subtree=query["subtree"]), query)

    @roles_blp.arguments(s.GrantCreateSchema)
    @roles_blp.response(201, s.GrantSchema)
    @roles_blp.alt_response(200, schema=s.GrantSchema, description="The member already held that role there")
    def post(self, data, org_id):
        """Grant a role at an org (valid for its subtree) to a member within the caller's scope."""
        me_ = actor()
        org = scope.require_org(me_, org_id, "role.manage")
        member = scope.require_member(me_, data["member_id"], "role.manage", allow_self=True)
        row, created = role_service.grant(member, data["role"], org)
        return row, 201 if created else 200


@roles_blp.route("/roles/<int:grant_id>", methods=["DELETE"])
@roles_blp.response(204)
def revoke_role(grant_id):
    """Take a role grant away (not one's own last admin grant)."""
    me_ = actor()
    role_service.revoke(me_, role_service.require_grant(me_, grant_id))
