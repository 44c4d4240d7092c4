"""Server-Sent Events for an event: one bus subscription per event per process (the hub), fanned out to
every open stream of that process; a stream starts with what the viewer missed (replayed from the
stream log after `Last-Event-ID`, or one snapshot) and fills any gap from the log, so a lost bus message
or a Redis outage costs a screen a moment, never the state."""
from __future__ import annotations

import contextlib
import json
import queue
import threading
import time

from flask import Flask

from learning.errors import error_response
from learning.events import bus as current_bus
from learning.extensions import db
from learning.timeutil import utcnow

from ..models import ArenaEvent
from . import live
from .turns import Turns, take_turns

KEEPALIVE_S = 15.0
#: streams of one process that may be opening at once (each may use a pooled connection: the caller's token,
#: the scope check, a replay or snapshot); the others wait their turn here, holding no connection, so a crowd
#: connecting cannot take the pool from host actions and answers, nor wait past its timeout (docs/scale.md)
OPENINGS = 4
OPENING_WAIT_S = 120.0  # then 503: the browser's EventSource tries again after RETRY_MS
REPLAY_LIMIT = 100  # more missed than this: one snapshot instead of the backlog
RETRY_MS = 2000
#: a tick (answers and reactions, coalesced by the process that took them) is a write to every open stream of the
#: channel; past this many writes a second a process holds ticks back and merges them (at most TICK_HOLD_MAX_S),
#: so 500 answers in 10 s with 5,000 screens open are ~10,000 socket writes a second, not 50,000
TICK_WRITES_PER_S = 10_000
TICK_HOLD_MAX_S = 0.5


class _Channel:
    def __init__(self, name: str):
        self.name = name
        self.queues: set[queue.SimpleQueue] = set()
        self.ready = threading.Event()
        self.stopped = False
        self.down = False
        #: the latest snapshot built in this process, good until the next message on the channel (any change
        #: to the event, in any process, is followed by one): a crowd connecting at once costs one snapshot
        self.snapshot: tuple[int, bytes, bytes, str] | None = None
        self.generation = 0
        self.building = threading.Lock()  # one snapshot build at a time: a crowd waits for it, not the pool
        self._held_tick: dict | None = None
        self._ticks = threading.Lock()

    def deliver(self, message: dict) -> None:
        """A message from the bus: ticks may be held back and merged while many streams are open; any other
        message first lets out the tick held before it, so the order stays as sent."""
        if message.get("type") != "tick":
            self.let_out_tick()
            self.broadcast(message)
            return
        hold = min(TICK_HOLD_MAX_S, len(self.queues) / TICK_WRITES_PER_S)
        if hold < live.TICK_S:
            self.let_out_tick()
            self.broadcast(message)
            return
        with self._ticks:
            first = self._held_tick is None
            self._held_tick = message if first else live.merge_ticks(self._held_tick, message)
        if first:
            timer = threading.Timer(hold, self.let_out_tick)
            timer.daemon = True
            timer.start()

    def let_out_tick(self) -> None:
        """Send the tick held back, if any."""
        with self._ticks:
            held, self._held_tick = self._held_tick, None
        if held is not None:
            self.broadcast(held)

    def broadcast(self, message: dict) -> None:
        """Hand the message to every open stream, serialised and encoded once for all of them: every stream
        writes the same bytes (not a copy of its own)."""
        self.generation += 1
        self.snapshot = None
        item = (message, format_sse(message))
        for q in list(self.queues):
            q.put(item)


class _Ready(dict):
    """A message whose SSE frame is already made (a snapshot from the channel's cache): a short head made for
    this viewer (its `server_now`) and the body, the same bytes for every viewer of the channel."""

    chunks: tuple[bytes, ...] = ()


class Hub:
    """Per process and app: event channels with the local queues of their open streams."""

    def __init__(self, bus):
        self.bus = bus
        self._lock = threading.Lock()
        self._channels: dict[str, _Channel] = {}
        #: stream passes: "who:event" → (auth cache generation, stored at) of a scope check that allowed it
        self._passes: dict[str, tuple[int, float]] = {}

    def has_pass(self, key: str | None, cache) -> bool:
        """Whether this caller was allowed to watch this event moments ago (as fresh as the auth cache: no
        older than its TTL, and no invalidation of members, grants or tokens since), so that opening another
        stream needs no scope check in the database."""
        if key is None or cache.ttl <= 0 or not cache.usable:
            return False
        entry = self._passes.get(key)
        return entry is not None and entry[0] == cache.generation and cache.clock() - entry[1] <= cache.ttl

    def grant_pass(self, key: str | None, cache, generation: int) -> None:
        """Keep an allowed scope check, unless an invalidation arrived since it began."""
        if key is None or cache.ttl <= 0 or not cache.usable or generation != cache.generation:
            return
        with self._lock:
            if len(self._passes) > 100_000:  # a bound, not an LRU: a full table starts over
                self._passes.clear()
            self._passes[key] = (generation, cache.clock())

    def subscribe(self, name: str) -> queue.SimpleQueue:
        """A queue that receives (message, SSE frame) for every message of the channel from now on (and
        bus_down/bus_up notices)."""
        q: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            channel = self._channels.get(name)
            if channel is None:
                channel = self._channels[name] = _Channel(name)
                threading.Thread(target=self._run, args=(channel,), daemon=True, name=f"arena-hub {name}").start()
            channel.queues.add(q)
            if channel.down:
                q.put(({"type": "bus_down"}, format_sse({"type": "bus_down"})))
        channel.ready.wait(timeout=5)
        return q

    def unsubscribe(self, name: str, q: queue.SimpleQueue) -> None:
        """Forget a stream's queue; the channel's subscription ends with its last stream."""
        with self._lock:
            channel = self._channels.get(name)
            if channel is None:
                return
            channel.queues.discard(q)
            if not channel.queues:
                channel.stopped = True
                del self._channels[name]

    def channel(self, name: str) -> _Channel | None:
        """The channel, while it has open streams in this process."""
        with self._lock:
            return self._channels.get(name)

    def streams(self) -> int:
        """Open streams in this process."""
        with self._lock:
            return sum(len(c.queues) for c in self._channels.values())

    def _run(self, channel: _Channel) -> None:
        while not channel.stopped:
            try:
                subscription = self.bus.subscribe(channel.name)
            except Exception:  # Redis unreachable: tell the screens, try again
                if not channel.down:
                    channel.down = True
                    channel.broadcast({"type": "bus_down"})
                channel.ready.set()
                time.sleep(1.0)
                continue
            if channel.down:
                channel.down = False
                channel.broadcast({"type": "bus_up"})
            channel.ready.set()
            try:
                while not channel.stopped:
                    message = subscription.get(1.0)
                    if message is not None:
                        channel.deliver(message)
            except Exception:
                channel.down = True
                channel.broadcast({"type": "bus_down"})
            finally:
                # the bus may already be gone (that is why the loop ended); the next pass subscribes afresh
                with contextlib.suppress(Exception):
                    subscription.close()


def hub(app: Flask) -> Hub:
    """The app's hub (created on first use)."""
    found = app.extensions.get("arena_hub")
    if found is None or found.bus is not app.extensions["bus"]:
        found = app.extensions["arena_hub"] = Hub(app.extensions["bus"])
    return found


def init_opening_gate(app: Flask) -> None:
    """Let at most ARENA_STREAM_OPENINGS stream requests of this process be opening at a time: from before the
    caller is authenticated until the request context ends, which for a stream is when its first frames are
    ready, before it streams. Idempotent."""
    if "arena_openings" in app.extensions:
        return
    app.extensions["arena_openings"] = Turns(int(app.config.get("ARENA_STREAM_OPENINGS", OPENINGS)))
    take_turns(app, lambda endpoint: app.extensions["arena_openings"] if endpoint == STREAM_ENDPOINT else None,
               lambda: float(app.config.get("ARENA_STREAM_OPENING_WAIT_S", OPENING_WAIT_S)),
               lambda: error_response(503, "busy", "Too many screens are connecting; try again shortly."))


STREAM_ENDPOINT = "Arenas.event_stream"


def format_sse(message: dict) -> bytes:
    """One SSE frame, encoded; numbered stream events carry their seq as the id, so reconnects resume after it."""
    if isinstance(message, _Ready):
        return b"".join(message.chunks)
    head = f"id: {message['seq']}\n" if "seq" in message else ""
    return f"{head}data: {json.dumps(message, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _pieces(message: dict):
    """The frame as it is written: a cached snapshot in its pieces (the shared body is not copied per viewer)."""
    return message.chunks if isinstance(message, _Ready) else (format_sse(message),)


STATE_KEY = '"state":{'


def snapshot(app: Flask, event: ArenaEvent, generation: int | None = None) -> dict:
    """The event's full state as one message; from the channel's cache when nothing has happened since it was
    built (only the server's clock, which screens set their countdown by, is fresh each time). One build at a
    time per channel: a crowd connecting at once waits for the first build instead of each running its own.

    `generation`: the channel's message count read before `event` was loaded (a message after it makes the
    build too old to keep)."""
    channel = hub(app).channel(live.channel(event.id))
    if channel is None or channel.down:
        return _frame(_build(event))
    if generation is None:
        generation = channel.generation
    cached = channel.snapshot
    if cached is None or cached[0] != event.seq:
        with channel.building:
            cached = channel.snapshot
            if cached is None or cached[0] != event.seq:
                cached = _build(event)
                if not channel.down and channel.generation == generation:
                    channel.snapshot = cached
    return _frame(cached)


def cached_snapshot(app: Flask, event_id: int) -> dict | None:
    """The snapshot of the channel's cache, without the database; None when there is none (or Redis is down).

    Current enough for a new stream that subscribed before asking: any change since the cache was built
    clears it when its message reaches this process, and a message still on its way reaches the stream's
    queue and follows the snapshot in order (a lost one shows as a gap, filled from the stream log)."""
    channel = hub(app).channel(live.channel(event_id))
    cached = channel.snapshot if channel is not None and not channel.down else None
    return _frame(cached) if cached is not None else None


def _build(event: ArenaEvent) -> tuple[int, bytes, bytes, str]:
    """(seq, the frame up to the state's first key, the rest of the frame, the event's status), encoded once."""
    state = live.public_state(event)
    del state["server_now"]
    body = json.dumps({"type": "snapshot", "seq": event.seq, "detail": {}, "state": state},
                      ensure_ascii=False, separators=(",", ":"))
    at = body.index(STATE_KEY) + len(STATE_KEY)  # type, seq and detail come first: the first match is the state
    return event.seq, f"id: {event.seq}\ndata: {body[:at]}".encode(), f"{body[at:]}\n\n".encode(), \
        state["event"]["status"]


def _frame(cached: tuple[int, bytes, bytes, str]) -> dict:
    seq, head, tail, status = cached
    message = _Ready(type="snapshot", seq=seq, state={"event": {"status": status}})
    message.chunks = (head + f'"server_now":"{utcnow().isoformat()}",'.encode(), tail)
    return message


def catch_up(app: Flask, event_id: int, last_seq: int | None) -> list[dict]:
    """What a viewer who saw up to `last_seq` needs: the missed stream events, or one snapshot."""
    channel = hub(app).channel(live.channel(event_id))
    generation = channel.generation if channel is not None else None  # before the event is read
    with app.app_context():
        try:
            event = db.session.get(ArenaEvent, event_id)
            if last_seq is None or not 0 <= event.seq - last_seq <= REPLAY_LIMIT:
                return [snapshot(app, event, generation)]
            missed = live.events_after(event_id, last_seq, REPLAY_LIMIT)
            if missed and "scoreboard" not in missed[-1]["state"]:  # the last one leaves the viewer current
                final = missed[-1]["state"]
                final.update({k: v for k, v in live.public_state(event).items() if k not in final})
            tick = live.answered_tick(event)
            return missed + ([tick] if tick is not None else [])
        finally:
            db.session.remove()


def _over(message: dict) -> bool:
    """A finished event's stream ends after its final state: nothing more will happen."""
    return message.get("state", {}).get("event", {}).get("status") == "finished"


def stream(app: Flask, event_id: int, last_seq: int | None):
    """The generator behind GET /arenas/{id}/events."""
    name = live.channel(event_id)
    the_hub = hub(app)
    q = the_hub.subscribe(name)  # before reading the log: nothing can fall between the two
    cached = cached_snapshot(app, event_id) if last_seq is None else None
    first = [cached] if cached is not None else catch_up(app, event_id, last_seq)

    def generate():
        nonlocal first
        last = last_seq if last_seq is not None else -1
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            for message in first:
                if "seq" not in message:  # the answers so far, after a replay
                    yield from _pieces(message)
                elif message["seq"] > last or message["type"] == "snapshot":
                    last = message["seq"]
                    yield from _pieces(message)
            if any(_over(m) for m in first):
                return
            first = None  # an open stream keeps no frame of its own (it held a ~70-KB snapshot for its lifetime)
            while True:
                try:
                    message, frame = q.get(timeout=KEEPALIVE_S)
                except queue.Empty:
                    yield b": keep-alive\n\n"
                    continue
                kind, seq = message.get("type"), message.get("seq")
                if seq is None:  # ticks, bus notices: not numbered, not replayed
                    yield frame
                    if kind != "bus_up":
                        continue
                elif seq <= last:
                    continue
                elif seq == last + 1:
                    last = seq
                    yield frame
                    if _over(message):
                        return
                    continue
                for missed in catch_up(app, event_id, last):  # a gap, or the bus came back
                    if "seq" not in missed:
                        yield from _pieces(missed)
                    elif missed["seq"] > last or missed["type"] == "snapshot":
                        last = missed["seq"]
                        yield from _pieces(missed)
                        if _over(missed):
                            return
        finally:
            the_hub.unsubscribe(name, q)

    return generate()
