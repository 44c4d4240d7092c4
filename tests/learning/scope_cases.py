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
    return {"username": f"new{n}", "name": f"新成员{n}", "org_id": ctx.org.id}


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
    Case("POST", "/api/v1/members/{member_id}/activation-code", _member, allowed={"organiser", "admin"}),
    Case("GET", "/api/v1/members/{member_id}/history", _member, allowed=READERS),
    Case("GET", "/api/v1/members/{member_id}/records", _member, allowed=READERS),
]


def _import_form(ctx):
    n = next(_n)
    rows = f"姓名,用户名,所在支部\n导入成员{n},imported{n},{ctx.org.name}\n".encode("utf-8")
    return {"data": {"file": (io.BytesIO(rows), "members.csv"),
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
    Case("POST", "/api/v1/orgs/{org_id}/policy/preset", _org, allowed={"admin"},
         json={"preset": "zhengwu_2026"}),
    Case("GET", "/api/v1/orgs/{org_id}/policy/history", _org, allowed=READERS),
]


# inbox and notices: a message belongs to one member; a notice of branch1 reaches its members
ALL = {"member", "organiser", "reviewer", "host", "admin"}


def _message(ctx):
    from learning.models import Notification
    from learning.services import inbox

    member = make_member(ctx.org)
    inbox.post([member], "reminder", "学习任务即将到期", dedupe_key=f"scope-msg-{next(_n)}")
    note = ctx.db.session.scalar(__import__("sqlalchemy").select(Notification).where(
        Notification.member_id == member.id))
    return {"notification_id": note.id, "ids": [note.id]}


def _notice(ctx):
    from learning.services import notices

    author = make_member(ctx.org, roles=[("organiser", ctx.org)])
    notice = notices.publish(author, ctx.org, f"通知{next(_n)}", "请按时参加支部活动。")
    return {"notice_id": notice.id, "ids": [notice.id]}


CASES += [
    Case("GET", "/api/v1/me/inbox", _message, allowed=ALL, list_endpoint=True),
    # endpoints about the caller alone answer everyone; what they must not do is show or touch another's
    Case("GET", "/api/v1/me/inbox/unread", _message, allowed=ALL, list_endpoint=True),
    # only the addressee may mark a message read: everyone else, whatever their role, gets 404
    Case("POST", "/api/v1/me/inbox/{notification_id}/read", _message, allowed=set()),
    Case("POST", "/api/v1/me/inbox/read-all", _message, allowed=ALL, list_endpoint=True),
    Case("GET", "/api/v1/me/inbox/preferences", _message, allowed=ALL, list_endpoint=True),
    Case("PUT", "/api/v1/me/inbox/preferences", lambda ctx: {"json": {"kinds": [{"kind": "reminder"}]}},
         allowed=ALL, list_endpoint=True),
    Case("GET", "/api/v1/notices", _notice, allowed=ALL, list_endpoint=True),
    Case("POST", "/api/v1/notices", lambda ctx: {"json": {"org_id": ctx.org.id, "title": "关于学习的通知",
                                                          "body": "请按时学习。"}}, allowed={"organiser", "admin"}),
    # members of branch1 were addressed; other roles' callers live elsewhere and see it only through receipts
    Case("GET", "/api/v1/notices/{notice_id}", _notice, allowed={"member", "organiser", "reviewer", "admin"}),
    Case("DELETE", "/api/v1/notices/{notice_id}", _notice, allowed={"organiser", "admin"}),
    Case("GET", "/api/v1/notices/{notice_id}/receipts", _notice, allowed={"organiser", "reviewer", "admin"}),
]
