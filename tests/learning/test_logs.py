"""Structured logs (issue 11 point 12): one JSON line per request with id, member, route, status, duration."""
import json
import logging

import pytest

from learning.logs import REQUEST_LOG, JsonLines


@pytest.fixture
def request_lines(caplog):
    """The request log's records (caught at its own logger, however logging is configured)."""
    disabled, REQUEST_LOG.disabled = REQUEST_LOG.disabled, False  # alembic's fileConfig disables loggers
    REQUEST_LOG.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger=REQUEST_LOG.name)
    yield caplog
    REQUEST_LOG.removeHandler(caplog.handler)
    REQUEST_LOG.disabled = disabled


def test_each_request_writes_one_structured_line(request_lines, client, tree, login_as):
    member, headers = login_as("member", tree.branch1)
    resp = client.get("/api/v1/me", headers=headers | {"X-Request-ID": "lb-0123456789"})
    lines = list({id(r): r for r in request_lines.records  # seen here and, propagated, at the root
                  if r.name == "pioneer.request" and r.path == "/api/v1/me"}.values())
    assert len(lines) == 1
    line = lines[0]
    assert (line.request_id, line.member_id, line.route, line.status) == ("lb-0123456789", member.id, "/api/v1/me", 200)
    assert line.duration_ms >= 0 and resp.headers["X-Request-ID"] == "lb-0123456789"


def test_a_forged_request_id_is_replaced(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert resp.headers["X-Request-ID"] != "bad id <script>" and len(resp.headers["X-Request-ID"]) == 32


def test_the_formatter_writes_one_json_object_per_line():
    record = logging.LogRecord("pioneer.request", logging.INFO, __file__, 1, "GET %s", ("/x\n",), None)
    record.status, record.member_id = 200, 7
    text = JsonLines().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert (entry["message"], entry["status"], entry["member_id"], entry["level"]) == ("GET /x\n", 200, 7, "INFO")
