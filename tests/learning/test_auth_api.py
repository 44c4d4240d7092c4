"""Login, bearer tokens, /me, and the errors of bad credentials."""
from datetime import timedelta

from sqlalchemy import select

from learning.models import ApiToken
from tests.factories import PASSWORD, make_member
from tests.helpers import assert_error


def test_login_returns_a_token_that_identifies_the_member(client, db, tree):
    member = make_member(tree.branch1, "zhangsan", roles=[("organiser", tree.branch1)])
    db.session.commit()
    resp = client.post("/api/v1/auth/login", json={"username": "zhangsan", "password": PASSWORD})
    assert resp.status_code == 200
    token = resp.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["id"] == member.id and me["org_id"] == tree.branch1.id
    assert {"role": "organiser", "org_id": tree.branch1.id, "org_name": tree.branch1.name} in me["roles"]
    assert me["roles"][0]["role"] == "member"


def test_login_by_mobile_number(client, db, tree):
    make_member(tree.branch1, "lisi", mobile="13800138000")
    db.session.commit()
    resp = client.post("/api/v1/auth/login", json={"username": "13800138000", "password": PASSWORD})
    assert resp.status_code == 200 and resp.get_json()["token"]


def test_unknown_login_and_wrong_password_get_the_same_error(client, db, tree):
    make_member(tree.branch1, "wangwu")
    db.session.commit()
    unknown = assert_error(client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}),
                           401, "login_failed")
    wrong = assert_error(client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "bad"}),
                         401, "login_failed")
    assert unknown["message"] == wrong["message"]


def test_expired_and_revoked_tokens_are_refused(client, db, tree):
    make_member(tree.branch1, "zhaoliu")
    db.session.commit()
    token = client.post("/api/v1/auth/login", json={"username": "zhaoliu", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    token = client.post("/api/v1/auth/login", json={"username": "zhaoliu", "password": PASSWORD}).get_json()["token"]
    row = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


def test_login_body_of_the_wrong_type_is_a_422_with_field_errors(client):
    body = assert_error(client.post("/api/v1/auth/login", json=["admin", "pw"]), 422)
    assert body["errors"]
    body = assert_error(client.post("/api/v1/auth/login", json={"username": 5}), 422)
    assert set(body["errors"]) == {"username", "password"}


def test_login_attempts_are_rate_limited(client, db, tree):
    make_member(tree.branch1, "sunqi")
    db.session.commit()
    statuses = [client.post("/api/v1/auth/login", json={"username": "sunqi", "password": "wrong"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert_error(client.post("/api/v1/auth/login", json={"username": "sunqi", "password": PASSWORD}), 429)


def test_initial_password_must_be_changed_before_anything_else(client, db, tree):
    make_member(tree.branch1, "newbie", must_change_password=True)
    db.session.commit()
    login = client.post("/api/v1/auth/login", json={"username": "newbie", "password": PASSWORD}).get_json()
    assert login["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login['token']}"}
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}", headers=headers), 403, "password_change_required")
    assert_error(client.post("/api/v1/me/password", headers=headers,
                             json={"current_password": PASSWORD, "new_password": "short"}), 422)
    resp = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": PASSWORD, "new_password": "brand-new-pass-9"})
    assert resp.status_code == 200
    headers = {"Authorization": f"Bearer {resp.get_json()['token']}"}
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}", headers=headers).status_code == 200
