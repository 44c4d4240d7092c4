"""A live event driven through the API: every round kind, the referee's refusals, undo, restart."""
from __future__ import annotations

import threading

import pytest
from flask import current_app

from arena.models import ArenaAnswer, ArenaEvent, ArenaStreamEvent
from learning.extensions import db
from learning.models import LearningRecord
from learning.timeutil import utcnow
from tests.arena.factories import Host, make_bank, make_event, players
from tests.factories import bearer, make_member


@pytest.fixture
def setup(tree, client):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    bank = make_bank(tree.branch1, 12)
    people, heads = players(tree.branch1, 3)
    return {"host": host, "bank": bank, "people": people, "heads": heads, "tree": tree}


def _event(setup, rounds, **fields):
    event = make_event(setup["host"], setup["tree"].branch1, setup["people"], rounds, **fields)
    return event, Host(current_app.test_client(), event.id, bearer(setup["host"]))


def _answer(client, event_id, heads, slot_id, response, expect=201):
    r = client.post(f"/api/v1/arenas/{event_id}/answers", json={"slot_id": slot_id, "response": response},
                    headers=heads)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_required_round_scores_each_contestant_its_own_question(setup, client):
    event, host = _event(setup, [{"kind": "required", "question_ids": [q.id for q in setup["bank"][:3]]}])
    host.do("start")
    scores = []
    for i, heads in enumerate(setup["heads"]):
        state = host.do("open")["state"]
        slot = state["slot"]
        assert slot["target_id"] == state["scoreboard"][0]["id"] or slot["target_id"]
        assert "answer" not in slot["question"]  # never before reveal
        other = setup["heads"][(i + 1) % 3]
        refused = _answer(client, event.id, other, slot["id"], ["A"], expect=403)
        assert refused["code"] == "not_contestant"
        _answer(client, event.id, heads, slot["id"], ["A"] if i != 1 else ["B"])
        host.do("lock")
        revealed = host.do("reveal")["state"]
        assert revealed["slot"]["question"]["answer"] == ["A"]
        scores = {row["name"]: row["score"] for row in revealed["scoreboard"]}
        if i < 2:
            host.do("next")
    people = setup["people"]
    assert scores == {people[0].name: 110, people[1].name: 100, people[2].name: 110}


def test_simultaneous_buzzes_from_threads_have_exactly_one_winner(setup, app):
    event, host = _event(setup, [{"kind": "buzz", "question_ids": [setup["bank"][0].id]}])
    host.do("start")
    state = host.do("open")["state"]
    slot_id, event_id = state["slot"]["id"], event.id
    barrier = threading.Barrier(len(setup["heads"]))
    outcomes = []

    def press(heads):
        client = app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/arenas/{event_id}/buzz", json={"slot_id": slot_id}, headers=heads)
        outcomes.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=press, args=(h,)) for h in setup["heads"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in outcomes) == [200, 200, 200]
    assert sorted(body["outcome"] for _, body in outcomes) == ["late", "late", "won"]
    winner_state = host.state()["slot"]
    assert winner_state["buzz_winner_id"] is not None


def test_buzz_before_open_is_a_foul_and_three_fouls_disqualify(setup, client):
    bank = setup["bank"]
    event, host = _event(setup, [{"kind": "buzz", "question_ids": [q.id for q in bank[:4]]}])
    host.do("start")
    heads = setup["heads"][0]
    for n in range(3):
        host.do("show")
        slot_id = host.state()["slot"]["id"]
        r = client.post(f"/api/v1/arenas/{event.id}/buzz", json={"slot_id": slot_id}, headers=heads)
        assert r.get_json()["outcome"] == "foul"
        again = client.post(f"/api/v1/arenas/{event.id}/buzz", json={"slot_id": slot_id}, headers=heads)
        expected = ("duplicate", 409) if n < 2 else ("not_contestant", 403)  # the third foul disqualifies
        assert (again.get_json()["code"], again.status_code) == expected
        host.do("open")
        host.do("reveal")
        if n < 2:
            host.do("next")
    row = next(r for r in host.state()["scoreboard"] if r["name"] == setup["people"][0].name)
    assert row["score"] == 70 and row["fouls"] == 3 and row["disqualified"]
    host.do("next")
    slot_id = host.state()["slot"]["id"]
    host.do("open")
    r = client.post(f"/api/v1/arenas/{event.id}/buzz", json={"slot_id": slot_id}, headers=heads)
    assert r.status_code == 403 and r.get_json()["code"] == "not_contestant"


def test_only_the_buzz_winner_answers_and_a_wrong_answer_costs(setup, client):
    event, host = _event(setup, [{"kind": "buzz", "question_ids": [setup["bank"][0].id]}])
    host.do("start")
    slot_id = host.do("open")["state"]["slot"]["id"]
    a, b = setup["heads"][:2]
    assert client.post(f"/api/v1/arenas/{event.id}/buzz", json={"slot_id": slot_id}, headers=a).get_json()["outcome"] == "won"
    assert _answer(client, event.id, b, slot_id, ["A"], expect=403)["code"] == "not_contestant"
    _answer(client, event.id, a, slot_id, ["C"])
    assert _answer(client, event.id, a, slot_id, ["A"], expect=409)["code"] == "duplicate"
    host.do("lock")
    board = host.do("reveal")["state"]["scoreboard"]
    assert {r["name"]: r["score"] for r in board}[setup["people"][0].name] == 80


def test_risk_stake_is_chosen_before_the_question_and_lost_when_wrong(setup, client):
    event, host = _event(setup, [{"kind": "risk", "question_ids": [q.id for q in setup["bank"][:3]]}])
    host.do("start")
    state = host.state()
    slot = state["slot"]
    assert slot["question"] is None  # not seen before the stake
    assert host.do("open", expect=409)["code"] == "out_of_order"
    heads = setup["heads"][0]
    r = client.post(f"/api/v1/arenas/{event.id}/stakes", json={"slot_id": slot["id"], "stake": 25}, headers=heads)
    assert r.status_code == 422
    r = client.post(f"/api/v1/arenas/{event.id}/stakes", json={"slot_id": slot["id"], "stake": 40}, headers=heads)
    assert r.status_code == 200
    host.do("open")
    r = client.post(f"/api/v1/arenas/{event.id}/stakes", json={"slot_id": slot["id"], "stake": 20}, headers=heads)
    assert r.status_code == 409
    _answer(client, event.id, heads, slot["id"], ["B"])
    host.do("lock")
    board = host.do("reveal")["state"]["scoreboard"]
    assert {r["name"]: r["score"] for r in board}[setup["people"][0].name] == 60


def test_speed_round_pays_by_server_time_and_refuses_late_answers(setup, client, monkeypatch):
    from arena.services import referee, turns

    event, host = _event(setup, [{"kind": "speed", "question_ids": [setup["bank"][0].id], "time_limit_s": 10}])
    host.do("start")
    slot = host.do("open")["state"]["slot"]
    a, b, c = setup["heads"]
    _answer(client, event.id, a, slot["id"], ["A"])
    opened = db.session.get(ArenaEvent, event.id)
    from datetime import timedelta

    from learning.timeutil import as_utc

    opened_at = as_utc(__import__("datetime").datetime.fromisoformat(slot["opened_at"]))
    def clock_at(at):  # the server's clock where answers are received (turns) and judged (referee)
        for module in (referee, turns):
            monkeypatch.setattr(module, "utcnow", lambda: at)

    clock_at(opened_at + timedelta(seconds=5))
    _answer(client, event.id, b, slot["id"], ["A"])
    clock_at(opened_at + timedelta(seconds=10, milliseconds=1))
    late = _answer(client, event.id, c, slot["id"], ["A"], expect=409)
    assert late["code"] == "late" and "0.0 秒" in late["message"] and late["errors"]["late_by_ms"] == ["1"]
    monkeypatch.undo()
    assert db.session.query(ArenaAnswer).count() == 2
    host.do("lock")
    board = {r["name"]: r["score"] for r in host.do("reveal")["state"]["scoreboard"]}
    p = setup["people"]
    assert board[p[1].name] == 115  # 20 × (1 − 0.5/2)
    assert 110 <= board[p[0].name] <= 120 and board[p[2].name] == 100
    assert opened is not None


def test_speed_points_follow_kahoot():
    """The referee scores with the one speed function quick matches use (arena/services/speed.py)."""
    from arena.services import referee, speed

    assert referee.speed_points is speed.speed_points
    assert speed.speed_points(1.0, 0.4, 20, 1000) == 1000
    assert speed.speed_points(1.0, 10, 20, 1000) == 756  # 1 − (10 − 0.5) / (20 − 0.5) / 2
    assert speed.speed_points(1.0, 20, 20, 1000) == 500
    with pytest.raises(ValueError):  # a late answer is refused before it is scored
        speed.speed_points(1.0, 25, 20, 1000)


def test_knockout_champion_defends_against_challengers_in_turn(setup, client):
    event, host = _event(setup, [{"kind": "required", "question_ids": [q.id for q in setup["bank"][:3]]},
                                 {"kind": "knockout", "question_ids": [q.id for q in setup["bank"][3:5]]}])
    host.do("start")
    for i, heads in enumerate(setup["heads"]):
        slot = host.do("open")["state"]["slot"]
        _answer(client, event.id, heads, slot["id"], ["A"] if i == 1 else ["B"])
        host.do("lock")
        host.do("reveal")
        host.do("next")
    p, heads = setup["people"], setup["heads"]
    slot = host.do("open")["state"]["slot"]
    state = host.state()
    ids = {r["name"]: r["id"] for r in state["scoreboard"]}
    assert slot["defender_id"] == ids[p[1].name] and slot["target_id"] == ids[p[0].name]
    assert _answer(client, event.id, heads[2], slot["id"], ["A"], expect=403)["code"] == "not_contestant"
    _answer(client, event.id, heads[0], slot["id"], ["A"])
    _answer(client, event.id, heads[1], slot["id"], ["B"])
    host.do("lock")
    host.do("reveal")
    host.do("next")
    slot = host.do("open")["state"]["slot"]
    assert slot["defender_id"] == ids[p[0].name] and slot["target_id"] == ids[p[1].name] or \
        slot["target_id"] == ids[p[2].name]


def _pass(client, event_id, heads, slot_id, expect=200):
    r = client.post(f"/api/v1/arenas/{event_id}/passes", json={"slot_id": slot_id}, headers=heads)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _knockout_after_required(setup, client, knockout_questions: int):
    """A required round where contestant 1 alone answers right (so leads), then an open knockout question."""
    bank = setup["bank"]
    event, host = _event(setup, [{"kind": "required", "question_ids": [q.id for q in bank[:3]]},
                                 {"kind": "knockout", "question_ids": [q.id for q in bank[3:3 + knockout_questions]]}])
    host.do("start")
    for i, heads in enumerate(setup["heads"]):
        slot = host.do("open")["state"]["slot"]
        _answer(client, event.id, heads, slot["id"], ["A"] if i == 1 else ["B"])
        host.do("lock")
        host.do("reveal")
        host.do("next")
    return event, host


def test_knockout_champion_passes_once_and_the_same_duel_moves_on(setup, client):
    event, host = _knockout_after_required(setup, client, 3)
    p, heads = setup["people"], setup["heads"]
    slot = host.do("open")["state"]["slot"]
    ids = {r["name"]: r["id"] for r in host.state()["scoreboard"]}
    champion, challenger = ids[p[1].name], ids[p[0].name]
    assert (slot["defender_id"], slot["target_id"]) == (champion, challenger) and slot["pass_available"]
    assert _pass(client, event.id, heads[0], slot["id"], expect=403)["code"] == "not_contestant"  # challenger
    _answer(client, event.id, heads[0], slot["id"], ["A"])  # the challenger was right and fast: it counts for nothing
    before = host.state()["seq"]
    assert _pass(client, event.id, heads[1], slot["id"])["passed"] is True
    state = host.state()
    assert state["seq"] == before + 1 and state["slot"]["phase"] == "locked"
    assert state["slot"]["passed_by_id"] == champion and not state["slot"]["pass_available"]
    assert _answer(client, event.id, heads[1], slot["id"], ["A"], expect=409)["code"] == "not_open"
    board = {r["id"]: r["score"] for r in host.do("reveal")["state"]["scoreboard"]}
    assert board == {r["id"]: r["score"] for r in state["scoreboard"]}  # a passed question scores nothing
    host.do("next")
    slot = host.do("open")["state"]["slot"]
    assert (slot["defender_id"], slot["target_id"]) == (champion, challenger)  # the same duel, next question
    assert not slot["pass_available"]
    refused = _pass(client, event.id, heads[1], slot["id"], expect=409)
    assert refused["code"] == "no_pass" and host.state()["slot"]["phase"] == "open"  # once a round
    _answer(client, event.id, heads[0], slot["id"], ["A"])
    _answer(client, event.id, heads[1], slot["id"], ["B"])
    host.do("lock")
    host.do("reveal")
    host.do("next")
    slot = host.do("open")["state"]["slot"]
    assert slot["defender_id"] == challenger and slot["target_id"] == ids[p[2].name]  # the title changed hands


def test_a_knockout_pass_is_refused_on_the_last_question_after_answering_or_when_not_open(setup, client):
    event, host = _knockout_after_required(setup, client, 2)
    heads = setup["heads"]
    slot = host.state()["slot"]  # pending: not open yet
    assert _pass(client, event.id, heads[1], slot["id"], expect=409)["code"] == "not_open"
    slot = host.do("open")["state"]["slot"]
    _answer(client, event.id, heads[1], slot["id"], ["A"])
    assert _pass(client, event.id, heads[1], slot["id"], expect=409)["code"] == "no_pass"  # answered already
    for bad in ({}, {"slot_id": "x"}, {"slot_id": -1}):
        r = client.post(f"/api/v1/arenas/{event.id}/passes", json=bad, headers=heads[1])
        assert r.status_code == 422 and {"code", "message"} <= set(r.get_json())
    host.do("lock")
    host.do("reveal")
    host.do("next")
    slot = host.do("open")["state"]["slot"]
    assert not slot["pass_available"]  # the round's last question: nowhere for the duel to move
    seq = host.state()["seq"]
    for h in heads:
        r = client.post(f"/api/v1/arenas/{event.id}/passes", json={"slot_id": slot["id"]}, headers=h)
        assert r.status_code in (403, 409)
    assert host.state()["seq"] == seq and host.state()["slot"]["passed_by_id"] is None


def test_undoing_the_opening_gives_the_champion_the_pass_back(setup, client):
    event, host = _knockout_after_required(setup, client, 2)
    slot = host.do("open")["state"]["slot"]
    _pass(client, event.id, setup["heads"][1], slot["id"])
    host.do("undo")  # takes back the opening (the pass is the champion's, not a host action)
    state = host.state()
    assert state["slot"]["phase"] == "pending" and state["slot"]["passed_by_id"] is None
    slot = host.do("open")["state"]["slot"]
    assert slot["pass_available"]


def test_short_answer_is_ruled_by_the_host_never_on_their_own_answer(tree, client):
    from tests.quizzes.factories import make_question

    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    other = make_member(tree.branch1)
    q = make_question(tree.branch1, "short_answer")
    event = make_event(host, tree.branch1, [host, other], [{"kind": "speed", "question_ids": [q.id]}])
    h = Host(client, event.id, bearer(host))
    h.do("start")
    slot = h.do("open")["state"]["slot"]
    mine = _answer(client, event.id, bearer(host), slot["id"], "为人民服务")
    theirs = _answer(client, event.id, bearer(other), slot["id"], "遵守党章")
    h.do("lock")
    assert h.do("reveal", expect=409)["code"] == "out_of_order"  # a ruling is missing
    refused = h.do("adjudicate", expect=403, answer_id=mine["id"], correct=True)
    assert refused["code"] == "forbidden"
    h.do("adjudicate", answer_id=theirs["id"], correct=True)
    second = make_member(tree.branch1, roles=[("host", tree.branch1)])
    Host(client, event.id, bearer(second)).do("adjudicate", answer_id=mine["id"], correct=False)
    board = {r["name"]: r["score"] for r in h.do("reveal")["state"]["scoreboard"]}
    assert board[other.name] > 100 and board[host.name] == 100


def test_host_actions_out_of_order_change_nothing(setup, client):
    event, host = _event(setup, [{"kind": "speed", "question_ids": [q.id for q in setup["bank"][:2]]}])
    assert host.do("open", expect=409)["code"] == "out_of_order"
    host.do("start")
    before = host.state()
    for action in ("reveal", "lock", "next", "resume", "start"):
        assert host.do(action, expect=409)["code"] == "out_of_order"
    assert host.do("open", expect=200, seq=before["seq"])
    assert host.do("lock", expect=409, seq=before["seq"])["code"] == "out_of_order"  # a stale screen
    bad = client.post(f"/api/v1/arenas/{event.id}/control", json={"action": "explode"}, headers=host.headers)
    assert bad.status_code == 422
    assert host.state()["slot"]["phase"] == "open"


def test_bad_buzz_and_answer_inputs_are_refused_and_change_nothing(setup, client, tree):
    event, host = _event(setup, [{"kind": "speed", "question_ids": [q.id for q in setup["bank"][:2]]}])
    host.do("start")
    slot = host.state()["slot"]
    heads = setup["heads"][0]
    assert _answer(client, event.id, heads, slot["id"], ["A"], expect=409)["code"] == "not_open"
    host.do("open")
    outsider = bearer(make_member(tree.branch1))
    assert _answer(client, event.id, outsider, slot["id"], ["A"], expect=403)["code"] == "not_contestant"
    assert _answer(client, event.id, heads, slot["id"] + 1, ["A"], expect=409)["code"] == "not_open"
    assert _answer(client, event.id, heads, 2**63, ["A"], expect=422)
    assert _answer(client, event.id, heads, slot["id"], ["Z"], expect=422)["code"] == "invalid"
    assert client.post(f"/api/v1/arenas/{event.id}/buzz", json={"slot_id": slot["id"]},
                       headers=heads).status_code == 409  # not a buzz-in question
    host.do("lock")
    assert _answer(client, event.id, heads, slot["id"], ["A"], expect=409)["code"] == "not_open"
    assert db.session.query(ArenaAnswer).count() == 0
    far = bearer(make_member(tree.branch3))
    assert client.get(f"/api/v1/arenas/{event.id}", headers=far).status_code == 404
    assert _answer(client, event.id, far, slot["id"], ["A"], expect=404)["code"] == "not_found"
    assert client.get(f"/api/v1/arenas/{2**63}", headers=heads).status_code == 404


def test_undo_takes_back_the_last_host_action(setup, client):
    event, host = _event(setup, [{"kind": "speed", "question_ids": [q.id for q in setup["bank"][:2]]}])
    host.do("start")
    slot = host.do("open")["state"]["slot"]
    _answer(client, event.id, setup["heads"][0], slot["id"], ["A"])
    host.do("lock")
    revealed = host.do("reveal")["state"]
    assert revealed["scoreboard"][0]["score"] > 100
    undone = host.do("undo")["state"]
    assert undone["slot"]["phase"] == "locked" and "answer" not in undone["slot"]["question"]
    assert all(r["score"] == 100 for r in undone["scoreboard"])
    host.do("undo")  # the lock
    host.do("undo")  # the opening: its answer is out of play
    state = host.state()
    assert state["slot"]["phase"] == "pending" and state["slot"]["answered"] == []
    again = host.do("open")["state"]["slot"]
    _answer(client, event.id, setup["heads"][0], again["id"], ["B"])  # a fresh opening takes a fresh answer
    assert host.do("undo")["kind"] == "undo"
    assert host.do("undo", expect=409)["code"] == "out_of_order"  # start cannot be undone


def test_pause_stops_the_clock_and_answers(setup, client):
    event, host = _event(setup, [{"kind": "speed", "question_ids": [setup["bank"][0].id]}])
    host.do("start")
    slot = host.do("open")["state"]["slot"]
    host.do("pause")
    assert _answer(client, event.id, setup["heads"][0], slot["id"], ["A"], expect=409)["code"] == "not_open"
    assert host.do("lock", expect=409)["code"] == "out_of_order"
    resumed = host.do("resume")["state"]["slot"]
    assert resumed["closes_at"] >= slot["closes_at"]
    _answer(client, event.id, setup["heads"][0], slot["id"], ["A"])


def test_restart_mid_event_continues_from_the_database(setup, client, test_env):
    from learning.app import create_app
    from tests.conftest import IsolatedClient, app_config

    event, host = _event(setup, [{"kind": "speed", "question_ids": [q.id for q in setup["bank"][:2]]}])
    host.do("start")
    slot = host.do("open")["state"]["slot"]
    _answer(client, event.id, setup["heads"][0], slot["id"], ["A"])
    fresh = create_app(app_config(test_env))  # a new process's app on the same database
    fresh.test_client_class = IsolatedClient
    with fresh.app_context():
        other = fresh.test_client()
        h2 = Host(other, event.id, host.headers)
        state = h2.state()
        assert state["slot"]["phase"] == "open" and len(state["slot"]["answered"]) == 1
        _answer(other, event.id, setup["heads"][1], slot["id"], ["A"])
        h2.do("lock")
        h2.do("reveal")
        h2.do("next")
        db.session.remove()
    assert host.state()["slot"]["position"] == 1


def test_finish_writes_records_once_with_placing(setup, client):
    event, host = _event(setup, [{"kind": "speed", "question_ids": [setup["bank"][0].id]}])
    host.do("start")
    slot = host.do("open")["state"]["slot"]
    _answer(client, event.id, setup["heads"][0], slot["id"], ["A"])
    _answer(client, event.id, setup["heads"][1], slot["id"], ["B"])
    host.do("lock")
    host.do("reveal")
    state = host.do("finish")["state"]
    assert state["event"]["status"] == "finished" and state["winner_id"] == state["scoreboard"][0]["id"]
    answered = db.session.query(LearningRecord).filter_by(verb="answered", object_type="arena").all()
    assert sorted(r.result["success"] for r in answered) == [False, True]
    submitted = {r.member_id: r.result for r in db.session.query(LearningRecord).filter_by(verb="submitted")}
    assert submitted[setup["people"][0].id]["placing"] == 1 and len(submitted) == 3
    assert "likes" not in submitted[setup["people"][0].id]  # reactions stay out by default
    assert host.do("undo", expect=409)["code"] == "out_of_order"
    assert db.session.query(ArenaStreamEvent).filter_by(event_id=event.id).count() == state["seq"]
    assert utcnow()
