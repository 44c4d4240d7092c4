"""Signals between packages and the live event bus (in-process, or Redis pub/sub)."""
from __future__ import annotations

import json
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator

from blinker import ANY, Namespace
from flask import current_app

signals = Namespace()
#: sent with the LearningRecord just flushed; receivers run in the same transaction
record_written = signals.signal("record-written")
#: batch forms of `record_written` receivers (receiver -> a function of a list of records), for `record_many`
_BATCH_FORMS: dict = {}


def connect_record_receiver(receiver, batch=None) -> None:
    """Connect a receiver to `record_written`, with its batch form if it has one: `record_many` hands
    a batch form every record it wrote (in order) in one call, and calls a receiver without one per record."""
    record_written.connect(receiver)
    if batch is not None:
        _BATCH_FORMS[receiver] = batch
    else:
        _BATCH_FORMS.pop(receiver, None)


def send_records_written(records: list) -> None:
    """Signal many records just flushed (by `record_many`), in order, to every `record_written` receiver."""
    if not records:
        return
    for receiver in list(record_written.receivers_for(ANY)):
        batch = _BATCH_FORMS.get(receiver)
        if batch is not None:
            batch(records)
        else:
            for rec in records:
                receiver(rec)


#: sent with (member, old_org_id, new_org_id) after a transfer is flushed
member_transferred = signals.signal("member-transferred")
#: sent with the new Member after it is flushed (created by hand, by import or by a seed)
member_created = signals.signal("member-created")


class LocalBus:
    """Publish/subscribe inside one process (embedded mode)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[queue.Queue]] = defaultdict(list)

    def publish(self, channel: str, message: dict) -> None:
        with self._lock:
            targets = list(self._subscribers[channel])
        for q in targets:
            q.put(message)

    def subscribe(self, channel: str) -> "LocalSubscription":
        """Subscribe now (messages published from here on are kept); read with `get`, end with `close`."""
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._subscribers[channel].append(q)
        return LocalSubscription(self, channel, q)

    def _unsubscribe(self, channel: str, q: queue.Queue) -> None:
        with self._lock:
            if q in self._subscribers[channel]:
                self._subscribers[channel].remove(q)

    def listen(self, channel: str, timeout: float = 15.0) -> Iterator[dict | None]:
        subscription = self.subscribe(channel)
        try:
            while True:
                yield subscription.get(timeout)
        finally:
            subscription.close()


class LocalSubscription:
    """One subscriber's queue on the LocalBus."""

    def __init__(self, bus: LocalBus, channel: str, q: queue.Queue):
        self._bus, self._channel, self._queue = bus, channel, q

    def get(self, timeout: float) -> dict | None:
        """The next message, or None after `timeout` seconds (a keep-alive tick)."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus._unsubscribe(self._channel, self._queue)


class RedisBus:
    """Publish/subscribe through Redis, so any web node serves any viewer."""

    def __init__(self, url: str, namespace: str = ""):
        import redis

        self._redis = redis.Redis.from_url(url)
        self._namespace = namespace  # installations (and test workers) sharing one Redis never meet

    def publish(self, channel: str, message: dict) -> None:
        self._redis.publish(self._namespace + channel, json.dumps(message, ensure_ascii=False))

    def subscribe(self, channel: str) -> "RedisSubscription":
        """Subscribe now: returns once Redis has confirmed, so nothing published afterwards is missed.

        Raises redis.ConnectionError when Redis is unreachable; so does `get` when it goes away.
        """
        pubsub = self._redis.pubsub()
        pubsub.subscribe(self._namespace + channel)
        while True:  # wait for the confirmation
            item = pubsub.get_message(timeout=5.0)
            if item is not None and item["type"] == "subscribe":
                return RedisSubscription(pubsub)
            if item is None:
                pubsub.close()
                raise TimeoutError(f"Redis did not confirm the subscription to {channel}")

    def listen(self, channel: str, timeout: float = 15.0) -> Iterator[dict | None]:
        subscription = self.subscribe(channel)
        try:
            while True:
                yield subscription.get(timeout)
        finally:
            subscription.close()


class RedisSubscription:
    """One pub/sub connection subscribed to a channel."""

    def __init__(self, pubsub):
        self._pubsub = pubsub

    def get(self, timeout: float) -> dict | None:
        """The next message, or None after `timeout` seconds (a keep-alive tick)."""
        item = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        return None if item is None else json.loads(item["data"])

    def close(self) -> None:
        self._pubsub.close()


def init_bus(app) -> None:
    """Choose the bus for this app: Redis when REDIS_URL is set."""
    url = app.config.get("REDIS_URL")
    namespace = f"{app.config.get('RATELIMIT_KEY_PREFIX', 'pioneer')}:bus:"
    app.extensions["bus"] = RedisBus(url, namespace) if url else LocalBus()


def bus():
    """The current app's event bus."""
    return current_app.extensions["bus"]
