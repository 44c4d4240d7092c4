"""Page scope table: every page that takes an id answers 404 for ids outside the caller's scope."""
import pytest
from sqlalchemy import select

from learning.extensions import db
from learning.models import RoleGrant
from tests.factories import make_member
from tests.learning.pages_support import login_page, post_form, role_member

GET_PAGES = ["/orgs/{org}", "/orgs/{org}/policy", "/members?org_id={org}", "/members/{member}",
             "/members/{member}/edit", "/members/{member}/transfer"]
POST_PAGES = ["/orgs/{org}/children", "/orgs/{org}/rename", "/orgs/{org}/move", "/orgs/{org}/close",
              "/orgs/{org}/roles", "/orgs/{org}/roles/{grant}/revoke", "/orgs/{org}/policy", "/members/{member}/edit",
              "/members/{member}/status", "/members/{member}/transfer"]
ROLES = ("member", "organiser", "reviewer", "admin")


def _snapshot():
    return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in db.metadata.sorted_tables}


def _setup(tree, role):
    """A caller holding `role` at branch1; the resources live in branch2, a sibling."""
    caller = role_member(tree, role, tree.branch1)
    target = make_member(tree.branch2, roles=[("host", tree.branch2)])
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == target.id))
    db.session.commit()
    return caller, {"org": tree.branch2.id, "member": target.id, "grant": grant.id}


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_a_sibling_branch_are_404(client, page_login, tree, role):
    caller, ids = _setup(tree, role)
    login_page(client, page_login, caller)
    for path in GET_PAGES:
        assert client.get(path.format(**ids)).status_code == 404, (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_forms_posted_at_a_sibling_branch_are_404_and_change_nothing(client, page_login, tree, role):
    caller, ids = _setup(tree, role)
    login_page(client, page_login, caller)
    data = {"create-name": "越权", "create-kind": "group", "rename-name": "越权", "move-parent_id": tree.branch1.id,
            "grant-login": caller.username, "grant-role": "admin", "status": "inactive", "name": "越权",
            "username": "hijack", "member_type": "full", "to_org_id": tree.branch1.id, "reason": "越权",
            "min_breakdown_group": "9"}
    before = _snapshot()
    for path in POST_PAGES:
        response = post_form(client, path.format(**ids), data)
        assert response.status_code == 404, (role, path, response.status_code)
    assert _snapshot() == before


def test_ids_that_do_not_exist_are_404(client, page_login, tree):
    admin = role_member(tree, "admin", tree.committee)
    db.session.commit()
    login_page(client, page_login, admin)
    for path in ("/orgs/987654", "/orgs/987654/policy", "/members/987654", "/members/987654/edit"):
        assert client.get(path).status_code == 404, path
    assert post_form(client, f"/orgs/{tree.branch1.id}/roles/987654/revoke", {}).status_code == 404
