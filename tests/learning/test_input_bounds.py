"""Fuzzing findings (issue 11): ids beyond the database's INTEGER and dates that cannot be UTC are
refused before any query, everywhere, by one URL converter and one schema field each."""
from datetime import timedelta

import pytest

from learning.fields import DB_INT_MAX
from learning.timeutil import utcnow
from scoring.services import offline
from tests.factories import make_member
from tests.helpers import assert_error

HUGE = 2**63  # what overflowed the driver
JUST_OVER = DB_INT_MAX + 1  # what an INTEGER column cannot hold


@pytest.mark.parametrize("value", [HUGE, JUST_OVER])
def test_huge_id_in_the_path_is_not_found_not_a_crash(client, db, tree, login_as, value):
    _member, headers = login_as("member", tree.branch1)
    for path in (f"/api/v1/tasks/{value}/completion", f"/api/v1/members/{value}", f"/api/v1/quizzes/{value}"):
        assert_error(client.get(path, headers=headers), 404, "not_found")


def test_huge_id_in_a_page_address_is_not_found(client, db, tree, page_login):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(member)
    assert client.get(f"/members/{HUGE}").status_code == 404


@pytest.mark.parametrize("value", [HUGE, JUST_OVER, 0, -1])
def test_huge_id_in_a_body_list_is_a_field_error(client, db, tree, login_as, value):
    _organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() - timedelta(minutes=10)
    session = offline.schedule_session(tree.branch1, kind="theme_day", title="主题党日", place="活动室",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [value]})
    assert "member_ids" in assert_error(resp, 422)["errors"]


def test_huge_org_id_in_a_body_is_a_field_error(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    resp = client.post("/api/v1/quizzes", headers=headers, json={"org_id": HUGE, "kind": "weekly", "title": "测验"})
    assert "org_id" in assert_error(resp, 422)["errors"]


def test_huge_id_in_a_query_is_a_field_error(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    body = assert_error(client.get(f"/api/v1/members?org_id={HUGE}", headers=headers), 400)  # a list's bad parameter
    assert "org_id" in body["errors"]["query"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01"])
def test_a_time_that_cannot_be_utc_is_a_field_error(client, db, tree, login_as, moment):
    _organiser, headers = login_as("organiser", tree.branch1)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "branch_meeting", "title": "党员大会", "place": "会议室",
                             "starts_at": utcnow().isoformat(), "ends_at": moment})
    assert "ends_at" in assert_error(resp, 422)["errors"]


def test_every_documented_id_is_bounded(client):
    """One converter and one field: the OpenAPI document shows the bound on every id it accepts."""
    spec = client.get("/api/v1/openapi.json").get_json()
    unbounded = []

    def walk(schema, where):
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(spec["components"]["schemas"][name], name)
            return
        for name, prop in (schema.get("properties") or {}).items():
            if (name == "id" or name.endswith(("_id", "_ids"))) and not prop.get("readOnly"):
                target = prop.get("items", prop)
                if target.get("type") == "integer" and target.get("maximum", HUGE) > DB_INT_MAX:
                    unbounded.append(f"{where}.{name}")
            walk(prop, where)
        walk(schema.get("items"), where)

    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []) + operations.get("parameters", []):
                if param.get("schema", {}).get("type") == "integer" and param["name"].endswith("id") and \
                        param["schema"].get("maximum", HUGE) > DB_INT_MAX:
                    unbounded.append(f"{method.upper()} {path} {param['name']}")
            for media in (op.get("requestBody") or {}).get("content", {}).values():
                seen: set[str] = set()
                walk(media.get("schema"), f"{method.upper()} {path}")
    assert not unbounded, unbounded


def test_huge_numbers_in_page_queries_are_ignored_not_a_crash(client, db, tree, page_login):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(member)
    assert client.get(f"/members?org_id={HUGE}&page={HUGE}").status_code == 200
    assert client.get(f"/members/new?org_id={HUGE}").status_code == 200


@pytest.mark.parametrize("bad", ["王\x00海燕", "\ud800"])
def test_text_no_database_can_store_is_refused_before_any_query(client, db, tree, login_as, bad):
    """A NUL or a lone surrogate in a JSON body (keys included), a query or a plain form: 400, nothing written."""
    from sqlalchemy import func, select

    from learning.models import Member

    members = db.session.scalar(select(func.count(Member.id)))
    body = {"username": bad, "code": "ABCD-EFGH", "new_password": "long-enough-pass-1"}
    assert_error(client.post("/api/v1/auth/activate", json=body), 400, "bad_request")
    assert_error(client.post("/api/v1/auth/activate", json={**body, "username": "x", bad: 1}), 400, "bad_request")
    _organiser, headers = login_as("organiser", tree.branch1)
    assert_error(client.get("/api/v1/members?q=%E7%8E%8B%00", headers=headers), 400, "bad_request")
    response = client.post("/login", data="username=%00&password=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "空字符" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Member.id))) == members + 1  # the organiser login_as made
