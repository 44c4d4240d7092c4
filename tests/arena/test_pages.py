"""The live-event pages render for those who may see them, and 404 for everyone else."""
from __future__ import annotations

from learning.extensions import db
from tests.arena.factories import Host, make_bank, make_event
from tests.factories import PASSWORD, bearer, make_member
from tests.helpers import csrf_token


def test_pages_for_host_contestant_audience_and_guest(tree, client, page_login, app):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    people = [make_member(tree.branch1) for _ in range(2)]
    bank = make_bank(tree.branch1, 2)
    event = make_event(host, tree.branch1, people, [{"kind": "speed", "question_ids": [q.id for q in bank]}],
                       allow_guests=True)
    token = event.guest_token
    page_login(host)
    for path in ("/arena/", f"/arena/{event.id}/host", f"/arena/{event.id}/screen", f"/arena/{event.id}/watch",
                 f"/arena/{event.id}/results"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<script>" not in response.get_data(as_text=True)  # CSP: scripts come from static files
    assert "主持台" in client.get(f"/arena/{event.id}/host").get_data(as_text=True)
    other = app.test_client()

    def login(c, member):
        r = c.post("/login", data={"username": member.username, "password": PASSWORD,
                                   "csrf_token": csrf_token(c, "/login")})
        assert r.status_code == 302, r.get_data(as_text=True)[:300]

    login(other, people[0])
    assert "抢答" in other.get(f"/arena/{event.id}/play").get_data(as_text=True)
    assert other.get(f"/arena/{event.id}/host").status_code == 403
    stranger = app.test_client()
    far = make_member(tree.branch3)
    db.session.commit()
    login(stranger, far)
    assert stranger.get(f"/arena/{event.id}/watch").status_code == 404
    assert stranger.get(f"/arena/{event.id}/host").status_code == 404
    guest = app.test_client()
    assert guest.get(f"/arena/guest/{event.id}/{token}").status_code == 200
    assert guest.get(f"/arena/guest/{event.id}/wrong").status_code == 404
    Host(app.test_client(), event.id, bearer(host)).do("start")


def test_results_page_shows_the_replay(tree, client, page_login):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    people = [make_member(tree.branch1, name=n) for n in ("赵一", "钱二")]
    bank = make_bank(tree.branch1, 1)
    event = make_event(host, tree.branch1, people, [{"kind": "speed", "question_ids": [bank[0].id]}])
    h = Host(client, event.id, bearer(host))
    h.do("start")
    slot = h.do("open")["state"]["slot"]
    client.post(f"/api/v1/arenas/{event.id}/answers", json={"slot_id": slot["id"], "response": ["A"]},
                headers=bearer(people[0]))
    h.do("lock")
    h.do("reveal")
    h.do("finish")
    page_login(host)
    html = client.get(f"/arena/{event.id}/results").get_data(as_text=True)
    assert "赵一" in html and "回放" in html and "✓" in html
    xlsx = client.get(f"/api/v1/arenas/{event.id}/results?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
