"""The scope helper itself: the implicit member role holds at the enclosing branch, grants where granted."""
from __future__ import annotations

import pytest

from learning.errors import Forbidden, NotFound
from learning.extensions import db
from learning.services import scope
from tests.factories import bearer, make_member, make_org


def _reachable(actor, capability) -> set[str]:
    return {o.name for o in db.session.scalars(scope.scoped_orgs(actor, capability))}


def test_a_group_member_holds_the_member_role_at_the_enclosing_branch(db, tree):
    member = make_member(tree.group1)
    assert scope.membership_org(member).id == tree.branch1.id
    assert scope.grant_paths(member, "org.read") == [tree.branch1.path]
    assert scope.holds(member, "org.read", tree.branch1)
    assert not scope.holds(member, "org.read", tree.general1)
    assert not scope.holds(member, "org.read", tree.branch2)


def test_a_branch_member_holds_the_member_role_at_their_branch(db, tree):
    member = make_member(tree.branch2)
    assert scope.membership_org(member).id == tree.branch2.id
    assert scope.grant_paths(member, "org.read") == [tree.branch2.path]
    assert not scope.holds(member, "org.read", tree.branch1)


def test_a_member_attached_above_branch_level_holds_it_at_that_org(db, tree):
    member = make_member(tree.branch3)
    member.org = tree.general2  # older data: the service attaches members to branches and groups only
    db.session.flush()
    assert scope.membership_org(member).id == tree.general2.id
    assert scope.holds(member, "org.read", tree.branch3)
    assert not scope.holds(member, "org.read", tree.committee)


def test_a_group_with_no_branch_above_keeps_the_role_at_the_group(db, tree):
    stray = make_org("机关直属党小组", "group", tree.general1)
    member = make_member(stray)
    assert scope.membership_org(member).id == stray.id
    assert not scope.holds(member, "org.read", tree.general1)


def test_a_group_member_reaches_sibling_groups_of_their_branch_only(db, tree):
    group2 = make_org("第二党小组", "group", tree.branch1)
    other = make_org("第三党小组", "group", tree.branch2)
    member = make_member(tree.group1)
    assert _reachable(member, "org.read") == {tree.branch1.name, tree.group1.name, group2.name}
    assert not scope.holds(member, "org.read", other)


def test_the_implicit_role_gives_no_organiser_reviewer_or_admin_capability(db, tree):
    member = make_member(tree.group1)
    for capability in ("member.read", "member.manage", "record.read", "policy.read", "org.manage"):
        assert scope.grant_paths(member, capability) == [], capability
        assert not scope.holds_anywhere(member, capability), capability


def test_granted_roles_hold_where_they_were_granted(db, tree):
    organiser = make_member(tree.group1, roles=[("organiser", tree.group1)])
    assert scope.grant_paths(organiser, "member.read") == [tree.group1.path]
    assert not scope.holds(organiser, "member.read", tree.branch1)
    assert scope.holds(organiser, "org.read", tree.branch1)  # through the implicit member role


def test_an_explicit_member_grant_at_a_group_stays_at_the_group(db, tree):
    guest = make_member(tree.branch3, roles=[("member", tree.group1)])
    assert scope.grant_paths(guest, "org.read") == sorted([tree.group1.path, tree.branch3.path])
    assert not scope.holds(guest, "org.read", tree.branch1)


def test_a_group_member_sees_no_other_member_beyond_self(db, tree):
    member = make_member(tree.group1)
    make_member(tree.branch1)
    make_member(tree.group1)
    found = db.session.scalars(scope.scoped_members(member)).all()
    assert [m.id for m in found] == [member.id]


def test_require_org_on_the_enclosing_branch_reads_and_refuses_to_manage(db, tree):
    member = make_member(tree.group1)
    assert scope.require_org(member, tree.branch1.id, "org.read").id == tree.branch1.id
    with pytest.raises(Forbidden):
        scope.require_org(member, tree.branch1.id, "member.read")
    with pytest.raises(NotFound):
        scope.require_org(member, tree.branch2.id, "org.read")
    with pytest.raises(NotFound):
        scope.require_member(member, make_member(tree.branch1).id)


def test_me_names_the_enclosing_branch_as_the_member_role(client, db, tree):
    member = make_member(tree.group1, roles=[("host", tree.group1)])
    roles = client.get("/api/v1/me", headers=bearer(member)).get_json()["roles"]
    assert roles[0] == {"role": "member", "org_id": tree.branch1.id, "org_name": tree.branch1.name}
    assert {"role": "host", "org_id": tree.group1.id, "org_name": tree.group1.name} in roles


def test_a_group_member_reads_the_branch_through_the_api_but_not_its_members(client, db, tree):
    member = make_member(tree.group1)
    headers = bearer(member)
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/members", headers=headers).status_code == 403
    assert client.get(f"/api/v1/orgs/{tree.branch2.id}", headers=headers).status_code == 404
    listed = {o["id"] for o in client.get("/api/v1/orgs", headers=headers).get_json()["items"]}
    assert listed == {tree.branch1.id, tree.group1.id}
