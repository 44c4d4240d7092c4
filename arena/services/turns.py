"""Arena writes wait their turn outside the database pool (docs/scale.md, "Answers while 5,000 streams watch").

A gevent worker holds thousands of open streams but its pool has 15 connections (SQLAlchemy's 5 + 10): when
hundreds of contestants answer at once on a CPU-starved worker, each request took a connection at its token
lookup and then waited for the CPU behind the stream greenlets, and those that waited on the pool for longer
than its `pool_timeout` failed (396 of 500 answers in one run). Here every arena write (host actions, buzzes,
stakes, passes, answers; reactions in a queue of their own so a flood of likes cannot delay an answer) takes a
turn before anything else of the request runs, and the turns of a process are fewer than its pool's
connections: a request that waits, waits holding nothing, for as long as it takes, never on the pool.

The server's receipt time of the request is taken before its turn (`received_at`): an answer that arrived in
time is judged and scored by that time however long it waited here.
"""
from __future__ import annotations

import threading
from datetime import datetime

from flask import Flask, g, has_request_context, request

from learning.errors import error_response
from learning.timeutil import utcnow

#: per process; together with the stream openings' 4 they stay below the pool's 15 connections, leaving some for
#: everything else a worker serves (ARENA_WRITE_TURNS, ARENA_REACTION_TURNS)
WRITE_TURNS = 6
REACTION_TURNS = 2
#: a turn is waited for this long before 503 `busy`: minutes, because refusing an answer loses it
TURN_WAIT_S = 300.0
WRITE_ENDPOINTS = frozenset({"Arenas.control", "Arenas.buzz", "Arenas.stake", "Arenas.pass_question",
                             "Arenas.answer"})
REACTION_ENDPOINTS = frozenset({"Arenas.react"})
RETRY_AFTER_S = 2  # a refused page tries again (the stream's EventSource after its `retry`)


class Turns:
    """A bounded number of requests at a time, the others waiting in arrival order; counts who waits."""

    def __init__(self, size: int):
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._count = threading.Lock()
        self.waiting = 0

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a turn: at once if one is free (`blocking=False`), else wait at most `timeout` seconds."""
        if not blocking:
            return self._free.acquire(blocking=False)
        with self._count:
            self.waiting += 1
        try:
            return self._free.acquire(timeout=timeout)
        finally:
            with self._count:
                self.waiting -= 1

    def release(self) -> None:
        """End a turn."""
        self._free.release()


def received_at() -> datetime:
    """When this process received the request (before it waited for a turn); now outside a request."""
    at = g.get("arena_received_at") if has_request_context() else None
    return at or utcnow()


def take_turns(app: Flask, pick, wait_s, refuse) -> None:
    """Requests for which `pick(endpoint)` names their Turns take one before anything else of the request runs
    (even the caller's token lookup) and give it back when the request context ends. One that waited `wait_s()`
    seconds in vain gets `refuse()` (a 503) with Retry-After, without looking the caller up: the message's
    language and the request log would ask who it is, a token query each, and thousands of refusals then took
    the pool themselves."""

    def wait_for_turn():
        turns = pick(request.endpoint)
        if turns is None:
            return None
        g.arena_received_at = utcnow()
        if not turns.acquire(timeout=wait_s()):
            g._login_user = app.login_manager.anonymous_user()
            response, status = refuse()
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response, status
        g.arena_turn = turns
        return None

    def end_turn(_exc=None):
        turns = g.pop("arena_turn", None)
        if turns is not None:
            turns.release()

    app.before_request_funcs.setdefault(None, []).insert(0, wait_for_turn)
    app.teardown_request(end_turn)


def init_write_turns(app: Flask) -> None:
    """Arena writes (and, apart, reactions) take turns below the database pool; idempotent (tests build many
    apps)."""
    if "arena_writes" in app.extensions:
        return
    app.extensions["arena_writes"] = Turns(int(app.config.get("ARENA_WRITE_TURNS", WRITE_TURNS)))
    app.extensions["arena_reactions"] = Turns(int(app.config.get("ARENA_REACTION_TURNS", REACTION_TURNS)))

    def pick(endpoint):
        if endpoint in WRITE_ENDPOINTS:
            return app.extensions["arena_writes"]
        return app.extensions["arena_reactions"] if endpoint in REACTION_ENDPOINTS else None

    take_turns(app, pick, lambda: float(app.config.get("ARENA_TURN_WAIT_S", TURN_WAIT_S)),
               lambda: error_response(503, "busy", "The arena is busy; try again shortly."))
