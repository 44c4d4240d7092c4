"""Policy endpoints: the settings in force at an org, presets, locks, and the record of changes."""
from __future__ import annotations

import io

from flask import send_file
from flask.views import MethodView

from .. import schemas as s
from ..auth import actor
from ..services import policy as policy_service, scope
from ..services.pagination import page_of
from .base import ApiBlueprint

policy_blp = ApiBlueprint("Policy", __name__, url_prefix="/api/v1",
                          description="Per-org settings inherited down the tree, presets and their history")


@policy_blp.route("/orgs/<int:org_id>/policy")
class OrgPolicy(MethodView):
    @policy_blp.response(200, s.PolicySchema)
    def get(self, org_id):
        """Effective and locally set values at an org, each setting described, the preset followed and locks."""
        return policy_service.policy_view(scope.require_org(actor(), org_id, "policy.read"))

    @policy_blp.arguments(s.PolicyUpdateSchema)
    @policy_blp.response(200, s.PolicySchema)
    def put(self, data, org_id):
        """Set, lock and/or clear values at an org; every key is checked first, nothing is half-written."""
        me_ = actor()
        org = scope.require_org(me_, org_id, "policy.manage")
        policy_service.update_policy(org, data["values"], data["clear"], by=me_, locks=data["locks"])
        return policy_service.policy_view(org)


@policy_blp.route("/orgs/<int:org_id>/policy/preset", methods=["POST"])
@policy_blp.arguments(s.PolicyPresetApplySchema)
@policy_blp.response(200, s.PolicySchema)
def apply_preset(data, org_id):
    """Apply a named preset at an org (optionally locked for its subtree); it may then be adjusted."""
    me_ = actor()
    org = scope.require_org(me_, org_id, "policy.manage")
    policy_service.apply_preset(org, data["preset"], lock=data["lock"], by=me_)
    return policy_service.policy_view(org)


@policy_blp.route("/orgs/<int:org_id>/policy/history")
@policy_blp.arguments(s.PolicyHistoryQuerySchema, location="query", error_status_code=400)
@policy_blp.response(200, s.PolicyHistoryPageSchema)
def policy_history(query, org_id):
    """A page of the changes of the policy at this org and above, oldest first, with the value then in force
    here; ?format=xlsx for the whole history as a workbook."""
    org = scope.require_org(actor(), org_id, "policy.read")
    if query["format"] == "xlsx":
        return send_file(io.BytesIO(policy_service.export_xlsx(org)), as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         download_name=f"policy-{org.name}.xlsx")
    return {"org_id": org.id, **page_of(policy_service.history(org), query)}
