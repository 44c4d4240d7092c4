"""With thousands of streams open, a process holds answer/reaction ticks back and merges them before writing them
to every stream (docs/scale.md: each tick was a write to each of 5,000 sockets, ten times a second)."""
from __future__ import annotations

import queue
import time

from arena.services import live, stream


def _tick(slot_id, ids, count, reactions=None):
    return {"type": "tick", "answered": {"slot_id": slot_id, "opening": 1, "count": count, "contestant_ids": ids},
            "reactions": reactions or {}}


def _channel(streams: int):
    channel = stream._Channel("arena:test")
    queues = [queue.SimpleQueue() for _ in range(streams)]
    channel.queues.update(queues)
    return channel, queues


def _drain(q) -> list[dict]:
    out = []
    while True:
        try:
            out.append(q.get_nowait()[0])
        except queue.Empty:
            return out


def test_merged_ticks_keep_every_answer_and_add_up_reactions():
    merged = live.merge_ticks(
        _tick(7, [1, 2], 2, {"5": {"likes": 3, "boos": 0, "new_likes": 3, "new_boos": 0}}),
        _tick(7, [3], 3, {"5": {"likes": 4, "boos": 1, "new_likes": 1, "new_boos": 1},
                          "6": {"likes": 1, "boos": 0, "new_likes": 1, "new_boos": 0}}))
    assert merged["answered"] == {"slot_id": 7, "opening": 1, "count": 3, "contestant_ids": [1, 2, 3]}
    assert merged["reactions"] == {"5": {"likes": 4, "boos": 1, "new_likes": 4, "new_boos": 1},
                                   "6": {"likes": 1, "boos": 0, "new_likes": 1, "new_boos": 0}}
    newer = live.merge_ticks(_tick(7, [1], 1), _tick(8, [4], 1))  # the next question's answers replace the last's
    assert newer["answered"]["slot_id"] == 8 and newer["answered"]["contestant_ids"] == [4]


def test_few_streams_get_every_tick_at_once():
    channel, queues = _channel(3)
    channel.deliver(_tick(7, [1], 1))
    channel.deliver(_tick(7, [2], 2))
    assert [m["answered"]["contestant_ids"] for m in _drain(queues[0])] == [[1], [2]]


def test_many_streams_get_held_ticks_merged_and_before_the_next_event():
    streams = int(stream.TICK_WRITES_PER_S * live.TICK_S * 2)  # enough to hold ticks back
    channel, queues = _channel(streams)
    channel.deliver(_tick(7, [1], 1))
    channel.deliver(_tick(7, [2], 2))
    assert _drain(queues[0]) == []  # held back
    channel.deliver({"type": "lock", "seq": 9, "state": {}})
    for q in (queues[0], queues[-1]):
        got = _drain(q)
        assert [m["type"] for m in got] == ["tick", "lock"]
        assert got[0]["answered"]["contestant_ids"] == [1, 2] and got[0]["answered"]["count"] == 2


def test_a_held_tick_goes_out_on_its_own_after_a_moment():
    channel, queues = _channel(int(stream.TICK_WRITES_PER_S * live.TICK_S * 2))
    channel.deliver(_tick(7, [1], 1))
    channel.deliver(_tick(7, [2], 2))
    end = time.monotonic() + 30  # a bound against a hang: the hold is well under a second
    got = []
    while not got and time.monotonic() < end:
        got = _drain(queues[0])
        time.sleep(0.01)
    assert [m["answered"]["contestant_ids"] for m in got] == [[1, 2]]
