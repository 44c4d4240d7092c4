"""Open streams and the database: a stream holds no pooled connection while it is open, and a crowd opening
streams on a warm process needs no query at all (docs/scale.md: connect storms exhausted the pool)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event as sa_event

from learning.extensions import db
from tests.arena.factories import start_speed_event
from tests.arena.sse import Frames
from tests.factories import bearer, make_member


@pytest.fixture
def running(tree, client):
    event, h, _, _ = start_speed_event(tree.branch1)
    viewers = [make_member(tree.branch1) for _ in range(4)]
    viewers = [make_member(tree.branch1) for _ in range(4)]
    return {"event_id": event.id, "host": h, "viewers": viewers, "heads": [bearer(v) for v in viewers],
            "token": event.guest_token}


def _checked_out() -> int:
    pool = db.engine.pool
    return pool.checkedout() if hasattr(pool, "checkedout") else 0


def _release_test_session() -> None:
    """The test's own session gives its connection back, so the pool counts only the requests'."""
    db.session.commit()
    db.session.remove()


@contextmanager
def _statements():
    """Counts the SQL statements the app runs meanwhile (any connection of the engine)."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)


def _open(client, event_id, headers=None, query=""):
    response = client.get(f"/api/v1/arenas/{event_id}/events{query}", headers=headers or {}, buffered=False)
    assert response.status_code == 200, response.get_data()[:300]
    return response, Frames(response.response)


def test_open_streams_hold_no_database_connection(running, client):
    _release_test_session()
    assert _checked_out() == 0
    opened = []
    try:
        for i in range(12):
            response, frames = _open(client, running["event_id"], running["heads"][i % 4])
            assert frames.next()["type"] == "snapshot"
            opened.append((response, frames))
            assert _checked_out() == 0, f"stream {i + 1} holds a connection while open"
        response, frames = _open(client, running["event_id"], query=f"?guest={running['token']}")
        assert frames.next()["type"] == "snapshot"
        opened.append((response, frames))
        assert _checked_out() == 0
        running["host"].do("open")  # the host's POST takes a connection and gives it back
        _release_test_session()
        for _, frames in opened:
            assert frames.next(skip_unnumbered=True)["type"] == "open"
        assert _checked_out() == 0, "delivering an event to open streams took a connection"
    finally:
        for response, _ in opened:
            response.close()
    assert _checked_out() == 0


def test_a_warm_process_opens_streams_without_a_query(running, client, auth_cache):
    first = [_open(client, running["event_id"], h) for h in running["heads"]]  # tokens, passes, the snapshot
    try:
        for _, frames in first:
            assert frames.next()["type"] == "snapshot"
        _release_test_session()
        more = []
        with _statements() as seen:
            for i in range(8):
                more.append(_open(client, running["event_id"], running["heads"][i % 4]))
                assert more[-1][1].next()["type"] == "snapshot"
        for response, _ in more:
            response.close()
        assert seen == []
    finally:
        for response, _ in first:
            response.close()


def test_a_stream_pass_ends_when_the_viewer_leaves_scope(running, client, auth_cache, tree):
    viewer, heads = running["viewers"][0], running["heads"][0]
    response, frames = _open(client, running["event_id"], heads)
    try:
        assert frames.next()["type"] == "snapshot"
        moved = db.session.merge(viewer)
        moved.org_id = tree.branch3.id  # outside the event's branch: the commit invalidates the auth cache
        db.session.commit()
        outside = client.get(f"/api/v1/arenas/{running['event_id']}/events", headers=heads)
        assert outside.status_code == 404 and outside.get_json()["code"] == "not_found"
    finally:
        response.close()


def test_a_stream_pass_is_per_event_and_per_guest_link(running, client, auth_cache):
    response, frames = _open(client, running["event_id"], query=f"?guest={running['token']}")
    try:
        assert frames.next()["type"] == "snapshot"
        wrong = client.get(f"/api/v1/arenas/{running['event_id']}/events?guest=x{running['token']}")
        assert wrong.status_code == 404
        other = client.get(f"/api/v1/arenas/{running['event_id'] + 1}/events?guest={running['token']}")
        assert other.status_code == 404
        huge = client.get(f"/api/v1/arenas/{2**70}/events", headers=running["heads"][0])
        assert huge.status_code == 404
    finally:
        response.close()


def test_a_crowd_waits_for_its_turn_to_open_and_is_told_to_retry_after_too_long(running, client, app):
    gate = app.extensions["arena_openings"]
    held = 0
    saved = app.config.get("ARENA_STREAM_OPENING_WAIT_S")
    try:
        while gate.acquire(blocking=False):  # every turn taken, as by openings that are waiting on the database
            held += 1
        assert held >= 1
        app.config["ARENA_STREAM_OPENING_WAIT_S"] = 0.01
        _release_test_session()
        with _statements() as seen:
            busy = client.get(f"/api/v1/arenas/{running['event_id']}/events", headers=[("Authorization", "Bearer x")])
        assert busy.status_code == 503 and busy.get_json()["code"] == "busy"
        assert busy.get_json()["message"] == "正在连接的屏幕过多，请稍后重试。"
        assert seen == []  # refused without a query: not even the caller's token
        assert busy.headers["Retry-After"] == "2"
        assert client.get(f"/api/v1/arenas/{running['event_id']}").status_code == 401  # other requests go on
    finally:
        for _ in range(held):
            gate.release()
        app.config["ARENA_STREAM_OPENING_WAIT_S"] = saved if saved is not None else 120.0
    response, frames = _open(client, running["event_id"], running["heads"][0])
    try:
        assert frames.next()["type"] == "snapshot"
        outside = client.get(f"/api/v1/arenas/{running['event_id']}/events")  # refused: its turn ends all the same
        assert outside.status_code == 404
    finally:
        response.close()
    taken = 0
    while gate.acquire(blocking=False):  # every turn came back, including the open stream's and the refused one's
        taken += 1
    for _ in range(taken):
        gate.release()
    assert taken == held
