"""The stream: snapshot then live events, replay after Last-Event-ID, and the audience's reactions."""
from __future__ import annotations

import pytest
from flask import current_app

from arena.models import ArenaReaction
from learning.extensions import db
from learning.models import LearningRecord
from learning.services.policy import set_policy
from tests.arena.factories import make_event, start_speed_event
from tests.arena.sse import Frames
from tests.factories import bearer, make_member


@pytest.fixture
def running(tree, client):
    event, h, people, heads = start_speed_event(tree.branch1)
    return {"event_id": event.id, "host": h, "people": people, "heads": heads, "token": event.guest_token,
            "tree": tree}


def _open_stream(client, event_id, headers, last=None):
    extra = {"Last-Event-ID": str(last)} if last is not None else {}
    response = client.get(f"/api/v1/arenas/{event_id}/events", headers=headers | extra, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    return response, Frames(response.response)


def test_stream_starts_with_a_snapshot_then_follows_host_actions(running, client):
    response, frames = _open_stream(client, running["event_id"], running["heads"][0])
    try:
        first = frames.next()
        assert first["type"] == "snapshot" and first["state"]["event"]["status"] == "live"
        running["host"].do("open")
        opened = frames.next()
        assert opened["type"] == "open" and opened["_id"] == first["_id"] + 1
        assert opened["state"]["slot"]["phase"] == "open" and "answer" not in opened["state"]["slot"]["question"]
    finally:
        response.close()


def test_reconnect_with_last_event_id_replays_what_was_missed(running, client):
    host = running["host"]
    seen = host.state()["seq"]
    host.do("open")
    client.post(f"/api/v1/arenas/{running['event_id']}/answers", headers=running["heads"][0],
                json={"slot_id": host.state()["slot"]["id"], "response": ["A"]})
    host.do("lock")
    host.do("reveal")
    response, frames = _open_stream(client, running["event_id"], running["heads"][1], last=seen)
    try:
        kinds = [frames.next() for _ in range(3)]
        assert [m["type"] for m in kinds] == ["open", "lock", "reveal"]  # an answer is a tick, not a stream event
        assert [m["_id"] for m in kinds] == [seen + 1, seen + 2, seen + 3]
        assert kinds[-1]["state"]["slot"]["question"]["answer"] == ["A"]
        assert len(kinds[-1]["state"]["slot"]["answered"]) == 1
        assert "scoreboard" in kinds[-1]["state"]  # the scoreboard rides on the reveal
    finally:
        response.close()
    response, frames = _open_stream(client, running["event_id"], running["heads"][1], last=10**9)
    try:
        assert frames.next()["type"] == "snapshot"  # an id from elsewhere: start afresh
    finally:
        response.close()
    bad = client.get(f"/api/v1/arenas/{running['event_id']}/events", headers=running["heads"][1] |
                     {"Last-Event-ID": "abc"})
    assert bad.status_code == 422


def test_reactions_count_live_and_a_flood_is_refused(running, client):
    event_id = running["event_id"]
    contestant = running["host"].state()["scoreboard"][0]["id"]
    viewer = bearer(make_member(running["tree"].branch1))
    response, frames = _open_stream(client, event_id, viewer)
    try:
        frames.next()
        r = client.post(f"/api/v1/arenas/{event_id}/reactions", json={"contestant_id": contestant, "kind": "like"},
                        headers=viewer)
        assert r.get_json() == {"contestant_id": contestant, "likes": 1, "boos": 0}
        pushed = frames.next()
        assert pushed["type"] == "tick" and pushed["_id"] is None
        assert pushed["reactions"] == {str(contestant): {"likes": 1, "boos": 0, "new_likes": 1, "new_boos": 0}}
    finally:
        response.close()
    for _ in range(29):
        assert client.post(f"/api/v1/arenas/{event_id}/reactions", json={"contestant_id": contestant, "kind": "boo"},
                           headers=viewer).status_code == 200
    flood = client.post(f"/api/v1/arenas/{event_id}/reactions", json={"contestant_id": contestant, "kind": "boo"},
                        headers=viewer)
    assert flood.status_code == 429 and flood.get_json()["code"] == "rate_limited"
    row = db.session.query(ArenaReaction).one()
    assert (row.likes, row.boos) == (1, 29)
    state = running["host"].state()
    assert all(r["score"] == 100 for r in state["scoreboard"])  # apart from scores
    bad = client.post(f"/api/v1/arenas/{event_id}/reactions", json={"contestant_id": contestant, "kind": "love"},
                      headers=viewer)
    assert bad.status_code == 422


def test_guests_react_only_through_the_public_link_of_an_event_that_allows_them(running, client, tree):
    event_id = running["event_id"]
    contestant = running["host"].state()["scoreboard"][0]["id"]
    anonymous = current_app.test_client()
    wrong = anonymous.post(f"/api/v1/arenas/{event_id}/reactions",
                           json={"contestant_id": contestant, "kind": "like", "guest_token": "nope"})
    assert wrong.status_code == 404
    ok = anonymous.post(f"/api/v1/arenas/{event_id}/reactions",
                        json={"contestant_id": contestant, "kind": "like", "guest_token": running["token"]})
    assert ok.status_code == 200 and ok.get_json()["likes"] == 1
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    closed = make_event(host, tree.branch1, running["people"], [{"kind": "speed", "count": 1}])
    assert closed.guest_token is None
    refused = anonymous.post(f"/api/v1/arenas/{closed.id}/reactions",
                             json={"contestant_id": contestant, "kind": "like", "guest_token": running["token"]})
    assert refused.status_code == 404
    assert anonymous.get(f"/api/v1/arenas/{closed.id}/events?guest={running['token']}").status_code == 404
    assert db.session.query(ArenaReaction).count() == 1


@pytest.mark.parametrize("allowed", [False, True])
def test_reactions_reach_records_only_when_the_policy_allows(running, client, allowed):
    event_id = running["event_id"]
    if allowed:
        set_policy(running["tree"].committee, "reactions_in_assessment", True)
        db.session.commit()
    contestant = running["host"].state()["scoreboard"][1]["id"]
    viewer = bearer(make_member(running["tree"].branch1))
    client.post(f"/api/v1/arenas/{event_id}/reactions", json={"contestant_id": contestant, "kind": "like"},
                headers=viewer)
    host = running["host"]
    for _ in range(2):
        host.do("open")
        host.do("lock")
        host.do("reveal")
        if _ == 0:
            host.do("next")
    host.do("finish")
    results = {r.result.get("likes") for r in db.session.query(LearningRecord).filter_by(verb="submitted")}
    assert results == ({0, 1} if allowed else {None})
    award = [r for r in db.session.query(LearningRecord).filter_by(verb="submitted")
             if r.result.get("popularity_award")]
    assert len(award) == (1 if allowed else 0)
    final = client.get(f"/api/v1/arenas/{event_id}/results", headers=viewer).get_json()
    assert final["popularity_id"] == contestant and final["reactions_count"] is allowed


def test_answers_and_reactions_are_coalesced_into_one_small_tick():
    from arena.services.live import Ticks

    class Bus:
        def __init__(self):
            self.sent = []

        def publish(self, channel, message):
            self.sent.append((channel, message))

    scheduled, bus = [], Bus()
    ticks = Ticks(schedule=lambda delay, function, args: scheduled.append((function, args)))
    for cid, count in ((11, 1), (12, 3), (13, 2)):  # counts as each transaction saw them, out of order
        ticks.add(bus, 7, answered={"slot_id": 5, "opening": 1, "contestant_id": cid, "count": count})
    ticks.add(bus, 7, reaction={"contestant_id": 11, "kind": "like", "likes": 4, "boos": 0})
    ticks.add(bus, 7, reaction={"contestant_id": 11, "kind": "boo", "likes": 4, "boos": 2})
    ticks.add(bus, 8, answered={"slot_id": 9, "opening": 1, "contestant_id": 21, "count": 1})
    assert len(scheduled) == 2 and bus.sent == []  # one send per event, however many answers
    for function, args in scheduled:
        function(*args)
    sent = dict(bus.sent)
    assert sent["arena:7"] == {"type": "tick",
                               "answered": {"slot_id": 5, "opening": 1, "count": 3, "contestant_ids": [11, 12, 13]},
                               "reactions": {"11": {"likes": 4, "boos": 2, "new_likes": 1, "new_boos": 1}}}
    assert sent["arena:8"]["answered"]["contestant_ids"] == [21]
    ticks.add(bus, 7, answered={"slot_id": 6, "opening": 1, "contestant_id": 11, "count": 1})
    assert len(scheduled) == 3  # the next window starts afresh


def test_an_answer_is_a_tick_and_quiet_events_leave_the_scoreboard_out(running, client):
    host, event_id = running["host"], running["event_id"]
    response, frames = _open_stream(client, event_id, running["heads"][1])
    try:
        assert "scoreboard" in frames.next()["state"]  # the snapshot has everything
        host.do("open")
        opened = frames.next()
        slot_id = host.state()["slot"]["id"]
        assert opened["type"] == "open" and "scoreboard" not in opened["state"]
        client.post(f"/api/v1/arenas/{event_id}/answers", headers=running["heads"][0],
                    json={"slot_id": slot_id, "response": ["A"]})
        tick = frames.next()
        me = host.state()["slot"]["answered"]
        assert tick["type"] == "tick" and tick["_id"] is None
        assert tick["answered"] == {"slot_id": slot_id, "opening": 1, "count": 1, "contestant_ids": me}
        assert len(str(tick)) < 300  # not the event's state
        assert host.state()["seq"] == opened["_id"]  # answers are not numbered stream events
    finally:
        response.close()
    response, frames = _open_stream(client, event_id, running["heads"][1], last=opened["_id"] - 1)
    try:
        replayed = frames.next()
        assert replayed["type"] == "open" and "scoreboard" in replayed["state"]  # the last replayed is complete
        caught_up = frames.next()
        assert caught_up["type"] == "tick" and caught_up["answered"]["contestant_ids"] == me
    finally:
        response.close()
