"""Quick matches through the API: matching, playing to the end, leaving, the referee's refusals."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from arena.models import ArenaRating, Match, MatchAnswer, MatchPlayer, MatchTicket
from learning.models import LearningRecord
from tests.arena.match_factories import (TICKETS, age_ticket, answer, away, look, match_bank, play_out, players,
                                         shift, start_match)
from tests.factories import make_member
from tests.helpers import assert_error


@pytest.fixture
def bank(db, tree):
    return match_bank(tree.committee)


def _count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def test_a_lone_searcher_waits_and_is_matched_when_a_second_member_searches(client, db, tree, bank):
    (a, ha), (b, hb) = players(tree.branch1, 2)
    first = client.post(TICKETS, json={"mode": "two_player"}, headers=ha)
    assert first.status_code == 201
    assert first.get_json()["state"] == "waiting" and first.get_json()["match_id"] is None
    second = client.post(TICKETS, json={"mode": "two_player"}, headers=hb).get_json()
    assert second["state"] == "matched"
    polled = client.get(f"{TICKETS}/{first.get_json()['id']}", headers=ha).get_json()
    assert polled["state"] == "matched" and polled["match_id"] == second["match_id"]
    assert _count(db, Match) == 1


def test_a_search_with_nobody_else_ends_honestly(client, db, tree, bank):
    (a, ha), = players(tree.branch1, 1)
    ticket = client.post(TICKETS, json={"mode": "two_player"}, headers=ha).get_json()
    age_ticket(ticket["id"], 31)
    ended = client.get(f"{TICKETS}/{ticket['id']}", headers=ha).get_json()
    assert ended["state"] == "expired" and ended["match_id"] is None
    assert _count(db, Match) == 0 and _count(db, MatchPlayer) == 0


def test_the_rating_window_widens_with_waiting(client, db, tree, bank):
    (a, ha), (b, hb) = players(tree.branch1, 2)
    db.session.add(ArenaRating(member_id=b.id, rating=1600.0, games=30, wins=25))
    db.session.commit()
    ta = client.post(TICKETS, json={"mode": "two_player"}, headers=ha).get_json()
    tb = client.post(TICKETS, json={"mode": "two_player"}, headers=hb).get_json()
    assert (ta["state"], tb["state"]) == ("waiting", "waiting")  # 400 apart, window 100
    age_ticket(ta["id"], 8)  # a has waited 8 s: window 100 + 8 × 40 = 420
    assert client.get(f"{TICKETS}/{tb['id']}", headers=hb).get_json()["state"] == "matched"


def test_a_search_can_be_stopped(client, db, tree, bank):
    (a, ha), (b, hb) = players(tree.branch1, 2)
    ta = client.post(TICKETS, json={"mode": "two_player"}, headers=ha).get_json()
    assert client.delete(f"{TICKETS}/{ta['id']}", headers=ha).get_json()["state"] == "cancelled"
    assert client.post(TICKETS, json={"mode": "two_player"}, headers=hb).get_json()["state"] == "waiting"


def test_members_of_another_committee_are_not_matched(client, db, tree, bank):
    from tests.factories import make_org

    other = make_org("另一党委", "committee")
    branch = make_org("另一支部", "branch", other)
    match_bank(other)
    (a, ha), = players(tree.branch1, 1)
    (b, hb), = players(branch, 1)
    client.post(TICKETS, json={"mode": "two_player"}, headers=ha)
    assert client.post(TICKETS, json={"mode": "two_player"}, headers=hb).get_json()["state"] == "waiting"


def test_two_players_play_five_questions_and_see_result_and_rating_change(client, db, tree, bank):
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    view = look(client, group[0][1], match_id)
    assert view["question"]["phase"] == "upcoming" and "stem" not in view["question"]  # not before it opens
    final = play_out(client, group, match_id, keys_by_seat={1: ("B",)})
    assert final["state"] == "finished" and len(final["revealed"]) == 5
    a_view, b_view = look(client, group[0][1], match_id), look(client, group[1][1], match_id)
    assert a_view["result"]["placing"] == 1 and b_view["result"]["placing"] == 2
    assert a_view["result"]["rating_change"] > 0 > b_view["result"]["rating_change"]
    # five right answers: at least half marks each, summed from the revealed questions
    mine = [r["points"] for q in a_view["revealed"] for r in q["results"] if r["seat"] == a_view["me"]["seat"]]
    assert a_view["result"]["score"] == sum(mine) and all(50 <= p <= 100 for p in mine)
    assert db.session.get(ArenaRating, group[0][0].id).rating == 1216.0
    mine = client.get("/api/v1/me/arena/matches", headers=group[0][1]).get_json()
    assert mine["rating"] == {"rating": 1216, "games": 1, "wins": 1}
    assert [m["id"] for m in mine["items"]] == [match_id] and (mine["total"], mine["page"]) == (1, 1)


def test_every_answer_and_result_is_a_learning_record_without_the_answer_key(client, db, tree, bank):
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    play_out(client, group, match_id, keys_by_seat={1: ("B",)})
    answered = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "answered")).all()
    assert len(answered) == 10 and {r.object_type for r in answered} == {"arena_match"}
    for rec in answered:
        assert set(rec.result) >= {"success", "score", "response", "time_s", "match_id"}
        assert "answer" not in rec.result and "correct" not in rec.result
    results = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "submitted")
                                 .order_by(LearningRecord.result["placing"].as_integer())).all()
    assert [(r.object_type, r.result["mode"], r.result["placing"]) for r in results] == [
        ("arena", "two_player", 1), ("arena", "two_player", 2)]


def test_four_players_are_matched_and_placed_by_speed(client, db, tree, bank):
    group = players(tree.branch1, 4)
    match_id = start_match(client, group, "four_player")
    shift(match_id, 3)
    for number in range(1, 6):
        for i, (_, headers) in enumerate(group):  # each player answers 2 s after the one before
            assert answer(client, headers, match_id, number).status_code == 201
            shift(match_id, 2)
        view = look(client, group[0][1], match_id)
        if number < 5:
            assert view["question"]["phase"] in ("upcoming", "open")
            shift(match_id, 3)
    places = [look(client, h, match_id)["result"]["placing"] for _, h in group]
    assert places == [1, 2, 3, 4]
    submitted = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "submitted")).all()
    assert sorted((r.result["mode"], r.result["placing"]) for r in submitted) == [
        ("four_player", 1), ("four_player", 2), ("four_player", 3), ("four_player", 4)]


def test_a_disconnect_within_the_grace_period_keeps_the_seat(client, db, tree, bank):
    group = players(tree.branch1, 2)
    (a, ha), (b, hb) = group
    match_id = start_match(client, group, "two_player")
    shift(match_id, 3)
    away(a, match_id, 12)  # a's phone went quiet 12 s ago; the grace period is 20 s
    assert look(client, hb, match_id)["players"][0]["state"] == "playing"
    assert answer(client, ha, match_id, 1).status_code == 201
    assert db.session.scalar(select(MatchPlayer.state).where(MatchPlayer.member_id == a.id)) == "playing"


def test_a_disconnect_past_the_grace_period_loses_the_match(client, db, tree, bank):
    group = players(tree.branch1, 2)
    (a, ha), (b, hb) = group
    match_id = start_match(client, group, "two_player")
    shift(match_id, 3)
    away(a, match_id, 25)
    view = look(client, hb, match_id)
    assert view["state"] == "finished" and view["result"]["placing"] == 1
    seat = db.session.scalar(select(MatchPlayer).where(MatchPlayer.member_id == a.id))
    assert (seat.state, seat.left_reason, seat.placing) == ("abandoned", "disconnected", 2)
    assert_error(answer(client, ha, match_id, 1), 409, "match_over")


def test_abandoning_loses_the_match_and_the_result_earns_nothing(client, db, tree, bank):
    group = players(tree.branch1, 2)
    (a, ha), (b, hb) = group
    match_id = start_match(client, group, "two_player")
    shift(match_id, 3)
    resp = client.post(f"/api/v1/arena/matches/{match_id}/abandon", headers=ha)
    assert resp.status_code == 200 and resp.get_json()["result"]["placing"] == 2
    assert look(client, hb, match_id)["result"]["placing"] == 1
    results = {r.member_id: r for r in db.session.scalars(select(LearningRecord).where(
        LearningRecord.verb == "submitted"))}
    assert results[a.id].object_type == "arena_unscored" and results[a.id].result["left"] == "abandoned"
    assert results[b.id].object_type == "arena"
    assert db.session.get(ArenaRating, a.id).rating < 1200 < db.session.get(ArenaRating, b.id).rating


def test_a_member_in_a_running_match_is_sent_back_to_it(client, db, tree, bank):
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    body = assert_error(client.post(TICKETS, json={"mode": "four_player"}, headers=group[0][1]), 409,
                        "already_playing")
    assert body["errors"]["match_id"] == [str(match_id)]


def test_the_match_survives_a_restart_of_the_app(client, db, tree, bank, test_env):
    from learning.app import create_app
    from tests.conftest import IsolatedClient, app_config

    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    shift(match_id, 3)
    assert answer(client, group[0][1], match_id, 1).status_code == 201
    fresh = create_app(app_config(test_env))  # a new process would build exactly this from the database
    fresh.test_client_class = IsolatedClient
    other = fresh.test_client()
    assert_error(answer(other, group[0][1], match_id, 1), 409, "duplicate")
    assert answer(other, group[1][1], match_id, 1).status_code == 201
    view = look(other, group[0][1], match_id)
    assert view["revealed"][0]["number"] == 1 and view["players"][0]["score"] + view["players"][1]["score"] > 0


# ---- the referee's refusals: a clear error, and the match unchanged ----

def _snapshot(db, match_id):
    db.session.expire_all()
    match = db.session.get(Match, match_id)
    return (match.step, match.state, match.current, _count(db, MatchAnswer, match_id=match_id),
            _count(db, LearningRecord))


@pytest.fixture
def running(client, db, tree, bank):
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    shift(match_id, 3)
    return group, match_id


def test_an_answer_from_someone_not_playing_is_refused(client, db, tree, running):
    group, match_id = running
    outsider = make_member(tree.branch1)
    db.session.commit()
    from tests.factories import bearer

    before = _snapshot(db, match_id)
    assert_error(answer(client, bearer(outsider), match_id, 1), 404, "not_found")
    assert _snapshot(db, match_id) == before


def test_a_second_answer_to_the_same_question_is_refused(client, db, running):
    group, match_id = running
    assert answer(client, group[0][1], match_id, 1).status_code == 201
    before = _snapshot(db, match_id)
    assert_error(answer(client, group[0][1], match_id, 1, ("B",)), 409, "duplicate")
    assert _snapshot(db, match_id) == before


def test_an_answer_to_a_question_not_open_is_refused(client, db, running):
    group, match_id = running
    before = _snapshot(db, match_id)
    assert_error(answer(client, group[0][1], match_id, 2), 409, "not_open")
    assert _snapshot(db, match_id) == before


def test_an_answer_before_the_first_question_opens_is_refused(client, db, tree, bank):
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    before = _snapshot(db, match_id)
    assert_error(answer(client, group[0][1], match_id, 1), 409, "not_open")
    assert _snapshot(db, match_id) == before


def test_a_late_answer_is_refused_with_the_reason(client, db, running):
    group, match_id = running
    shift(match_id, 16)  # the 15-s limit has passed
    body = assert_error(answer(client, group[0][1], match_id, 1), 409, "late")
    assert body["message"].startswith("太迟了：到达服务器时已超过时限")
    assert int(body["errors"]["late_by_ms"][0]) >= 1000
    assert _count(db, MatchAnswer, match_id=match_id) == 0


def test_an_answer_after_the_match_ended_is_refused(client, db, running):
    group, match_id = running
    play_out(client, group, match_id)
    before = _snapshot(db, match_id)
    assert_error(answer(client, group[0][1], match_id, 5), 409, "match_over")
    assert _snapshot(db, match_id) == before


@pytest.mark.parametrize("body", [
    {"number": 1, "response": ["Z"]}, {"number": 1, "response": []}, {"number": 0, "response": ["A"]},
    {"number": 2 ** 63, "response": ["A"]}, {"number": "1", "response": ["A"]}, {"response": ["A"]},
    {"number": 1, "response": "A"}, {"number": 1, "response": ["A", "B"]}])
def test_a_malformed_answer_is_refused(client, db, running, body):
    group, match_id = running
    before = _snapshot(db, match_id)
    resp = client.post(f"/api/v1/arena/matches/{match_id}/answers", data=json.dumps(body),
                       content_type="application/json", headers=group[0][1])
    assert_error(resp, 422)
    assert _snapshot(db, match_id) == before


@pytest.mark.parametrize("body", [{"mode": "eight_player"}, {}, {"mode": None}])
def test_a_bad_mode_is_refused(client, db, tree, bank, body):
    (a, ha), = players(tree.branch1, 1)
    assert_error(client.post(TICKETS, json=body, headers=ha), 422)
    assert _count(db, MatchTicket) == 0


def test_huge_ids_are_answered_as_missing(client, db, tree, bank):
    (a, ha), = players(tree.branch1, 1)
    assert_error(client.get(f"{TICKETS}/{2 ** 63}", headers=ha), 404)
    assert_error(client.get(f"/api/v1/arena/matches/{2 ** 64}", headers=ha), 404)


def test_a_member_without_enough_questions_cannot_search(client, db, tree):
    match_bank(tree.committee, 4)
    (a, ha), = players(tree.branch1, 1)
    assert_error(client.post(TICKETS, json={"mode": "two_player"}, headers=ha), 409, "not_enough_questions")
    assert _count(db, MatchTicket) == 0
