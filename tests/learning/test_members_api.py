"""Members through the API: create, unique logins, deactivation, transfers, learning records."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from learning.models import ApiToken, LearningRecord, Member
from learning.services.records import record
from tests.factories import PASSWORD, bearer, make_member
from tests.helpers import assert_error


@pytest.fixture
def organiser(login_as, tree):
    """(member, headers) of an organiser of branch1."""
    return login_as("organiser", tree.branch1)


def _members(db) -> int:
    return db.session.scalar(select(func.count(Member.id)))


def _new(tree, **fields):
    return {"username": "newcomer", "name": "新党员", "org_id": tree.branch1.id, **fields}


# ---- create and edit -----------------------------------------------------------------

def test_a_new_member_gets_a_one_time_activation_code(client, db, tree, organiser):
    resp = client.post("/api/v1/members", headers=organiser[1], json=_new(tree, mobile="13611112222",
                                                                          member_type="probationary"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert (body["org_name"], body["member_type"]) == ("第一党支部", "probationary")
    activated = client.post("/api/v1/auth/activate", json={"username": "13611112222", "code": body["activation_code"],
                                                           "new_password": "my-own-pass-1"})
    assert activated.status_code == 200 and activated.get_json()["must_change_password"] is False


@pytest.mark.parametrize("fields, field", [
    ({"username": "taken"}, "username"),
    ({"username": "13800000000"}, "username"),       # someone's mobile number
    ({"mobile": "13800000000"}, "mobile"),
])
def test_a_login_in_use_as_username_or_mobile_is_a_field_error(client, db, tree, organiser, fields, field):
    make_member(tree.branch2, "taken", mobile="13800000000")
    db.session.commit()
    before = _members(db)
    body = assert_error(client.post("/api/v1/members", headers=organiser[1], json=_new(tree, **fields)), 422)
    assert list(body["errors"]) == [field]
    assert _members(db) == before


def test_a_mobile_number_equal_to_someones_username_is_a_field_error(client, db, tree, organiser):
    make_member(tree.branch2, "13900000000")
    db.session.commit()
    body = assert_error(client.post("/api/v1/members", headers=organiser[1], json=_new(tree, mobile="13900000000")),
                        422)
    assert body["errors"] == {"mobile": ["already used by another account"]}


def test_editing_a_login_to_one_in_use_is_a_field_error(client, db, tree, organiser):
    make_member(tree.branch2, "taken", mobile="13800000000")
    member = make_member(tree.branch1, "mine")
    db.session.commit()
    url = f"/api/v1/members/{member.id}"
    assert list(assert_error(client.patch(url, headers=organiser[1], json={"username": "13800000000"}),
                             422)["errors"]) == ["username"]
    assert list(assert_error(client.patch(url, headers=organiser[1], json={"mobile": "13800000000"}),
                             422)["errors"]) == ["mobile"]
    assert db.session.get(Member, member.id).username == "mine"
    keep = client.patch(url, headers=organiser[1], json={"username": "mine", "name": "改名"})
    assert keep.status_code == 200 and keep.get_json()["name"] == "改名"


@pytest.mark.parametrize("fields, field", [
    ({"mobile": "12345"}, "mobile"),
    ({"gender": "其他"}, "gender"),
    ({"birth_date": "1990-02-30"}, "birth_date"),
    ({"member_type": "积极分子"}, "member_type"),
    ({"username": "有中文"}, "username"),
    ({"initial_password": "abcdefgh1"}, "initial_password"),  # no shared initial password any more
])
def test_bad_member_fields_are_refused(client, db, tree, organiser, fields, field):
    before = _members(db)
    body = assert_error(client.post("/api/v1/members", headers=organiser[1], json=_new(tree, **fields)), 422)
    assert field in body["errors"]
    assert _members(db) == before


# ---- deactivation --------------------------------------------------------------------

def test_deactivation_revokes_tokens_and_refuses_login(client, db, tree, organiser):
    member = make_member(tree.branch1, "leaving")
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    resp = client.patch(f"/api/v1/members/{member.id}", headers=organiser[1], json={"status": "inactive"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "inactive"
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.member_id == member.id,
                                                                   ApiToken.revoked_at.is_(None))) == 0
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    assert_error(client.post("/api/v1/auth/login", json={"username": "leaving", "password": PASSWORD}),
                 401, "login_failed")


def test_a_deactivated_members_cookie_session_ends(client, db, tree, organiser, page_login, app):
    member = make_member(tree.branch1, "cookie")
    db.session.commit()
    page_login(member)
    assert client.get("/api/v1/me").status_code == 200
    other = app.test_client()
    other.patch(f"/api/v1/members/{member.id}", headers=organiser[1], json={"status": "inactive"})
    assert_error(client.get("/api/v1/me"), 401)


def test_a_reactivated_member_can_log_in_again(client, db, tree, organiser):
    member = make_member(tree.branch1, "back")
    db.session.commit()
    url = f"/api/v1/members/{member.id}"
    client.patch(url, headers=organiser[1], json={"status": "inactive"})
    client.patch(url, headers=organiser[1], json={"status": "active"})
    assert client.post("/api/v1/auth/login", json={"username": "back", "password": PASSWORD}).status_code == 200


def test_an_organiser_cannot_deactivate_themself(client, db, tree, organiser):
    me, headers = organiser
    body = assert_error(client.patch(f"/api/v1/members/{me.id}", headers=headers, json={"status": "inactive"}),
                        409, "conflict")
    assert "自己的账号" in body["message"]
    assert db.session.get(Member, me.id).status == "active"


def test_an_unknown_status_is_a_field_error(client, db, tree, organiser):
    member = make_member(tree.branch1)
    db.session.commit()
    assert "status" in assert_error(client.patch(f"/api/v1/members/{member.id}", headers=organiser[1],
                                                 json={"status": "retired"}), 422)["errors"]


# ---- transfers -----------------------------------------------------------------------

def test_a_transfer_keeps_history_and_later_records_keep_their_org(client, db, tree, login_as):
    _, admin = login_as("admin", tree.general1, branch=tree.branch1)
    member = make_member(tree.branch1)
    record(member, "studied", "lesson", 1, idempotency_key="before-move", duration_s=60)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/transfer", headers=admin,
                       json={"to_org_id": tree.branch2.id, "reason": "工作调动"})
    assert resp.status_code == 200
    history = resp.get_json()
    assert [(h["org_id"], h["reason"], h["valid_to"] is None) for h in history] == \
        [(tree.branch1.id, "created", False), (tree.branch2.id, "工作调动", True)]
    record(db.session.get(Member, member.id), "studied", "lesson", 1, idempotency_key="after-move", duration_s=60)
    db.session.commit()
    records = client.get(f"/api/v1/members/{member.id}/records", headers=admin).get_json()["items"]
    assert [r["org_id"] for r in records] == [tree.branch2.id, tree.branch1.id]  # newest first
    assert client.get(f"/api/v1/members/{member.id}/history", headers=admin).get_json()["items"] == history


@pytest.mark.parametrize("body, status", [
    ({"to_org_id": "SIBLING", "reason": ""}, 422),
    ({"to_org_id": "SIBLING"}, 422),
    ({"to_org_id": "GENERAL", "reason": "调往总支"}, 422),
    ({"to_org_id": "SAME", "reason": "原地"}, 409),
    ({"to_org_id": "OUTSIDE", "reason": "调出"}, 404),
    ({"to_org_id": "x", "reason": "类型错"}, 422),
])
def test_bad_transfers_are_refused_and_nothing_moves(client, db, tree, login_as, body, status):
    _, admin = login_as("admin", tree.general1, branch=tree.branch1)
    member = make_member(tree.branch1)
    db.session.commit()
    targets = {"SIBLING": tree.branch2.id, "GENERAL": tree.general1.id, "SAME": tree.branch1.id,
               "OUTSIDE": tree.branch3.id}
    body = {k: targets.get(v, v) for k, v in body.items()}
    assert_error(client.post(f"/api/v1/members/{member.id}/transfer", headers=admin, json=body), status)
    assert db.session.get(Member, member.id).org_id == tree.branch1.id
    assert client.get(f"/api/v1/members/{member.id}/history", headers=admin).get_json()["total"] == 1


# ---- learning records ----------------------------------------------------------------

def _recorded(db, member, *days_ago):
    now = datetime.now(timezone.utc)
    for n in days_ago:
        record(member, "studied", "lesson", n, idempotency_key=f"r{member.id}-{n}", duration_s=30,
               occurred_at=now - timedelta(days=n))
    db.session.commit()


def test_records_between_from_and_to_newest_first(client, db, tree, organiser):
    member = make_member(tree.branch1)
    _recorded(db, member, 1, 5, 10)
    start = (datetime.now(timezone.utc) - timedelta(days=7)).isoformat()
    resp = client.get(f"/api/v1/members/{member.id}/records", headers=organiser[1], query_string={"from": start})
    assert [r["object_id"] for r in resp.get_json()["items"]] == ["1", "5"]


def test_records_come_a_page_at_a_time_newest_first(client, db, tree, organiser):
    member = make_member(tree.branch1)
    _recorded(db, member, 1, 5, 10)
    body = client.get(f"/api/v1/members/{member.id}/records", headers=organiser[1],
                      query_string={"page": 2, "per_page": 2}).get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 2, 2)
    assert [r["object_id"] for r in body["items"]] == ["10"]


def test_records_with_from_after_to_are_refused(client, db, tree, organiser):
    member = make_member(tree.branch1)
    db.session.commit()
    body = assert_error(client.get(f"/api/v1/members/{member.id}/records", headers=organiser[1],
                                   query_string={"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00"}),
                        422)
    assert body["errors"] == {"from": ["after_to"]}


@pytest.mark.parametrize("query", [{"from": "yesterday"}, {"to": "2026-13-01T00:00:00"}])
def test_records_with_a_malformed_period_are_refused(client, db, tree, organiser, query):
    member = make_member(tree.branch1)
    db.session.commit()
    body = assert_error(client.get(f"/api/v1/members/{member.id}/records", headers=organiser[1],
                                   query_string=query), 400, "bad_request")
    assert next(iter(query)) in body["message"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": "many"}, {"limit": 10}])
def test_the_old_limit_of_the_records_is_refused_not_ignored(client, db, tree, organiser, query):
    member = make_member(tree.branch1)
    db.session.commit()
    body = assert_error(client.get(f"/api/v1/members/{member.id}/records", headers=organiser[1],
                                   query_string=query), 400, "bad_request")
    assert body["errors"] == {"limit": ["use_page"]}


def test_a_member_reads_their_own_records(client, db, tree, login_as):
    member, headers = login_as("member", tree.branch1)
    _recorded(db, member, 2)
    assert client.get(f"/api/v1/members/{member.id}/records", headers=headers).get_json()["total"] == 1
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 1


def test_an_organiser_cannot_deactivate_someone_holding_roles_beyond_their_scope(client, db, tree, organiser,
                                                                                 login_as):
    boss = make_member(tree.branch1, "boss", roles=[("admin", tree.committee)])
    db.session.commit()
    body = assert_error(client.patch(f"/api/v1/members/{boss.id}", headers=organiser[1],
                                     json={"status": "inactive"}), 403, "forbidden")
    assert "超出您的管理范围" in body["message"]
    assert db.session.get(Member, boss.id).status == "active"
    _, top_admin = login_as("admin", tree.committee, branch=tree.branch3)
    assert client.patch(f"/api/v1/members/{boss.id}", headers=top_admin,
                        json={"status": "inactive"}).get_json()["status"] == "inactive"
