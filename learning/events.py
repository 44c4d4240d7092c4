"""Signals between packages and the live event bus (in-process, or Redis pub/sub)."""
from __future__ import annotations

import json
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator

from blinker import Namespace
from flask import current_app

signals = Namespace()
#: sent with the LearningRecord just flushed; receivers run in the same transaction
record_written = signals.signal("record-written")
#: sent with (member, old_org_id, new_org_id) after a transfer is flushed
member_transferred = signals.signal("member-transferred")


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

    def listen(self, channel: str, timeout: float = 15.0) -> Iterator[dict | None]:
        q: queue.Queue = queue.Queue()
        with self._lock:
            self._subscribers[channel].append(q)
        try:
            while True:
                try:
                    yield q.get(timeout=timeout)
                except queue.Empty:
                    yield None  # a keep-alive tick
        finally:
            with self._lock:
                self._subscribers[channel].remove(q)


class RedisBus:
    """Publish/subscribe through Redis, so any web node serves any viewer."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)

    def publish(self, channel: str, message: dict) -> None:
        self._redis.publish(channel, json.dumps(message, ensure_ascii=False))

    def listen(self, channel: str, timeout: float = 15.0) -> Iterator[dict | None]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel)
        try:
            while True:
                item = pubsub.get_message(timeout=timeout)
                yield None if item is None else json.loads(item["data"])
        finally:
            pubsub.close()


def init_bus(app) -> None:
    """Choose the bus for this app: Redis when REDIS_URL is set."""
    url = app.config.get("REDIS_URL")
    app.extensions["bus"] = RedisBus(url) if url else LocalBus()


def bus():
    """The current app's event bus."""
    return current_app.extensions["bus"]
