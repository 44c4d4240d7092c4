"""The org tree through the API: subtree view, create, rename, move (no cycles), close."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from learning.models import Org
from learning.services import members as member_service, orgs as org_service
from tests.factories import make_member
from tests.helpers import assert_error


@pytest.fixture
def admin(login_as, tree):
    """API headers of an admin at the committee."""
    return login_as("admin", tree.committee, branch=tree.branch3)[1]


def _paths(db) -> dict[str, tuple[str, int]]:
    db.session.expire_all()
    return {o.name: (o.path, o.depth) for o in db.session.scalars(select(Org))}


def test_tree_nests_the_subtree_with_member_counts(client, db, tree, admin):
    make_member(tree.branch1)
    make_member(tree.group1)
    make_member(tree.group1)
    gone = make_member(tree.group1)
    member_service.set_status(gone, "inactive")
    db.session.commit()
    node = client.get(f"/api/v1/orgs/{tree.general1.id}/tree", headers=admin).get_json()
    assert (node["name"], node["members"], node["members_total"]) == ("机关党总支", 0, 3)
    branch1, branch2 = node["children"]
    assert (branch1["name"], branch1["members"], branch1["members_total"]) == ("第一党支部", 1, 3)
    assert [(g["name"], g["members"], g["children"]) for g in branch1["children"]] == [("第一党小组", 2, [])]
    assert (branch2["name"], branch2["members_total"]) == ("第二党支部", 0)


def test_closed_orgs_appear_in_the_tree_only_on_request(client, db, tree, admin):
    org_service.close_org(org_service.create_org("撤销小组", "group", tree.branch2))
    db.session.commit()
    url = f"/api/v1/orgs/{tree.branch2.id}/tree"
    assert client.get(url, headers=admin).get_json()["children"] == []
    (closed,) = client.get(url + "?include_closed=true", headers=admin).get_json()["children"]
    assert (closed["name"], closed["closed"]) == ("撤销小组", True)


def test_a_member_sees_the_tree_of_their_own_branch_only(client, db, tree, login_as):
    _, member = login_as("member", tree.branch1)
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/tree", headers=member).status_code == 200
    assert_error(client.get(f"/api/v1/orgs/{tree.general1.id}/tree", headers=member), 404)


def test_create_an_org_under_a_parent(client, db, tree, admin):
    resp = client.post("/api/v1/orgs", headers=admin, json={"name": "第四党支部", "kind": "branch",
                                                            "parent_id": tree.general2.id})
    assert resp.status_code == 201
    body = resp.get_json()
    assert (body["path"], body["depth"]) == (f"{tree.general2.path}{body['id']}/", 2)


@pytest.mark.parametrize("body, field, status", [
    ({"name": "无上级", "kind": "branch"}, "parent_id", 422),
    ({"name": "错层级", "kind": "general_branch", "parent_id": "BRANCH"}, "parent_id", 422),
    ({"name": "怪类型", "kind": "club", "parent_id": "BRANCH"}, "kind", 422),
    ({"name": "", "kind": "group", "parent_id": "BRANCH"}, "name", 422),
    ({"name": "   ", "kind": "group", "parent_id": "BRANCH"}, "name", 422),
])
def test_bad_new_orgs_are_refused(client, db, tree, admin, body, field, status):
    before = len(_paths(db))
    body = {k: tree.branch1.id if v == "BRANCH" else v for k, v in body.items()}
    assert field in assert_error(client.post("/api/v1/orgs", headers=admin, json=body), status)["errors"]
    assert len(_paths(db)) == before


def test_rename_an_org(client, db, tree, admin):
    resp = client.patch(f"/api/v1/orgs/{tree.branch2.id}", headers=admin, json={"name": "第二党支部（新）"})
    assert resp.status_code == 200 and resp.get_json()["name"] == "第二党支部（新）"
    assert db.session.get(Org, tree.branch2.id).name == "第二党支部（新）"


@pytest.mark.parametrize("name", ["", " ", "长" * 121])
def test_rename_to_a_blank_or_overlong_name_is_refused(client, db, tree, admin, name):
    assert "name" in assert_error(client.patch(f"/api/v1/orgs/{tree.branch2.id}", headers=admin,
                                               json={"name": name}), 422)["errors"]
    assert db.session.get(Org, tree.branch2.id).name == "第二党支部"


def test_moving_an_org_updates_the_paths_of_its_whole_subtree(client, db, tree, admin):
    member = make_member(tree.group1)
    db.session.commit()
    resp = client.patch(f"/api/v1/orgs/{tree.branch1.id}", headers=admin, json={"parent_id": tree.general2.id})
    assert resp.status_code == 200 and resp.get_json()["parent_id"] == tree.general2.id
    paths = _paths(db)
    g2 = tree.general2.path
    assert paths["第一党支部"] == (f"{g2}{tree.branch1.id}/", 2)
    assert paths["第一党小组"] == (f"{g2}{tree.branch1.id}/{tree.group1.id}/", 3)
    assert paths["第二党支部"] == (f"{tree.general1.path}{tree.branch2.id}/", 2)  # the sibling stays
    members = client.get(f"/api/v1/orgs/{tree.general2.id}/members", headers=admin).get_json()
    assert member.id in [m["id"] for m in members["items"]]


@pytest.mark.parametrize("target", ["branch1", "group1"])
def test_moving_an_org_under_itself_or_its_descendant_is_a_cycle(client, db, tree, admin, target):
    before = _paths(db)
    body = assert_error(client.patch(f"/api/v1/orgs/{tree.branch1.id}", headers=admin,
                                     json={"parent_id": getattr(tree, target).id}), 422)
    assert body["errors"] == {"parent_id": ["cycle"]}
    assert _paths(db) == before


def test_moving_a_general_branch_under_its_own_branch_is_a_cycle(client, db, tree, admin):
    before = _paths(db)
    body = assert_error(client.patch(f"/api/v1/orgs/{tree.general1.id}", headers=admin,
                                     json={"parent_id": tree.branch1.id}), 422)
    assert body["errors"] == {"parent_id": ["cycle"]}
    assert "descendant" in body["message"]
    assert _paths(db) == before


def test_moving_to_the_wrong_level_or_a_closed_parent_is_refused(client, db, tree, admin):
    body = assert_error(client.patch(f"/api/v1/orgs/{tree.branch1.id}", headers=admin,
                                     json={"parent_id": tree.branch2.id}), 422)
    assert (body["errors"], body["message"]) == ({"parent_id": ["wrong_level"]},
                                                 "A branch cannot stand under a branch.")
    closed = org_service.create_org("撤销总支", "general_branch", tree.committee)
    org_service.close_org(closed)
    db.session.commit()
    before = _paths(db)
    assert_error(client.patch(f"/api/v1/orgs/{tree.branch1.id}", headers=admin, json={"parent_id": closed.id}),
                 409, "conflict")
    assert _paths(db) == before


def test_only_an_admin_above_an_org_can_move_it(client, db, tree, login_as):
    _, branch_admin = login_as("admin", tree.branch1)
    body = assert_error(client.patch(f"/api/v1/orgs/{tree.branch1.id}", headers=branch_admin,
                                     json={"parent_id": tree.general2.id}), 422)
    assert body["errors"] == {"parent_id": ["scope"]}
    assert db.session.get(Org, tree.branch1.id).parent_id == tree.general1.id


def test_closing_an_org_with_members_is_refused_with_a_clear_message(client, db, tree, admin):
    make_member(tree.group1)
    db.session.commit()
    body = assert_error(client.delete(f"/api/v1/orgs/{tree.group1.id}", headers=admin), 409, "conflict")
    assert body["message"] == "The organisation still has 1 active member; transfer them first."
    assert db.session.get(Org, tree.group1.id).closed_at is None


def test_closing_an_org_with_open_children_is_refused(client, db, tree, admin):
    body = assert_error(client.delete(f"/api/v1/orgs/{tree.general1.id}", headers=admin), 409)
    assert body["message"] == "Close the organisations below it first."


def test_closing_an_empty_org_marks_it_closed(client, db, tree, admin):
    resp = client.delete(f"/api/v1/orgs/{tree.group1.id}", headers=admin)
    assert resp.status_code == 200 and resp.get_json()["closed"] is True
    assert db.session.get(Org, tree.group1.id).closed_at is not None
