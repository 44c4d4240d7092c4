"""Builders for live events used by the arena tests."""
from __future__ import annotations

from learning.extensions import db
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question


def make_bank(org, n=12, type="single_choice"):
    """`n` questions in an org's bank (correct answer A for single choice)."""
    return [make_question(org, type) for _ in range(n)]


def make_event(host, org, contestants, rounds, **fields):
    """A committed draft event built through the service, as the API would."""
    from arena.services import events

    data = {"org_id": org.id, "title": fields.pop("title", "党史知识竞赛"), "rounds": rounds,
            "member_ids": [c.id for c in contestants]} | fields
    event = events.create_event(host, data)
    db.session.commit()
    return event


def players(org, n):
    """`n` members of an org with their bearer headers."""
    people = [make_member(org) for _ in range(n)]
    return people, [bearer(m) for m in people]


class Host:
    """Drives an event through the API as its host."""

    def __init__(self, client, event_id, headers):
        self.client, self.event_id, self.headers = client, event_id, headers

    def do(self, action, expect=200, **extra):
        response = self.client.post(f"/api/v1/arenas/{self.event_id}/control", json={"action": action, **extra},
                                    headers=self.headers)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def state(self):
        return self.client.get(f"/api/v1/arenas/{self.event_id}", headers=self.headers).get_json()["state"]


def start_speed_event(org):
    """A started event open to guests: one speed round of two questions, two contestants.
    Returns (event, the host's `Host`, the contestants, their auth headers)."""
    from flask import current_app

    host = make_member(org, roles=[("host", org)])
    bank = make_bank(org, 4)
    people, heads = players(org, 2)
    event = make_event(host, org, people, [{"kind": "speed", "question_ids": [q.id for q in bank[:2]]}],
                       allow_guests=True)
    h = Host(current_app.test_client(), event.id, bearer(host))
    h.do("start")
    return event, h, people, heads
