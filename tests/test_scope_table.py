"""Walks every API endpoint × role × relation; fails on any leak outside the caller's scope."""
from __future__ import annotations

import re

import pytest

from tests.factories import bearer, make_member, make_org
from tests.scope import RELATIONS, ROLES, Ctx, all_cases, in_scope, leaked, queued_only

#: endpoints that need no scope: anonymous or about the caller alone
UNSCOPED = {
    "POST /api/v1/auth/login", "POST /api/v1/auth/activate", "POST /api/v1/auth/logout", "GET /api/v1/me", "POST /api/v1/me/password",
    "GET /api/v1/openapi.json",
    # an outside participant's one-time link is the authority (appraisal; tests/appraisal/test_bad_input.py)
    "GET /api/v1/appraisal-links/ballot", "POST /api/v1/appraisal-links/ballot",
    # a topic request (点单) is posted in the caller's own branch, whoever they are (tests/courses/test_feedback.py)
    "POST /api/v1/topic-requests",
}


CASES = all_cases()


def _rule_key(rule, method) -> str:
    return f"{method} " + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def test_every_api_endpoint_has_a_scope_case(app):
    covered = {case.name for case in CASES} | UNSCOPED
    endpoints = {_rule_key(rule, m) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
                 for m in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(endpoints - covered)
    assert not missing, f"endpoints without a scope case: {missing}"
    stale = sorted({case.name for case in CASES} - endpoints)
    assert not stale, f"scope cases for endpoints that do not exist: {stale}"


def _caller(tree, role, relation, sibling_group):
    at = {"own": tree.branch1, "child": tree.general1, "parent": tree.group1, "sibling": tree.branch2,
          "sibling_group": sibling_group}[relation]
    if role == "member":
        home = at if at.kind in ("branch", "group") else tree.branch3
        grants = [] if home is at else [("member", at)]
    else:
        home, grants = tree.branch3, [(role, at)]
    return make_member(home, roles=grants)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scope(case, app, db, client, tree):
    failures = []
    sibling_group = make_org("第二党小组", "group", tree.branch2)
    for role in ROLES:
        for relation in RELATIONS:
            caller = _caller(tree, role, relation, sibling_group)
            ctx = Ctx(tree=tree, org=tree.branch1, db=db, app=app, caller=caller)
            made = case.make(ctx) or {}
            db.session.commit()
            headers = bearer(caller) | (case.headers or {})
            params = {k: v for k, v in made.items() if k not in ("json", "ids", "query", "data")}
            query = made.get("query", case.query)
            if "data" in made:  # a multipart form (file uploads)
                payload = {"data": made["data"], "content_type": "multipart/form-data"}
            else:
                payload = {"json": made.get("json", case.json(ctx) if callable(case.json) else case.json)}
            with queued_only(app, case.queued_only) as queued:
                resp = client.open(case.path.format(**params), method=case.method, query_string=query,
                                   headers=headers, **payload)
            status = resp.status_code
            where = f"{role}@{relation}: {status} {resp.get_data()[:160].decode(errors='replace')}"
            if status in case.ok and sorted({name for name, _ in queued}) != sorted(case.queued_only):
                failures.append(f"{where} queued {queued}, not each of {case.queued_only}")
            if in_scope(role, relation):
                expected = case.ok if role in case.allowed else case.denied
                if status not in expected:
                    failures.append(f"{where} (expected {expected})")
            elif case.list_endpoint:
                if status in case.ok and leaked(resp.get_json(silent=True), made.get("ids", ())):
                    failures.append(f"{where} LEAKS {made.get('ids')}")
                elif status not in case.ok + case.denied:
                    failures.append(f"{where} (expected an empty answer or a refusal)")
            elif status != 404:
                failures.append(f"{where} (expected 404 out of scope)")
    assert not failures, "\n".join(failures)
