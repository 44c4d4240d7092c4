"""Role grants on the org tree through the API: admins only, within their scope."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learning.models import RoleGrant
from learning.services import orgs as org_service
from tests.factories import bearer, make_member
from tests.helpers import assert_error


def _grants(db) -> int:
    return db.session.scalar(select(func.count(RoleGrant.id)))


@pytest.fixture
def admin(login_as, tree):
    """An admin at general1 (so over branch1, branch2 and group1), living in branch1."""
    member, headers = login_as("admin", tree.general1, branch=tree.branch1)
    return member, headers


def test_a_granted_role_is_valid_for_the_subtree(client, db, tree, admin):
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert_error(client.get(f"/api/v1/orgs/{tree.group1.id}/members", headers=headers), 403)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=admin[1],
                       json={"member_id": member.id, "role": "organiser"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert (body["member_id"], body["role"], body["org_id"], body["org_name"]) == \
        (member.id, "organiser", tree.branch1.id, "第一党支部")
    assert client.get(f"/api/v1/orgs/{tree.group1.id}/members", headers=headers).status_code == 200


def test_granting_the_same_role_twice_returns_the_existing_grant(client, db, tree, admin):
    member = make_member(tree.branch1)
    db.session.commit()
    url, body = f"/api/v1/orgs/{tree.branch1.id}/roles", {"member_id": member.id, "role": "host"}
    first = client.post(url, headers=admin[1], json=body)
    again = client.post(url, headers=admin[1], json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(select(func.count(RoleGrant.id)).where(RoleGrant.member_id == member.id)) == 1


def test_roles_at_an_org_are_listed_and_the_subtree_on_request(client, db, tree, admin):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    reviewer = make_member(tree.group1, roles=[("reviewer", tree.group1)])
    db.session.commit()
    here = client.get(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=admin[1]).get_json()["items"]
    assert [(g["member_id"], g["role"]) for g in here] == [(host.id, "host")]
    below = client.get(f"/api/v1/orgs/{tree.branch1.id}/roles?subtree=true", headers=admin[1]).get_json()["items"]
    assert [(g["member_id"], g["role"], g["org_id"]) for g in below] == \
        [(host.id, "host", tree.branch1.id), (reviewer.id, "reviewer", tree.group1.id)]


def test_cannot_grant_at_an_org_outside_scope(client, db, tree, admin):
    member = make_member(tree.branch1)
    db.session.commit()
    before = _grants(db)
    assert_error(client.post(f"/api/v1/orgs/{tree.branch3.id}/roles", headers=admin[1],
                             json={"member_id": member.id, "role": "host"}), 404, "not_found")
    assert_error(client.post(f"/api/v1/orgs/{tree.committee.id}/roles", headers=admin[1],
                             json={"member_id": member.id, "role": "admin"}), 404)
    assert _grants(db) == before


def test_cannot_grant_to_a_member_outside_scope(client, db, tree, admin):
    stranger = make_member(tree.branch3)
    db.session.commit()
    before = _grants(db)
    assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=admin[1],
                             json={"member_id": stranger.id, "role": "host"}), 404)
    assert _grants(db) == before


def test_an_organiser_cannot_grant_roles(client, db, tree, login_as):
    _, organiser = login_as("organiser", tree.branch1)
    member = make_member(tree.branch1)
    db.session.commit()
    assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=organiser,
                             json={"member_id": member.id, "role": "organiser"}), 403, "forbidden")
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=organiser), 403)


@pytest.mark.parametrize("body, field", [
    ({"member_id": 1, "role": "king"}, "role"),
    ({"role": "host"}, "member_id"),
    ({"member_id": "1", "role": "host"}, "member_id"),
    ({"member_id": 1, "role": "host", "org_id": 3}, "org_id"),
])
def test_bad_grant_bodies_are_field_errors(client, db, tree, admin, body, field):
    before = _grants(db)
    assert field in assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=admin[1],
                                              json=body), 422)["errors"]
    assert _grants(db) == before


def test_cannot_grant_at_a_closed_org(client, db, tree, admin):
    group = org_service.create_org("临时小组", "group", tree.branch1)
    org_service.close_org(group)
    member = make_member(tree.branch1)
    db.session.commit()
    assert_error(client.post(f"/api/v1/orgs/{group.id}/roles", headers=admin[1],
                             json={"member_id": member.id, "role": "host"}), 409, "conflict")


def test_a_revoked_role_no_longer_opens_the_subtree(client, db, tree, admin):
    member = make_member(tree.branch3, roles=[("reviewer", tree.branch1)])
    db.session.commit()
    headers = bearer(member)
    grant_id = member.grants[0].id
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/members", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/roles/{grant_id}", headers=admin[1]).status_code == 204
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/members", headers=headers), 404)
    assert_error(client.delete(f"/api/v1/roles/{grant_id}", headers=admin[1]), 404)


def test_an_admin_cannot_remove_their_own_last_admin_grant(client, db, tree, admin):
    me, headers = admin
    only = me.grants[0].id
    body = assert_error(client.delete(f"/api/v1/roles/{only}", headers=headers), 409, "conflict")
    assert "唯一的管理员角色" in body["message"]
    assert db.session.get(RoleGrant, only) is not None


def test_an_admin_with_two_admin_grants_may_drop_one(client, db, tree, admin):
    me, headers = admin
    extra = client.post(f"/api/v1/orgs/{tree.branch1.id}/roles", headers=headers,
                        json={"member_id": me.id, "role": "admin"}).get_json()["id"]
    assert client.delete(f"/api/v1/roles/{extra}", headers=headers).status_code == 204
    assert_error(client.delete(f"/api/v1/roles/{me.grants[0].id}", headers=headers), 409)


def test_a_grant_outside_scope_is_not_found(client, db, tree, admin):
    other = make_member(tree.branch3, roles=[("host", tree.branch3)])
    db.session.commit()
    assert_error(client.delete(f"/api/v1/roles/{other.grants[0].id}", headers=admin[1]), 404, "not_found")
    assert db.session.get(RoleGrant, other.grants[0].id) is not None
