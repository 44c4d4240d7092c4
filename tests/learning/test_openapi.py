"""The OpenAPI document covers every endpoint, and every JSON body of the wrong shape gets a clear 4xx."""
from __future__ import annotations

import json
import re
import warnings

import pytest

from learning.app import create_app
from learning.services import members as member_service
from tests.conftest import app_config
from tests.factories import make_member
from tests.helpers import assert_error

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
WRITE_METHODS = {"POST", "PUT", "PATCH"}


def _spec(client) -> dict:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def _spec_path(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def _api_rules(app, package: str | None = None):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule == "/api/v1/openapi.json":
            continue
        view = app.view_functions[rule.endpoint]
        if package and not getattr(view, "view_class", view).__module__.startswith(package + "."):
            continue
        yield rule


def test_every_api_endpoint_is_in_the_openapi_document(app, client):
    paths = _spec(client)["paths"]
    missing = [f"{m} {_spec_path(rule)}" for rule in _api_rules(app) for m in rule.methods & HTTP_METHODS
               if m.lower() not in paths.get(_spec_path(rule), {})]
    assert not missing, f"endpoints missing from openapi.json: {missing}"


def test_every_operation_documents_the_error_shape(app, client):
    spec = _spec(client)
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert {"code", "message", "errors"} <= set(error)
    assert error["code"]["type"] == "string"
    undocumented = [f"{method} {path}" for path, ops in spec["paths"].items() for method, op in ops.items()
                    if method.upper() in HTTP_METHODS and "default" not in op["responses"]]
    assert not undocumented


def test_building_the_document_raises_no_warning_and_names_each_schema_once(test_env):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # apispec warns, then numbers the name, when two schemas share one
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        fresh = create_app(app_config(test_env))
        try:
            spec = fresh.test_client().get("/api/v1/openapi.json").get_json()
        finally:
            fresh.extensions["celery"].set_default()  # the second app must not take over shared tasks
    names = set(spec["components"]["schemas"])
    assert not [n for n in names if re.search(r"\d$", n)], "apispec fell back to numbered names"
    assert {"Session", "ReportSession", "Attempt", "ReportAttempt", "WrongAnswer", "ReportWrongAnswer",
            "Error"} <= names  # schema class names are unique across packages; a clash fails above


def test_the_import_is_documented_as_a_multipart_upload(client):
    body = _spec(client)["paths"]["/api/v1/members/import"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = _spec(client)["components"]["schemas"][schema]["properties"]
    assert fields["file"] == {"type": "string", "format": "binary",
                              "description": fields["file"]["description"]}
    assert {"org_id"} <= set(fields) and "initial_password" not in fields


@pytest.fixture
def admin_world(db, tree, login_as):
    """A committee admin and one of each resource, keyed by path parameter name."""
    _, headers = login_as("admin", tree.committee, branch=tree.branch3)
    member = make_member(tree.branch1)
    grant = member_service.grant_role(member, "host", tree.branch1)
    db.session.commit()
    return headers, {"org_id": tree.branch1.id, "member_id": member.id, "grant_id": grant.id}


def _json_write_operations(app, spec):
    for rule in _api_rules(app, "learning"):
        for method in sorted(rule.methods & WRITE_METHODS):
            op = spec["paths"][_spec_path(rule)][method.lower()]
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                yield method, rule


@pytest.mark.parametrize("body", [["a", "list"], "a string", 42, None, True], ids=["list", "string", "number",
                                                                                  "null", "boolean"])
def test_json_bodies_of_the_wrong_type_get_a_4xx_json_error(app, client, admin_world, body):
    headers, ids = admin_world
    operations = list(_json_write_operations(app, _spec(client)))
    assert len(operations) >= 9
    failures = []
    for method, rule in operations:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        resp = client.open(url, method=method, data=json.dumps(body), content_type="application/json",
                           headers=headers)
        payload = resp.get_json(silent=True)
        if not (400 <= resp.status_code < 500 and isinstance(payload, dict) and payload.get("code")
                and payload.get("message")):
            failures.append(f"{method} {rule.rule}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)


WRONG_FIELD_TYPES = [
    ("POST", "/api/v1/auth/login", {"username": 5, "password": []}, {"username", "password"}),
    ("POST", "/api/v1/me/password", {"current_password": 1, "new_password": {}},
     {"current_password", "new_password"}),
    ("POST", "/api/v1/orgs", {"name": 5, "kind": 1, "parent_id": "x"}, {"name", "kind", "parent_id"}),
    ("PATCH", "/api/v1/orgs/{org_id}", {"name": [], "parent_id": "x"}, {"name", "parent_id"}),
    ("POST", "/api/v1/members", {"username": 1, "name": {}, "org_id": "x", "birth_date": 19800101},
     {"username", "name", "org_id", "birth_date"}),
    ("PATCH", "/api/v1/members/{member_id}", {"name": 1, "status": 5, "birth_date": True},
     {"name", "status", "birth_date"}),
    ("POST", "/api/v1/members/{member_id}/transfer", {"to_org_id": [], "reason": 1}, {"to_org_id", "reason"}),
    ("POST", "/api/v1/orgs/{org_id}/roles", {"member_id": "1", "role": 2}, {"member_id", "role"}),
    ("PUT", "/api/v1/orgs/{org_id}/policy", {"values": [], "clear": {}}, {"values", "clear"}),
]


@pytest.mark.parametrize("method, path, body, fields", WRONG_FIELD_TYPES, ids=[f"{m} {p}" for m, p, *_ in
                                                                              WRONG_FIELD_TYPES])
def test_fields_of_the_wrong_type_are_named_in_the_error(client, admin_world, method, path, body, fields):
    headers, ids = admin_world
    resp = client.open(path.format(**ids), method=method, json=body, headers=headers)
    assert set(assert_error(resp, 422)["errors"]) == fields


def test_a_malformed_json_body_is_a_400(client, admin_world):
    headers, ids = admin_world
    resp = client.post("/api/v1/orgs", data="{not json", content_type="application/json", headers=headers)
    assert assert_error(resp, 400, "bad_request")["message"]


def test_every_paged_list_uses_the_one_pagination_style(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    paged = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if method == "parameters":  # the path's own parameters, not an operation
                continue
            names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
            if "page" in names or "per_page" in names:
                paged.append(path)
                assert {"page", "per_page"} <= names, path
                ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert {"items", "total", "page", "per_page"} <= set(schemas[ref]["properties"]), path
    assert {"/api/v1/members", "/api/v1/questions"} <= set(paged)
