"""Every paged list of the API takes the same parameters and answers a bad one the same way (issue 10.4):
a 400 `{"code": "bad_request", "message"}` whose message names the parameter. The lists are read from the
OpenAPI document, so a list added later is covered without editing this file."""
from __future__ import annotations

import re

import pytest

from tests.helpers import assert_error

HUGE = str(10 ** 30)  # past any integer column and any offset

#: GET endpoints that answer a bare JSON array although they are not paged lists, each with the reason. Every
#: list of the API is paged (issue 10.4); none is an exception today. An entry here needs a reason a reviewer
#: accepts (say, a fixed-size vector that is one value, not a collection), never "not yet".
NOT_LISTS: dict[str, str] = {}

def _gets(spec):
    for path, operations in spec["paths"].items():
        if "get" in operations:
            yield path, operations["get"]


def _paged_lists(spec) -> list[str]:
    return [path for path, op in _gets(spec)
            if "page" in {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}]


def _bare_arrays(spec) -> set[str]:
    def schema(op):
        return op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})

    return {path for path, op in _gets(spec) if schema(op).get("type") == "array"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def admin(db, tree, login_as):
    _, headers = login_as("admin", tree.committee, branch=tree.branch3)
    db.session.commit()
    return headers


def test_the_course_quiz_and_offline_session_lists_are_paged(spec):
    assert {"/api/v1/courses", "/api/v1/quizzes", "/api/v1/orgs/{org_id}/offline-sessions", "/api/v1/members",
            "/api/v1/questions", "/api/v1/me/inbox", "/api/v1/members/{member_id}/points"} <= set(_paged_lists(spec))


def _envelopes(spec) -> set[str]:
    def shape(op):
        schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return set(schema.get("properties", {}))

    return {path for path, op in _gets(spec) if {"items", "total", "page", "per_page"} <= shape(op)}


def test_the_lists_that_answered_bare_arrays_are_paged_now(spec):
    assert {"/api/v1/orgs", "/api/v1/orgs/{org_id}/children", "/api/v1/members/{member_id}/history",
            "/api/v1/members/{member_id}/records", "/api/v1/orgs/{org_id}/roles",
            "/api/v1/courses/{course_id}/lessons", "/api/v1/courses/{course_id}/ratings/mine",
            "/api/v1/questions/{question_id}/versions", "/api/v1/orgs/{org_id}/points-rules",
            "/api/v1/points-rules/{rule_id}", "/api/v1/orgs/{org_id}/analytics",
            "/api/v1/arenas/{event_id}/contestants", "/api/v1/appraisals/{campaign_id}/results",
            "/api/v1/appraisals/{campaign_id}/determinations", "/api/v1/appraisals/{campaign_id}/published",
            "/api/v1/appraisals/{campaign_id}/objections", "/api/v1/appraisals/{campaign_id}/rectifications",
            "/api/v1/orgs/{org_id}/appraisal-overview"} <= set(_paged_lists(spec))


def test_no_list_answers_a_bare_array(spec):
    assert _bare_arrays(spec) <= set(NOT_LISTS), "page these with learning.services.pagination"
    assert all(reason.strip() for reason in NOT_LISTS.values())


def test_every_paged_list_answers_the_envelope_and_every_envelope_takes_page(spec):
    assert set(_paged_lists(spec)) == _envelopes(spec)


@pytest.mark.parametrize("name,value", [("page", "0"), ("page", "abc"), ("per_page", "100000"), ("page", HUGE),
                                        ("per_page", HUGE), ("per_page", "-1"), ("page", str(2 ** 63)),
                                        ("per_page", "0"), ("per_page", "abc"), ("page", "1.5")],
                         ids=["page-0", "page-abc", "per_page-100000", "page-huge", "per_page-huge", "per_page-neg",
                              "page-2**63", "per_page-0", "per_page-abc", "page-fraction"])
def test_every_paged_list_refuses_a_bad_paging_parameter_with_a_400_naming_it(client, spec, admin, name, value):
    lists = _paged_lists(spec)
    assert len(lists) >= 10
    failures = []
    for path in lists:
        url = re.sub(r"\{\w+\}", "1", path)
        resp = client.get(url, query_string={name: value}, headers=admin)
        body = resp.get_json(silent=True) or {}
        if resp.status_code != 400 or body.get("code") != "bad_request" or name not in body.get("message", ""):
            failures.append(f"{path}: {resp.status_code} {body}")
    assert not failures, "\n".join(failures)


def test_a_good_page_answers_the_envelope_everywhere(client, spec, admin, tree):
    failures = []
    for path in _paged_lists(spec):
        url = re.sub(r"\{(\w+)\}", lambda m: str(tree.committee.id) if m.group(1) == "org_id" else "1", path)
        resp = client.get(url, query_string={"page": "2", "per_page": "1", "org_id": tree.committee.id}, headers=admin)
        if resp.status_code == 404:  # a path id the world does not hold (a notice, a member's points)
            continue
        body = resp.get_json()
        if resp.status_code != 200 or not {"items", "total", "page", "per_page"} <= set(body) \
                or (body["page"], body["per_page"]) != (2, 1) or len(body["items"]) > 1:
            failures.append(f"{path}: {resp.status_code} {body}")
    assert not failures, "\n".join(failures)


def test_the_old_limit_of_a_list_is_refused_not_ignored(client, admin):
    body = assert_error(client.get("/api/v1/media", query_string={"limit": "5"}, headers=admin), 400, "bad_request")
    assert body["errors"] == {"limit": ["use_page"]}


def test_a_bad_filter_of_a_list_is_a_400_too(client, admin, tree):
    body = assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions",
                                   query_string={"from": "2026-13-40"}, headers=admin), 400, "bad_request")
    assert "from" in body["message"]
    body = assert_error(client.get("/api/v1/courses", query_string={"status": "nonsense"}, headers=admin), 400)
    assert "status" in body["message"]
