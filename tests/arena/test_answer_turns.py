"""Answers wait their turn outside the database pool and are judged by when the server received them
(docs/scale.md: 396 of 500 answers failed on pool timeouts while 5,000 streams watched)."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event as sa_event, select

from arena.models import ArenaAction, ArenaAnswer, ArenaEvent
from arena.services import referee
from arena.services.turns import Turns
from learning.extensions import db
from learning.models import Member
from tests.arena.factories import Host, make_bank, make_event, players
from tests.conftest import REAL
from tests.factories import bearer, make_member


def _speed_event(org, contestants: int, limit_s: int = 60):
    host = make_member(org, roles=[("host", org)])
    bank = make_bank(org, 2)
    people, heads = players(org, contestants)
    event = make_event(host, org, people, [{"kind": "speed", "time_limit_s": limit_s,
                                            "question_ids": [q.id for q in bank]}])
    from flask import current_app

    h = Host(current_app.test_client(), event.id, bearer(host))
    h.do("start")
    slot_id = h.do("open")["state"]["slot"]["id"]
    return event.id, host.id, heads, slot_id


def _release_test_session() -> None:
    db.session.commit()
    db.session.remove()


def _wait_until(condition, what: str, bound_s: float = 60.0) -> None:
    """Poll for a state the test needs before its next step (a bound against a hang, not a timing check)."""
    end = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.01)


@pytest.fixture
def turns(app):
    """Swap the app's arena write turns for a given number; restore them after."""
    saved = app.extensions["arena_writes"]

    def use(size: int) -> Turns:
        app.extensions["arena_writes"] = Turns(size)
        return app.extensions["arena_writes"]

    yield use
    app.extensions["arena_writes"] = saved


@pytest.mark.skipif(not REAL, reason="SQLite serialises writers per file; the pool that runs out is PostgreSQL's")
def test_more_answers_at_once_than_the_pool_has_connections_are_all_taken(app, client, tree, turns):
    contestants = 24
    event_id, _, heads, slot_id = _speed_event(tree.branch1, contestants)
    pool = db.engine.pool
    # a pool of 4 connections that gives up after 1 s, and a database that answers slowly (as on a worker whose
    # CPU is shared with thousands of stream greenlets): 24 answers of a dozen statements each need ~6 s of
    # connection time between them, far past the pool's second for most if each took a connection as it came
    saved = pool._max_overflow, pool._timeout, pool._pool.maxsize
    _release_test_session()
    pool._max_overflow, pool._timeout, pool._pool.maxsize = 0, 1.0, 4
    pool.dispose()
    turns(3)  # fewer turns than connections: a waiting answer waits here, holding nothing
    main = threading.get_ident()

    def slow(conn, cursor, statement, *args):
        if threading.get_ident() != main:
            time.sleep(0.02)

    sa_event.listen(db.engine, "before_cursor_execute", slow)
    barrier = threading.Barrier(contestants)
    codes, errors = [None] * contestants, []

    def answer(i):
        try:
            c = app.test_client()
            barrier.wait()
            r = c.post(f"/api/v1/arenas/{event_id}/answers", json={"slot_id": slot_id, "response": ["A"]},
                       headers=heads[i])
            codes[i] = (r.status_code, r.get_json())
        except Exception as exc:  # surfaced below (a pool timeout raised in the app would end here or as a 500)
            errors.append(repr(exc))

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(contestants)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", slow)
        pool._max_overflow, pool._timeout, pool._pool.maxsize = saved
        pool.dispose()
    assert not errors, errors[:3]
    assert [c[0] for c in codes] == [201] * contestants, [c for c in codes if c[0] != 201][:3]
    stored = db.session.scalars(select(ArenaAnswer).where(ArenaAnswer.slot_id == slot_id)).all()
    assert len(stored) == contestants


def test_an_answer_that_waited_its_turn_while_the_host_locked_counts_from_its_arrival(app, client, tree, turns):
    event_id, host_id, heads, slot_id = _speed_event(tree.branch1, 2)
    queue = turns(1)
    assert queue.acquire(blocking=False)  # the only turn is busy: the answer below waits for it
    _release_test_session()
    result = {}

    def answer():
        r = app.test_client().post(f"/api/v1/arenas/{event_id}/answers",
                                   json={"slot_id": slot_id, "response": ["A"]}, headers=heads[0])
        result["response"] = (r.status_code, r.get_json())

    waiting = threading.Thread(target=answer)
    try:
        waiting.start()
        _wait_until(lambda: queue.waiting == 1, "the answer waits for its turn")
        time.sleep(0.05)  # the lock is later than the arrival by more than the clock's resolution
        referee.control(db.session.get(Member, host_id), db.session.get(ArenaEvent, event_id), "lock")  # the host locks meanwhile
        db.session.commit()
    finally:
        queue.release()
        waiting.join(60)
    status, body = result["response"]
    assert status == 201, body
    db.session.remove()
    row = db.session.scalars(select(ArenaAnswer).where(ArenaAnswer.slot_id == slot_id)).one()
    lock_at = db.session.scalars(select(ArenaAction.at).where(ArenaAction.kind == "lock")).one()
    assert row.answered_at < lock_at  # judged by when it arrived, not when its turn came
    late = app.test_client().post(f"/api/v1/arenas/{event_id}/answers", json={"slot_id": slot_id, "response": ["A"]},
                                  headers=heads[1])
    assert late.status_code == 409 and late.get_json()["code"] == "not_open"  # arrived after the lock: refused


def test_an_answer_refused_after_waiting_too_long_says_busy_without_a_query(app, client, tree, turns):
    event_id, _, heads, slot_id = _speed_event(tree.branch1, 2)
    queue = turns(1)
    assert queue.acquire(blocking=False)
    saved = app.config.get("ARENA_TURN_WAIT_S")
    app.config["ARENA_TURN_WAIT_S"] = 0.01
    _release_test_session()
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        busy = client.post(f"/api/v1/arenas/{event_id}/answers", json={"slot_id": slot_id, "response": ["A"]},
                           headers=heads[0])
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
        queue.release()
        app.config["ARENA_TURN_WAIT_S"] = saved if saved is not None else 300.0
    assert busy.status_code == 503 and busy.get_json() == {"code": "busy", "message": "擂台繁忙，请稍后重试。"}
    assert busy.headers["Retry-After"] == "2"
    assert seen == []
    again = client.post(f"/api/v1/arenas/{event_id}/answers", json={"slot_id": slot_id, "response": ["A"]},
                        headers=heads[0])
    assert again.status_code == 201, again.get_json()  # the refused one gave back no turn it did not hold
    assert queue.acquire(blocking=False) and queue.acquire(blocking=False) is False  # and every turn came back
    queue.release()
