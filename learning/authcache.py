"""Who a bearer token (or a cookie session) names, without the database on every call.

Each app process keeps, for TOKEN_CACHE_SECONDS, the tokens it has checked (digest → member id and
expiry) and a snapshot of those members (their columns and role grants). A request rebuilds its
member from the snapshot as a persistent object of its own database session, without a query;
what the snapshot does not hold (the org, a grant's org) loads lazily as before.

Revocation reaches every process within a second:
- a commit that changes a member, one of their role grants or one of their tokens drops the
  cached entries in its own process at once, and publishes the member ids and token digests on
  the Redis channel `<RATELIMIT_KEY_PREFIX>:auth:invalidate` (REDIS_URL set);
- every process listens on that channel (a daemon thread, a greenlet under gevent) and drops what
  it names; while it is not subscribed (starting, Redis gone), the cache is not used at all and
  every call reads the database, and a reconnect starts from an empty cache (messages may have
  been missed);
- without Redis (embedded mode, one process) entries live at most one second, so even several
  processes sharing one SQLite file see a revocation within that second.
A read that began before an invalidation never stores its (possibly stale) result: each
invalidation bumps a generation, and a result is kept only if the generation did not move.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

log = logging.getLogger(__name__)

#: without Redis no other process hears of a revocation: entries live at most this long
EMBEDDED_TTL_S = 1.0
_PENDING = "auth_cache_pending"


class AuthCache:
    """Per-process cache of token → member id and member id → member snapshot (see the module)."""

    def __init__(self, ttl: float, redis_url: str | None, channel: str, clock=time.monotonic):
        self.ttl = ttl if redis_url else min(ttl, EMBEDDED_TTL_S)
        self.redis_url, self.channel, self.clock = redis_url, channel, clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[int, datetime, float]] = {}  # digest -> (member id, expires_at, stored)
        self._members: dict[int, tuple[dict, float]] = {}  # member id -> (snapshot, stored)
        self._by_member: dict[int, set[str]] = {}  # member id -> digests cached for them
        self.generation = 0
        self._subscribed = redis_url is None  # embedded: nothing to listen to
        self._listener_pid: int | None = None
        self._redis = None

    # --- reading -----------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        """Whether cached entries may answer: always embedded, only while subscribed with Redis."""
        if self.redis_url is None:
            return True
        self._ensure_listener()
        return self._subscribed

    def token(self, digest: str, now: datetime) -> int | None:
        """The member id of a cached, unexpired token, or None (not cached, stale or expired)."""
        if self.ttl <= 0 or not self.usable:
            return None
        entry = self._tokens.get(digest)
        if entry is None or self.clock() - entry[2] > self.ttl or entry[1] <= now:
            return None
        return entry[0]

    def member(self, member_id: int) -> dict | None:
        """A fresh snapshot of the member, or None."""
        if self.ttl <= 0 or not self.usable:
            return None
        entry = self._members.get(member_id)
        if entry is None or self.clock() - entry[1] > self.ttl:
            return None
        return entry[0]

    # --- storing -----------------------------------------------------------------------------
    def store(self, generation: int, member_id: int, snapshot: dict | None, digest: str | None = None,
              expires_at: datetime | None = None) -> None:
        """Keep what a read found, unless an invalidation arrived since the read began."""
        if self.ttl <= 0 or not self.usable:
            return
        with self._lock:
            if generation != self.generation:
                return  # the read may predate a revocation: do not keep it
            stored = self.clock()
            if snapshot is not None:
                self._members[member_id] = (snapshot, stored)
            if digest is not None:
                self._tokens[digest] = (member_id, expires_at, stored)
                self._by_member.setdefault(member_id, set()).add(digest)
            if len(self._tokens) > 100_000:  # a bound, not an LRU: a full cache starts over
                self._clear_locked()

    # --- invalidating ------------------------------------------------------------------------
    def invalidate(self, member_ids=(), digests=()) -> None:
        """Drop what names these members or tokens (here only; `publish` tells the other processes)."""
        with self._lock:
            self.generation += 1
            for member_id in member_ids:
                self._members.pop(member_id, None)
                for digest in self._by_member.pop(member_id, ()):
                    self._tokens.pop(digest, None)
            for digest in digests:
                entry = self._tokens.pop(digest, None)
                if entry is not None:
                    self._by_member.get(entry[0], set()).discard(digest)

    def clear(self) -> None:
        """Forget everything (a reconnect, or a test starting from empty tables)."""
        with self._lock:
            self._clear_locked()

    def _clear_locked(self) -> None:
        self.generation += 1
        self._tokens.clear()
        self._members.clear()
        self._by_member.clear()

    def publish(self, member_ids, digests, everything: bool = False) -> None:
        """Tell every process (this one included) to drop these entries, or all of them."""
        if everything:
            self.clear()
        else:
            self.invalidate(member_ids, digests)
        if self.redis_url is None:
            return
        message = json.dumps({"members": sorted(member_ids), "tokens": sorted(digests), "all": everything})
        try:
            self._client().publish(self.channel, message)
        except Exception:  # the listeners lost Redis as well, so they do not use their caches
            log.exception("auth cache: could not publish an invalidation")

    # --- the listener ------------------------------------------------------------------------
    def _client(self):
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=2)
        return self._redis

    def _ensure_listener(self) -> None:
        pid = os.getpid()
        if self._listener_pid in (pid, -1):
            return
        with self._lock:
            if self._listener_pid == pid:
                return
            self._listener_pid = pid  # a forked worker starts its own listener
            self._subscribed = False
            self._redis = None
            self._clear_locked()
            threading.Thread(target=self._listen, name="auth-cache-listener", daemon=True).start()

    def close(self) -> None:
        """Stop listening (within a second); the cache is not used afterwards."""
        self._listener_pid, self._subscribed = -1, False

    def _listen(self) -> None:
        import redis

        pid, failing = os.getpid(), False
        while self._listener_pid == pid:
            pubsub = None
            try:
                client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=10)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                while self._listener_pid == pid:
                    item = pubsub.get_message(timeout=1.0)
                    if item is None:
                        pubsub.check_health()
                        continue
                    if item["type"] == "subscribe":
                        self.clear()  # what was cached before may have missed messages
                        self._subscribed = True
                    elif item["type"] == "message":
                        data = json.loads(item["data"])
                        if data.get("all"):
                            self.clear()
                        else:
                            self.invalidate(data.get("members", ()), data.get("tokens", ()))
            except Exception as exc:  # Redis gone: stop trusting the cache until subscribed again
                if self._subscribed or not failing:
                    log.warning("auth cache: invalidation channel lost (%s); reading the database", exc)
                failing = True
                self._subscribed = False
                self.clear()
                time.sleep(0.5)
            else:
                failing = False
            finally:
                if pubsub is not None:
                    # closing a subscription whose connection already broke raises; the loop opens a new one
                    with contextlib.suppress(Exception):
                        pubsub.close()


# --- snapshots ----------------------------------------------------------------------------------
def snapshot(member) -> dict:
    """The member's columns and role grants, as plain values."""
    from .models import Member, RoleGrant

    return {"member": {c.key: getattr(member, c.key) for c in inspect(Member).column_attrs},
            "grants": [{c.key: getattr(g, c.key) for c in inspect(RoleGrant).column_attrs} for g in member.grants]}


def attach(session, data: dict):
    """The member of a snapshot as a persistent object of `session`, without a query.

    If the session already holds the member (loaded earlier in the request), that object is used.
    """
    from .models import Member, RoleGrant

    key = session.identity_key(Member, data["member"]["id"])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    manager_m, manager_g = inspect(Member).class_manager, inspect(RoleGrant).class_manager
    grants = []
    for values in data["grants"]:
        grant = manager_g.new_instance()
        for name, value in values.items():
            setattr(grant, name, value)
        grants.append(grant)
    member = manager_m.new_instance()
    for name, value in data["member"].items():
        setattr(member, name, value)
    member.grants = grants
    for obj in (*grants, member):
        make_transient_to_detached(obj)  # as if just loaded: no history, nothing to flush
    session.add(member)
    return member


# --- the app's cache and its invalidation on commit ---------------------------------------------
def init_auth_cache(app) -> None:
    """Create this app's cache; commits that touch accounts invalidate it (every process with Redis)."""
    prefix = app.config.get("RATELIMIT_KEY_PREFIX", "pioneer")
    app.extensions["auth_cache"] = AuthCache(float(app.config.get("TOKEN_CACHE_SECONDS", 10)),
                                             app.config.get("REDIS_URL"), f"{prefix}:auth:invalidate")
    _listen_to_sessions()


def auth_cache() -> AuthCache:
    """The current app's cache."""
    return current_app.extensions["auth_cache"]


_LISTENING = False


def _listen_to_sessions() -> None:
    global _LISTENING
    if _LISTENING:
        return
    _LISTENING = True
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_commit", _send)
    event.listen(Session, "after_soft_rollback", _forget)


def _collect(session, _flush_context) -> None:
    """Note the members and tokens whose authentication a flush changed."""
    from .models import ApiToken, Member, RoleGrant

    members, digests = session.info.setdefault(_PENDING, (set(), set()))
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in [*changed, *session.deleted]:
        if isinstance(obj, Member):
            members.add(obj.id)
        elif isinstance(obj, ApiToken):
            digests.add(obj.token_hash)
        elif isinstance(obj, RoleGrant):
            members.add(obj.member_id)
    members.update(obj.member_id for obj in session.new if isinstance(obj, RoleGrant))
    if not members and not digests:
        session.info.pop(_PENDING, None)


def _send(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None or not has_app_context():
        return
    cache = current_app.extensions.get("auth_cache")
    if cache is not None:
        cache.publish(*pending)


def _forget(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back: nothing changed
        session.info.pop(_PENDING, None)
