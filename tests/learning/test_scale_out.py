"""Several app nodes (real pass only): two gunicorn servers share this run's PostgreSQL database and Redis.

- A bearer token revoked on one (logout, password change, deactivation) is refused on the other within a
  second, although both answer tokens from memory for an hour here (TOKEN_CACHE_SECONDS): only the
  invalidation over Redis pub/sub can make the other refuse it.
- A learner's heartbeats alternate between the servers and are credited exactly once.
- Rate limits are counted once for both servers.
"""
from __future__ import annotations

import http.client
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from courses.models import LessonProgress, StudySession
from learning.models import ApiToken
from learning.timeutil import utcnow
from tests.app_servers import app_servers
from tests.courses.helpers import first_lesson, make_course
from tests.factories import PASSWORD, bearer, make_member

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                                reason="needs PostgreSQL and Redis (the real pass): several nodes share them")

#: a second: what "revocation takes effect on every process within one second" allows
PROPAGATION_S = 1.0


@pytest.fixture(scope="module")
def two_servers(test_env):
    """Started once for the module (an app takes seconds to build); each test's tokens are new."""
    # both servers keep a token for an hour: refusing a revoked one can only come from the invalidation
    with app_servers(test_env, 2, TOKEN_CACHE_SECONDS="3600", LOGIN_RATE_LIMIT="4 per minute") as ports:
        yield ports


def call(port: int, method: str, path: str, headers: dict | None = None, body: dict | None = None):
    """(status, JSON body or None) of one request to the server on `port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={**(headers or {}), "Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith(
            "application/json") else None)
    finally:
        conn.close()


def refused_within(port: int, headers: dict, seconds: float = PROPAGATION_S) -> float:
    """Poll `GET /api/v1/me` on `port` until it answers 401; how long after the call the first refusing
    request was sent. Fails if every request sent within `seconds` was still answered 200."""
    start = time.monotonic()
    while True:
        sent = time.monotonic() - start
        status, body = call(port, "GET", "/api/v1/me", headers)
        if status == 401:
            assert body["code"] == "unauthorized"
            return sent
        assert status == 200, body
        assert sent < seconds, f"still accepted {sent:.2f} s after the revocation"


def _warm(ports, headers, member_id):
    """Both servers have answered the token (and so keep it in memory)."""
    for port in ports:
        for _ in range(2):
            status, body = call(port, "GET", "/api/v1/me", headers)
            assert status == 200 and body["id"] == member_id, body


def test_each_server_answers_a_token_from_memory_once_it_has_seen_it(tree, two_servers, db):
    """The cache is real: a revocation written behind the app's back (raw SQL, no invalidation) is not
    seen by a server that holds the token, while a server that never saw it reads the database."""
    member = make_member(tree.branch1)
    headers = bearer(member)
    port_a, port_b = two_servers
    _warm([port_a], headers, member.id)
    db.session.execute(update(ApiToken).where(ApiToken.member_id == member.id).values(revoked_at=utcnow()))
    db.session.commit()
    assert call(port_a, "GET", "/api/v1/me", headers)[0] == 200  # from memory
    assert call(port_b, "GET", "/api/v1/me", headers)[0] == 401  # from the database


def test_a_token_logged_out_on_one_server_is_refused_on_the_other_within_a_second(tree, two_servers):
    member = make_member(tree.branch1)
    headers, other = bearer(member), bearer(member)
    port_a, port_b = two_servers
    _warm(two_servers, headers, member.id)
    _warm(two_servers, other, member.id)
    assert call(port_a, "POST", "/api/v1/auth/logout", headers)[0] == 204
    refused_within(port_b, headers)
    assert call(port_a, "GET", "/api/v1/me", headers)[0] == 401
    # only that token ended: the member's other token still works on both
    assert call(port_b, "GET", "/api/v1/me", other)[0] == 200
    assert call(port_a, "GET", "/api/v1/me", other)[0] == 200


def test_a_password_change_on_one_server_ends_every_token_on_the_other_within_a_second(tree, two_servers):
    member = make_member(tree.branch1)
    headers, other = bearer(member), bearer(member)
    port_a, port_b = two_servers
    _warm(two_servers, headers, member.id)
    _warm(two_servers, other, member.id)
    status, body = call(port_a, "POST", "/api/v1/me/password", headers,
                        {"current_password": PASSWORD, "new_password": "another-pass-2"})
    assert status == 200, body
    refused_within(port_b, headers)
    refused_within(port_b, other)
    fresh = {"Authorization": f"Bearer {body['token']}"}
    assert call(port_b, "GET", "/api/v1/me", fresh)[0] == 200


def test_a_deactivation_on_one_server_is_refused_on_the_other_within_a_second(tree, two_servers):
    member = make_member(tree.branch1)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    headers, boss = bearer(member), bearer(organiser)
    port_a, port_b = two_servers
    _warm(two_servers, headers, member.id)
    status, body = call(port_a, "PATCH", f"/api/v1/members/{member.id}", boss, {"status": "inactive"})
    assert status == 200, body
    refused_within(port_b, headers)
    refused_within(port_a, headers)


def test_a_revoked_token_is_refused_for_writes_too(tree, two_servers, db):
    """Bad input: a revoked token within the cache's lifetime opens no session on the other server."""
    member = make_member(tree.branch1)
    lesson = first_lesson(make_course(tree.branch1))
    headers = bearer(member)
    port_a, port_b = two_servers
    _warm(two_servers, headers, member.id)
    assert call(port_a, "POST", "/api/v1/auth/logout", headers)[0] == 204
    refused_within(port_b, headers)
    status, body = call(port_b, "POST", "/api/v1/study/sessions", headers, {"lesson_id": lesson.id})
    assert status == 401 and body["code"] == "unauthorized"
    assert db.session.scalar(select(StudySession.id)) is None


def test_heartbeats_alternating_between_the_servers_are_credited_exactly_once(tree, two_servers, db):
    """Each beat goes to one server and, as a client retrying through a balancer might, the same beat at
    once to the other: one of the two is accepted, the other ignored; what the responses credited is what
    the session and the lesson hold, and never more than the wall time the learner spent."""
    member = make_member(tree.branch1)
    lesson = first_lesson(make_course(tree.branch1, duration=600.0))
    headers = bearer(member)
    port_a, port_b = two_servers
    status, opened = call(port_a, "POST", "/api/v1/study/sessions", headers, {"lesson_id": lesson.id})
    assert status == 201, opened
    sid, start = opened["id"], time.monotonic()
    path = f"/api/v1/study/sessions/{sid}/heartbeats"
    credited, accepted, last = 0.0, 0, None
    with ThreadPoolExecutor(2) as pool:
        for seq in range(1, 9):
            time.sleep(0.2)  # lets some study time pass; nothing below depends on how much
            beat = {"position": round(time.monotonic() - start, 3), "playing": True, "visible": True, "seq": seq}
            first, second = (port_a, port_b) if seq % 2 else (port_b, port_a)
            answers = list(pool.map(lambda port: call(port, "POST", path, headers, beat), (first, second)))
            assert [a[0] for a in answers] == [200, 200], answers
            bodies = [a[1] for a in answers]
            assert sorted(b["accepted"] for b in bodies) == [0, 1], bodies  # one credited, the other ignored
            assert sorted(b["ignored"] for b in bodies) == [0, 1], bodies
            winner = next(b for b in bodies if b["accepted"])
            credited += winner["credited"]
            accepted += 1
            last = winner
            assert all(b["credited"] == 0 for b in bodies if not b["accepted"])
    wall = time.monotonic() - start
    row = db.session.get(StudySession, sid)
    progress = db.session.scalar(select(LessonProgress).where(LessonProgress.member_id == member.id))
    assert row.beats == accepted == 8 and row.ignored_beats == 8
    assert credited > 0
    # the session's total and what the last answer reported agree to the rounding of each (1/100 s)
    assert row.credited_s == pytest.approx(credited, abs=0.05)
    assert row.credited_s == pytest.approx(last["session_credited"], abs=0.02)
    assert progress.credited_s == pytest.approx(row.credited_s, abs=0.02)
    assert row.credited_s <= wall + 1.0  # never more than the time that passed (+ the rules' tolerance)


def test_rate_limits_are_counted_once_for_both_servers(tree, two_servers):
    """Four failed logins per account per minute here: two on each server use them up for both."""
    member = make_member(tree.branch1)
    port_a, port_b = two_servers
    wrong = {"username": member.username, "password": "not-the-password-9"}
    for port in (port_a, port_b, port_a, port_b):
        status, body = call(port, "POST", "/api/v1/auth/login", body=wrong)
        assert status == 401 and body["code"] == "login_failed", body
    for port in (port_a, port_b):
        status, body = call(port, "POST", "/api/v1/auth/login", body={**wrong, "password": PASSWORD})
        assert status == 429, body


def test_a_token_revoked_on_one_server_cannot_beat_on_the_other(tree, two_servers, db):
    member = make_member(tree.branch1)
    lesson = first_lesson(make_course(tree.branch1))
    headers = bearer(member)
    port_a, port_b = two_servers
    status, opened = call(port_b, "POST", "/api/v1/study/sessions", headers, {"lesson_id": lesson.id})
    assert status == 201, opened
    path = f"/api/v1/study/sessions/{opened['id']}/heartbeats"
    assert call(port_b, "POST", path, headers, {"position": 0.1, "playing": True, "visible": True, "seq": 1})[0] == 200
    assert call(port_a, "POST", "/api/v1/auth/logout", headers)[0] == 204
    refused_within(port_b, headers)
    status, body = call(port_b, "POST", path, headers, {"position": 0.2, "playing": True, "visible": True, "seq": 2})
    assert status == 401 and body["code"] == "unauthorized"
    assert db.session.get(StudySession, opened["id"]).beats == 1
