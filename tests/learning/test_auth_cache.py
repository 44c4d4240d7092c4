"""The auth cache (learning.authcache) within one process: tokens and cookie sessions answered from memory,
and every change that ends or alters an account seen at once. The two-process behaviour (Redis pub/sub)
is tests/learning/test_scale_out.py."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from learning.authcache import EMBEDDED_TTL_S, AuthCache
from learning.extensions import db
from learning.models import ApiToken, Member
from learning.services import members as member_service
from learning.timeutil import utcnow
from tests.factories import PASSWORD, bearer, make_member
from tests.helpers import assert_error, statements


@pytest.fixture(autouse=True)
def _cache(auth_cache):
    """Every test here runs with the auth cache listening and its clock stopped."""
    return auth_cache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_known_token_costs_no_query_for_the_member(client, tree):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # with Redis, the invalidations the set-up's own commits published may still arrive and empty the
    # cache once more (a miss, never a stale answer): the claim is about the warm cache, so warm it again
    for _ in range(40):
        with statements() as seen:
            body = client.get("/api/v1/me", headers=headers).get_json()
        if not [s for s in seen if "API_TOKEN" in s or "FROM MEMBER" in s or "ROLE_GRANT" in s]:
            break
        time.sleep(0.05)
    assert body["id"] == member.id and {r["role"] for r in body["roles"]} == {"member", "organiser"}
    assert not [s for s in seen if "API_TOKEN" in s or "FROM MEMBER" in s or "ROLE_GRANT" in s], seen
    assert not [s for s in seen if s.startswith(("UPDATE", "INSERT", "DELETE"))], seen


def test_a_logged_out_token_is_refused_at_once_though_cached(client, tree):
    member = make_member(tree.branch1)
    headers, other = bearer(member), bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=other).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    assert client.get("/api/v1/me", headers=other).status_code == 200  # only that token ended


def test_a_password_change_refuses_every_cached_token_at_once(client, tree):
    member = make_member(tree.branch1)
    headers, other = bearer(member), bearer(member)
    for h in (headers, other):
        assert client.get("/api/v1/me", headers=h).status_code == 200
    resp = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": PASSWORD, "new_password": "another-pass-2"})
    assert resp.status_code == 200
    for h in (headers, other):
        assert_error(client.get("/api/v1/me", headers=h), 401)


def test_a_deactivation_refuses_the_cached_token_at_once(client, login_as, tree):
    member = make_member(tree.branch1)
    headers = bearer(member)
    _, boss = login_as("organiser", tree.branch1)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.patch(f"/api/v1/members/{member.id}", headers=boss, json={"status": "inactive"}).status_code == 200
    assert_error(client.get("/api/v1/me", headers=headers), 401)


def test_a_new_role_shows_at_once(client, tree):
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert [r["role"] for r in client.get("/api/v1/me", headers=headers).get_json()["roles"]] == ["member"]
    member_service.grant_role(member, "organiser", tree.branch1)
    db.session.commit()
    roles = [r["role"] for r in client.get("/api/v1/me", headers=headers).get_json()["roles"]]
    assert roles == ["member", "organiser"]


def test_a_changed_member_shows_at_once(client, tree):
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.get(Member, member.id).name = "新名字"
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).get_json()["name"] == "新名字"


def test_an_expired_token_is_refused_though_cached(client, tree, monkeypatch):
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    from learning.services import accounts

    later = utcnow() + timedelta(days=365)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert_error(client.get("/api/v1/me", headers=headers), 401)


def test_a_cookie_session_ends_at_once_when_the_password_changes_elsewhere(client, page_login, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    assert page_login(member).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 200  # from memory now
    from learning.services import accounts

    accounts.set_password(db.session.get(Member, member.id), "another-pass-2")
    db.session.commit()
    assert_error(client.get("/api/v1/me"), 401)


def test_a_failed_request_invalidates_nothing_and_writes_nothing(client, tree):
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    resp = client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": "wrong-pass-1", "new_password": "another-pass-2"})
    assert resp.status_code == 401
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.member_id == member.id)) is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_entries_live_at_most_a_second_without_redis():
    clock = Clock()
    cache = AuthCache(3600, None, "x", clock=clock)
    assert cache.ttl == EMBEDDED_TTL_S
    now = utcnow()
    cache.store(cache.generation, 7, {"member": {"id": 7}, "grants": []}, "d", now + timedelta(days=1))
    assert cache.token("d", now) == 7 and cache.member(7) is not None
    clock.now += EMBEDDED_TTL_S + 0.01
    assert cache.token("d", now) is None and cache.member(7) is None


def test_a_read_that_began_before_an_invalidation_is_not_kept():
    cache = AuthCache(10, None, "x", clock=Clock())
    now = utcnow()
    began = cache.generation  # a request starts reading the database ...
    cache.invalidate([7], [])  # ... another revokes the member's tokens and commits ...
    cache.store(began, 7, {"member": {"id": 7}, "grants": []}, "d", now + timedelta(days=1))  # ... then it stores
    assert cache.token("d", now) is None and cache.member(7) is None


def test_without_its_invalidation_channel_the_cache_is_not_used(app):
    """Redis configured but the channel not (yet) heard: every call reads the database."""
    cache = AuthCache(10, "redis://127.0.0.1:1/0", "x", clock=Clock())  # nothing listens on port 1
    now = utcnow()
    cache.store(cache.generation, 7, {"member": {"id": 7}, "grants": []}, "d", now + timedelta(days=1))
    try:
        assert not cache.usable and cache.token("d", now) is None and cache.member(7) is None
    finally:
        cache.close()


def test_a_revocation_written_by_raw_sql_is_seen_within_a_second(client, tree, app, auth_cache):
    """A bulk statement bypasses the invalidation; without Redis the entry still ends within a second, with
    Redis `flask auth-cache-clear` empties every process's cache."""
    member = make_member(tree.branch1)
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
    db.session.commit()
    if app.extensions["auth_cache"].redis_url is None:
        auth_cache[0] += EMBEDDED_TTL_S + 0.01
    else:  # with Redis an entry lives TOKEN_CACHE_SECONDS: an operator clears the caches after bulk SQL
        assert app.test_cli_runner().invoke(args=["auth-cache-clear"]).exit_code == 0
    assert_error(client.get("/api/v1/me", headers=headers), 401)

