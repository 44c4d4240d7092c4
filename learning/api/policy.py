"""Policy endpoints: the settings in force at an org, and an admin's changes to them."""
from __future__ import annotations

from flask.views import MethodView

from .. import schemas as s
from ..auth import actor
from ..extensions import db
from ..services import policy as policy_service, scope
from .base import ApiBlueprint

policy_blp = ApiBlueprint("Policy", __name__, url_prefix="/api/v1",
                          description="Per-org settings inherited down the tree")


@policy_blp.route("/orgs/<int:org_id>/policy")
class OrgPolicy(MethodView):
    @policy_blp.response(200, s.PolicySchema)
    def get(self, org_id):
        """Effective and locally set values at an org, with each setting's description."""
        return policy_service.policy_view(scope.require_org(actor(), org_id, "policy.read"))

    @policy_blp.arguments(s.PolicyUpdateSchema)
    @policy_blp.response(200, s.PolicySchema)
    def put(self, data, org_id):
        """Set and/or clear values at an org; every key is checked first, nothing is half-written."""
        me_ = actor()
        org = scope.require_org(me_, org_id, "policy.manage")
        policy_service.update_policy(org, data["values"], data["clear"], by=me_)
        db.session.commit()
        return policy_service.policy_view(org)
