"""Quick matches under concurrent requests: four phones searching and answering at once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from arena.models import Match, MatchAnswer, MatchPlayer
from tests.arena.match_factories import TICKETS, answer, look, match_bank, players, shift
from tests.conftest import REAL

pytestmark = pytest.mark.skipif(not REAL, reason="SQLite serialises writers per file (a concurrent writer fails "
                                                  "with 'database is locked'); PostgreSQL decides these races")


def _together(app, acts):
    """Run each act in its own thread with its own test client, released together; returns responses."""
    barrier = threading.Barrier(len(acts))
    out, errors = [None] * len(acts), []

    def run(i, act):
        try:
            client = app.test_client()
            barrier.wait()
            out[i] = act(client)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, act)) for i, act in enumerate(acts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return out


def test_four_members_searching_at_once_end_up_in_one_match(app, client, db, tree):
    match_bank(tree.committee)
    group = players(tree.branch1, 4)
    tickets = _together(app, [lambda c, h=h: c.post(TICKETS, json={"mode": "four_player"}, headers=h).get_json()
                              for _, h in group])
    match_ids = {client.get(f"{TICKETS}/{t['id']}", headers=h).get_json()["match_id"]
                 for t, (_, h) in zip(tickets, group)}
    assert len(match_ids) == 1 and None not in match_ids
    assert db.session.scalar(select(func.count()).select_from(Match)) == 1
    assert db.session.scalar(select(func.count()).select_from(MatchPlayer)) == 4


def test_four_answers_at_once_are_all_counted_and_close_the_question_once(app, client, db, tree):
    match_bank(tree.committee)
    group = players(tree.branch1, 4)
    for _, h in group:
        client.post(TICKETS, json={"mode": "four_player"}, headers=h)
    match_id = db.session.scalar(select(Match.id))
    shift(match_id, 3)
    responses = _together(app, [lambda c, h=h: answer(c, h, match_id, 1) for _, h in group])
    assert [r.status_code for r in responses] == [201] * 4
    assert db.session.scalar(select(func.count()).select_from(MatchAnswer)) == 4
    view = look(client, group[0][1], match_id)
    points = db.session.scalars(select(MatchAnswer.points)).all()
    assert len(view["revealed"]) == 1 and sum(p["score"] for p in view["players"]) == sum(points)
    assert all(p >= 50 for p in points)  # four right answers, each counted once
    assert view["current"] == 2
