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


class Turns:
    """A bounded number of requests at a time, the others waiting in arrival order; counts who waits."""

    def __init__(self, size: int):
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._count = threading.Lock()
        self.waiting = 0

    def take(self, timeout: float) -> bool:
        """Wait for a turn (at most `timeout` seconds); whether one was taken."""
        with self._count:
            self.waiting += 1
        try:
            return self._free.acquire(timeout=timeout)
        finally:
            with self._count:
                self.waiting -= 1

    def take_now(self) -> bool:
        """A turn if one is free at once."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        """End a turn."""
        self._free.release()


def received_at() -> datetime:
    """When this process received the request (before it waited for a turn); now outside a request."""
    at = g.get("arena_received_at") if has_request_context() else None
    return at or utcnow()


def init_write_turns(app: Flask) -> None:
    """Arena writes take a turn before the caller is looked up, and give it back when the request ends.
    Idempotent (tests build many apps)."""
    if "arena_writes" in app.extensions:
        return
    app.extensions["arena_writes"] = Turns(int(app.config.get("ARENA_WRITE_TURNS", WRITE_TURNS)))
    app.extensions["arena_reactions"] = Turns(int(app.config.get("ARENA_REACTION_TURNS", REACTION_TURNS)))

    def wait_for_turn():
        endpoint = request.endpoint
        if endpoint in WRITE_ENDPOINTS:
            turns = app.extensions["arena_writes"]
        elif endpoint in REACTION_ENDPOINTS:
            turns = app.extensions["arena_reactions"]
        else:
            return None
        g.arena_received_at = utcnow()
        if not turns.take(float(app.config.get("ARENA_TURN_WAIT_S", TURN_WAIT_S))):
            g._login_user = app.login_manager.anonymous_user()  # refused without a query (see the stream gate)
            response, status = error_response(503, "busy", "The arena is busy; try again shortly.")
            response.headers["Retry-After"] = "2"
            return response, status
        g.arena_turn = turns
        return None

    def end_turn(_exc=None):
        turns = g.pop("arena_turn", None)
        if turns is not None:
            turns.give_back()

    app.before_request_funcs.setdefault(None, []).insert(0, wait_for_turn)  # before the token is looked up
    app.teardown_request(end_turn)
