"""Cookie-authenticated API writes need the CSRF token; bearer-token clients do not."""
from __future__ import annotations

from sqlalchemy import func, select

from learning.models import PolicySetting
from tests.factories import make_member
from tests.helpers import assert_error, csrf_token


def _settings(db) -> int:
    return db.session.scalar(select(func.count(PolicySetting.id)))


def test_a_cookie_session_write_without_the_csrf_header_is_refused(client, db, tree, page_login):
    admin = make_member(tree.branch1, roles=[("admin", tree.branch1)])
    db.session.commit()
    page_login(admin)
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}})
    assert assert_error(resp, 400, "csrf_failed")["message"]
    assert _settings(db) == 0


def test_a_cookie_session_write_with_a_wrong_csrf_header_is_refused(client, db, tree, page_login):
    admin = make_member(tree.branch1, roles=[("admin", tree.branch1)])
    db.session.commit()
    page_login(admin)
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}},
                      headers={"X-CSRFToken": "forged"})
    assert_error(resp, 400, "csrf_failed")
    assert _settings(db) == 0


def test_a_cookie_session_write_with_the_csrf_header_passes(client, db, tree, page_login):
    admin = make_member(tree.branch1, roles=[("admin", tree.branch1)])
    db.session.commit()
    page_login(admin)
    token = csrf_token(client, "/")
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}},
                      headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_json()
    assert _settings(db) == 1


def test_a_cookie_session_upload_needs_the_csrf_header_too(client, db, tree, page_login):
    import io

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    form = {"file": (io.BytesIO("姓名,用户名\n张三,zhangsan\n".encode()), "m.csv"),
            "org_id": str(tree.branch1.id)}
    assert_error(client.post("/api/v1/members/import", data=form, content_type="multipart/form-data"),
                 400, "csrf_failed")
    form["file"] = (io.BytesIO("姓名,用户名\n张三,zhangsan\n".encode()), "m.csv")
    resp = client.post("/api/v1/members/import", data=form, content_type="multipart/form-data",
                       headers={"X-CSRFToken": csrf_token(client, "/")})
    assert resp.status_code == 201, resp.get_json()


def test_bearer_token_writes_need_no_csrf_header(client, db, tree, login_as):
    _, headers = login_as("admin", tree.branch1)
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}},
                      headers=headers)
    assert resp.status_code == 200


def test_a_bogus_bearer_header_does_not_skip_the_csrf_check(client, db, tree, page_login):
    admin = make_member(tree.branch1, roles=[("admin", tree.branch1)])
    db.session.commit()
    page_login(admin)
    for header in ("Bearer x", "Bearer ", "bearer not-a-token"):
        resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}},
                          headers={"Authorization": header})
        assert_error(resp, 400, "csrf_failed")
    assert _settings(db) == 0


def test_a_valid_bearer_token_needs_no_csrf_header(client, db, tree):
    from tests.factories import bearer

    admin = make_member(tree.branch1, roles=[("admin", tree.branch1)])
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", json={"values": {"forced_checkin": True}},
                      headers=bearer(admin))
    assert resp.status_code == 200
