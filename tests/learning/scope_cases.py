"""Scope cases of the core endpoints (see tests/scope.py)."""
import io
import itertools

from learning.services import members as member_service, orgs as org_service
from learning.services.records import record
from tests.factories import make_member
from tests.scope import Case

_n = itertools.count(1)
READERS = {"organiser", "reviewer", "admin"}


def _org(ctx):
    return {"org_id": ctx.org.id, "ids": [ctx.org.id]}


def _empty_group(ctx):
    group = org_service.create_org(f"临时小组{next(_n)}", "group", ctx.org)
    return {"org_id": group.id, "ids": [group.id]}


def _member(ctx):
    member = make_member(ctx.org)
    record(member, "studied", "lesson", 1, idempotency_key=f"scope-{member.id}", duration_s=30)
    return {"member_id": member.id, "ids": [member.id]}


def _new_member_json(ctx):
    n = next(_n)
    return {"username": f"new{n}", "name": f"新成员{n}", "org_id": ctx.org.id, "initial_password": "init-pass-123"}


CASES = [
    Case("GET", "/api/v1/orgs", lambda ctx: {"ids": [ctx.org.id]}, allowed={"member", "organiser", "reviewer",
         "host", "admin"}, list_endpoint=True),
    Case("POST", "/api/v1/orgs", lambda ctx: {"json": {"name": f"新党小组{next(_n)}", "kind": "group",
                                                     "parent_id": ctx.org.id}}, allowed={"admin"}),
    Case("GET", "/api/v1/orgs/{org_id}", _org, allowed={"member", "organiser", "reviewer", "host", "admin"}),
    Case("PATCH", "/api/v1/orgs/{org_id}", _org, allowed={"admin"}, json={"name": "改名党支部"}),
    Case("DELETE", "/api/v1/orgs/{org_id}", _empty_group, allowed={"admin"}),
    Case("GET", "/api/v1/orgs/{org_id}/children", _org,
         allowed={"member", "organiser", "reviewer", "host", "admin"}),
    Case("GET", "/api/v1/orgs/{org_id}/members", _org, allowed=READERS),
    Case("GET", "/api/v1/members", _member, allowed={"member", "organiser", "reviewer", "host", "admin"},
         list_endpoint=True),
    Case("POST", "/api/v1/members", lambda ctx: {"json": _new_member_json(ctx)}, allowed={"organiser", "admin"}),
    Case("GET", "/api/v1/members/{member_id}", _member, allowed=READERS),
    Case("PATCH", "/api/v1/members/{member_id}", _member, allowed={"organiser", "admin"},
         json={"name": "改过的名字"}),
    Case("POST", "/api/v1/members/{member_id}/transfer",
         lambda ctx: _member(ctx) | {"json": {"to_org_id": ctx.tree.group1.id, "reason": "调整党小组"}},
         allowed={"organiser", "admin"}),
    Case("GET", "/api/v1/members/{member_id}/history", _member, allowed=READERS),
    Case("GET", "/api/v1/members/{member_id}/records", _member, allowed=READERS),
]


def _import_form(ctx):
    n = next(_n)
    rows = f"姓名,用户名,所在支部\n导入成员{n},imported{n},{ctx.org.name}\n".encode("utf-8")
    return {"data": {"file": (io.BytesIO(rows), "members.csv"), "initial_password": "init-pass-123",
                     "org_id": str(ctx.org.id)}}


def _grant_json(ctx):
    return {"member_id": make_member(ctx.org).id, "role": "host"}


def _grant(ctx):
    member = make_member(ctx.org)
    row = member_service.grant_role(member, "host", ctx.org)
    return {"grant_id": row.id}


CASES += [
    Case("GET", "/api/v1/orgs/{org_id}/tree", _org, allowed={"member", "organiser", "reviewer", "host", "admin"}),
    Case("POST", "/api/v1/members/import", _import_form, allowed={"organiser", "admin"}),
    # the template is the same file for everyone who may import; others are refused
    Case("GET", "/api/v1/members/import/template", lambda ctx: {}, allowed={"organiser", "admin"},
         list_endpoint=True),
    Case("GET", "/api/v1/orgs/{org_id}/roles", _org, allowed={"admin"}),
    Case("POST", "/api/v1/orgs/{org_id}/roles", lambda ctx: _org(ctx) | {"json": _grant_json(ctx)},
         allowed={"admin"}),
    Case("DELETE", "/api/v1/roles/{grant_id}", _grant, allowed={"admin"}),
    Case("GET", "/api/v1/orgs/{org_id}/policy", _org, allowed=READERS),
    Case("PUT", "/api/v1/orgs/{org_id}/policy", _org, allowed={"admin"},
         json={"values": {"ranking_visibility": "hidden"}}),
]
