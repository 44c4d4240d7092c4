"""Live leaderboards: Redis sorted sets, or an in-process equivalent in embedded mode.

Boards are caches: each is rebuilt from the database when missing or expired, and kept
live after each commit by incrementing members already on it (ZADD XX INCR), so a
partial board is never created by an increment.
"""
from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session


class LocalBoards:
    """Sorted sets in this process (embedded mode): the same calls as RedisBoards."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, dict[int, float]]] = {}

    def _get(self, key):
        item = self._sets.get(key)
        if item is None or item[0] < time.monotonic():
            self._sets.pop(key, None)
            return None
        return item[1]

    def exists(self, key: str) -> bool:
        with self._lock:
            return self._get(key) is not None

    def replace(self, key: str, scores: dict[int, float], ttl: int) -> None:
        with self._lock:
            self._sets[key] = (time.monotonic() + ttl, dict(scores))

    def incr_existing(self, items: list[tuple[str, int, float]]) -> None:
        with self._lock:
            for key, member, delta in items:
                board = self._get(key)
                if board is not None and member in board:
                    board[member] += delta

    def page(self, key: str, start: int, count: int) -> list[tuple[int, float]]:
        """Members at places start .. start+count-1 (0-based), highest score first, ties by member id."""
        with self._lock:
            board = self._get(key) or {}
            return sorted(board.items(), key=lambda kv: (-kv[1], kv[0]))[start:start + count]

    def score(self, key: str, member: int) -> float | None:
        with self._lock:
            return (self._get(key) or {}).get(member)

    def count_above(self, key: str, score: float) -> int:
        with self._lock:
            return sum(1 for v in (self._get(key) or {}).values() if v > score)

    def size(self, key: str) -> int:
        with self._lock:
            return len(self._get(key) or {})

    def delete_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._sets if k.startswith(prefix)]:
                del self._sets[key]


class RedisBoards:
    """Sorted sets in Redis, shared by every web node."""

    def __init__(self, url: str):
        import redis

        self.r = redis.Redis.from_url(url)

    def exists(self, key: str) -> bool:
        return bool(self.r.exists(key))

    def replace(self, key: str, scores: dict[int, float], ttl: int) -> None:
        tmp = f"{key}:building:{time.monotonic_ns()}"
        pipe = self.r.pipeline()
        items = list(scores.items())
        for i in range(0, len(items), 10000):
            pipe.zadd(tmp, dict(items[i:i + 10000]))
        if items:
            pipe.expire(tmp, ttl)
            pipe.rename(tmp, key)
        else:
            pipe.delete(key)
            pipe.zadd(key, {-1: float("-inf")})  # an empty board still exists; -1 is never a member id
            pipe.expire(key, ttl)
        pipe.expire(key, ttl)
        pipe.execute()

    def incr_existing(self, items: list[tuple[str, int, float]]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for key, member, delta in items:
            pipe.zadd(key, {member: delta}, xx=True, incr=True)
        pipe.execute()

    def page(self, key: str, start: int, count: int) -> list[tuple[int, float]]:
        """`LocalBoards.page` on a sorted set: ZREVRANGE start..stop gives the page's score span; ties are
        ordered by member id (as locally), so every member in the span is read and the page cut from them."""
        span = self.r.zrevrange(key, start, start + count - 1, withscores=True)
        if not span:
            return []
        high, low = span[0][1], span[-1][1]
        above = self.r.zcount(key, f"({high}", "+inf")
        rows = sorted(((int(m), s) for m, s in self.r.zrevrangebyscore(key, high, low, withscores=True)),
                      key=lambda kv: (-kv[1], kv[0]))
        return [(m, s) for m, s in rows[start - above:start - above + count] if m >= 0]

    def score(self, key: str, member: int) -> float | None:
        return self.r.zscore(key, member)

    def count_above(self, key: str, score: float) -> int:
        return self.r.zcount(key, f"({score}", "+inf")

    def size(self, key: str) -> int:
        return max(0, self.r.zcard(key) - int(self.r.zscore(key, -1) is not None))

    def delete_prefix(self, prefix: str) -> None:
        for key in self.r.scan_iter(match=f"{prefix}*", count=1000):
            self.r.delete(key)


def boards():
    """The current app's leaderboard store (created on first use)."""
    store = current_app.extensions.get("scoring_boards")
    if store is None:
        url = current_app.config.get("REDIS_URL")
        store = RedisBoards(url) if url else LocalBoards()
        current_app.extensions["scoring_boards"] = store
    return store


def key_prefix() -> str:
    """The namespace of this installation's boards (test runs get their own)."""
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', 'pioneer')}:scoring:rank:"


PENDING = "scoring_board_increments"


def queue_increments(session: Session, items: list[tuple[str, int, float]]) -> None:
    """Remember board increments to apply once the transaction commits."""
    session.info.setdefault(PENDING, []).extend(items)


@event.listens_for(Session, "after_commit")
def _apply_after_commit(session: Session) -> None:
    items = session.info.pop(PENDING, None)
    if items:
        try:
            boards().incr_existing(items)
        except Exception:  # a cache must never fail a committed write; boards expire and rebuild
            current_app.logger.exception("leaderboard increment failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(PENDING, None)
