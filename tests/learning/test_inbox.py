"""The inbox: posting, preferences, unread counts, and e-mail delivery through the outbox."""
from __future__ import annotations

import socket
import pytest
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Delivery, Notification
from learning.services import inbox
from learning.tasks import deliver_outbox
from learning.timeutil import utcnow
from tests.factories import make_member
from tests.helpers import assert_error


def test_post_reaches_each_member_once_with_a_dedupe_key(tree):
    a, b = make_member(tree.branch1), make_member(tree.branch1)
    assert inbox.post([a, b.id, a], "quiz_published", "新测验：党章知识", dedupe_key="quiz:1") == 2
    assert inbox.post([a, b], "quiz_published", "新测验：党章知识", dedupe_key="quiz:1") == 0
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))) == 2


def test_unknown_kind_is_refused(tree):
    with pytest.raises(LookupError):
        inbox.post([make_member(tree.branch1)], "no_such_kind", "x")


def test_inbox_lists_my_messages_with_unread_count(client, login_as, tree):
    member, headers = login_as("member", tree.branch1)
    other = make_member(tree.branch1)
    inbox.post([member, other], "task_published", "新的学习任务：学习二十大报告", link="/tasks")
    inbox.post([member], "results_released", "测验成绩已公布")
    db.session.commit()
    body = client.get("/api/v1/me/inbox", headers=headers).get_json()
    assert body["total"] == 2 and body["unread"] == 2
    assert [i["title"] for i in body["items"]] == ["测验成绩已公布", "新的学习任务：学习二十大报告"]
    first = body["items"][0]["id"]
    assert client.post(f"/api/v1/me/inbox/{first}/read", headers=headers).status_code == 200
    assert client.get("/api/v1/me/inbox/unread", headers=headers).get_json() == {"unread": 1}
    unread = client.get("/api/v1/me/inbox?unread=true", headers=headers).get_json()
    assert [i["title"] for i in unread["items"]] == ["新的学习任务：学习二十大报告"]
    assert client.post("/api/v1/me/inbox/read-all", headers=headers).get_json() == {"unread": 0}


def test_someone_elses_message_is_not_found(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    other = make_member(tree.branch1)
    inbox.post([other], "reminder", "提醒")
    db.session.commit()
    note = db.session.scalar(select(Notification))
    assert_error(client.post(f"/api/v1/me/inbox/{note.id}/read", headers=headers), 404, "not_found")
    assert_error(client.post(f"/api/v1/me/inbox/{2**63}/read", headers=headers), 404)
    assert db.session.get(Notification, note.id).read_at is None


def test_a_muted_kind_is_not_posted_but_a_mandatory_one_is(client, login_as, tree):
    member, headers = login_as("member", tree.branch1)
    resp = client.put("/api/v1/me/inbox/preferences", headers=headers,
                      json={"kinds": [{"kind": "quiz_published", "in_app": False}]})
    assert resp.status_code == 200, resp.get_json()
    assert {k["kind"]: k["in_app"] for k in resp.get_json()["kinds"]}["quiz_published"] is False
    assert inbox.post([member], "quiz_published", "新测验") == 0
    assert inbox.post([member], "points_corrected", "积分更正") == 1


def test_a_mandatory_kind_cannot_be_turned_off(client, login_as, tree):
    member, headers = login_as("member", tree.branch1)
    body = assert_error(client.put("/api/v1/me/inbox/preferences", headers=headers, json={
        "kinds": [{"kind": "quiz_published", "in_app": False}, {"kind": "points_corrected", "in_app": False}]}),
        422, "invalid")
    assert "kinds" in body["errors"]
    prefs = client.get("/api/v1/me/inbox/preferences", headers=headers).get_json()
    assert all(k["in_app"] for k in prefs["kinds"])  # nothing half-written


@pytest.mark.parametrize("payload", [
    {"kinds": [{"kind": "nonsense"}]},
    {"kinds": [{"kind": "reminder", "channels": ["pigeon"]}]},
    {"addresses": {"email": "not-an-address"}},
    {"kinds": [{"kind": "reminder", "channels": ["email"]}]},  # no address
    {"kinds": "reminder"},
])
def test_bad_preferences_are_refused(client, login_as, tree, payload):
    _, headers = login_as("member", tree.branch1)
    assert_error(client.put("/api/v1/me/inbox/preferences", headers=headers, json=payload), 422)


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on a free local port (aiosmtpd), with the app's mail settings pointing at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_FROM", "PUBLIC_URL")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="noreply@example.org",
                      PUBLIC_URL="https://xianfeng.example.org")
    yield handler
    app.config.update(saved)
    controller.stop()


def _choose_email(client, headers, kind):
    resp = client.put("/api/v1/me/inbox/preferences", headers=headers, json={
        "addresses": {"email": "zhang.wei@example.org"}, "kinds": [{"kind": kind, "channels": ["email"]}]})
    assert resp.status_code == 200, resp.get_json()


def test_email_is_delivered_through_the_outbox(client, login_as, tree, smtp_server):
    member, headers = login_as("member", tree.branch1)
    _choose_email(client, headers, "task_published")
    inbox.post([member], "task_published", "新的学习任务：学习党章", body="请于本周五前完成。", link="/tasks")
    db.session.commit()
    assert db.session.scalar(select(Delivery.status)) == "pending"
    assert deliver_outbox() == {"sent": 1}
    assert smtp_server.messages, "the SMTP server received nothing"
    (rcpts, content), = smtp_server.messages
    assert rcpts == ["zhang.wei@example.org"]
    assert "https://xianfeng.example.org/tasks" in content
    assert db.session.scalar(select(Delivery.status)) == "sent"
    assert deliver_outbox() == {}  # sent once


def test_a_failed_send_is_retried_later_not_lost(client, login_as, tree, app, smtp_server):
    member, headers = login_as("member", tree.branch1)
    _choose_email(client, headers, "reminder")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    app.config["MAIL_PORT"] = dead
    inbox.post([member], "reminder", "提醒：学习任务即将到期")
    db.session.commit()
    assert deliver_outbox() == {"pending": 1}
    row = db.session.scalar(select(Delivery))
    assert row.attempts == 1 and "ConnectionRefusedError" in row.last_error and row.next_attempt_at > utcnow()
    assert deliver_outbox() == {}  # not due yet: backoff
    assert smtp_server.messages == []
    # still in the member's app inbox
    assert client.get("/api/v1/me/inbox/unread", headers=headers).get_json() == {"unread": 1}


def test_without_a_mail_server_email_is_not_offered(client, login_as, tree, app):
    app.config["MAIL_SERVER"] = None
    _, headers = login_as("member", tree.branch1)
    prefs = client.get("/api/v1/me/inbox/preferences", headers=headers).get_json()
    assert {c["name"]: c["available"] for c in prefs["channels"]} == {"email": False}


def test_read_all_touches_only_my_messages(client, login_as, tree):
    member, headers = login_as("member", tree.branch1)
    other = make_member(tree.branch1)
    inbox.post([member, other], "reminder", "提醒")
    db.session.commit()
    client.post("/api/v1/me/inbox/read-all", headers=headers)
    unread = db.session.scalars(select(Notification.member_id).where(Notification.read_at.is_(None))).all()
    assert unread == [other.id]
